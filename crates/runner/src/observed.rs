//! Model against observation: does the simulated latency reproduce what
//! production measured (`[[observed]]` in an experiment)?
//!
//! A point's simulated percentile is an across-replication estimate with a
//! 95% Student-t interval; the observed percentile has a 95% interval from
//! the order statistics of the observations. Percentile p **passes** when
//! the two meet once the observed interval is widened by the tolerance:
//!
//! ```text
//! [sim − h, sim + h]  ∩  [obs_low × (1 − tolerance), obs_high × (1 + tolerance)]  ≠  ∅
//! ```
//!
//! (h = 0 with one replication). A point reproduces an observation when
//! every listed percentile passes. Everything here is computed from
//! `plan.json` and the point files, like the rest of the results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tailsim_components::result::RunResult;
use tailsim_engine::stats::LatencyHistogram;

use crate::point::{MetricPercentiles, PointResult};
use crate::stats::Estimate;

pub use tailsim_components::plan::{Observation, ObservedPercentile};

/// The percentiles the observations need, from a point's replications.
pub fn measure(runs: &[RunResult], plan: &[Observation]) -> Vec<MetricPercentiles> {
    let mut wanted: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for o in plan {
        let ps = wanted.entry(o.metric.as_str()).or_default();
        for v in &o.percentiles {
            if !ps.contains(&v.p) {
                ps.push(v.p);
            }
        }
    }
    wanted
        .into_iter()
        .map(|(metric, mut ps)| {
            ps.sort_by(f64::total_cmp);
            let hists: Vec<LatencyHistogram> = runs.iter().map(|r| histogram(r, metric)).collect();
            let percentiles = ps
                .iter()
                .map(|&p| {
                    let xs: Vec<f64> =
                        hists.iter().map(|h| h.quantile(p / 100.0).map_or(f64::NAN, |v| v as f64 / 1e6)).collect();
                    (p, Estimate::from_samples(&xs))
                })
                .collect();
            MetricPercentiles { metric: metric.to_string(), percentiles }
        })
        .collect()
}

/// The latency histogram a metric names in one replication: all clients'
/// successful requests, one client's, or one component's response times.
fn histogram(r: &RunResult, metric: &str) -> LatencyHistogram {
    let mut h = LatencyHistogram::new();
    match metric.strip_suffix(".latency") {
        None => {
            for c in &r.clients {
                h.merge(&c.latency_ok);
            }
        }
        Some(name) => {
            if let Some(c) = r.clients.iter().find(|c| c.name == name) {
                h.merge(&c.latency_ok);
            } else if let Some(s) = r.services.iter().find(|s| s.name == name) {
                h.merge(&s.response);
            }
        }
    }
    h
}

/// How the points fared against one observation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObservedOutcome {
    pub name: String,
    pub metric: String,
    pub tolerance: f64,
    pub fail_sweep: bool,
    pub count: f64,
    pub points: Vec<ObservedPoint>,
    pub passed: usize,
    /// Indices of the points that do not reproduce the observation.
    pub failed: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObservedPoint {
    pub index: usize,
    pub checks: Vec<PercentileCheck>,
    pub pass: bool,
}

/// One percentile, observed against simulated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PercentileCheck {
    pub p: f64,
    pub observed: ObservedPercentile,
    pub simulated_ms: Estimate,
    pub pass: bool,
}

/// Whether a simulated estimate meets an observed value within `tolerance`
/// (see the module documentation).
pub fn passes(sim: &Estimate, obs: &ObservedPercentile, tolerance: f64) -> bool {
    if !sim.mean.is_finite() {
        return false;
    }
    let h = sim.ci95.filter(|h| h.is_finite()).unwrap_or(0.0);
    let (lo, hi) = (obs.low_ms * (1.0 - tolerance), obs.high_ms * (1.0 + tolerance));
    sim.mean - h <= hi && sim.mean + h >= lo
}

/// Checks every point against every observation.
pub fn evaluate(plan: &[Observation], points: &[PointResult]) -> Vec<ObservedOutcome> {
    plan.iter()
        .map(|o| {
            let mut failed = Vec::new();
            let checked: Vec<ObservedPoint> = points
                .iter()
                .filter(|p| {
                    o.variant.as_ref().is_none_or(|v| p.parameters.iter().any(|(k, pv)| k == "variant" && pv == v))
                })
                .map(|p| {
                    let sim = p.observed_latency.iter().find(|m| m.metric == o.metric);
                    let checks: Vec<PercentileCheck> = o
                        .percentiles
                        .iter()
                        .map(|v| {
                            let simulated_ms = sim
                                .and_then(|m| m.percentiles.iter().find(|(q, _)| *q == v.p))
                                .map_or(Estimate { mean: f64::NAN, ci95: None, n: 0 }, |(_, e)| *e);
                            let pass = passes(&simulated_ms, v, o.tolerance);
                            PercentileCheck { p: v.p, observed: v.clone(), simulated_ms, pass }
                        })
                        .collect();
                    let pass = checks.iter().all(|c| c.pass);
                    if !pass {
                        failed.push(p.index);
                    }
                    ObservedPoint { index: p.index, checks, pass }
                })
                .collect();
            ObservedOutcome {
                name: o.name.clone(),
                metric: o.metric.clone(),
                tolerance: o.tolerance,
                fail_sweep: o.fail_sweep,
                count: o.count,
                passed: checked.len() - failed.len(),
                failed,
                points: checked,
            }
        })
        .collect()
}

/// Milliseconds with three significant digits or so.
pub(crate) fn ms(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let d = if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    format!("{v:.d$}")
}

/// A percentile as tables name it: `p50`, `p99.9`.
pub(crate) fn percentile_name(p: f64) -> String {
    if p.fract() == 0.0 { format!("p{}", p as i64) } else { format!("p{p}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(value: f64, low: f64, high: f64) -> ObservedPercentile {
        ObservedPercentile { p: 99.0, value_ms: value, low_ms: low, high_ms: high }
    }

    #[test]
    fn percentiles_are_named_as_in_tables() {
        assert_eq!(percentile_name(50.0), "p50");
        assert_eq!(percentile_name(99.9), "p99.9");
        assert_eq!(percentile_name(90.05), "p90.05");
    }

    #[test]
    fn a_percentile_passes_when_the_intervals_meet() {
        let o = obs(10.0, 9.8, 10.2);
        let e = |mean, h| Estimate { mean, ci95: Some(h), n: 5 };
        assert!(passes(&e(10.0, 0.1), &o, 0.0));
        // Band with 10%: [8.82, 11.22].
        assert!(passes(&e(11.3, 0.1), &o, 0.1));
        assert!(!passes(&e(11.4, 0.1), &o, 0.1));
        assert!(passes(&e(8.75, 0.1), &o, 0.1));
        assert!(!passes(&e(8.6, 0.1), &o, 0.1));
        assert!(!passes(&Estimate { mean: f64::NAN, ci95: None, n: 0 }, &o, 0.5));
        assert!(passes(&Estimate { mean: 10.5, ci95: None, n: 1 }, &o, 0.05));
    }
}
