//! Summaries of autoscaled fleets, message queues, routers, window-SLO
//! violations and recovery times, across replications.

use serde::{Deserialize, Serialize};
use tailsim_components::result::{RunResult, ScaleEvent};
use tailsim_engine::time::{Time, as_secs_f64};

use super::{MS, est};
use crate::stats::Estimate;

/// An autoscaled service's fleet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetSummary {
    /// Time-weighted mean serving instances.
    pub mean: Estimate,
    /// The fewest and most serving instances seen in any replication.
    pub min: u64,
    pub max: u64,
    /// Changes of the desired size per replication.
    pub changes: Estimate,
    /// The first replication's changes: (time s, from, to, policy).
    pub first_run: Vec<(f64, u32, u32, String)>,
}

/// One consumer group of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub queue: String,
    pub group: String,
    pub produced: u64,
    pub acked: u64,
    pub redeliveries: u64,
    pub dead_lettered: u64,
    pub expired: u64,
    pub rejected: u64,
    /// Waiting messages: time-weighted mean, and the most in any run.
    pub depth_mean: Estimate,
    pub depth_max: u64,
    /// The oldest waiting message's age at most, in seconds.
    pub oldest_age_max_s: Estimate,
    /// Produce to acknowledgement.
    pub end_to_end_mean_ms: Estimate,
    pub end_to_end_p99_ms: Estimate,
}

/// A router: where requests went, and its health decisions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouterSummary {
    pub name: String,
    pub targets: Vec<String>,
    /// Requests to each target, over all replications.
    pub picks: Vec<u64>,
    /// The first replication's decisions: (time s, target, healthy).
    pub first_run: Vec<(f64, String, bool)>,
}

pub(super) fn fleet(runs: &[RunResult], si: usize) -> Option<FleetSummary> {
    let f0 = runs[0].services[si].fleet.as_ref()?;
    let fleets: Vec<_> = runs.iter().filter_map(|r| r.services[si].fleet.as_ref()).collect();
    let events = |e: &[ScaleEvent]| -> Vec<(f64, u32, u32, String)> {
        e.iter().map(|e| (as_secs_f64(e.at), e.from, e.to, e.reason.clone())).collect()
    };
    Some(FleetSummary {
        mean: est(fleets.iter().map(|f| f.mean)),
        min: fleets.iter().map(|f| f.min).min().unwrap_or(0),
        max: fleets.iter().map(|f| f.max).max().unwrap_or(0),
        changes: est(fleets.iter().map(|f| f.events.len() as f64)),
        first_run: events(&f0.events),
    })
}

pub(super) fn queues(runs: &[RunResult]) -> Vec<GroupSummary> {
    let mut out = Vec::new();
    for (qi, q0) in runs[0].queues.iter().enumerate() {
        for (gi, g0) in q0.groups.iter().enumerate() {
            let groups: Vec<_> = runs.iter().map(|r| &r.queues[qi].groups[gi]).collect();
            let sum = |f: &dyn Fn(&tailsim_components::result::GroupResult) -> u64| groups.iter().map(|g| f(g)).sum();
            let e2e = |g: &&tailsim_components::result::GroupResult, q: f64| {
                g.end_to_end.quantile(q).map_or(f64::NAN, |v| v as f64 / MS)
            };
            out.push(GroupSummary {
                queue: q0.name.clone(),
                group: g0.name.clone(),
                produced: sum(&|g| g.produced),
                acked: sum(&|g| g.acked),
                redeliveries: sum(&|g| g.redeliveries),
                dead_lettered: sum(&|g| g.dead_lettered),
                expired: sum(&|g| g.expired),
                rejected: runs.iter().map(|r| r.queues[qi].rejected).sum(),
                depth_mean: est(groups.iter().map(|g| g.depth_mean)),
                depth_max: groups.iter().map(|g| g.depth_max).max().unwrap_or(0),
                oldest_age_max_s: est(groups.iter().map(|g| as_secs_f64(g.oldest_age_max))),
                end_to_end_mean_ms: est(groups.iter().map(|g| g.end_to_end.mean().map_or(f64::NAN, |m| m / MS))),
                end_to_end_p99_ms: est(groups.iter().map(|g| e2e(g, 0.99))),
            });
        }
    }
    out
}

pub(super) fn routers(runs: &[RunResult]) -> Vec<RouterSummary> {
    runs[0]
        .routers
        .iter()
        .enumerate()
        .map(|(ri, r0)| RouterSummary {
            name: r0.name.clone(),
            targets: r0.targets.clone(),
            picks: (0..r0.targets.len()).map(|t| runs.iter().map(|r| r.routers[ri].picks[t]).sum()).collect(),
            first_run: r0.changes.iter().map(|c| (as_secs_f64(c.at), c.target.clone(), c.healthy)).collect(),
        })
        .collect()
}

/// Seconds of windows that broke the window SLO, per replication (NaN
/// without one).
pub(super) fn violation_s(runs: &[RunResult]) -> Estimate {
    est(runs.iter().map(|r| r.violation.as_ref().map_or(f64::NAN, |v| as_secs_f64(v.total))))
}

/// The span of SLO-breaking windows per replication, in seconds (NaN
/// without a window SLO).
pub(super) fn time_to_recover_s(runs: &[RunResult]) -> Estimate {
    est(runs.iter().map(|r| {
        r.violation.as_ref().map_or(f64::NAN, |v| match (v.first, v.last) {
            (Some(a), Some(b)) => as_secs_f64(b - a),
            _ => 0.0,
        })
    }))
}

/// The first fault's recovery time per replication, in seconds (NaN when
/// there is none, or it never recovered).
pub(super) fn rto_s(runs: &[RunResult], fault: usize) -> Estimate {
    est(runs.iter().map(|r| r.faults.get(fault).and_then(|f| f.rto).map_or(f64::NAN, as_secs_f64)))
}

/// The longest recovery-point window at a datastore's failovers, per
/// replication, in ms (NaN where none lost writes).
pub(super) fn rpo_ms(runs: &[RunResult], di: usize) -> Estimate {
    est(runs.iter().map(|r| r.datastores[di].rpo_max.map_or(f64::NAN, |t: Time| t as f64 / MS)))
}
