//! Latency histograms: HdrHistogram in nanoseconds, 3 significant digits, up
//! to one hour, plus an exact running sum for the mean.

use hdrhistogram::Histogram;

use crate::time::{HOUR, Time};

/// The largest latency a histogram tracks; larger values are clamped to it.
pub const MAX_TRACKABLE: Time = HOUR;
/// Significant decimal digits kept: values within 0.1% share a bucket.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency distribution in nanoseconds.
///
/// Percentiles come from the HdrHistogram, reported at the midpoint of their
/// bucket (relative error at most 0.05%). The mean is exact.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
    sum: u128,
    clamped: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for LatencyHistogram {
    fn eq(&self, other: &Self) -> bool {
        self.sum == other.sum
            && self.clamped == other.clamped
            && self.hist.len() == other.hist.len()
            && self.iter_recorded().eq(other.iter_recorded())
    }
}

impl LatencyHistogram {
    /// An empty histogram covering 1 ns to one hour at 3 significant digits.
    pub fn new() -> Self {
        Self::with_precision(SIGNIFICANT_DIGITS)
    }

    /// An empty histogram covering 1 ns to one hour, keeping `digits`
    /// significant decimal digits (1 to 5). Fewer digits make a smaller,
    /// faster-to-scan histogram, which suits per-window time series.
    /// Histograms merge only with others of the same precision.
    pub fn with_precision(digits: u8) -> Self {
        Self {
            hist: Histogram::new_with_bounds(1, MAX_TRACKABLE, digits.clamp(1, 5)).expect("valid histogram bounds"),
            sum: 0,
            clamped: 0,
        }
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, ns: Time) {
        let v = if ns > MAX_TRACKABLE {
            self.clamped += 1;
            MAX_TRACKABLE
        } else {
            ns
        };
        self.hist.saturating_record(v);
        self.sum += v as u128;
    }

    /// Records `count` copies of one latency.
    pub fn record_n(&mut self, ns: Time, count: u64) {
        let v = if ns > MAX_TRACKABLE {
            self.clamped += count;
            MAX_TRACKABLE
        } else {
            ns
        };
        self.hist.saturating_record_n(v, count);
        self.sum += v as u128 * count as u128;
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.hist.add(&other.hist).expect("histograms share bounds");
        self.sum += other.sum;
        self.clamped += other.clamped;
    }

    /// Forgets every sample.
    pub fn reset(&mut self) {
        self.hist.reset();
        self.sum = 0;
        self.clamped = 0;
    }

    /// The number of samples.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Samples larger than [`MAX_TRACKABLE`], recorded as that value.
    pub fn clamped(&self) -> u64 {
        self.clamped
    }

    /// The exact mean in nanoseconds, or `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| self.sum as f64 / n as f64)
    }

    /// The value below which a fraction `q` of samples fall, at its bucket's
    /// midpoint, or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Time> {
        if self.count() == 0 {
            return None;
        }
        let v = self.hist.value_at_quantile(q.clamp(0.0, 1.0));
        Some(self.hist.median_equivalent(v))
    }

    /// The fraction of samples strictly above `ns` (to bucket resolution).
    pub fn fraction_above(&self, ns: Time) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        let at_or_below = self.hist.count_between(0, ns.min(MAX_TRACKABLE));
        1.0 - at_or_below as f64 / n as f64
    }

    /// The largest sample (to bucket resolution), or `None` when empty.
    pub fn max(&self) -> Option<Time> {
        (self.count() > 0).then(|| self.hist.max())
    }

    /// The smallest sample (to bucket resolution), or `None` when empty.
    pub fn min(&self) -> Option<Time> {
        (self.count() > 0).then(|| self.hist.min())
    }

    /// Every non-empty bucket as (value, count), in increasing value. Feeding
    /// these back through [`record_n`](Self::record_n) rebuilds the same
    /// buckets, which is how results cross process boundaries.
    pub fn iter_recorded(&self) -> impl Iterator<Item = (Time, u64)> + '_ {
        self.hist.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value()))
    }

    /// Rebuilds a histogram from [`iter_recorded`](Self::iter_recorded)
    /// pairs and the exact sum.
    pub fn from_parts(buckets: impl IntoIterator<Item = (Time, u64)>, sum: u128) -> Self {
        let mut h = Self::new();
        for (v, c) in buckets {
            h.hist.saturating_record_n(v.min(MAX_TRACKABLE), c);
        }
        h.sum = sum;
        h
    }

    /// The exact sum of all samples, in nanoseconds.
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// The underlying HdrHistogram, for formatters at the edge.
    pub fn hdr(&self) -> &Histogram<u64> {
        &self.hist
    }
}

/// How a histogram is written in results files: its precision, exact sum,
/// clamped count and non-empty buckets. Reading it back gives an equal
/// histogram.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    digits: u8,
    sum: u128,
    clamped: u64,
    buckets: Vec<(Time, u64)>,
}

impl serde::Serialize for LatencyHistogram {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stored {
            digits: self.hist.sigfig(),
            sum: self.sum,
            clamped: self.clamped,
            buckets: self.iter_recorded().collect(),
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for LatencyHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let stored = Stored::deserialize(d)?;
        let mut h = Self::with_precision(stored.digits);
        for (v, c) in stored.buckets {
            h.hist.saturating_record_n(v.min(MAX_TRACKABLE), c);
        }
        h.sum = stored.sum;
        h.clamped = stored.clamped;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{MILLISECOND, SECOND};

    #[test]
    fn quantiles_and_mean() {
        let mut h = LatencyHistogram::new();
        for i in 1..=1000u64 {
            h.record(i * MILLISECOND);
        }
        assert_eq!(h.count(), 1000);
        assert_eq!(h.mean(), Some(500.5 * MILLISECOND as f64));
        let p99 = h.quantile(0.99).unwrap() as f64;
        assert!((p99 / (990.0 * MILLISECOND as f64) - 1.0).abs() < 1e-3, "{p99}");
        let p50 = h.quantile(0.5).unwrap() as f64;
        assert!((p50 / (500.0 * MILLISECOND as f64) - 1.0).abs() < 1e-3, "{p50}");
        assert!((h.fraction_above(900 * MILLISECOND) - 0.1).abs() < 2e-3);
        assert!(LatencyHistogram::new().quantile(0.5).is_none());
    }

    #[test]
    fn clamps_beyond_one_hour() {
        let mut h = LatencyHistogram::new();
        h.record(2 * HOUR);
        assert_eq!(h.clamped(), 1);
        assert!(h.max().unwrap() >= HOUR - HOUR / 1000);
    }

    #[test]
    fn round_trips_through_parts_and_merges() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        for i in 0..500u64 {
            a.record(i * 37_123 + 5);
            b.record(i * SECOND / 7);
        }
        let rebuilt = LatencyHistogram::from_parts(a.iter_recorded(), a.sum());
        assert_eq!(rebuilt.count(), a.count());
        assert_eq!(rebuilt.quantile(0.99), a.quantile(0.99));
        let mut merged = a.clone();
        merged.merge(&b);
        assert_eq!(merged.count(), 1000);
        assert_eq!(merged.sum(), a.sum() + b.sum());
        merged.reset();
        assert_eq!(merged.count(), 0);
    }

    #[test]
    fn reads_back_equal_from_a_results_file() {
        let mut h = LatencyHistogram::with_precision(2);
        for i in 0..300u64 {
            h.record(i * 91_357 + 3);
        }
        h.record(3 * HOUR);
        let text = serde_json::to_string(&h).unwrap();
        let back: LatencyHistogram = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h);
        assert_eq!((back.clamped(), back.max(), back.min()), (1, h.max(), h.min()));
        assert_eq!(back.hdr().sigfig(), 2);
        // A histogram read back merges with one of its precision.
        let mut merged = LatencyHistogram::with_precision(2);
        merged.merge(&back);
        assert_eq!(merged.count(), h.count());
    }
}
