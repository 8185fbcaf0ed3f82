//! Key popularity from a CSV of counts per key: `keys = { file =
//! "keys.csv" }` in a client. Key k is the k-th row (from 0), drawn with
//! probability count_k / total, so a file sorted by count makes key 0 the
//! most popular, as under Zipf.
//!
//! ```text
//! key,requests
//! user:42,91823
//! user:7,45211
//! ```

use serde::Deserialize;

use super::table::Table;
use super::{DataError, Source, non_negative};

/// What `keys = { file = ... }` says.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// The CSV, relative to the model file.
    pub file: String,
    /// The column of counts (default: the only column, or the second of
    /// two).
    pub count_column: Option<String>,
    /// A column of key names, which must be unique (default: the first of
    /// two columns).
    pub key_column: Option<String>,
}

/// Reads the counts; every count is finite and non-negative, and they do
/// not all vanish.
pub fn read(src: &Source<'_>, opts: &KeyFile) -> Result<Vec<f64>, DataError> {
    let table = Table::parse(src)?;
    let two = table.header.len() == 2;
    let count = match (&opts.count_column, two) {
        (Some(c), _) => table.column(src, Some(c), "count_column")?,
        (None, true) => 1,
        (None, false) => table.column(src, None, "count_column")?,
    };
    let key = match (&opts.key_column, two) {
        (Some(k), _) => Some(table.column(src, Some(k), "key_column")?),
        (None, true) => Some(1 - count),
        (None, false) => None,
    };
    let mut weights = Vec::with_capacity(table.rows.len());
    let mut seen = std::collections::BTreeMap::new();
    for (line, cells) in &table.rows {
        if let Some(k) = key {
            let name = cells[k].trim().to_string();
            if let Some(first) = seen.insert(name.clone(), *line) {
                return Err(src.at(*line, format!("key `{name}` appears twice (first on line {first})")));
            }
        }
        weights.push(non_negative(src, *line, "count", &cells[count])?);
    }
    if weights.is_empty() {
        return Err(src.at(table.header_line, "has a header but no keys"));
    }
    let total: f64 = weights.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(src.error("every count is zero: no key would ever be drawn"));
    }
    Ok(weights)
}
