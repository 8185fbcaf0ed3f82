//! The results directory: `summary.json`, `points.csv`, and per point a
//! `.hgrm` percentile file and a `timeseries.csv`.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tailsim_components::metric::{Metric, Slo};
use tailsim_engine::stats::LatencyHistogram;

use crate::output::{hgrm, points_csv, timeseries_csv, write_atomic};
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

/// Writes every result file for `summary` into `dir`. `histograms[i]` is
/// point i's merged latency histogram.
pub fn write_results(dir: &Path, summary: &Summary, histograms: &[LatencyHistogram]) -> io::Result<()> {
    let json = serde_json::to_string_pretty(summary).map_err(io::Error::other)?;
    write_atomic(&dir.join("summary.json"), format!("{json}\n").as_bytes())?;
    write_atomic(&dir.join("points.csv"), points_csv(&summary.axes, &summary.points).as_bytes())?;
    for (p, h) in summary.points.iter().zip(histograms) {
        let pdir = dir.join("points").join(p.index.to_string());
        write_atomic(&pdir.join("latency.hgrm"), hgrm(h).as_bytes())?;
        write_atomic(
            &pdir.join("timeseries.csv"),
            timeseries_csv(&p.series, &p.fleet_names, &p.backlog_names).as_bytes(),
        )?;
    }
    crate::plot::write_plots(dir, summary, histograms)
}
