//! Data files: what a user has from production, read into plain data.
//!
//! - Latency distributions: an HdrHistogram `.hgrm` percentile file
//!   ([`hgrm`]), an HdrHistogram interval log ([`hlog`]), a CSV of samples
//!   ([`csv`]) or Prometheus histogram buckets ([`prometheus`]). Each is read
//!   into [`Observations`]: samples, or counts in value bins. These become a
//!   distribution the components sample ([`Observations::to_dist`]), the
//!   observed percentiles an experiment checks a model against, and what
//!   `tailsim fit` fits.
//! - A rate over time from a CSV ([`rates`]), which becomes a client's
//!   schedule.
//! - Key popularity from a CSV of counts per key ([`keys`]).
//!
//! Every problem is a [`DataError`] naming the file and, where there is one,
//! the line. This module reads files; it writes none (the writers build
//! text for tests and for the example that makes the shipped data).

use std::fmt;
use std::path::{Path, PathBuf};

use tailsim_components::spec::{DataFormat, DistFileSpec, DistSpec, Duration, TimeUnit};

pub mod csv;
pub mod hgrm;
pub mod hlog;
pub mod keys;
pub mod prometheus;
pub mod rates;
pub(crate) mod resolve;
mod table;
#[cfg(test)]
mod tests;

/// A problem with a data file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct DataError {
    pub file: PathBuf,
    /// 1-based line, when the problem is on one.
    pub line: Option<usize>,
    /// The text of that line.
    pub line_text: Option<String>,
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// A data file's text, for messages that point at its lines.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error about the whole file.
    pub fn error(&self, message: impl Into<String>) -> DataError {
        DataError { file: self.path.to_path_buf(), line: None, line_text: None, message: message.into() }
    }

    /// An error on 1-based line `line`.
    pub fn at(&self, line: usize, message: impl Into<String>) -> DataError {
        let text = self.text.lines().nth(line.saturating_sub(1)).map(|l| l.trim_end_matches('\r').to_string());
        DataError { file: self.path.to_path_buf(), line: Some(line), line_text: text, message: message.into() }
    }
}

/// Reads a data file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError {
        file: path.to_path_buf(),
        line: None,
        line_text: None,
        message: format!("cannot be read: {e}"),
    })?;
    String::from_utf8(bytes).map_err(|e| DataError {
        file: path.to_path_buf(),
        line: None,
        line_text: None,
        message: format!("is not UTF-8 text (byte {} is not): is it the right file?", e.utf8_error().valid_up_to()),
    })
}

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

/// Reads the latency file `spec` names, relative to `base`.
pub fn load_observations(base: &Path, spec: &DistFileSpec) -> Result<Observations, DataError> {
    let path = base.join(&spec.path);
    let format = spec.resolved_format().map_err(|m| DataError {
        file: path.clone(),
        line: None,
        line_text: None,
        message: m,
    })?;
    let text = read_text(&path)?;
    let src = Source { path: &path, text: &text };
    let obs = match format {
        DataFormat::Hgrm => hgrm::read(&src, spec.unit)?,
        DataFormat::Hlog => hlog::read(&src, spec.unit, spec.tag.as_deref())?,
        DataFormat::Csv => csv::read(&src, spec.unit, spec.column.as_deref())?,
        DataFormat::Prometheus => {
            let as_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            prometheus::read(&src, spec.unit, spec.histogram.as_deref(), &spec.labels, as_csv)?
        }
    };
    if obs.count() <= 0.0 {
        return Err(src.error("holds no observations"));
    }
    Ok(obs)
}

/// The unit a column or metric name states by its last word, such as
/// `latency_ms`, `duration_seconds` or `time (us)`.
pub fn implied_unit(name: &str) -> Option<TimeUnit> {
    let lower = name.to_lowercase();
    let word = lower.split(|c: char| !(c.is_alphanumeric() || c == 'µ')).rfind(|w| !w.is_empty())?;
    Some(match word {
        "s" | "sec" | "secs" | "second" | "seconds" => TimeUnit::Seconds,
        "ms" | "msec" | "millis" | "millisecond" | "milliseconds" => TimeUnit::Millis,
        "us" | "µs" | "usec" | "micros" | "microsecond" | "microseconds" => TimeUnit::Micros,
        "ns" | "nsec" | "nanos" | "nanosecond" | "nanoseconds" => TimeUnit::Nanos,
        _ => return None,
    })
}

/// Errors when a name states a unit other than the one given.
pub(crate) fn check_unit(
    src: &Source<'_>,
    line: usize,
    what: &str,
    name: &str,
    unit: TimeUnit,
) -> Result<(), DataError> {
    match implied_unit(name) {
        Some(stated) if stated != unit => Err(src.at(
            line,
            format!(
                "{what} `{name}` is in {} but the model says `unit = \"{}\"`; set `unit = \"{}\"`",
                unit_words(stated),
                unit.name(),
                stated.name()
            ),
        )),
        _ => Ok(()),
    }
}

fn unit_words(u: TimeUnit) -> &'static str {
    match u {
        TimeUnit::Nanos => "nanoseconds",
        TimeUnit::Micros => "microseconds",
        TimeUnit::Millis => "milliseconds",
        TimeUnit::Seconds => "seconds",
    }
}

/// Parses a number in a data file: finite, and not negative.
pub(crate) fn non_negative(src: &Source<'_>, line: usize, what: &str, text: &str) -> Result<f64, DataError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(src.at(line, format!("{what} is empty")));
    }
    let v: f64 = t.parse().map_err(|_| src.at(line, format!("{what} `{t}` is not a number")))?;
    if !v.is_finite() {
        return Err(src.at(line, format!("{what} `{t}` is not finite")));
    }
    if v < 0.0 {
        return Err(src.at(line, format!("{what} `{t}` is negative")));
    }
    Ok(v)
}
