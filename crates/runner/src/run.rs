//! `tailsim run`: one model as a one-point sweep, its replications, its
//! results directory.

use std::path::PathBuf;

use tailsim_components::plan::Plan;

use crate::RunError;
use crate::execute::Progress;
use crate::summary::Summary;
use crate::sweep::{SweepRequest, sweep};
use crate::table::point_table;

/// What to run.
pub struct RunRequest<'a> {
    /// A plan of one point ([`Plan::single`]).
    pub plan: &'a Plan,
    /// Where results go; `results/<model name>` when absent.
    pub out: Option<PathBuf>,
    /// Keep what an interrupted run of the same model left in `out`.
    pub resume: bool,
}

/// What a run produced.
pub struct RunReport {
    pub summary: Summary,
    pub out: PathBuf,
    /// The human table.
    pub table: String,
    /// Events handled over all replications (those run now).
    pub events: u64,
    /// Replications kept from an interrupted run, and whether the whole
    /// point was.
    pub replications_kept: u64,
    pub point_kept: bool,
}

/// Runs every replication of a one-point plan on the current rayon pool
/// and writes its results directory.
pub fn run_model(req: RunRequest<'_>, progress: &dyn Progress) -> Result<RunReport, RunError> {
    let out = req.out.unwrap_or_else(|| PathBuf::from("results").join(&req.plan.model_name));
    let outcome = sweep(SweepRequest { plan: req.plan, out: out.clone(), shard: None, resume: req.resume }, progress)?;
    let summary = outcome.summary.expect("an unsharded sweep has a summary");
    if let Some(msg) = &summary.points[0].runaway {
        return Err(RunError::Runaway(msg.clone()));
    }
    let table = point_table(&summary, &summary.points[0]);
    Ok(RunReport {
        events: outcome.events,
        replications_kept: outcome.replications_kept,
        point_kept: outcome.resumed > 0,
        summary,
        out,
        table,
    })
}
