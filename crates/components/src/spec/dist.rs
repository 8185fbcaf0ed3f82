//! How a model writes a probability distribution of durations.
//!
//! Every distribution is a table with a `dist` tag:
//!
//! ```toml
//! service_time = { dist = "exponential", mean = "1ms" }
//! service_time = { dist = "lognormal", mean = "2ms", cv = 1.5 }
//! service_time = { dist = "lognormal", p50 = "1ms", p99 = "20ms" }
//! service_time = { dist = "mixture", parts = [
//!     { weight = 0.95, dist = "exponential", mean = "1ms" },
//!     { weight = 0.05, dist = "constant", value = "50ms" },
//! ] }
//! service_time = { dist = "file", path = "data/api.hgrm", unit = "ms" }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Duration;
use super::file::{DataFormat, DistFileSpec, TimeUnit};

/// A distribution of durations, as a model states it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawDist")]
pub enum DistSpec {
    /// Always `value`.
    Constant { value: Duration },
    /// Exponential with the given mean (memoryless: the M in M/M/1).
    Exponential { mean: Duration },
    /// Uniform on [low, high].
    Uniform { low: Duration, high: Duration },
    /// Lognormal with the given mean and coefficient of variation.
    LogNormal { mean: Duration, cv: f64 },
    /// Lognormal with the given median and 99th percentile.
    LogNormalQuantiles { p50: Duration, p99: Duration },
    /// Pareto (type I) with minimum `scale` and tail index `shape`.
    Pareto { scale: Duration, shape: f64 },
    /// A weighted mixture; weights need not sum to one.
    Mixture(Vec<(f64, DistSpec)>),
    /// Draws uniformly from a list of observed samples.
    Samples(Vec<Duration>),
    /// Interpolates linearly between (quantile, value) points of the
    /// inverse CDF. The first quantile must be 0 and the last 1; neither
    /// quantiles nor values decrease, and two points at one quantile make a
    /// jump (values in between are never drawn).
    Percentiles(Vec<(f64, Duration)>),
    /// A distribution in a data file, not yet read. The config layer
    /// replaces it with `Percentiles` or `Samples` before validation; one
    /// that reaches validation is an error.
    File(DistFileSpec),
}

impl DistSpec {
    pub fn constant(value: Duration) -> Self {
        DistSpec::Constant { value }
    }
    pub fn exponential(mean: Duration) -> Self {
        DistSpec::Exponential { mean }
    }
    pub fn lognormal(mean: Duration, cv: f64) -> Self {
        DistSpec::LogNormal { mean, cv }
    }
}

/// The table as written; converted to [`DistSpec`] with checks that name the
/// offending field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDist {
    dist: String,
    value: Option<Duration>,
    mean: Option<Duration>,
    cv: Option<f64>,
    p50: Option<Duration>,
    p99: Option<Duration>,
    low: Option<Duration>,
    high: Option<Duration>,
    scale: Option<Duration>,
    shape: Option<f64>,
    parts: Option<Vec<RawDist>>,
    /// Only inside a mixture's `parts`.
    weight: Option<f64>,
    samples: Option<Vec<Duration>>,
    percentiles: Option<Vec<(f64, Duration)>>,
    path: Option<String>,
    format: Option<DataFormat>,
    unit: Option<TimeUnit>,
    column: Option<String>,
    histogram: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    tag: Option<String>,
    factor: Option<f64>,
}

const KINDS: [&str; 8] = ["constant", "exponential", "uniform", "lognormal", "pareto", "mixture", "empirical", "file"];

impl RawDist {
    fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        macro_rules! check {
            ($($f:ident),*) => { $( if self.$f.is_some() { v.push(stringify!($f)); } )* };
        }
        check!(value, mean, cv, p50, p99, low, high, scale, shape, parts, samples, percentiles);
        check!(path, format, unit, column, histogram, labels, tag, factor);
        v
    }

    /// Errors if any field outside `allowed` is present.
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        if let Some(extra) = self.given().into_iter().find(|f| !allowed.contains(f)) {
            return Err(format!(
                "field `{extra}` does not apply to a {} distribution (it takes {})",
                self.dist,
                allowed.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(())
    }
}

fn need<T: Copy>(v: Option<T>, dist: &str, field: &str) -> Result<T, String> {
    v.ok_or_else(|| format!("a {dist} distribution needs `{field}`"))
}

impl TryFrom<RawDist> for DistSpec {
    type Error = String;

    fn try_from(raw: RawDist) -> Result<Self, String> {
        if raw.weight.is_some() {
            return Err("`weight` only applies to the parts of a mixture".into());
        }
        let d = raw.dist.as_str();
        let spec = match d {
            "constant" => {
                raw.only(&["value"])?;
                DistSpec::Constant { value: need(raw.value, d, "value")? }
            }
            "exponential" => {
                raw.only(&["mean"])?;
                DistSpec::Exponential { mean: need(raw.mean, d, "mean")? }
            }
            "uniform" => {
                raw.only(&["low", "high"])?;
                let (low, high) = (need(raw.low, d, "low")?, need(raw.high, d, "high")?);
                if low > high {
                    return Err(format!("uniform needs low <= high, got low = {low}, high = {high}"));
                }
                DistSpec::Uniform { low, high }
            }
            "lognormal" => {
                raw.only(&["mean", "cv", "p50", "p99"])?;
                match (raw.mean, raw.cv, raw.p50, raw.p99) {
                    (Some(mean), Some(cv), None, None) => {
                        if !(cv.is_finite() && cv > 0.0) {
                            return Err(format!("lognormal `cv` must be positive, got {cv}"));
                        }
                        DistSpec::LogNormal { mean, cv }
                    }
                    (None, None, Some(p50), Some(p99)) => {
                        if p99 <= p50 || p50.0 == 0 {
                            return Err(format!("lognormal needs 0 < p50 < p99, got p50 = {p50}, p99 = {p99}"));
                        }
                        DistSpec::LogNormalQuantiles { p50, p99 }
                    }
                    _ => {
                        return Err("a lognormal distribution needs either `mean` and `cv`, or `p50` and `p99`".into());
                    }
                }
            }
            "pareto" => {
                raw.only(&["scale", "mean", "shape"])?;
                let shape = need(raw.shape, d, "shape")?;
                if !(shape.is_finite() && shape > 0.0) {
                    return Err(format!("pareto `shape` must be positive, got {shape}"));
                }
                let scale = match (raw.scale, raw.mean) {
                    (Some(scale), None) => scale,
                    (None, Some(mean)) => {
                        if shape <= 1.0 {
                            return Err(format!(
                                "a pareto with shape {shape} <= 1 has no finite mean; give `scale` instead of `mean`"
                            ));
                        }
                        Duration::from_nanos((mean.0 as f64 * (shape - 1.0) / shape).round() as u64)
                    }
                    _ => {
                        return Err("a pareto distribution needs `shape` and either `scale` or `mean`".into());
                    }
                };
                DistSpec::Pareto { scale, shape }
            }
            "mixture" => {
                raw.only(&["parts"])?;
                let parts = raw.parts.ok_or("a mixture distribution needs `parts`")?;
                if parts.is_empty() {
                    return Err("a mixture needs at least one part".into());
                }
                let mut out = Vec::with_capacity(parts.len());
                for mut p in parts {
                    let weight = p.weight.take().ok_or("every mixture part needs a `weight`")?;
                    if !(weight.is_finite() && weight > 0.0) {
                        return Err(format!("mixture weights must be positive, got {weight}"));
                    }
                    out.push((weight, DistSpec::try_from(p)?));
                }
                DistSpec::Mixture(out)
            }
            "empirical" => {
                raw.only(&["samples", "percentiles"])?;
                match (raw.samples, raw.percentiles) {
                    (Some(s), None) => {
                        if s.is_empty() {
                            return Err("empirical `samples` must not be empty".into());
                        }
                        DistSpec::Samples(s)
                    }
                    (None, Some(table)) => {
                        check_percentiles(&table)?;
                        DistSpec::Percentiles(table)
                    }
                    _ => {
                        return Err("an empirical distribution needs either `samples` or `percentiles`".into());
                    }
                }
            }
            "file" => {
                raw.only(&["path", "format", "unit", "column", "histogram", "labels", "tag", "factor"])?;
                let path = raw.path.ok_or("a file distribution needs `path`, the data file to read")?;
                let unit = raw.unit.ok_or_else(|| {
                    format!(
                        "the distribution read from `{path}` needs `unit`, the unit of the values in the file \
                         (ns, us, ms or s)"
                    )
                })?;
                let file = DistFileSpec {
                    path,
                    format: raw.format,
                    unit,
                    column: raw.column,
                    histogram: raw.histogram,
                    labels: raw.labels.unwrap_or_default(),
                    tag: raw.tag,
                    factor: raw.factor.unwrap_or(1.0),
                };
                file.check()?;
                DistSpec::File(file)
            }
            other => {
                let hint = crate::suggest::did_you_mean(other, KINDS.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!("unknown distribution `{other}`{hint}; expected one of {}", KINDS.join(", ")));
            }
        };
        Ok(spec)
    }
}

pub(crate) fn check_percentiles(table: &[(f64, Duration)]) -> Result<(), String> {
    if table.iter().any(|(q, _)| !(0.0..=1.0).contains(q)) {
        return Err("percentile table quantiles must lie between 0 and 1".into());
    }
    if table.len() < 2 {
        return Err("a percentile table needs at least two points, from quantile 0 to 1".into());
    }
    if table[0].0 != 0.0 || table[table.len() - 1].0 != 1.0 {
        return Err("a percentile table must start at quantile 0.0 and end at 1.0".into());
    }
    for w in table.windows(2) {
        if w[1].0 < w[0].0 || w[1].1 < w[0].1 || (w[1].0 == w[0].0 && w[1].1 == w[0].1) {
            return Err(format!(
                "percentile table points must increase: ({}, {}) then ({}, {})",
                w[0].0, w[0].1, w[1].0, w[1].1
            ));
        }
    }
    Ok(())
}
