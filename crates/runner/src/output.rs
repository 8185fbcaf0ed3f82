//! Result files: written atomically (temporary file, then rename), so a
//! reader never sees half a file and an interrupted run leaves no torn output.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use tailsim_engine::stats::LatencyHistogram;

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

/// `points.csv`: one row per point, swept parameters first.
pub fn points_csv(axes: &[String], points: &[PointResult]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = axes.to_vec();
    header.extend(
        [
            "replications",
            "offered_rps",
            "throughput_rps",
            "goodput_rps",
            "error_rate",
            "mean_ms",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "p999_ms",
            "max_ms",
            "p99_ms_ci",
        ]
        .map(String::from),
    );
    if let Some(first) = points.first() {
        for s in &first.services {
            for col in ["utilisation", "throughput_rps", "queue_mean", "p99_ms"] {
                header.push(format!("{}.{col}", s.name));
            }
        }
        for c in &first.caches {
            header.push(format!("{}.hit_ratio", c.name));
        }
        for d in &first.datastores {
            header.push(format!("{}.stale_fraction", d.name));
            header.push(format!("{}.own_stale_fraction", d.name));
        }
        for s in first.services.iter().filter(|s| s.fleet.is_some()) {
            header.push(format!("{}.fleet_mean", s.name));
        }
        for g in &first.queues {
            header.push(format!("{}/{}.depth_mean", g.queue, g.group));
            header.push(format!("{}/{}.end_to_end_p99_ms", g.queue, g.group));
        }
        if first.headline.slo_violation_s.n > 0 {
            header.push("slo_violation_s".into());
            header.push("time_to_recover_s".into());
        }
        if !first.faults.is_empty() {
            header.push("rto_s".into());
        }
    }
    w.write_record(&header).expect("in-memory csv");
    for p in points {
        let h = &p.headline;
        let mut row: Vec<String> = axes
            .iter()
            .map(|a| p.parameters.iter().find(|(k, _)| k == a).map(|(_, v)| v.clone()).unwrap_or_default())
            .collect();
        row.push(p.replications.to_string());
        row.push(num(Some(h.offered_rps.mean), 3));
        row.push(num(Some(h.throughput_rps.mean), 3));
        row.push(num(Some(h.goodput_rps.mean), 3));
        row.push(num(Some(h.error_rate.mean), 6));
        for e in [&h.mean_ms, &h.p50_ms, &h.p90_ms, &h.p99_ms, &h.p999_ms, &h.max_ms] {
            row.push(num(Some(e.mean), 6));
        }
        row.push(num(h.p99_ms.ci95, 6));
        for s in &p.services {
            row.push(num(Some(s.utilisation.mean), 6));
            row.push(num(Some(s.throughput_rps.mean), 3));
            row.push(num(Some(s.queue_mean.mean), 4));
            row.push(num(Some(s.response_p99_ms.mean), 6));
        }
        for c in &p.caches {
            row.push(num(Some(c.hit_ratio.mean), 6));
        }
        for d in &p.datastores {
            row.push(num(Some(d.stale_fraction.mean), 6));
            row.push(num(Some(d.own_stale_fraction.mean), 6));
        }
        for s in p.services.iter().filter_map(|s| s.fleet.as_ref()) {
            row.push(num(Some(s.mean.mean), 4));
        }
        for g in &p.queues {
            row.push(num(Some(g.depth_mean.mean), 4));
            row.push(num(Some(g.end_to_end_p99_ms.mean), 6));
        }
        if points[0].headline.slo_violation_s.n > 0 {
            row.push(num(Some(h.slo_violation_s.mean), 3));
            row.push(num(Some(h.time_to_recover_s.mean), 3));
        }
        if !points[0].faults.is_empty() {
            row.push(num(Some(h.rto_s.mean), 3));
        }
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
