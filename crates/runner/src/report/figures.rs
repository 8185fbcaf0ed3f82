//! The figures the report shows for one point, worked out from its results:
//! SLO verdicts with their deciding intervals, and the topology's node
//! colours, node read-outs and edge rates.

use serde::Serialize;
use tailsim_components::topology::{NodeKind, Topology};

use crate::plot::chart::svg::sig;
use crate::point::PointResult;
use crate::stats::Estimate;
use crate::summary::Summary;

/// Decimals that show `v` to two significant digits.
fn two_digits(v: f64) -> usize {
    if v.is_finite() && v > 0.0 { (1 - v.log10().floor() as i32).clamp(0, 9) as usize } else { 0 }
}

/// `value ± half-width`, both rounded to the decimal place that gives the
/// half-width two significant digits; the value alone without an interval.
pub fn with_ci(e: &Estimate) -> String {
    match e.ci95 {
        Some(h) if h.is_finite() && h > 0.0 && e.mean.is_finite() => {
            let d = two_digits(h);
            format!("{:.d$} ± {:.d$}", e.mean, h)
        }
        Some(h) if h == 0.0 && e.mean.is_finite() => format!("{} ± 0", sig(e.mean)),
        _ => sig(e.mean),
    }
}

/// One SLO at one point.
pub struct Verdict {
    pub passed: bool,
    /// The estimate of the SLO's metric that decided it.
    pub estimate: Option<Estimate>,
    /// Whether the 95% interval contains the threshold, so more
    /// replications could change the verdict.
    pub close: bool,
}

/// Every SLO's verdict at `point`, in SLO order. Pass or fail is the
/// summary's (the across-replication mean against the threshold).
pub fn verdicts(summary: &Summary, point: &PointResult) -> Vec<Verdict> {
    summary
        .slos
        .iter()
        .map(|outcome| {
            let threshold = outcome.rule.threshold;
            let estimate = point.metric(&outcome.rule.metric);
            let close =
                estimate.is_some_and(|e| e.ci95.is_some_and(|h| e.mean - h <= threshold && threshold <= e.mean + h));
            Verdict { passed: !outcome.failed.contains(&point.index), estimate, close }
        })
        .collect()
}

/// How loaded a component looks, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing measured to colour it by (balancers, routers, queues).
    None,
    Ok,
    Warm,
    Hot,
    Over,
}

impl Level {
    /// Utilisation: below 0.7, 0.85 and 0.95.
    fn of_utilisation(u: f64) -> Level {
        match u {
            u if !u.is_finite() => Level::None,
            u if u < 0.7 => Level::Ok,
            u if u < 0.85 => Level::Warm,
            u if u < 0.95 => Level::Hot,
            _ => Level::Over,
        }
    }

    /// Error rate: below 0.1%, 1% and 10%.
    fn of_error_rate(e: f64) -> Level {
        match e {
            e if !e.is_finite() => Level::None,
            e if e < 0.001 => Level::Ok,
            e if e < 0.01 => Level::Warm,
            e if e < 0.1 => Level::Hot,
            _ => Level::Over,
        }
    }
}

/// What the topology shows for one node at one point: its colour, a short
/// read-out inside the box, and the full figures on hover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeFigure {
    pub level: Level,
    pub stat: String,
    pub title: String,
}

/// A fraction as a percentage to two significant digits.
fn percent(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let v = x * 100.0;
    if v == 0.0 { "0%".into() } else { format!("{v:.*}%", two_digits(v.abs())) }
}

/// A rate for an edge label: `3.0k/s`, `22/s`, `0.50/s`.
pub fn rate(per_s: f64) -> String {
    match per_s {
        r if !r.is_finite() => "-".into(),
        r if r >= 1e6 => format!("{:.1}M/s", r / 1e6),
        r if r >= 1e4 => format!("{:.0}k/s", r / 1e3),
        r if r >= 1e3 => format!("{:.1}k/s", r / 1e3),
        r if r >= 10.0 => format!("{r:.0}/s"),
        r => format!("{r:.2}/s"),
    }
}

/// Colours and read-outs of every node of `topology` at `p`: clients by
/// their error rate, services and caches by utilisation, datastores by
/// their busiest shard.
pub fn node_figures(topology: &Topology, p: &PointResult) -> Vec<(String, NodeFigure)> {
    topology
        .nodes
        .iter()
        .map(|n| {
            let kind = n.kind.name();
            let service = p.services.iter().find(|s| s.name == n.name);
            let figure = match n.kind {
                NodeKind::Client => match p.clients.iter().find(|c| c.name == n.name) {
                    Some(c) => NodeFigure {
                        level: Level::of_error_rate(c.error_rate.mean),
                        stat: format!("errors {}", percent(c.error_rate.mean)),
                        title: format!(
                            "{} ({kind}): {} requests sent, error rate {}, mean {} ms, p99 {} ms",
                            n.name,
                            c.sent,
                            with_ci(&Estimate {
                                mean: c.error_rate.mean * 100.0,
                                ci95: c.error_rate.ci95.map(|h| h * 100.0),
                                n: c.error_rate.n
                            }) + "%",
                            with_ci(&c.mean_ms),
                            with_ci(&c.p99_ms)
                        ),
                    },
                    None => none(&n.name, kind),
                },
                NodeKind::Datastore => match (p.datastores.iter().find(|d| d.name == n.name), service) {
                    (Some(d), Some(s)) => {
                        let (busiest, shard) = d
                            .shards
                            .iter()
                            .enumerate()
                            .max_by(|a, b| a.1.utilisation.mean.total_cmp(&b.1.utilisation.mean))
                            .map_or((0, s.utilisation), |(i, sh)| (i, sh.utilisation));
                        NodeFigure {
                            level: Level::of_utilisation(shard.mean),
                            stat: format!("busiest shard {}", percent(shard.mean)),
                            title: format!(
                                "{} ({kind}): {} shards, mean utilisation {}, busiest shard {busiest} at {}, {} req/s",
                                n.name,
                                d.shards.len(),
                                with_ci(&s.utilisation),
                                with_ci(&shard),
                                with_ci(&s.arrival_rps)
                            ),
                        }
                    }
                    _ => none(&n.name, kind),
                },
                NodeKind::Service | NodeKind::Cache => match service {
                    Some(s) => {
                        let mut title = format!(
                            "{} ({kind}): {} x {} workers, utilisation {}, {} req/s, mean queue {}, p99 {} ms",
                            n.name,
                            s.replicas,
                            s.workers,
                            with_ci(&s.utilisation),
                            with_ci(&s.arrival_rps),
                            with_ci(&s.queue_mean),
                            with_ci(&s.response_p99_ms)
                        );
                        if let Some(c) = p.caches.iter().find(|c| c.name == n.name) {
                            title.push_str(&format!(", hit ratio {}", with_ci(&c.hit_ratio)));
                        }
                        let stat = match p.caches.iter().find(|c| c.name == n.name) {
                            Some(c) => {
                                format!("busy {}, hits {}", percent(s.utilisation.mean), percent(c.hit_ratio.mean))
                            }
                            None => format!("busy {}", percent(s.utilisation.mean)),
                        };
                        NodeFigure { level: Level::of_utilisation(s.utilisation.mean), stat, title }
                    }
                    None => none(&n.name, kind),
                },
                NodeKind::Queue => {
                    let groups: Vec<_> = p.queues.iter().filter(|g| g.queue == n.name).collect();
                    let depth: f64 = groups.iter().map(|g| g.depth_mean.mean).sum();
                    let parts: Vec<String> = groups
                        .iter()
                        .map(|g| {
                            format!(
                                "{}: mean depth {}, {} dead-lettered",
                                g.group,
                                with_ci(&g.depth_mean),
                                g.dead_lettered
                            )
                        })
                        .collect();
                    NodeFigure {
                        level: Level::None,
                        stat: format!("waiting {}", sig(depth)),
                        title: format!("{} ({kind}): {}", n.name, parts.join("; ")),
                    }
                }
                NodeKind::Balancer => match p.balancers.iter().find(|b| b.name == n.name) {
                    Some(b) => NodeFigure {
                        level: Level::None,
                        stat: String::new(),
                        title: format!(
                            "{} ({kind}): {} health ejections, {} outlier ejections, {} readmissions",
                            n.name, b.health_ejections, b.outlier_ejections, b.readmissions
                        ),
                    },
                    None => none(&n.name, kind),
                },
                NodeKind::Router => match p.routers.iter().find(|r| r.name == n.name) {
                    Some(r) => {
                        let picks: Vec<String> =
                            r.targets.iter().zip(&r.picks).map(|(t, k)| format!("{t} {k}")).collect();
                        NodeFigure {
                            level: Level::None,
                            stat: String::new(),
                            title: format!("{} ({kind}): requests sent to {}", n.name, picks.join(", ")),
                        }
                    }
                    None => none(&n.name, kind),
                },
            };
            (n.name.clone(), figure)
        })
        .collect()
}

fn none(name: &str, kind: &str) -> NodeFigure {
    NodeFigure { level: Level::None, stat: String::new(), title: format!("{name} ({kind})") }
}

/// Attempts per second along each edge of `topology` at `p`, keyed
/// `from>to`: for each of the edge's call sites, attempts per client
/// request times client requests per second, summed.
pub fn edge_rates(topology: &Topology, p: &PointResult) -> Vec<(String, f64)> {
    let offered = p.headline.offered_rps.mean;
    topology
        .edges
        .iter()
        .map(|e| {
            let hops = p.hops.iter().filter(|h| e.sites.iter().any(|(c, t)| *c == h.caller && *t == h.target));
            let per_request: Vec<f64> = hops.map(|h| h.per_client_request.mean).filter(|v| v.is_finite()).collect();
            let rate = if per_request.is_empty() { f64::NAN } else { per_request.iter().sum::<f64>() * offered };
            (format!("{}>{}", e.from, e.to), rate)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_levels_read_well() {
        assert_eq!(rate(3000.0), "3.0k/s");
        assert_eq!(rate(22.4), "22/s");
        assert_eq!(rate(0.5), "0.50/s");
        assert_eq!(rate(25_000.0), "25k/s");
        assert_eq!(rate(f64::NAN), "-");
        assert_eq!(Level::of_utilisation(0.5), Level::Ok);
        assert_eq!(Level::of_utilisation(0.9), Level::Hot);
        assert_eq!(Level::of_utilisation(1.0), Level::Over);
        assert_eq!(Level::of_error_rate(0.005), Level::Warm);
        assert_eq!(Level::of_error_rate(f64::NAN), Level::None);
        assert_eq!(percent(0.02585), "2.6%");
        assert_eq!(percent(0.226), "23%");
        assert_eq!(percent(0.006163), "0.62%");
    }

    #[test]
    fn intervals_show_two_significant_digits() {
        let e = |mean, h| Estimate { mean, ci95: Some(h), n: 5 };
        assert_eq!(with_ci(&e(0.02585, 0.001556)), "0.0259 ± 0.0016");
        assert_eq!(with_ci(&e(65.27, 134.6)), "65 ± 135");
        assert_eq!(with_ci(&e(2998.0, 28.53)), "2998 ± 29");
        assert_eq!(with_ci(&e(1.5, 0.0)), "1.5 ± 0");
        assert_eq!(with_ci(&Estimate { mean: 2.0, ci95: None, n: 1 }), "2");
    }
}
