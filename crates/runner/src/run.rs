//! `tailsim run`: one model as a one-point sweep, its replications, its
//! results directory.

use std::path::PathBuf;

use tailsim_config::{Experiment, ModelFile, Override};

use crate::RunError;
use crate::execute::Progress;
use crate::summary::Summary;
use crate::sweep::{SweepRequest, sweep};
use crate::table::point_table;

/// What to run.
pub struct RunRequest<'a> {
    pub model: &'a ModelFile,
    pub overrides: Vec<Override>,
    /// Replaces `sim.seed`.
    pub seed: Option<u64>,
    /// Replaces `sim.replications`.
    pub replications: Option<u32>,
    /// Where results go; `results/<model name>` when absent.
    pub out: Option<PathBuf>,
}

/// What a run produced.
pub struct RunReport {
    pub summary: Summary,
    pub out: PathBuf,
    /// The human table.
    pub table: String,
    /// Events handled over all replications.
    pub events: u64,
}

/// Runs every replication of a model on the current rayon pool and writes
/// its results directory.
pub fn run_model(req: RunRequest<'_>, progress: &dyn Progress) -> Result<RunReport, RunError> {
    let mut overrides = req.overrides.clone();
    if let Some(seed) = req.seed {
        overrides.push(Override::new("sim.seed", seed.to_string(), format!("--seed {seed}")));
    }
    if let Some(r) = req.replications {
        overrides.push(Override::new("sim.replications", r.to_string(), format!("--replications {r}")));
    }
    let experiment = Experiment::from_model(req.model.clone(), overrides);
    let out = req.out.unwrap_or_else(|| PathBuf::from("results").join(req.model.name()));
    let outcome = sweep(
        SweepRequest { experiment: &experiment, is_experiment: false, out: out.clone(), shard: None, resume: false },
        progress,
    )?;
    let summary = outcome.summary.expect("an unsharded sweep has a summary");
    if let Some(msg) = &summary.points[0].runaway {
        return Err(RunError::Runaway(msg.clone()));
    }
    let table = point_table(&summary, &summary.points[0]);
    Ok(RunReport { events: outcome.events, summary, out, table })
}
