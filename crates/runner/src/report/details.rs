//! The details of one point, shown when it is selected: how it was
//! measured, errors by cause, and each component's figures.

use std::fmt::Write;

use super::figures::with_ci;
use crate::plot::chart::svg::{escape, sig};
use crate::point::PointResult;

/// A small table: a header row and rows of already-escaped cells.
fn table(out: &mut String, caption: &str, header: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        return;
    }
    let _ =
        write!(out, "<div class=\"scroll\"><table class=\"details\"><caption>{}</caption><thead><tr>", escape(caption));
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>\n");
}

fn e(x: &crate::stats::Estimate) -> String {
    escape(&with_ci(x))
}

/// The details section of point `p`.
pub fn point_details(p: &PointResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<p class=\"facts\">{} replications; warm-up {} s ({}); {} s measured per replication; \
         {} successful requests and {} events over all replications.</p>",
        p.replications,
        sig(p.warmup_s),
        escape(&p.warmup_method),
        sig(p.measured_s),
        p.requests,
        p.events
    );
    if let Some(r) = &p.runaway {
        let _ = writeln!(out, "<p class=\"fail\">A replication was stopped: {}</p>", escape(r));
    }
    let causes: Vec<String> =
        p.errors.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{} {n}", escape(k))).collect();
    if !causes.is_empty() {
        let _ = writeln!(out, "<p>Errors by cause, over all replications: {}.</p>", causes.join(", "));
    }
    let rows: Vec<Vec<String>> = p
        .services
        .iter()
        .map(|s| {
            vec![
                escape(&s.name),
                format!("{} × {}", s.replicas, s.workers),
                e(&s.arrival_rps),
                e(&s.utilisation),
                e(&s.queue_mean),
                e(&s.wait_mean_ms),
                e(&s.compute_mean_ms),
                e(&s.downstream_mean_ms),
                e(&s.response_p99_ms),
                (s.rejected + s.shed + s.rate_limited + s.expired + s.crashed).to_string(),
            ]
        })
        .collect();
    let header = [
        "component",
        "replicas × workers",
        "req/s",
        "utilisation",
        "queued",
        "wait ms",
        "compute ms",
        "downstream ms",
        "p99 ms",
        "turned away",
    ];
    table(&mut out, "Services, caches and datastores (means ± 95% half-width)", &header, &rows);

    let rows: Vec<Vec<String>> = p
        .datastores
        .iter()
        .flat_map(|d| {
            d.shards.iter().enumerate().map(move |(i, sh)| {
                vec![
                    format!("{}[{i}]", escape(&d.name)),
                    e(&sh.arrival_rps),
                    e(&sh.utilisation),
                    e(&sh.mean_ms),
                    e(&sh.p99_ms),
                ]
            })
        })
        .collect();
    table(&mut out, "Datastore shards", &["shard", "req/s", "utilisation", "mean ms", "p99 ms"], &rows);

    let rows: Vec<Vec<String>> = p
        .caches
        .iter()
        .map(|c| {
            vec![
                escape(&c.name),
                e(&c.hit_ratio),
                c.hits.to_string(),
                c.misses.to_string(),
                c.coalesced.to_string(),
                c.stale.to_string(),
                c.origin_fetches.to_string(),
            ]
        })
        .collect();
    table(&mut out, "Caches", &["cache", "hit ratio", "hits", "misses", "coalesced", "stale", "origin fetches"], &rows);

    let rows: Vec<Vec<String>> = p
        .hops
        .iter()
        .map(|h| {
            vec![
                format!("{} → {}", escape(&h.caller), escape(&h.target)),
                e(&h.amplification),
                e(&h.per_client_request),
                h.retries.to_string(),
                h.hedges.to_string(),
                h.budget_denied.to_string(),
                h.breaker_opens.to_string(),
            ]
        })
        .collect();
    let header =
        ["call site", "attempts per call", "per client request", "retries", "hedges", "budget denied", "breaker opens"];
    table(&mut out, "Call sites", &header, &rows);

    let rows: Vec<Vec<String>> = p
        .queues
        .iter()
        .map(|g| {
            vec![
                format!("{}/{}", escape(&g.queue), escape(&g.group)),
                g.produced.to_string(),
                g.acked.to_string(),
                g.dead_lettered.to_string(),
                e(&g.depth_mean),
                e(&g.end_to_end_p99_ms),
            ]
        })
        .collect();
    table(
        &mut out,
        "Queues",
        &["queue/group", "produced", "acked", "dead-lettered", "mean depth", "end-to-end p99 ms"],
        &rows,
    );

    let rows: Vec<Vec<String>> =
        p.faults.iter().map(|f| vec![escape(&f.label), sig(f.start_s), sig(f.end_s), e(&f.rto_s)]).collect();
    table(&mut out, "Faults (first replication)", &["fault", "from s", "to s", "recovery s"], &rows);
    out
}
