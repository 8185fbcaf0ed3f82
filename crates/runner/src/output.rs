//! Result files: written atomically (temporary file, then rename), so a
//! reader never sees half a file and an interrupted run leaves no torn output.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use tailsim_engine::stats::LatencyHistogram;

use tailsim_components::metric::{Headline, Measure, Metric};

use crate::point::{PointResult, SeriesRow};

/// Writes `bytes` to `path` atomically, creating parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        use io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The HdrHistogram percentile-distribution text (`.hgrm`), in milliseconds,
/// as HdrHistogram's own tools write and its plotter reads.
pub fn hgrm(h: &LatencyHistogram) -> String {
    const SCALE: f64 = 1e6; // ns per ms
    let mut out = String::new();
    let _ = writeln!(out, "{:>12} {:>14} {:>10} {:>14}\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    let hdr = h.hdr();
    if h.count() > 0 {
        let mut total = 0u64;
        for v in hdr.iter_quantiles(5) {
            total += v.count_since_last_iteration();
            let value = hdr.highest_equivalent(v.value_iterated_to()) as f64 / SCALE;
            let p = v.quantile_iterated_to();
            if p < 1.0 {
                let _ = writeln!(out, "{value:12.3} {p:2.12} {total:10} {:14.2}", 1.0 / (1.0 - p));
            } else {
                let _ = writeln!(out, "{value:12.3} {p:2.12} {total:10}");
            }
        }
    }
    let mean = h.mean().unwrap_or(0.0) / SCALE;
    let sd = if h.count() > 0 { hdr.stdev() / SCALE } else { 0.0 };
    let max = h.max().map_or(0.0, |m| hdr.highest_equivalent(m) as f64 / SCALE);
    let _ = writeln!(out, "#[Mean    = {mean:12.3}, StdDeviation   = {sd:12.3}]");
    let _ = writeln!(out, "#[Max     = {max:12.3}, Total count    = {:12}]", h.count());
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        hdr.buckets(),
        (2 * 10u64.pow(hdr.sigfig() as u32)).next_power_of_two()
    );
    out
}

/// Formats an optional number for CSV: empty when absent or not finite.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.decimals$}"),
        _ => String::new(),
    }
}

/// `timeseries.csv` for one point.
/// `fleet` and `backlog` name the extra columns: serving instances per
/// autoscaled service, and per queue group its mean depth and its oldest
/// message's age.
pub fn timeseries_csv(rows: &[SeriesRow], fleet: &[String], backlog: &[String]) -> String {
    let mut out = String::from("start_s,throughput_rps,errors_per_s,mean_ms,p50_ms,p99_ms,queue_mean,cache_hit_ratio");
    for f in fleet {
        let _ = write!(out, ",fleet:{f}");
    }
    for b in backlog {
        let _ = write!(out, ",backlog:{b},oldest_age_s:{b}");
    }
    out.push('\n');
    for r in rows {
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{}",
            num(Some(r.start_s), 3),
            num(Some(r.throughput_rps), 3),
            num(Some(r.errors_per_s), 3),
            num(r.mean_ms, 6),
            num(r.p50_ms, 6),
            num(r.p99_ms, 6),
            num(Some(r.queue_mean), 4),
            num(r.cache_hit_ratio, 4),
        );
        for &f in &r.fleet {
            let _ = write!(out, ",{}", num(Some(f), 3));
        }
        for &(depth, age) in &r.backlog {
            let _ = write!(out, ",{},{}", num(Some(depth), 3), num(Some(age), 3));
        }
        out.push('\n');
    }
    out
}

/// A column of `points.csv` after the swept parameters and replications.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// A metric's mean, with this many decimals.
    Metric(Metric, usize),
    /// The p99's 95% half-width (`p99_ms_ci`).
    P99HalfWidth,
}

/// The columns of `points.csv`: the headline figures, then each
/// component's measures, as the first point has them.
pub fn columns(first: &PointResult) -> Vec<Column> {
    use Headline::*;
    let headline = [
        (OfferedRps, 3),
        (ThroughputRps, 3),
        (GoodputRps, 3),
        (ErrorRate, 6),
        (MeanMs, 6),
        (P50Ms, 6),
        (P90Ms, 6),
        (P99Ms, 6),
        (P999Ms, 6),
        (MaxMs, 6),
    ];
    let mut cols: Vec<Column> = headline.into_iter().map(|(h, d)| Column::Metric(Metric::Headline(h), d)).collect();
    cols.push(Column::P99HalfWidth);
    let of = |c: &str, m: Measure, d: usize| Column::Metric(Metric::of(c, m), d);
    for s in &first.services {
        let measures =
            [(Measure::Utilisation, 6), (Measure::ThroughputRps, 3), (Measure::QueueMean, 4), (Measure::P99Ms, 6)];
        cols.extend(measures.into_iter().map(|(m, d)| of(&s.name, m, d)));
    }
    cols.extend(first.caches.iter().map(|c| of(&c.name, Measure::HitRatio, 6)));
    for d in &first.datastores {
        cols.push(of(&d.name, Measure::StaleFraction, 6));
        cols.push(of(&d.name, Measure::OwnStaleFraction, 6));
    }
    cols.extend(first.services.iter().filter(|s| s.fleet.is_some()).map(|s| of(&s.name, Measure::FleetMean, 4)));
    for g in &first.queues {
        let name = format!("{}/{}", g.queue, g.group);
        cols.push(of(&name, Measure::DepthMean, 4));
        cols.push(of(&name, Measure::EndToEndP99Ms, 6));
    }
    if first.headline.slo_violation_s.n > 0 {
        cols.push(Column::Metric(Metric::Headline(SloViolationS), 3));
        cols.push(Column::Metric(Metric::Headline(TimeToRecoverS), 3));
    }
    if !first.faults.is_empty() {
        cols.push(Column::Metric(Metric::Headline(RtoS), 3));
    }
    cols
}

/// `points.csv`: one row per point, swept parameters first, then the
/// replications and the [`columns`]. A point without a column's component
/// (a variant that removes it) leaves the cell empty.
pub fn points_csv(axes: &[String], points: &[PointResult]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let columns = points.first().map(columns).unwrap_or_default();
    let mut header: Vec<String> = axes.to_vec();
    header.push("replications".into());
    header.extend(columns.iter().map(|c| match c {
        Column::Metric(m, _) => m.to_string(),
        Column::P99HalfWidth => "p99_ms_ci".into(),
    }));
    w.write_record(&header).expect("in-memory csv");
    for p in points {
        let mut row: Vec<String> = axes
            .iter()
            .map(|a| p.parameters.iter().find(|(k, _)| k == a).map(|(_, v)| v.clone()).unwrap_or_default())
            .collect();
        row.push(p.replications.to_string());
        row.extend(columns.iter().map(|c| match c {
            Column::Metric(m, decimals) => num(p.metric(m).map(|e| e.mean), *decimals),
            Column::P99HalfWidth => num(p.headline.p99_ms.ci95, 6),
        }));
        w.write_record(&row).expect("in-memory csv");
    }
    String::from_utf8(w.into_inner().expect("in-memory csv")).expect("utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/c.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files remain");
    }

    #[test]
    fn hgrm_has_header_rows_and_footer() {
        let mut h = LatencyHistogram::new();
        for i in 1..=1000u64 {
            h.record(i * 1_000_000);
        }
        let text = hgrm(&h);
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"));
        assert!(text.contains("#[Max     =     1000.",), "{text}");
        assert!(text.contains("Total count    =         1000]"));
        let last_row = text.lines().rfind(|l| !l.starts_with('#') && !l.is_empty()).unwrap();
        assert!(last_row.contains("1.000000000000"), "{last_row}");
    }
}
