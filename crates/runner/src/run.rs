//! `tailsim run`: one model, its replications, its results directory.

use std::path::PathBuf;

use tailsim_components::analysis::check_stable;
use tailsim_config::{ModelFile, Override};

use crate::RunError;
use crate::execute::{Progress, resolve_warmup, run_replications};
use crate::point::summarise;
use crate::summary::{Summary, write_results};
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
        overrides.push(Override::new(
            "sim.seed",
            seed.to_string(),
            format!("--seed {seed}"),
        ));
    }
    if let Some(r) = req.replications {
        overrides.push(Override::new(
            "sim.replications",
            r.to_string(),
            format!("--replications {r}"),
        ));
    }
    let spec = req.model.load_checked(&overrides, check_stable)?;
    let seed = spec.sim.seed;
    let (warmup, method) = resolve_warmup(&spec, seed, 0);
    let runs = run_replications(&spec, seed, 0, warmup, 0..spec.sim.replications, progress);
    let (point, histogram) = summarise(0, Vec::new(), method.name(), &runs);
    if let Some(msg) = &point.runaway {
        return Err(RunError::Runaway(msg.clone()));
    }
    let summary = Summary {
        tailsim_version: env!("CARGO_PKG_VERSION").to_string(),
        model: req.model.name(),
        experiment: None,
        seed,
        duration_s: spec.sim.duration.as_secs_f64(),
        axes: Vec::new(),
        points: vec![point],
    };
    let out = req
        .out
        .unwrap_or_else(|| PathBuf::from("results").join(req.model.name()));
    write_results(&out, &summary, std::slice::from_ref(&histogram))
        .map_err(|e| RunError::Io(format!("writing results to {}: {e}", out.display())))?;
    let table = point_table(&summary, &summary.points[0]);
    let events = summary.points[0].events;
    Ok(RunReport {
        summary,
        out,
        table,
        events,
    })
}
