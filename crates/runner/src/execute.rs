//! Runs replications in parallel, with seeds that depend only on the
//! experiment seed and the (point, replication) indices, never on which
//! thread ran what. Results are collected in index order, so the output is
//! the same for any number of threads.

use std::ops::ControlFlow;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tailsim_components::analysis::budget_cause;
use tailsim_components::model::Model;
use tailsim_components::result::RunResult;
use tailsim_components::sim::Simulation;
use tailsim_components::spec::Bytes;
use tailsim_engine::StopReason;
use tailsim_engine::rng::derive_seed;
use tailsim_engine::time::{Time, as_secs_f64};

use crate::RunError;
use crate::warmup::mser5;

/// Reports progress; implemented by the CLI's progress bar. Work is
/// counted in replications, and a running replication reports its
/// progress in thousandths of its simulated duration.
pub trait Progress: Sync {
    /// More replications are planned (a precision rule asked for them).
    fn add_work(&self, _replications: u64) {}
    /// A running replication advanced by `thousandths` of its duration
    /// and handled `events` more events. The thousandths of one
    /// replication add up to 1000 by the time it finishes.
    fn advanced(&self, _thousandths: u64, _events: u64) {}
    /// One replication finished.
    fn replication_done(&self) {}
    /// A point finished (or was found finished when resuming).
    fn point_done(&self) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}

/// Events between two checkpoints of a running replication (a progress
/// report and the wall-time budget): often enough that a model whose
/// events are slow (a scan over a million consumers, say) still meets its
/// budget on time, rarely enough to cost nothing measurable.
const REPORT_EVERY: u64 = 1 << 12;

/// How the memory budget is measured: a reading of the bytes the process
/// has allocated, and the budget to use when the model sets none. The
/// binary sets it (it counts allocations); without it, memory is not
/// watched.
#[derive(Copy, Clone)]
pub struct MemoryGauge {
    pub in_use: fn() -> u64,
    pub default_budget: u64,
}

static MEMORY: OnceLock<MemoryGauge> = OnceLock::new();

/// Watches memory with `gauge` from now on (the first call wins).
pub fn watch_memory(gauge: MemoryGauge) {
    let _ = MEMORY.set(gauge);
}

/// Which budget stopped a replication from its checkpoint.
enum Halt {
    Wall,
    Memory(u64),
}

/// Runs one replication of `model`, reporting its progress and stopping
/// it at the wall-time and memory budgets (`sim.max_wall`,
/// `sim.max_memory`). A replication stopped by a budget says so in
/// `runaway`: which budget, when, and the likely cause.
fn run_one(model: &Model, sim: Simulation, progress: &dyn Progress) -> RunResult {
    let spec = &model.spec().sim;
    let duration = spec.duration.0.max(1) as u128;
    let (started, max_wall) = (Instant::now(), Duration::from_nanos(spec.max_wall.0));
    let memory = MEMORY.get().map(|g| (g.in_use, spec.max_memory.map_or(g.default_budget, |b| b.0)));
    let (mut shown, mut events, mut halt) = (0u64, 0u64, None);
    let mut result = sim.run_reporting(REPORT_EVERY, &mut |now| {
        let reached = ((now as u128 * 1000 / duration) as u64).min(1000);
        progress.advanced(reached - shown.min(reached), REPORT_EVERY);
        shown = shown.max(reached);
        events += REPORT_EVERY;
        if started.elapsed() >= max_wall {
            halt = Some(Halt::Wall);
        } else if let Some((in_use, budget)) = memory
            && in_use() > budget
        {
            halt = Some(Halt::Memory(budget));
        }
        if halt.is_some() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    progress.advanced(1000 - shown, result.events.saturating_sub(events));
    progress.replication_done();
    let budget = match (result.stop, halt) {
        (StopReason::EventBudget, _) if result.end < spec.duration.0 => {
            Some(format!("the event budget (`sim.max_events` = {}) is spent", result.events))
        }
        (StopReason::Halted, Some(Halt::Wall)) => Some(format!(
            "the wall-time budget (`sim.max_wall` = {}) is spent, after {} events",
            spec.max_wall, result.events
        )),
        (StopReason::Halted, Some(Halt::Memory(budget))) => Some(format!(
            "the memory budget (`sim.max_memory` = {}, for every replication running at once) is spent, after {} \
             events",
            Bytes(budget),
            result.events
        )),
        _ => None,
    };
    if let Some(budget) = budget.filter(|_| result.runaway.is_none()) {
        result.runaway = Some(format!(
            "stopped at t = {:.3} s of {}: {budget}; {}",
            as_secs_f64(result.end),
            spec.duration,
            budget_cause(model)
        ));
    }
    result
}

/// The seed of replication `rep` of point `point`.
pub fn replication_seed(seed: u64, point: usize, rep: u32) -> u64 {
    derive_seed(seed, &[point as u64, rep as u64])
}

/// How the warm-up of a point was chosen.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmupMethod {
    Fixed,
    Mser5,
}

impl WarmupMethod {
    pub fn name(self) -> &'static str {
        match self {
            WarmupMethod::Fixed => "fixed",
            WarmupMethod::Mser5 => "mser5",
        }
    }
}

/// The warm-up for a point: the model's fixed value, or MSER-5 applied to a
/// pilot replication with its own seed.
pub fn resolve_warmup(model: &Model, seed: u64, point: usize) -> (Time, WarmupMethod) {
    let sim = &model.spec().sim;
    if let Some(w) = sim.fixed_warmup() {
        return (w.0, WarmupMethod::Fixed);
    }
    let pilot_seed = derive_seed(seed, &[point as u64, u64::MAX]);
    // Under the same budgets as every replication.
    let pilot = run_one(model, Simulation::new(model, pilot_seed).with_warmup(0), &Silent);
    let mut last = f64::NAN;
    let obs: Vec<f64> = pilot
        .series
        .iter()
        .map(|w| {
            if let Some(m) = w.mean {
                last = m;
            }
            last
        })
        .filter(|v| v.is_finite())
        .collect();
    let skipped = pilot.series.len() - obs.len();
    let windows = mser5(&obs) + skipped;
    let warmup = (windows as u64).saturating_mul(pilot.window).min(sim.duration.0 / 2);
    (warmup, WarmupMethod::Mser5)
}

/// Runs replications `reps` of one point, in parallel on the current rayon
/// pool, and returns them in replication order.
pub fn run_replications(
    model: &Model,
    seed: u64,
    point: usize,
    warmup: Time,
    reps: std::ops::Range<u32>,
    progress: &dyn Progress,
) -> Vec<RunResult> {
    let listed: Vec<u32> = reps.collect();
    run_listed(model, seed, point, warmup, &listed, progress, &|_, _| Ok(())).expect("keeping nothing cannot fail")
}

/// Runs the replications listed in `reps` of one point, in parallel, and
/// hands each to `keep` as it finishes (a sweep saves it there). Returns
/// them in the order listed, or the first error `keep` gave.
pub(crate) fn run_listed(
    model: &Model,
    seed: u64,
    point: usize,
    warmup: Time,
    reps: &[u32],
    progress: &dyn Progress,
    keep: &(dyn Fn(u32, &RunResult) -> Result<(), RunError> + Sync),
) -> Result<Vec<RunResult>, RunError> {
    reps.par_iter()
        .map(|&rep| {
            let sim = Simulation::new(model, replication_seed(seed, point, rep)).with_warmup(warmup);
            let result = run_one(model, sim, progress);
            keep(rep, &result)?;
            Ok(result)
        })
        .collect()
}
