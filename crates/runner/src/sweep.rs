//! Sweeps: every point of an experiment, its replications in parallel, its
//! results written as soon as it finishes.
//!
//! The results directory holds `plan.json` (what the sweep is) and
//! `points/<i>/point.json` (one finished point each, written atomically);
//! while a point runs, its finished replications are saved beside it
//! ([`saved`]), so `--resume` loses no finished replication either.
//! Everything else (`summary.json`, `points.csv`, `.hgrm`, time series,
//! plots) is derived from those files by [`finalize`]. That is what makes
//! the outputs the same for any `--jobs`, for `--resume` after a kill, and
//! for `--shard K/N` runs combined by [`merge`]. (A replication that the
//! wall-time or memory budget stops is the exception: which one it is
//! depends on the machine and on `--jobs`, and its point is marked stopped.) Which points a shard runs
//! is decided by [`crate::shard`], from the costs recorded in the plan.

mod merge;
mod saved;

pub use crate::record::{PlanRecord, PlannedPoint, PointRecord};
pub use merge::{MergeError, merge};

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tailsim_components::metric::{Precision, Slo};
use tailsim_components::plan::{Plan, PlanPoint};
use tailsim_components::result::RunResult;
use tailsim_components::timeline::traffic_windows;
use tailsim_components::topology::topology;
use tailsim_engine::rng::fnv1a64;
use tailsim_engine::stats::LatencyHistogram;

use crate::RunError;
use crate::execute::{Progress, resolve_warmup, run_listed};
use crate::output::write_atomic;
use crate::output::{hgrm, points_csv, timeseries_csv};
use crate::point::{HistogramData, PointResult, summarise};
use crate::summary::{SloOutcome, Summary};
use saved::{Kept, ReplicationStore};

/// One of `count` slices of a sweep's points: those that
/// [`crate::shard::assign`] gives to shard `index`, balanced by estimated
/// cost.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    /// Parses `K/N`, with 0 <= K < N.
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s.split_once('/').ok_or_else(|| format!("expected K/N such as 0/3, got `{s}`"))?;
        let index: u32 = k.trim().parse().map_err(|_| format!("`{k}` is not a shard index"))?;
        let count: u32 = n.trim().parse().map_err(|_| format!("`{n}` is not a shard count"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= K < N"));
        }
        Ok(Shard { index, count })
    }
}

/// What to sweep and where.
pub struct SweepRequest<'a> {
    pub plan: &'a Plan,
    pub out: PathBuf,
    pub shard: Option<Shard>,
    /// Keep finished points found in `out` instead of recomputing them.
    pub resume: bool,
}

/// What a sweep did.
pub struct SweepOutcome {
    pub plan: PlanRecord,
    /// The summary, unless this was one shard of a sweep.
    pub summary: Option<Summary>,
    /// Points computed now, and points kept from an earlier run.
    pub computed: usize,
    pub resumed: usize,
    /// Replications of unfinished points kept from an earlier run.
    pub replications_kept: u64,
    /// Events handled now (not those of kept points or replications).
    pub events: u64,
}

pub(crate) fn point_dir(out: &Path, index: usize) -> PathBuf {
    out.join("points").join(index.to_string())
}

pub(crate) fn io_error(what: &str, path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::Io(format!("{what} {}: {e}", path.display()))
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, RunError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error("reading", path, e))?;
    serde_json::from_str(&text).map_err(|e| io_error("parsing", path, e))
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| io_error("encoding", path, e))?;
    write_atomic(path, format!("{text}\n").as_bytes()).map_err(|e| io_error("writing", path, e))
}

/// The fingerprint of a point: a hash of everything that determines its
/// results.
fn fingerprint(point: &PlanPoint, plan: &Plan) -> String {
    let mut key = format!(
        "{}|{}|{:?}|{}|{}|{:?}",
        env!("CARGO_PKG_VERSION"),
        point.index,
        point.model.spec(),
        point.seed,
        point.replications,
        plan.precision
    );
    // Observations change what a point records.
    if !plan.observed.is_empty() {
        key.push_str(&format!("|{:?}", plan.observed));
    }
    format!("{:016x}", fnv1a64(key.as_bytes()))
}

/// The record of `plan` that `plan.json` holds.
pub fn record(plan: &Plan) -> PlanRecord {
    let mut points: Vec<PlannedPoint> = plan
        .points
        .iter()
        .map(|p| PlannedPoint {
            index: p.index,
            parameters: p.parameters.clone(),
            fingerprint: fingerprint(p, plan),
            cost: crate::shard::estimated_cost(&p.model, p.replications),
            topology: Some(topology(p.model.spec())),
        })
        .collect();
    let shared = points.first().and_then(|p| p.topology.clone()).unwrap_or_default();
    for p in &mut points {
        p.topology = p.topology.take().filter(|t| *t != shared);
    }
    let (seed, duration_s) =
        plan.points.first().map_or((0, 0.0), |p| (p.seed, p.model.spec().sim.duration.as_secs_f64()));
    PlanRecord {
        tailsim_version: env!("CARGO_PKG_VERSION").to_string(),
        experiment: plan.is_experiment.then(|| plan.name.clone()),
        model: plan.model_name.clone(),
        seed,
        duration_s,
        axes: plan.axes.clone(),
        slos: plan.slos.clone(),
        plot_against: plan.plot_against.clone(),
        observed: plan.observed.clone(),
        points,
        command: plan.command.clone(),
        topology: shared,
    }
}

/// Whether the precision rule is satisfied by these replications.
fn precise_enough(point: &PointResult, rule: &Precision) -> bool {
    match point.metric(&rule.metric) {
        Some(e) => match e.ci95 {
            Some(h) => e.mean.is_finite() && h <= rule.relative_half_width * e.mean.abs(),
            None => false,
        },
        None => true,
    }
}

/// Runs one point of `plan` to completion: its replications in parallel
/// on the current rayon pool, more of them while the precision rule asks.
/// Replications in `kept` are used, not run again; each one run is saved
/// to `store`, when there is one. Returns the point's summary and its
/// merged latency histogram.
pub(crate) fn run_point(
    plan: &Plan,
    point: &PlanPoint,
    progress: &dyn Progress,
    store: Option<&ReplicationStore>,
    mut kept: Kept,
) -> Result<(PointResult, LatencyHistogram), RunError> {
    let model = &point.model;
    let (seed, index, batch) = (point.seed, point.index, point.replications);
    let (warmup, method) = kept.warmup.unwrap_or_else(|| resolve_warmup(model, seed, index));
    let keep = |rep: u32, run: &RunResult| match store {
        Some(s) if saved::worth_saving(run) => s.save(rep, (warmup, method), run),
        _ => Ok(()),
    };
    // Replications `reps`, in order: the kept ones and the rest run now
    // (announced to `progress` as more work when `more`).
    let mut round = |reps: Range<u32>, more: bool| -> Result<Vec<RunResult>, RunError> {
        let missing: Vec<u32> = reps.clone().filter(|r| !kept.runs.contains_key(r)).collect();
        if more {
            progress.add_work(missing.len() as u64);
        }
        let mut fresh = run_listed(model, seed, index, warmup, &missing, progress, &keep)?.into_iter();
        Ok(reps
            .map(|r| kept.runs.remove(&r).unwrap_or_else(|| fresh.next().expect("one run per missing one")))
            .collect())
    };
    let mut runs = round(0..batch, false)?;
    let (mut result, mut histogram) = summarise(index, point.parameters.clone(), method.name(), &runs);
    if let Some(rule) = &plan.precision {
        // Rounds of `batch` more replications until the interval is tight
        // enough: decided on whole rounds, so never on thread timing.
        while !precise_enough(&result, rule) && (runs.len() as u32) < rule.max_replications {
            let start = runs.len() as u32;
            let end = (start + batch).min(rule.max_replications);
            runs.extend(round(start..end, true)?);
            (result, histogram) = summarise(index, point.parameters.clone(), method.name(), &runs);
        }
    }
    result.windows = traffic_windows(model.spec());
    // The percentiles `[[observed]]` compares.
    result.observed_latency = crate::observed::measure(&runs, &plan.observed);
    Ok((result, histogram))
}

/// Runs every point of `plan` in memory, in parallel, and summarises them
/// as `summary.json` would; nothing is written. The results are the same
/// as a sweep of the plan writes.
pub fn evaluate(plan: &Plan, progress: &dyn Progress) -> (Summary, Vec<LatencyHistogram>) {
    let rec = record(plan);
    progress.add_work(plan.points.iter().map(|p| p.replications as u64).sum());
    let done: Vec<(PointResult, LatencyHistogram)> = plan
        .points
        .par_iter()
        .map(|p| {
            let out = run_point(plan, p, progress, None, Kept::default()).expect("nothing is saved");
            progress.point_done();
            out
        })
        .collect();
    let (points, histograms) = done.into_iter().unzip();
    (summary_of(&rec, points), histograms)
}

/// Runs (this shard of) a sweep, writing each point as it finishes, and, for
/// a whole sweep, the final results.
pub fn sweep(req: SweepRequest<'_>, progress: &dyn Progress) -> Result<SweepOutcome, RunError> {
    let source = req.plan;
    let plan = record(source);
    let plan_path = req.out.join("plan.json");
    if req.resume && plan_path.exists() {
        let old: PlanRecord = read_json(&plan_path)?;
        if !old.same_sweep(&plan) {
            return Err(RunError::Io(format!(
                "cannot resume in {}: the experiment or model changed since that run started; \
                 rerun without --resume, or use another --out",
                req.out.display()
            )));
        }
    }
    let split = req.shard.filter(|s| s.count > 1);
    let shard_path = req.out.join("shard.json");
    if req.resume && plan_path.exists() {
        let old: Option<Shard> = if shard_path.exists() { Some(read_json(&shard_path)?) } else { None };
        if old != split {
            let name = |s: Option<Shard>| s.map_or("the whole sweep".to_string(), |s| format!("shard {s}"));
            return Err(RunError::Io(format!(
                "cannot resume in {}: it holds {}, not {}; use the same --shard, or another --out",
                req.out.display(),
                name(old),
                name(split)
            )));
        }
    }
    write_json(&plan_path, &plan)?;
    // Written before any point, so a shard killed part-way still says which
    // shard it is (merge names what an incomplete shard lacks).
    if let Some(shard) = split {
        write_json(&shard_path, &shard)?;
    }

    let owner = split.map(|s| crate::shard::assign(&plan.costs(), s.count));
    let mine: Vec<(&PlanPoint, &PlannedPoint)> = source
        .points
        .iter()
        .zip(&plan.points)
        .enumerate()
        .filter(|(i, _)| match (&owner, split) {
            (Some(owner), Some(s)) => owner[*i] == s.index,
            _ => true,
        })
        .map(|(_, p)| p)
        .collect();
    if req.resume {
        saved::remove_stale_temporaries(&req.out, mine.iter().map(|(p, _)| p.index))?;
    }
    // What an earlier run left of each point: the whole point, or some of
    // its replications.
    let todo: Vec<(&PlanPoint, &PlannedPoint, Option<PointRecord>, Kept)> = mine
        .iter()
        .map(|&(p, planned)| {
            let store = ReplicationStore::new(&req.out, p.index, &planned.fingerprint);
            let whole = req
                .resume
                .then(|| read_json::<PointRecord>(&point_dir(&req.out, p.index).join("point.json")).ok())
                .flatten()
                .filter(|r| r.fingerprint == planned.fingerprint);
            let kept = if req.resume && whole.is_none() { store.load() } else { Kept::default() };
            (p, planned, whole, kept)
        })
        .collect();
    let resumed = todo.iter().filter(|(_, _, whole, _)| whole.is_some()).count();
    let replications_kept = todo.iter().map(|(_, _, _, kept)| kept.runs.len() as u64).sum();
    progress.add_work(
        todo.iter()
            .filter(|(_, _, whole, _)| whole.is_none())
            .map(|(p, _, _, kept)| p.replications as u64 - kept.count_in(0..p.replications))
            .sum(),
    );

    let results: Vec<Result<u64, RunError>> = todo
        .into_par_iter()
        .map(|(p, planned, whole, kept)| {
            let store = ReplicationStore::new(&req.out, p.index, &planned.fingerprint);
            if whole.is_some() {
                // Replications a kill left between the point and clearing them.
                store.clear()?;
                progress.point_done();
                return Ok(0);
            }
            let events_kept: u64 = kept.runs.values().map(|r| r.events).sum();
            let (result, histogram) = run_point(source, p, progress, Some(&store), kept)?;
            let record = PointRecord {
                fingerprint: planned.fingerprint.clone(),
                result,
                histogram: HistogramData::from_histogram(&histogram),
            };
            write_json(&point_dir(&req.out, p.index).join("point.json"), &record)?;
            store.clear()?;
            progress.point_done();
            Ok(record.result.events.saturating_sub(events_kept))
        })
        .collect();
    let mut events = 0;
    for r in results {
        events += r?;
    }
    let computed = mine.len() - resumed;

    if split.is_some() {
        return Ok(SweepOutcome { plan, summary: None, computed, resumed, replications_kept, events });
    }
    let summary = finalize(&req.out)?;
    Ok(SweepOutcome { plan, summary: Some(summary), computed, resumed, replications_kept, events })
}

/// Reads `plan.json` and every point of a results directory, then writes
/// the summary, tables, histograms, plots and `report.html`.
pub fn finalize(dir: &Path) -> Result<Summary, RunError> {
    let (plan, summary, histograms) = load(dir)?;
    write_results(dir, &summary, &histograms).map_err(|e| io_error("writing results to", dir, e))?;
    crate::report::write_report(dir, &plan, &summary, &histograms).map_err(|e| io_error("writing", dir, e))?;
    Ok(summary)
}

/// Rebuilds the summary and histograms from a results directory.
pub fn load_results(dir: &Path) -> Result<(Summary, Vec<LatencyHistogram>), RunError> {
    load(dir).map(|(_, summary, histograms)| (summary, histograms))
}

/// Reads a results directory: its plan, the summary and the histograms.
pub fn load(dir: &Path) -> Result<(PlanRecord, Summary, Vec<LatencyHistogram>), RunError> {
    let plan: PlanRecord = read_json(&dir.join("plan.json"))?;
    let mut points = Vec::with_capacity(plan.points.len());
    let mut histograms = Vec::with_capacity(plan.points.len());
    for p in &plan.points {
        let path = point_dir(dir, p.index).join("point.json");
        if !path.exists() {
            return Err(RunError::Io(format!(
                "{} is missing point {} ({}); finish the sweep with --resume, or merge the other shards",
                dir.display(),
                p.index,
                path.display()
            )));
        }
        let record: PointRecord = read_json(&path)?;
        if record.fingerprint != p.fingerprint {
            return Err(RunError::Io(format!("{} belongs to a different experiment", path.display())));
        }
        histograms.push(record.histogram.to_histogram());
        points.push(record.result);
    }
    let summary = summary_of(&plan, points);
    Ok((plan, summary, histograms))
}

/// The summary of a plan's points: the points, each SLO's verdicts and
/// each observation's.
fn summary_of(plan: &PlanRecord, points: Vec<PointResult>) -> Summary {
    Summary {
        tailsim_version: plan.tailsim_version.clone(),
        model: plan.model.clone(),
        experiment: plan.experiment.clone(),
        seed: plan.seed,
        duration_s: plan.duration_s,
        axes: plan.axes.clone(),
        plot_against: plan.plot_against.clone(),
        slos: evaluate_slos(&plan.slos, &points),
        observed: crate::observed::evaluate(&plan.observed, &points),
        points,
    }
}

/// Each SLO, judged on every point's estimate (its mean).
fn evaluate_slos(slos: &[Slo], points: &[PointResult]) -> Vec<SloOutcome> {
    slos.iter()
        .map(|slo| {
            let failed: Vec<usize> = points
                .iter()
                .filter(|p| {
                    let value = p.metric(&slo.metric).map(|e| e.mean);
                    !value.is_some_and(|v| v.is_finite() && slo.comparison.holds(v, slo.threshold))
                })
                .map(|p| p.index)
                .collect();
            SloOutcome { slo: slo.to_string(), rule: slo.clone(), passed: points.len() - failed.len(), failed }
        })
        .collect()
}

/// Writes every result file for `summary` into `dir`. `histograms[i]` is
/// point i's merged latency histogram.
fn write_results(dir: &Path, summary: &Summary, histograms: &[LatencyHistogram]) -> io::Result<()> {
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
