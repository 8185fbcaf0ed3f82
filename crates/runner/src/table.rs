//! The short, aligned table printed on stdout.

use std::fmt::Write as _;

use tailsim_components::metric::{Headline, Metric};

use crate::point::PointResult;
use crate::stats::Estimate;
use crate::summary::Summary;

mod growth;

fn pm(e: &Estimate, decimals: usize) -> String {
    if !e.mean.is_finite() {
        return "-".into();
    }
    match e.ci95 {
        Some(h) if h.is_finite() => format!("{:.decimals$} ± {:.decimals$}", e.mean, h),
        _ => format!("{:.decimals$}", e.mean),
    }
}

/// Decimals that show about four significant digits of `v`.
fn decimals_for(v: f64) -> usize {
    if !v.is_finite() || v == 0.0 {
        return 2;
    }
    let digits = v.abs().log10().floor() as i32;
    (3 - digits).clamp(0, 6) as usize
}

fn pm_auto(e: &Estimate) -> String {
    pm(e, decimals_for(e.mean))
}

/// Renders rows as aligned columns; the first column left-aligned.
pub fn align(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The table for a single-point run: headline, latency, services.
pub fn point_table(summary: &Summary, p: &PointResult) -> String {
    let mut out = String::new();
    let h = &p.headline;
    let _ = writeln!(
        out,
        "model {} · {} replication{} × {:.0} s measured (warm-up {:.1} s, {}) · seed {}",
        summary.model,
        p.replications,
        if p.replications == 1 { "" } else { "s" },
        p.measured_s,
        p.warmup_s,
        p.warmup_method,
        summary.seed
    );
    let ci_note = if p.replications >= 2 {
        "values are means over replications ± 95% Student-t half-width"
    } else {
        "one replication: no confidence interval (set sim.replications >= 2)"
    };
    let _ = writeln!(out, "{ci_note}\n");
    let rows = vec![
        vec!["offered".into(), pm(&h.offered_rps, 1), "req/s".into()],
        vec!["throughput".into(), pm(&h.throughput_rps, 1), "req/s".into()],
        vec!["goodput".into(), pm(&h.goodput_rps, 1), "req/s".into()],
        vec!["error rate".into(), pm(&h.error_rate, 5), String::new()],
    ];
    out.push_str(&align(&rows));
    out.push('\n');
    let lat = [
        ("mean", &h.mean_ms),
        ("p50", &h.p50_ms),
        ("p90", &h.p90_ms),
        ("p99", &h.p99_ms),
        ("p99.9", &h.p999_ms),
        ("max", &h.max_ms),
    ];
    let mut rows = vec![vec!["latency (ms)".to_string()]];
    rows[0].extend(lat.iter().map(|(n, _)| n.to_string()));
    let mut vals = vec![String::new()];
    vals.extend(lat.iter().map(|(_, e)| pm_auto(e)));
    rows.push(vals);
    out.push_str(&align(&rows));
    let _ = writeln!(out, "requests measured: {}", p.requests);
    if !p.errors.values().all(|&n| n == 0) {
        let errs: Vec<String> = p.errors.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(out, "errors: {}", errs.join(", "));
    }
    out.push('\n');
    let mut rows = vec![
        ["service", "replicas×workers", "utilisation", "throughput req/s", "mean queue", "max queue", "p99 ms"]
            .map(String::from)
            .to_vec(),
    ];
    for s in &p.services {
        let fleet = match &s.fleet {
            Some(f) => format!("{}-{}", f.min, f.max),
            None => s.replicas.to_string(),
        };
        rows.push(vec![
            s.name.clone(),
            format!("{fleet}×{}", s.workers),
            pm(&s.utilisation, 3),
            pm(&s.throughput_rps, 1),
            pm_auto(&s.queue_mean),
            s.queue_max.to_string(),
            pm_auto(&s.response_p99_ms),
        ]);
    }
    out.push_str(&align(&rows));

    // Where the time goes, per service, and each replica's utilisation.
    let mut rows = vec![
        ["where the time goes (ms)", "wait", "compute", "downstream", "response", "replica utilisation"]
            .map(String::from)
            .to_vec(),
    ];
    for s in &p.services {
        let replicas: Vec<String> = s.replica_utilisation.iter().take(12).map(|e| format!("{:.2}", e.mean)).collect();
        let more = if s.replica_utilisation.len() > 12 { " …" } else { "" };
        rows.push(vec![
            s.name.clone(),
            fixed(&s.wait_mean_ms),
            fixed(&s.compute_mean_ms),
            fixed(&s.downstream_mean_ms),
            fixed(&s.response_mean_ms),
            format!("{}{more}", replicas.join(" ")),
        ]);
    }
    for c in &p.clients {
        if c.network_mean_ms.mean > 0.0 {
            rows.push(vec![
                format!("client {} (network)", c.name),
                String::new(),
                String::new(),
                fixed(&c.network_mean_ms),
                fixed(&c.mean_ms),
                String::new(),
            ]);
        }
    }
    out.push('\n');
    out.push_str(&align(&rows));
    if !p.caches.is_empty() {
        let mut rows = vec![
            ["cache", "hit ratio", "hits", "misses", "stale", "coalesced", "origin fetches", "evictions", "top keys"]
                .map(String::from)
                .to_vec(),
        ];
        for c in &p.caches {
            let mut top: Vec<String> = c.top_keys.iter().take(3).map(|(k, n)| format!("{k}:{n}")).collect();
            if c.top_keys_undercount > 0 {
                top.push(format!("(counts low by at most {})", c.top_keys_undercount));
            }
            rows.push(vec![
                c.name.clone(),
                pm(&c.hit_ratio, 4),
                c.hits.to_string(),
                c.misses.to_string(),
                c.stale.to_string(),
                c.coalesced.to_string(),
                c.origin_fetches.to_string(),
                c.evictions.to_string(),
                top.join(" "),
            ]);
        }
        out.push('\n');
        out.push_str(&align(&rows));
    }
    for d in &p.datastores {
        let mut rows = vec![
            [
                format!("datastore {}", d.name),
                "req/s".into(),
                "utilisation".into(),
                "primary".into(),
                "mean ms".into(),
                "p99 ms".into(),
            ]
            .to_vec(),
        ];
        for (i, sh) in d.shards.iter().enumerate() {
            rows.push(vec![
                format!("shard {i}"),
                pm(&sh.arrival_rps, 1),
                pm(&sh.utilisation, 3),
                pm(&sh.primary_utilisation, 3),
                pm_auto(&sh.mean_ms),
                pm_auto(&sh.p99_ms),
            ]);
        }
        out.push('\n');
        out.push_str(&align(&rows));
        if d.replica_reads > 0 {
            let _ = writeln!(
                out,
                "replica reads: {} ({} stale, {} of all reads; {} of all reads missed the reader's own last write; stale age p50 {} ms, p99 {} ms)",
                d.replica_reads,
                d.stale_reads,
                pm(&d.stale_fraction, 4),
                pm(&d.own_stale_fraction, 4),
                d.stale_age_p50_ms.map_or("-".into(), |v| format!("{v:.2}")),
                d.stale_age_p99_ms.map_or("-".into(), |v| format!("{v:.2}")),
            );
        }
        if d.lost_writes > 0 && d.rpo_ms.n == 0 {
            let _ = writeln!(out, "acknowledged writes lost: {}", d.lost_writes);
        }
    }
    if !p.pools.is_empty() {
        let mut rows = vec![
            ["pool", "size", "in use", "waiting", "waited", "wait ms", "max waiting", "timeouts"]
                .map(String::from)
                .to_vec(),
        ];
        for pool in &p.pools {
            rows.push(vec![
                format!("{} -> {} ({}×)", pool.caller, pool.target, pool.pools),
                pool.size.to_string(),
                pm(&pool.utilisation, 3),
                pm_auto(&pool.waiting_mean),
                pm(&pool.wait_probability, 3),
                pm_auto(&pool.wait_mean_ms),
                pool.max_waiting.to_string(),
                pool.timeouts.to_string(),
            ]);
        }
        out.push('\n');
        out.push_str(&align(&rows));
    }
    let amplified: Vec<_> =
        p.hops.iter().filter(|h| h.retries + h.hedges + h.fallbacks + h.breaker_opens > 0).collect();
    if !amplified.is_empty() {
        let mut rows = vec![
            [
                "hop",
                "attempts/call",
                "per client request",
                "retries",
                "hedges",
                "budget denied",
                "breaker opens",
                "fallbacks",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for h in amplified {
            rows.push(vec![
                format!("{} -> {}", h.caller, h.target),
                pm(&h.amplification, 3),
                pm(&h.per_client_request, 3),
                h.retries.to_string(),
                h.hedges.to_string(),
                h.budget_denied.to_string(),
                h.breaker_opens.to_string(),
                h.fallbacks.to_string(),
            ]);
        }
        out.push('\n');
        out.push_str(&align(&rows));
    }
    for s in &p.services {
        let dropped: Vec<String> = [
            ("shed", s.shed),
            ("rate-limited", s.rate_limited),
            ("expired", s.expired),
            ("lost in crashes", s.crashed),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
        if !dropped.is_empty() {
            let _ = writeln!(out, "{}: {} (all replications)", s.name, dropped.join(", "));
        }
    }
    if !p.faults.is_empty() {
        let spans: Vec<String> =
            p.faults.iter().take(6).map(|f| format!("{} {:.1}-{:.1} s", f.label, f.start_s, f.end_s)).collect();
        let more = if p.faults.len() > 6 { format!(" and {} more", p.faults.len() - 6) } else { String::new() };
        let _ = writeln!(out, "faults (first replication): {}{more}", spans.join("; "));
    }
    out.push_str(&growth::growth_lines(p));
    for b in &p.balancers {
        if b.health_ejections + b.outlier_ejections > 0 {
            let _ = writeln!(
                out,
                "balancer {}: {} health-check ejections, {} outlier ejections, {} readmissions (all replications)",
                b.name, b.health_ejections, b.outlier_ejections, b.readmissions
            );
        }
    }
    out
}

/// A mean with three decimals, or `-`.
fn fixed(e: &Estimate) -> String {
    if e.mean.is_finite() { format!("{:.3}", e.mean) } else { "-".into() }
}

/// The table for a sweep: one row per point, then the SLO verdicts.
pub fn sweep_table(summary: &Summary) -> String {
    let mut out = String::new();
    let reps: Vec<u32> = summary.points.iter().map(|p| p.replications).collect();
    let (lo, hi) = (reps.iter().min().copied().unwrap_or(0), reps.iter().max().copied().unwrap_or(0));
    let reps_text = if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") };
    let _ = writeln!(
        out,
        "experiment {} · model {} · {} point{} × {} replications · seed {}",
        summary.experiment.as_deref().unwrap_or("-"),
        summary.model,
        summary.points.len(),
        if summary.points.len() == 1 { "" } else { "s" },
        reps_text,
        summary.seed
    );
    let _ = writeln!(
        out,
        "latency in ms; ± is the 95% Student-t half-width across replications
"
    );
    let mut header: Vec<String> = vec!["#".into()];
    header.extend(summary.axes.iter().cloned());
    header.extend(
        ["reps", "throughput req/s", "goodput req/s", "errors", "mean", "p50", "p99", "p99.9"].map(String::from),
    );
    // Metrics an SLO names that the fixed columns do not show.
    let shown = [
        Headline::ThroughputRps,
        Headline::GoodputRps,
        Headline::ErrorRate,
        Headline::MeanMs,
        Headline::P50Ms,
        Headline::P99Ms,
        Headline::P999Ms,
    ]
    .map(Metric::Headline);
    let mut extra: Vec<Metric> = Vec::new();
    for s in &summary.slos {
        let metric = &s.rule.metric;
        if !shown.contains(metric) && !extra.contains(metric) {
            extra.push(metric.clone());
        }
    }
    header.extend(extra.iter().map(Metric::to_string));
    let mut rows = vec![header];
    for p in &summary.points {
        let h = &p.headline;
        let mut row = vec![p.index.to_string()];
        row.extend(
            summary
                .axes
                .iter()
                .map(|a| p.parameters.iter().find(|(k, _)| k == a).map(|(_, v)| v.clone()).unwrap_or_default()),
        );
        row.push(p.replications.to_string());
        row.push(pm(&h.throughput_rps, 1));
        row.push(pm(&h.goodput_rps, 1));
        row.push(format!("{:.4}", h.error_rate.mean));
        row.push(pm_auto(&h.mean_ms));
        row.push(pm_auto(&h.p50_ms));
        row.push(pm_auto(&h.p99_ms));
        row.push(pm_auto(&h.p999_ms));
        for m in &extra {
            row.push(p.metric(m).map_or("-".into(), |e| pm_auto(&e)));
        }
        rows.push(row);
    }
    out.push_str(&align(&rows));
    if !summary.slos.is_empty() {
        let _ = writeln!(
            out,
            "
SLOs"
        );
        for s in &summary.slos {
            let total = s.passed + s.failed.len();
            if s.failed.is_empty() {
                let _ = writeln!(out, "  ✓ {}  ({total}/{total} points)", s.slo);
            } else {
                let which: Vec<String> = s
                    .failed
                    .iter()
                    .map(|&i| {
                        let p = &summary.points[i];
                        let params: Vec<String> = p.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        if params.is_empty() { format!("#{i}") } else { format!("#{i} ({})", params.join(", ")) }
                    })
                    .collect();
                let _ =
                    writeln!(out, "  ✗ {}  ({}/{total} points pass); failed: {}", s.slo, s.passed, which.join(", "));
            }
        }
    }
    // Calibration hook: `[[observed]]` checks.
    out.push_str(&observed_section(summary));
    for p in &summary.points {
        if let Some(msg) = &p.runaway {
            let _ = writeln!(
                out,
                "
warning: point {} was stopped early: {msg}",
                p.index
            );
        }
    }
    out
}

/// The observations section of the sweep table (empty without any).
fn observed_section(summary: &Summary) -> String {
    let mut out = String::new();
    for o in &summary.observed {
        let total = o.points.len();
        let _ = writeln!(
            out,
            "\nObserved {} ({}, {} observations, tolerance {}%{})",
            o.name,
            o.metric,
            o.count,
            o.tolerance * 100.0,
            if o.fail_sweep { ", fails the sweep" } else { "" }
        );
        let mut rows =
            vec![["point", "percentile", "observed ms [95%]", "simulated ms", ""].map(String::from).to_vec()];
        for p in &o.points {
            let params: Vec<String> = summary
                .points
                .get(p.index)
                .map_or(Vec::new(), |r| r.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect());
            let point = if params.is_empty() {
                format!("#{}", p.index)
            } else {
                format!("#{} ({})", p.index, params.join(", "))
            };
            for c in &p.checks {
                let sim = match c.simulated_ms.ci95 {
                    Some(h) if c.simulated_ms.mean.is_finite() => {
                        format!("{} ± {}", crate::observed::ms(c.simulated_ms.mean), crate::observed::ms(h))
                    }
                    _ => crate::observed::ms(c.simulated_ms.mean),
                };
                rows.push(vec![
                    point.clone(),
                    crate::observed::percentile_name(c.p),
                    format!(
                        "{} [{}, {}]",
                        crate::observed::ms(c.observed.value_ms),
                        crate::observed::ms(c.observed.low_ms),
                        crate::observed::ms(c.observed.high_ms)
                    ),
                    sim,
                    if c.pass { "✓".into() } else { "✗".into() },
                ]);
            }
        }
        for line in align(&rows).lines() {
            let _ = writeln!(out, "  {line}");
        }
        if o.failed.is_empty() {
            let _ = writeln!(out, "  ✓ reproduced at {total}/{total} points");
        } else {
            let which: Vec<String> = o.failed.iter().map(|i| format!("#{i}")).collect();
            let _ = writeln!(out, "  ✗ reproduced at {}/{total} points; missed at {}", o.passed, which.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let t = align(&[vec!["a".into(), "1".into()], vec!["long".into(), "100".into()]]);
        assert_eq!(t, "a       1\nlong  100\n");
    }

    #[test]
    fn formats_estimates() {
        let e = Estimate { mean: 12.3456, ci95: Some(0.5), n: 5 };
        assert_eq!(pm_auto(&e), "12.35 ± 0.50");
        let e = Estimate { mean: 0.0123456, ci95: None, n: 1 };
        assert_eq!(pm_auto(&e), "0.01235");
    }
}
