//! The results directory: `summary.json`, `points.csv`, and per point a
//! `.hgrm` percentile file and a `timeseries.csv`.

use serde::{Deserialize, Serialize};
use tailsim_components::metric::{Metric, Slo};

use crate::point::PointResult;

/// Everything a run or sweep produced, as written to `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub tailsim_version: String,
    /// The model's name (its file stem).
    pub model: String,
    /// The experiment's name, for sweeps.
    pub experiment: Option<String>,
    pub seed: u64,
    pub duration_s: f64,
    /// Swept parameter paths, in axis order.
    pub axes: Vec<String>,
    /// The metric `latency.svg` plots against, when not the first axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plot_against: Option<Metric>,
    /// Each SLO and the points that failed it.
    pub slos: Vec<SloOutcome>,
    /// Calibration hook: each `[[observed]]` and how the points fared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<crate::observed::ObservedOutcome>,
    pub points: Vec<PointResult>,
}

impl Summary {
    /// Whether an observation marked `fail_sweep` was missed.
    pub fn observations_failed(&self) -> bool {
        self.observed.iter().any(|o| o.fail_sweep && !o.failed.is_empty())
    }
}

/// How the points fared against one SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloOutcome {
    /// The SLO as text, such as `p99_ms < 200`.
    pub slo: String,
    /// The same, as data: `metric`, `comparison` and `threshold`.
    #[serde(flatten)]
    pub rule: Slo,
    pub passed: usize,
    /// Indices of the points that failed it.
    pub failed: Vec<usize>,
}
