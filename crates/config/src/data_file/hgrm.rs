//! HdrHistogram percentile distributions (`.hgrm`), as HdrHistogram's
//! `outputPercentileDistribution` and tailsim write them: a header, rows of
//! value, percentile, total count (and 1/(1-percentile)), and a `#[...]`
//! footer. The CSV flavour (`"Value","Percentile",...`) is read too.
//!
//! ```text
//!        Value     Percentile TotalCount 1/(1-Percentile)
//!
//!        0.051 0.000000000000          1           1.00
//!        1.023 0.500000000000      50061           2.00
//!      105.471 1.000000000000     100000
//! #[Mean    =        1.208, StdDeviation   =        3.126]
//! #[Max     =      105.471, Total count    =       100000]
//! ```
//!
//! Each row's value is the top of an HdrHistogram bucket and its total
//! count is exact, so the rows are points of the CDF: `count_i -
//! count_{i-1}` observations lie in (value_{i-1}, value_i]. The first
//! row's observations are taken to be at its value (an atom one bucket
//! wide, which is the file's resolution). The file does not say its
//! unit: tailsim writes milliseconds.

use tailsim_components::spec::TimeUnit;

use super::{Bin, DataError, Observations, Source, non_negative};

/// Reads a percentile distribution whose values are in `unit`.
pub fn read(src: &Source<'_>, unit: TimeUnit) -> Result<Observations, DataError> {
    let mut lines = src.text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let (header_line, header) = lines
        .by_ref()
        .find(|(_, l)| !l.is_empty())
        .ok_or_else(|| src.error("is empty: expected an HdrHistogram percentile distribution (.hgrm)"))?;
    let csv = header.starts_with('"');
    let names: Vec<String> = if csv {
        header.split(',').map(|s| s.trim().trim_matches('"').to_string()).collect()
    } else {
        header.split_whitespace().map(str::to_string).collect()
    };
    if names.len() < 3 || names[0] != "Value" || names[1] != "Percentile" || names[2] != "TotalCount" {
        return Err(src.at(
            header_line,
            "bad header: an .hgrm file starts with the columns `Value Percentile TotalCount 1/(1-Percentile)`",
        ));
    }
    let mut bins = Vec::new();
    let mut last: Option<(f64, f64, f64)> = None;
    let mut footer_total: Option<(usize, f64)> = None;
    for (line, text) in lines {
        if text.is_empty() {
            continue;
        }
        if let Some(footer) = text.strip_prefix('#') {
            if let Some((_, rest)) = footer.split_once("Total count")
                && let Some(n) = rest.trim_start_matches([' ', '=']).split(']').next()
                && let Ok(n) = n.trim().parse::<f64>()
            {
                footer_total = Some((line, n));
            }
            continue;
        }
        let cells: Vec<&str> = if csv { text.split(',').collect() } else { text.split_whitespace().collect() };
        if cells.len() < 3 {
            return Err(src.at(line, format!("expected value, percentile and total count, got `{text}`")));
        }
        let value = non_negative(src, line, "value", cells[0])?;
        let p = non_negative(src, line, "percentile", cells[1])?;
        if p > 1.0 {
            return Err(src.at(line, format!("percentile `{}` is above 1", cells[1].trim())));
        }
        let count = non_negative(src, line, "total count", cells[2])?;
        if count.fract() != 0.0 {
            return Err(src.at(line, format!("total count `{}` is not a whole number", cells[2].trim())));
        }
        if let Some((v0, p0, c0)) = last {
            for (what, now, before) in [("value", value, v0), ("percentile", p, p0), ("total count", count, c0)] {
                if now < before {
                    return Err(src.at(
                        line,
                        format!("unsorted: {what} {now} is below the previous row's {before}; rows must not decrease"),
                    ));
                }
            }
            bins.push(Bin { low: v0 * unit.nanos(), high: value * unit.nanos(), count: count - c0 });
        } else {
            bins.push(Bin { low: value * unit.nanos(), high: value * unit.nanos(), count });
        }
        last = Some((value, p, count));
    }
    let Some((_, _, total)) = last else {
        return Err(src.at(header_line, "has a header but no rows: the histogram is empty"));
    };
    if let Some((line, n)) = footer_total
        && n != total
    {
        return Err(src.at(
            line,
            format!("the footer's total count {n} differs from the last row's {total}: is the file cut short?"),
        ));
    }
    Ok(Observations::from_bins(bins))
}
