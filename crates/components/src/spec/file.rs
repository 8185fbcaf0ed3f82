//! References to data files, as plain data: which file, in which format and
//! unit. This crate reads no file; the config layer loads what these name
//! and replaces them with distributions this crate samples
//! ([`DistSpec::Percentiles`](super::DistSpec::Percentiles) or
//! [`DistSpec::Samples`](super::DistSpec::Samples)).
//!
//! ```toml
//! service_time = { dist = "file", path = "data/api.hgrm", unit = "ms" }
//! read_time = { dist = "file", path = "data/db.prom", unit = "s", histogram = "db_query_seconds" }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

/// A distribution to be read from a data file.
#[derive(Clone, Debug, PartialEq)]
pub struct DistFileSpec {
    /// The file, relative to the model file's directory.
    pub path: String,
    /// The format; `None` means "from the file's extension".
    pub format: Option<DataFormat>,
    /// The unit of the values in the file.
    pub unit: TimeUnit,
    /// CSV samples: the column holding the values (optional when the file
    /// has one column).
    pub column: Option<String>,
    /// Prometheus: the histogram's metric name (optional when the file has
    /// one histogram).
    pub histogram: Option<String>,
    /// Prometheus: only series with these label values are used (summed).
    pub labels: BTreeMap<String, String>,
    /// HdrHistogram interval log: only intervals with this tag are used.
    pub tag: Option<String>,
    /// Every value is multiplied by this (a what-if: 1.2 is 20% slower).
    pub factor: f64,
}

impl DistFileSpec {
    /// A reference to `path` with values in `unit`, format from the
    /// extension, no selection and no factor.
    pub fn new(path: impl Into<String>, unit: TimeUnit) -> Self {
        Self {
            path: path.into(),
            format: None,
            unit,
            column: None,
            histogram: None,
            labels: BTreeMap::new(),
            tag: None,
            factor: 1.0,
        }
    }

    /// The format as given, or as the extension says (`.hgrm`, `.hlog`,
    /// `.prom`); a `.csv` or any other name must say.
    pub fn resolved_format(&self) -> Result<DataFormat, String> {
        match self.format {
            Some(f) => Ok(f),
            None => DataFormat::from_path(&self.path),
        }
    }

    /// Checks that the selection fields fit the format.
    pub fn check(&self) -> Result<(), String> {
        let format = self.resolved_format()?;
        let misplaced = [
            ("column", self.column.is_some(), DataFormat::Csv),
            ("histogram", self.histogram.is_some(), DataFormat::Prometheus),
            ("labels", !self.labels.is_empty(), DataFormat::Prometheus),
            ("tag", self.tag.is_some(), DataFormat::Hlog),
        ];
        for (field, given, fits) in misplaced {
            if given && format != fits {
                return Err(format!(
                    "`{field}` applies to the `{}` format, but `{}` is read as `{}`",
                    fits.name(),
                    self.path,
                    format.name()
                ));
            }
        }
        if !(self.factor.is_finite() && self.factor > 0.0) {
            return Err(format!("`factor` must be a positive number, got {}", self.factor));
        }
        Ok(())
    }
}

/// The formats a distribution can be read from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    /// An HdrHistogram percentile distribution (`.hgrm`), as HdrHistogram
    /// or tailsim writes it.
    Hgrm,
    /// An HdrHistogram interval log (`.hlog`), base64 V2 compressed.
    Hlog,
    /// A CSV of sample values with a header row.
    Csv,
    /// Prometheus classic histogram buckets: text exposition, or a CSV of
    /// `le,count` when the file name ends in `.csv`.
    Prometheus,
}

impl DataFormat {
    pub const ALL: [DataFormat; 4] = [DataFormat::Hgrm, DataFormat::Hlog, DataFormat::Csv, DataFormat::Prometheus];

    pub fn name(self) -> &'static str {
        match self {
            DataFormat::Hgrm => "hgrm",
            DataFormat::Hlog => "hlog",
            DataFormat::Csv => "csv",
            DataFormat::Prometheus => "prometheus",
        }
    }

    /// The format a file name implies, if it implies one.
    pub fn from_path(path: &str) -> Result<DataFormat, String> {
        let ext = std::path::Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext.to_ascii_lowercase().as_str() {
            "hgrm" => Ok(DataFormat::Hgrm),
            "hlog" => Ok(DataFormat::Hlog),
            "prom" => Ok(DataFormat::Prometheus),
            "csv" => Err(format!(
                "cannot tell the format of `{path}` from its name: add `format = \"csv\"` for a column of samples, \
                 or `format = \"prometheus\"` for `le,count` buckets"
            )),
            _ => Err(format!(
                "cannot tell the format of `{path}` from its name; add `format` (one of hgrm, hlog, csv, prometheus)"
            )),
        }
    }
}

impl fmt::Display for DataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The unit of durations in a data file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum TimeUnit {
    #[serde(rename = "ns")]
    Nanos,
    #[serde(rename = "us")]
    Micros,
    #[serde(rename = "ms")]
    Millis,
    #[serde(rename = "s")]
    Seconds,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 4] = [TimeUnit::Nanos, TimeUnit::Micros, TimeUnit::Millis, TimeUnit::Seconds];

    /// Nanoseconds in one unit.
    pub fn nanos(self) -> f64 {
        match self {
            TimeUnit::Nanos => 1.0,
            TimeUnit::Micros => 1e3,
            TimeUnit::Millis => 1e6,
            TimeUnit::Seconds => 1e9,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Nanos => "ns",
            TimeUnit::Micros => "us",
            TimeUnit::Millis => "ms",
            TimeUnit::Seconds => "s",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_extensions_except_csv() {
        assert_eq!(DataFormat::from_path("a/b.hgrm"), Ok(DataFormat::Hgrm));
        assert_eq!(DataFormat::from_path("b.HLOG"), Ok(DataFormat::Hlog));
        assert_eq!(DataFormat::from_path("b.prom"), Ok(DataFormat::Prometheus));
        assert!(DataFormat::from_path("b.csv").unwrap_err().contains("format = \"csv\""));
        assert!(DataFormat::from_path("b.txt").is_err());
    }

    #[test]
    fn selection_fields_must_fit_the_format() {
        let mut f = DistFileSpec::new("x.hgrm", TimeUnit::Millis);
        assert!(f.check().is_ok());
        f.column = Some("latency".into());
        assert!(f.check().unwrap_err().contains("`column` applies to the `csv` format"));
        let mut f = DistFileSpec::new("x.hgrm", TimeUnit::Millis);
        f.factor = 0.0;
        assert!(f.check().is_err());
    }
}
