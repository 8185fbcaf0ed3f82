//! What is fitted: samples, or counts in bins, in milliseconds, with the
//! log-likelihood of a candidate and the Kolmogorov–Smirnov distance.

use tailsim_components::observations::Observations;

use super::family::Model;

/// HdrHistogram's relative bucket width at 3 significant digits (2^-10):
/// an atom in a histogram (a bucket read as one value) is widened to it.
const ATOM_WIDTH: f64 = 1.0 / 1024.0;

/// Observations in milliseconds.
#[derive(Clone, Debug)]
pub enum FitData {
    /// Sorted, positive.
    Samples(Vec<f64>),
    /// (low, high, count), in order; `high` may be infinite.
    Bins(Vec<(f64, f64, f64)>),
}

impl FitData {
    /// From observations in nanoseconds. Zero values, which no candidate
    /// can produce, are moved to half the smallest positive value (samples)
    /// or widened to a bucket (bins).
    pub fn new(obs: &Observations) -> Result<FitData, String> {
        match obs {
            Observations::Samples(s) => {
                let ms: Vec<f64> = s.iter().map(|v| v / 1e6).collect();
                let floor = ms.iter().copied().find(|&v| v > 0.0).ok_or("every observation is zero")? / 2.0;
                Ok(FitData::Samples(ms.into_iter().map(|v| v.max(floor)).collect()))
            }
            Observations::Bins(bins) => {
                let smallest =
                    bins.iter().map(|b| b.high / 1e6).find(|&h| h > 0.0).ok_or("every observation is zero")?;
                Ok(FitData::Bins(
                    bins.iter()
                        .map(|b| {
                            let (lo, hi) = (b.low / 1e6, b.high / 1e6);
                            if hi > lo {
                                (lo, hi, b.count)
                            } else if hi > 0.0 {
                                (hi * (1.0 - ATOM_WIDTH), hi, b.count)
                            } else {
                                (0.0, smallest * ATOM_WIDTH, b.count)
                            }
                        })
                        .collect(),
                ))
            }
        }
    }

    pub fn n(&self) -> f64 {
        match self {
            FitData::Samples(s) => s.len() as f64,
            FitData::Bins(b) => b.iter().map(|b| b.2).sum(),
        }
    }

    /// The log-likelihood of `m`: densities for samples, bin masses for
    /// bins (each mass floored at 1e-300 so a bin the candidate cannot
    /// produce costs a finite, large penalty).
    pub fn loglik(&self, m: &Model) -> f64 {
        match self {
            FitData::Samples(s) => s.iter().map(|&x| m.ln_pdf(x)).sum(),
            FitData::Bins(b) => {
                // Neighbouring bins share an edge: evaluate each edge once.
                let mut prev: Option<(f64, (f64, f64))> = None;
                let mut total = 0.0;
                for &(lo, hi, n) in b {
                    let (c_lo, s_lo) = match prev {
                        Some((edge, v)) if edge == lo => v,
                        _ => m.cdf_sf(lo),
                    };
                    let (c_hi, s_hi) = if hi.is_finite() { m.cdf_sf(hi) } else { (1.0, 0.0) };
                    let mass = if c_lo > 0.5 { s_lo - s_hi } else { c_hi - c_lo };
                    total += n * mass.max(1e-300).ln();
                    prev = Some((hi, (c_hi, s_hi)));
                }
                total
            }
        }
    }

    /// Samples grouped into bins of relative width 2^-7 (under 1%), so
    /// optimising a mixture costs hundreds of terms however many samples
    /// there are; bins stay as they are. The estimate is then polished on
    /// the samples themselves.
    pub fn grouped(&self) -> FitData {
        match self {
            FitData::Bins(_) => self.clone(),
            FitData::Samples(s) => {
                let mut bins: Vec<(f64, f64, f64)> = Vec::new();
                const WIDTH: f64 = 1.0 / 128.0;
                for &x in s {
                    match bins.last_mut() {
                        Some(last) if x <= last.1 => last.2 += 1.0,
                        _ => {
                            let lo = x * (1.0 - WIDTH / 2.0);
                            let lo = bins.last().map_or(lo, |l| lo.max(l.1));
                            bins.push((lo, x * (1.0 + WIDTH / 2.0), 1.0));
                        }
                    }
                }
                FitData::Bins(bins)
            }
        }
    }

    /// The largest distance between the observed and the candidate's CDF:
    /// over every sample, or at every bin edge.
    pub fn ks(&self, m: &Model) -> f64 {
        let n = self.n();
        match self {
            FitData::Samples(s) => s
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let f = m.cdf(x);
                    (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
                })
                .fold(0.0, f64::max),
            FitData::Bins(b) => {
                let mut cum = 0.0;
                let mut d: f64 = 0.0;
                for &(lo, hi, count) in b {
                    d = d.max((cum / n - m.cdf(lo)).abs());
                    cum += count;
                    if hi.is_finite() {
                        d = d.max((cum / n - m.cdf(hi)).abs());
                    }
                }
                d
            }
        }
    }
}
