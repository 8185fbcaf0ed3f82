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

use tailsim_components::spec::{DataFormat, DistFileSpec, TimeUnit};

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

pub use tailsim_components::observations::{Bin, Observations, interpolate};

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
