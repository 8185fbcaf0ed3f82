//! Prometheus classic histograms: cumulative bucket counts with upper
//! bounds `le`, as the text exposition format writes them, or as a CSV of
//! `le,count` (a dashboard export).
//!
//! ```text
//! # TYPE db_query_seconds histogram
//! db_query_seconds_bucket{instance="a",le="0.005"} 2419
//! db_query_seconds_bucket{instance="a",le="0.01"} 5230
//! db_query_seconds_bucket{instance="a",le="+Inf"} 5481
//! ```
//!
//! Series of one histogram that match the chosen labels are added up
//! bucket by bucket (like `sum by (le)`), so a file with one series per
//! instance gives the whole fleet. Observations are spread evenly within a
//! bucket, from the previous bound (0 for the first) to its own, as
//! `histogram_quantile` interpolates; those above the last finite bound
//! (the `+Inf` bucket) are placed at that bound.

use std::collections::BTreeMap;

use tailsim_components::spec::TimeUnit;
use tailsim_components::suggest::did_you_mean;

use super::table::Table;
use super::{Bin, DataError, Observations, Source, check_unit, non_negative};

/// One bucket: (line, upper bound, cumulative count).
type Bucket = (usize, f64, f64);

/// Reads the buckets of one histogram, bounds in `unit`.
pub fn read(
    src: &Source<'_>,
    unit: TimeUnit,
    histogram: Option<&str>,
    labels: &BTreeMap<String, String>,
    as_csv: bool,
) -> Result<Observations, DataError> {
    let buckets = if as_csv { read_csv(src)? } else { read_text(src, unit, histogram, labels)? };
    Ok(to_observations(&buckets, unit))
}

fn to_observations(buckets: &[Bucket], unit: TimeUnit) -> Observations {
    let mut bins = Vec::with_capacity(buckets.len());
    let (mut prev_le, mut prev_count) = (0.0, 0.0);
    for &(_, le, count) in buckets {
        let low = prev_le * unit.nanos();
        let high = if le.is_finite() { le * unit.nanos() } else { f64::INFINITY };
        bins.push(Bin { low, high, count: count - prev_count });
        prev_le = le;
        prev_count = count;
    }
    Observations::from_bins(bins)
}

fn parse_le(src: &Source<'_>, line: usize, text: &str) -> Result<f64, DataError> {
    let t = text.trim();
    if matches!(t, "+Inf" | "Inf" | "+inf" | "inf") {
        return Ok(f64::INFINITY);
    }
    non_negative(src, line, "bucket bound `le`", t)
}

/// Checks one series' buckets: bounds increase, counts never decrease.
fn check_series(src: &Source<'_>, buckets: &[Bucket]) -> Result<(), DataError> {
    if buckets.is_empty() {
        return Err(src.error("has no buckets"));
    }
    for w in buckets.windows(2) {
        let ((_, le0, c0), (line, le1, c1)) = (w[0], w[1]);
        if le1 <= le0 {
            return Err(src.at(line, format!("unsorted: bucket `le` {le1} follows `le` {le0}; bounds must increase")));
        }
        if c1 < c0 {
            return Err(src.at(
                line,
                format!("bucket count {c1} is below the previous bucket's {c0}: buckets are cumulative (`le` counts everything up to it)"),
            ));
        }
    }
    Ok(())
}

fn read_csv(src: &Source<'_>) -> Result<Vec<Bucket>, DataError> {
    let table = Table::parse(src)?;
    let col = |name: &str| table.header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(le), Some(count)) = (col("le"), col("count")) else {
        return Err(
            src.at(table.header_line, "bad header: Prometheus buckets in CSV need the columns `le` and `count`")
        );
    };
    let mut buckets = Vec::with_capacity(table.rows.len());
    for (line, cells) in &table.rows {
        buckets.push((*line, parse_le(src, *line, &cells[le])?, non_negative(src, *line, "count", &cells[count])?));
    }
    if buckets.is_empty() {
        return Err(src.at(table.header_line, "has a header but no buckets"));
    }
    check_series(src, &buckets)?;
    Ok(buckets)
}

/// Label names and values, in the order written.
type Labels = Vec<(String, String)>;

/// A sample line: metric name, labels, value.
fn parse_sample(line: &str) -> Option<(&str, Labels, &str)> {
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = &line[..name_end];
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let mut consumed = None;
        loop {
            while chars.peek().is_some_and(|(_, c)| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            match chars.peek() {
                Some((i, '}')) => {
                    consumed = Some(*i + 1);
                    break;
                }
                None => break,
                _ => {}
            }
            let mut key = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c == '=' || c.is_whitespace() {
                    break;
                }
                key.push(c);
                chars.next();
            }
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            if chars.next().map(|(_, c)| c) != Some('=') {
                return None;
            }
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return None;
            }
            let mut value = String::new();
            loop {
                match chars.next()?.1 {
                    '"' => break,
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    c => value.push(c),
                }
            }
            labels.push((key, value));
        }
        rest = &inner[consumed?..];
    }
    let value = rest.split_whitespace().next()?;
    Some((name, labels, value))
}

fn read_text(
    src: &Source<'_>,
    unit: TimeUnit,
    histogram: Option<&str>,
    want: &BTreeMap<String, String>,
) -> Result<Vec<Bucket>, DataError> {
    if src.text.trim().is_empty() {
        return Err(src.error("is empty: expected Prometheus text exposition with `_bucket{le=...}` lines"));
    }
    // (histogram, labels without le) -> buckets, in file order.
    let mut series: BTreeMap<(String, Labels), Vec<Bucket>> = BTreeMap::new();
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    for (i, raw) in src.text.lines().enumerate() {
        let line = i + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let Some((name, labels, value)) = parse_sample(text) else {
            return Err(src.at(line, "not a Prometheus sample line: expected `name{label=\"value\",...} number`"));
        };
        let Some(base) = name.strip_suffix("_bucket") else { continue };
        let mut le = None;
        let mut rest = Vec::new();
        for (k, v) in labels {
            if k == "le" { le = Some(v) } else { rest.push((k, v)) }
        }
        let Some(le) = le else {
            return Err(src.at(line, format!("`{name}` has no `le` label: a bucket needs its upper bound")));
        };
        let le = parse_le(src, line, &le)?;
        let count = non_negative(src, line, "bucket count", value)?;
        rest.sort();
        first_line.entry(base.to_string()).or_insert(line);
        series.entry((base.to_string(), rest)).or_default().push((line, le, count));
    }
    if series.is_empty() {
        return Err(src.error("has no histogram buckets (no `<name>_bucket{le=\"...\"}` lines)"));
    }
    let names: Vec<&String> = first_line.keys().collect();
    let chosen: String = match histogram {
        Some(m) => {
            if !first_line.contains_key(m) {
                let hint = did_you_mean(m, names.iter().map(|s| s.as_str()))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(src.error(format!("has no histogram `{m}`; it has {}{hint}", list(&names))));
            }
            m.to_string()
        }
        None if names.len() == 1 => names[0].clone(),
        None => return Err(src.error(format!("has histograms {}: choose one with `histogram`", list(&names)))),
    };
    check_unit(src, first_line[&chosen], "histogram", &chosen, unit)?;
    let matching: Vec<&Vec<Bucket>> = series
        .iter()
        .filter(|((base, labels), _)| {
            *base == chosen && want.iter().all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, b)| b)
        .collect();
    if matching.is_empty() {
        let sets: Vec<String> = series
            .keys()
            .filter(|(base, _)| *base == chosen)
            .map(|(_, l)| {
                format!("{{{}}}", l.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join(","))
            })
            .collect();
        return Err(
            src.error(format!("has no series of `{chosen}` with labels {want:?}; its series are {}", sets.join(", ")))
        );
    }
    for s in &matching {
        check_series(src, s)?;
    }
    let first = matching[0];
    let mut total: Vec<Bucket> = first.clone();
    for s in &matching[1..] {
        if s.len() != first.len() || s.iter().zip(first).any(|(a, b)| a.1 != b.1) {
            let line = s.iter().zip(first).find(|(a, b)| a.1 != b.1).map_or(s[0].0, |(a, _)| a.0);
            return Err(src.at(line, "series to be added up have different bucket bounds; choose one with `labels`"));
        }
        for (t, b) in total.iter_mut().zip(s.iter()) {
            t.2 += b.2;
        }
    }
    Ok(total)
}

fn list(names: &[&String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Text exposition of one histogram: `buckets` are (upper bound in the
/// metric's unit, cumulative count), ending with `+Inf`.
pub fn write_text(metric: &str, labels: &[(&str, &str)], buckets: &[(f64, f64)]) -> String {
    let mut out = format!("# TYPE {metric} histogram\n");
    let prefix: String = labels.iter().map(|(k, v)| format!("{k}=\"{v}\",")).collect();
    for &(le, count) in buckets {
        let le = if le.is_finite() { format!("{le}") } else { "+Inf".into() };
        out.push_str(&format!("{metric}_bucket{{{prefix}le=\"{le}\"}} {count}\n"));
    }
    if let Some(&(_, total)) = buckets.last() {
        out.push_str(&format!("{metric}_count{{{}}} {total}\n", prefix.trim_end_matches(',')));
    }
    out
}

/// The same buckets as a CSV of `le,count`.
pub fn write_csv(buckets: &[(f64, f64)]) -> String {
    let mut out = String::from("le,count\n");
    for &(le, count) in buckets {
        let le = if le.is_finite() { format!("{le}") } else { "+Inf".into() };
        out.push_str(&format!("{le},{count}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_lines_parse_with_labels_and_escapes() {
        let (name, labels, value) = parse_sample(r#"x_bucket{path="/a\"b",le="0.5"} 12 1700000000"#).unwrap();
        assert_eq!(name, "x_bucket");
        assert_eq!(labels, vec![("path".into(), "/a\"b".into()), ("le".into(), "0.5".into())]);
        assert_eq!(value, "12");
        assert_eq!(parse_sample("x 3").unwrap().2, "3");
        assert!(parse_sample("x{le=0.5} 3").is_none());
    }
}
