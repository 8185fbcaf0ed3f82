//! CSV tables with a header row, as the CSV-based data files use: `#`
//! comment lines, surrounding spaces trimmed, every row as wide as the
//! header, and each row's line number kept for messages.

use tailsim_components::suggest::did_you_mean;

use super::{DataError, Source};

/// A CSV file's header and rows.
pub struct Table {
    pub header: Vec<String>,
    pub header_line: usize,
    /// (1-based line, cells).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Parses `src`. The first line that is not blank or a comment is the
    /// header; a header cell that is a number means the header is missing.
    pub fn parse(src: &Source<'_>) -> Result<Table, DataError> {
        let header_line = src
            .text
            .lines()
            .position(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#')
            })
            .map(|i| i + 1)
            .ok_or_else(|| src.error("is empty: expected a header row naming the columns, then rows of values"))?;
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .comment(Some(b'#'))
            .trim(::csv::Trim::All)
            .from_reader(src.text.as_bytes());
        let header: Vec<String> =
            reader.headers().map_err(|e| csv_error(src, header_line, e))?.iter().map(|s| s.to_string()).collect();
        if let Some(cell) = header.iter().find(|c| c.trim().parse::<f64>().is_ok()) {
            return Err(src.at(
                header_line,
                format!("bad header: `{cell}` is a number; the first row must name the columns (such as `latency_ms`)"),
            ));
        }
        if let Some(i) = header.iter().position(|c| c.is_empty()) {
            return Err(src.at(header_line, format!("bad header: column {} has no name", i + 1)));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(src, header_line, e))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            // Blank lines are skipped by the reader; a row of empty cells is
            // not blank.
            rows.push((line, record.iter().map(|s| s.to_string()).collect()));
        }
        Ok(Table { header, header_line, rows })
    }

    /// The index of column `name`, or of the only column when `name` is
    /// `None` and there is one; `what` says what the column is for and
    /// `field` which option names it.
    pub fn column(&self, src: &Source<'_>, name: Option<&str>, field: &str) -> Result<usize, DataError> {
        match name {
            Some(n) => self.header.iter().position(|h| h == n).ok_or_else(|| {
                let hint = did_you_mean(n, self.header.iter().map(|s| s.as_str()))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                src.at(
                    self.header_line,
                    format!("has no column `{n}` (`{field}`); its columns are {}{hint}", self.columns()),
                )
            }),
            None if self.header.len() == 1 => Ok(0),
            None => {
                Err(src.at(self.header_line, format!("has columns {}: say which one with `{field}`", self.columns())))
            }
        }
    }

    fn columns(&self) -> String {
        self.header.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
    }
}

fn csv_error(src: &Source<'_>, header_line: usize, e: ::csv::Error) -> DataError {
    match e.kind() {
        ::csv::ErrorKind::UnequalLengths { pos, expected_len, len } => src.at(
            pos.as_ref().map_or(header_line, |p| p.line() as usize),
            format!("has {len} cells where the header has {expected_len}"),
        ),
        ::csv::ErrorKind::Utf8 { pos, .. } => {
            src.at(pos.as_ref().map_or(header_line, |p| p.line() as usize), "is not UTF-8 text")
        }
        _ => src.error(format!("is not a readable CSV file: {e}")),
    }
}
