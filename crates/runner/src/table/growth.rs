//! Table lines for autoscaled fleets, message queues, routers, window-SLO
//! violations, recovery times and lost-write windows.

use std::fmt::Write as _;

use super::{align, pm, pm_auto};
use crate::point::PointResult;

pub(super) fn growth_lines(p: &PointResult) -> String {
    let mut out = String::new();
    for s in &p.services {
        let Some(f) = &s.fleet else { continue };
        let _ = writeln!(
            out,
            "\nfleet {}: mean {} instances, {} to {}; {} scaling change(s) per replication",
            s.name,
            pm(&f.mean, 2),
            f.min,
            f.max,
            pm(&f.changes, 1)
        );
        let shown: Vec<String> =
            f.first_run.iter().take(8).map(|(at, from, to, why)| format!("{at:.0} s {from}->{to} ({why})")).collect();
        if !shown.is_empty() {
            let more =
                if f.first_run.len() > 8 { format!(" and {} more", f.first_run.len() - 8) } else { String::new() };
            let _ = writeln!(out, "  first replication: {}{more}", shown.join(", "));
        }
    }
    if !p.queues.is_empty() {
        let mut rows = vec![
            [
                "queue/group",
                "produced",
                "acked",
                "redelivered",
                "dead-lettered",
                "expired",
                "mean depth",
                "max depth",
                "oldest s",
                "end-to-end p99 ms",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for g in &p.queues {
            rows.push(vec![
                format!("{}/{}", g.queue, g.group),
                g.produced.to_string(),
                g.acked.to_string(),
                g.redeliveries.to_string(),
                g.dead_lettered.to_string(),
                g.expired.to_string(),
                pm_auto(&g.depth_mean),
                g.depth_max.to_string(),
                pm_auto(&g.oldest_age_max_s),
                pm_auto(&g.end_to_end_p99_ms),
            ]);
        }
        out.push('\n');
        out.push_str(&align(&rows));
        for g in p.queues.iter().filter(|g| g.rejected > 0) {
            let _ = writeln!(out, "queue {}: {} messages refused (full)", g.queue, g.rejected);
        }
    }
    for r in &p.routers {
        let total: u64 = r.picks.iter().sum::<u64>().max(1);
        let shares: Vec<String> = r
            .targets
            .iter()
            .zip(&r.picks)
            .map(|(t, &n)| format!("{t} {:.1}%", 100.0 * n as f64 / total as f64))
            .collect();
        let _ = writeln!(out, "\nrouter {}: {}", r.name, shares.join(", "));
        let changes: Vec<String> = r
            .first_run
            .iter()
            .take(8)
            .map(|(at, t, up)| format!("{at:.0} s {t} {}", if *up { "up" } else { "down" }))
            .collect();
        if !changes.is_empty() {
            let _ = writeln!(out, "  declared (first replication): {}", changes.join(", "));
        }
    }
    if p.headline.slo_violation_s.n > 0 {
        let _ = writeln!(
            out,
            "\nwindow SLO broken for {} s per replication, from first to last breach {} s",
            pm(&p.headline.slo_violation_s, 1),
            pm(&p.headline.time_to_recover_s, 1)
        );
    }
    for f in p.faults.iter().take(6) {
        if f.rto_s.n > 0 {
            let _ = writeln!(out, "recovery after {} at {:.0} s: {} s (RTO)", f.label, f.start_s, pm_auto(&f.rto_s));
        }
    }
    for d in &p.datastores {
        if d.rpo_ms.n > 0 {
            let _ = writeln!(
                out,
                "datastore {}: {} acknowledged writes lost; lost-write window {} ms (RPO)",
                d.name,
                d.lost_writes,
                pm_auto(&d.rpo_ms)
            );
        }
    }
    out
}
