//! A CSV of latency samples: a header row, then one value per row in the
//! chosen column, in the unit the model states.
//!
//! ```text
//! # exported from the access log, 2024-05-01
//! timestamp,latency_ms
//! 1714521600.012,3.25
//! 1714521600.019,1.875
//! ```

use tailsim_components::spec::TimeUnit;

use super::table::Table;
use super::{DataError, Observations, Source, check_unit, non_negative};

/// Reads the samples in `column` (or the only column).
pub fn read(src: &Source<'_>, unit: TimeUnit, column: Option<&str>) -> Result<Observations, DataError> {
    let table = Table::parse(src)?;
    let col = table.column(src, column, "column")?;
    check_unit(src, table.header_line, "column", &table.header[col], unit)?;
    let mut values = Vec::with_capacity(table.rows.len());
    for (line, cells) in &table.rows {
        let v = non_negative(src, *line, &format!("`{}`", table.header[col]), &cells[col])?;
        values.push(v * unit.nanos());
    }
    if values.is_empty() {
        return Err(src.at(table.header_line, "has a header but no values"));
    }
    values.sort_by(f64::total_cmp);
    Ok(Observations::Samples(values))
}

/// A CSV of `values` (in nanoseconds) under header `column`, written in
/// `unit` with enough decimals to keep whole nanoseconds.
pub fn write(column: &str, unit: TimeUnit, values: &[f64]) -> String {
    let decimals = match unit {
        TimeUnit::Nanos => 0,
        TimeUnit::Micros => 3,
        TimeUnit::Millis => 6,
        TimeUnit::Seconds => 9,
    };
    let mut out = format!("{column}\n");
    for v in values {
        out.push_str(&format!("{:.decimals$}\n", v / unit.nanos()));
    }
    out
}
