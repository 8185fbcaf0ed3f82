//! What a latency file holds, once read: individual values, or counts in
//! value bins; and the piecewise-linear inverse CDF a distribution is
//! drawn from. The config layer reads the files; fitting and the
//! simulation only see this data.

use crate::spec::{DistSpec, Duration};

/// Counts in a value bin, in nanoseconds: `count` observations in
/// (`low`, `high`], or exactly at `low` when `low == high`. The last bin of
/// a Prometheus histogram may have `high = inf` (its `+Inf` bucket).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Bin {
    pub low: f64,
    pub high: f64,
    pub count: f64,
}

/// What a latency file holds, in nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Observations {
    /// Individual values, sorted.
    Samples(Vec<f64>),
    /// Counts in increasing, non-overlapping bins with positive counts.
    Bins(Vec<Bin>),
}

impl Observations {
    /// Observations from bins: empty bins are dropped; bins must be in
    /// order (the readers check that first, with line numbers).
    pub fn from_bins(bins: impl IntoIterator<Item = Bin>) -> Observations {
        Observations::Bins(bins.into_iter().filter(|b| b.count > 0.0).collect())
    }

    /// The number of observations.
    pub fn count(&self) -> f64 {
        match self {
            Observations::Samples(s) => s.len() as f64,
            Observations::Bins(b) => b.iter().map(|b| b.count).sum(),
        }
    }

    /// The mean in nanoseconds, with values spread evenly in each bin (a
    /// `+Inf` bin counts at its lower bound).
    pub fn mean(&self) -> f64 {
        match self {
            Observations::Samples(s) => s.iter().sum::<f64>() / s.len() as f64,
            Observations::Bins(bins) => {
                let n = self.count();
                bins.iter().map(|b| b.count * (b.low + finite_high(b)) / 2.0).sum::<f64>() / n
            }
        }
    }

    /// The inverse CDF as (probability, value) points with linear
    /// interpolation between them: observations are spread evenly within
    /// a bin, a bin of zero width is an atom, and the mass of a `+Inf`
    /// bucket sits at its lower bound (as Prometheus' `histogram_quantile`
    /// does). Empty ranges between bins are jumps: two points at one
    /// probability.
    pub fn inverse_cdf(&self) -> Vec<(f64, f64)> {
        match self {
            Observations::Samples(s) => {
                // The empirical CDF's inverse, a step at each sample.
                let n = s.len() as f64;
                let mut points = Vec::with_capacity(2 * s.len());
                for (i, &v) in s.iter().enumerate() {
                    points.push((i as f64 / n, v));
                    points.push(((i + 1) as f64 / n, v));
                }
                points
            }
            Observations::Bins(bins) => {
                let n = self.count();
                let mut points: Vec<(f64, f64)> = Vec::with_capacity(bins.len() + 2);
                let mut cum = 0.0;
                for b in bins {
                    let q = cum / n;
                    if points.last().is_none_or(|&(lq, lv)| lq != q || lv != b.low) {
                        points.push((q, b.low));
                    }
                    cum += b.count;
                    points.push(((cum / n).min(1.0), finite_high(b)));
                }
                if let Some(last) = points.last_mut() {
                    last.0 = 1.0;
                }
                dedup_points(points)
            }
        }
    }

    /// The value below which a fraction `q` of observations fall: the
    /// inverse CDF of [`inverse_cdf`](Self::inverse_cdf), which is also
    /// what the distribution made from these observations draws.
    pub fn quantile(&self, q: f64) -> f64 {
        let q = q.clamp(0.0, 1.0);
        match self {
            Observations::Samples(s) => {
                let k = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
                s[k - 1]
            }
            Observations::Bins(_) => interpolate(&self.inverse_cdf(), q),
        }
    }

    /// The distribution that draws like these observations, every value
    /// multiplied by `factor`: samples are drawn uniformly, bins through
    /// the piecewise-linear inverse CDF.
    pub fn to_dist(&self, factor: f64) -> DistSpec {
        let dur = |ns: f64| Duration::from_nanos((ns * factor).round().max(0.0) as u64);
        match self {
            Observations::Samples(s) => DistSpec::Samples(s.iter().map(|&v| dur(v)).collect()),
            Observations::Bins(_) => {
                let points: Vec<(f64, Duration)> = self.inverse_cdf().iter().map(|&(q, v)| (q, dur(v))).collect();
                // Rounding to whole nanoseconds can make neighbours equal.
                let mut out: Vec<(f64, Duration)> = Vec::with_capacity(points.len());
                for p in points {
                    if out.last() != Some(&p) {
                        out.push(p);
                    }
                }
                if out.len() == 1 {
                    out.insert(0, (0.0, out[0].1));
                }
                DistSpec::Percentiles(out)
            }
        }
    }
}

fn finite_high(b: &Bin) -> f64 {
    if b.high.is_finite() { b.high } else { b.low }
}

fn dedup_points(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// The piecewise-linear inverse CDF at `q`, choosing the later segment at a
/// jump, as the sampler does.
pub fn interpolate(points: &[(f64, f64)], q: f64) -> f64 {
    if points.len() == 1 {
        return points[0].1;
    }
    let i = points.partition_point(|&(p, _)| p <= q).clamp(1, points.len() - 1);
    let (q0, v0) = points[i - 1];
    let (q1, v1) = points[i];
    if q1 > q0 { v0 + (q.clamp(q0, q1) - q0) / (q1 - q0) * (v1 - v0) } else { v1 }
}
