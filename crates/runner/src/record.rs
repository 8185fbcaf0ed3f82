//! What a results directory records: `plan.json` (the plan a sweep ran,
//! less its models) and `points/<i>/point.json` (one finished point each).
//! Every other result file is derived from these.

use serde::{Deserialize, Serialize};
use tailsim_components::metric::{Metric, Slo};
use tailsim_components::plan::Observation;
use tailsim_components::topology::Topology;

use crate::point::{HistogramData, PointResult};

/// What a sweep is, as written to `plan.json`: the [`Plan`](tailsim_components::plan::Plan) it ran, less
/// the models (each point's fingerprint stands for its model). Shards of
/// one sweep have identical records; `merge` checks that.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub tailsim_version: String,
    pub experiment: Option<String>,
    pub model: String,
    pub seed: u64,
    pub duration_s: f64,
    pub axes: Vec<String>,
    pub slos: Vec<Slo>,
    /// The metric `latency.svg` plots against, when not the first axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plot_against: Option<Metric>,
    /// The experiment's `[[observed]]`, as read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<Observation>,
    pub points: Vec<PlannedPoint>,
    /// The arguments after `tailsim` that reproduce this directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// The model's components and calls at the first point; a point whose
    /// model has other ones carries its own.
    #[serde(default)]
    pub topology: Topology,
}

impl PlanRecord {
    /// Each point's estimated cost, in index order.
    pub fn costs(&self) -> Vec<u64> {
        self.points.iter().map(|p| p.cost).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedPoint {
    pub index: usize,
    pub parameters: Vec<(String, String)>,
    /// Hash of everything that determines the point's results.
    pub fingerprint: String,
    /// The point's estimated cost in simulation events
    /// ([`crate::shard::estimated_cost`]); shards are balanced by it.
    #[serde(default)]
    pub cost: u64,
    /// The topology at this point, where it differs from the plan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<Topology>,
}

impl PlanRecord {
    /// Whether two plans describe the same sweep: everything but the
    /// command that was typed to start it.
    pub fn same_sweep(&self, other: &PlanRecord) -> bool {
        PlanRecord { command: Vec::new(), ..self.clone() } == PlanRecord { command: Vec::new(), ..other.clone() }
    }

    /// The topology of point `index`.
    pub fn topology_of(&self, index: usize) -> &Topology {
        self.points.iter().find(|p| p.index == index).and_then(|p| p.topology.as_ref()).unwrap_or(&self.topology)
    }
}

/// A finished point, as written to `points/<i>/point.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    pub fingerprint: String,
    pub result: PointResult,
    pub histogram: HistogramData,
}
