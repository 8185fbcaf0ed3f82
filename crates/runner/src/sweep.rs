//! Sweeps: every point of an experiment, its replications in parallel, its
//! results written as soon as it finishes.
//!
//! The results directory holds `plan.json` (what the sweep is) and
//! `points/<i>/point.json` (one finished point each, written atomically).
//! Everything else (`summary.json`, `points.csv`, `.hgrm`, time series,
//! plots) is derived from those files by [`finalize`]. That is what makes
//! the outputs the same for any `--jobs`, for `--resume` after a kill, and
//! for `--shard K/N` runs combined by [`merge`]. Which points a shard runs
//! is decided by [`crate::shard`], from the costs recorded in the plan.

mod merge;

pub use merge::{MergeError, merge};

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tailsim_components::analysis::check_stable;
use tailsim_components::model::Model;
use tailsim_components::timeline::traffic_windows;
use tailsim_components::topology::{Topology, topology};
use tailsim_config::{Experiment, Precision};
use tailsim_engine::rng::fnv1a64;
use tailsim_engine::stats::LatencyHistogram;

use crate::RunError;
use crate::execute::{Progress, resolve_warmup, run_replications};
use crate::output::write_atomic;
use crate::point::{HistogramData, PointResult, summarise};
use crate::summary::{SloOutcome, Summary, write_results};

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

/// What a sweep is, as written to `plan.json`. Shards of one sweep have
/// identical plans; `merge` checks that.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub tailsim_version: String,
    pub experiment: Option<String>,
    pub model: String,
    pub seed: u64,
    pub duration_s: f64,
    pub axes: Vec<String>,
    pub slos: Vec<String>,
    /// The metric `latency.svg` plots against, when not the first axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plot_against: Option<String>,
    /// Calibration hook: the experiment's `[[observed]]`, as read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<crate::observed::ObservedPlan>,
    pub points: Vec<PlannedPoint>,
    /// The arguments after `tailsim` that reproduce this directory (see
    /// [`reproducing_command`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// The model's components and calls at the first point; a point whose
    /// model has other ones carries its own.
    #[serde(default)]
    pub topology: Topology,
}

impl Plan {
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

impl Plan {
    /// Whether two plans describe the same sweep: everything but the
    /// command that was typed to start it.
    pub fn same_sweep(&self, other: &Plan) -> bool {
        Plan { command: Vec::new(), ..self.clone() } == Plan { command: Vec::new(), ..other.clone() }
    }

    /// The topology of point `index`.
    pub fn topology_of(&self, index: usize) -> &Topology {
        self.points.iter().find(|p| p.index == index).and_then(|p| p.topology.as_ref()).unwrap_or(&self.topology)
    }
}

/// The `tailsim` arguments that reproduce a sweep or run: the subcommand,
/// the file as it was named (an absolute path is cut to its last folder
/// and file name, so the plan stays the same on every machine) and the
/// command-line overrides (`--set`, `--seed`, `--replications`), in order.
pub fn reproducing_command(experiment: &Experiment, is_experiment: bool) -> Vec<String> {
    let path = &experiment.path;
    let shown = if path.is_absolute() {
        let mut tail: Vec<String> =
            path.iter().rev().take(2).map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>();
        tail.reverse();
        tail.join("/")
    } else {
        path.to_string_lossy().replace('\\', "/")
    };
    let mut argv = vec![if is_experiment { "sweep" } else { "run" }.to_string(), shown];
    for o in experiment.base.iter().filter(|o| o.anchor.is_none()) {
        if let Some((flag, value)) = o.origin.split_once(' ')
            && flag.starts_with("--")
        {
            argv.push(flag.to_string());
            argv.push(value.to_string());
        }
    }
    argv
}

/// A finished point, as written to `points/<i>/point.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    pub fingerprint: String,
    pub result: PointResult,
    pub histogram: HistogramData,
}

/// What to sweep and where.
pub struct SweepRequest<'a> {
    pub experiment: &'a Experiment,
    /// Whether this is a sweep (named experiment) or a single model run.
    pub is_experiment: bool,
    pub out: PathBuf,
    pub shard: Option<Shard>,
    /// Keep finished points found in `out` instead of recomputing them.
    pub resume: bool,
}

/// What a sweep did.
pub struct SweepOutcome {
    pub plan: Plan,
    /// The summary, unless this was one shard of a sweep.
    pub summary: Option<Summary>,
    /// Points computed now, and points kept from an earlier run.
    pub computed: usize,
    pub resumed: usize,
    pub events: u64,
}

struct Prepared {
    model: Model,
    planned: PlannedPoint,
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

/// Loads and checks every point, and computes the plan.
fn prepare(req: &SweepRequest<'_>) -> Result<(Plan, Vec<Prepared>), RunError> {
    let e = req.experiment;
    let mut prepared = Vec::new();
    let mut errors = Vec::new();
    let observed: Vec<crate::observed::ObservedPlan> = e.observed.iter().map(Into::into).collect();
    for p in e.points() {
        match e.model.load_checked(&p.overrides, check_stable) {
            Ok(model) => {
                let mut key = format!("{}|{}|{:?}|{:?}", env!("CARGO_PKG_VERSION"), p.index, model.spec(), e.precision);
                // Calibration hook: observations change what a point records.
                if !observed.is_empty() {
                    key.push_str(&format!("|{observed:?}"));
                }
                let fingerprint = format!("{:016x}", fnv1a64(key.as_bytes()));
                let cost = crate::shard::estimated_cost(&model);
                let topology = Some(topology(model.spec()));
                prepared.push(Prepared {
                    model,
                    planned: PlannedPoint { index: p.index, parameters: p.parameters, fingerprint, cost, topology },
                });
            }
            Err(d) => {
                for mut diag in d.0 {
                    if !p.parameters.is_empty() {
                        let at: Vec<String> = p.parameters.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                        let note = format!("at sweep point #{} ({})", p.index, at.join(", "));
                        diag.help = Some(match diag.help.take() {
                            Some(h) => format!("{h}; {note}"),
                            None => note,
                        });
                    }
                    if !errors.contains(&diag) {
                        errors.push(diag);
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(RunError::Invalid(tailsim_config::Diagnostics(errors)));
    }
    let shared = prepared[0].planned.topology.clone().unwrap_or_default();
    for p in &mut prepared {
        p.planned.topology = p.planned.topology.take().filter(|t| *t != shared);
    }
    let first = prepared[0].model.spec();
    let plan = Plan {
        tailsim_version: env!("CARGO_PKG_VERSION").to_string(),
        experiment: req.is_experiment.then(|| e.name.clone()),
        model: e.model.name(),
        seed: first.sim.seed,
        duration_s: first.sim.duration.as_secs_f64(),
        axes: e.axes.iter().map(|a| a.path.clone()).collect(),
        slos: e.slos.iter().map(|s| s.text.clone()).collect(),
        plot_against: e.plot_against.clone(),
        observed,
        points: prepared.iter().map(|p| p.planned.clone()).collect(),
        command: reproducing_command(e, req.is_experiment),
        topology: shared,
    };
    Ok((plan, prepared))
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

/// Runs one point to completion and returns its record.
fn run_point(
    p: &Prepared,
    precision: Option<&Precision>,
    observed: &[crate::observed::ObservedPlan],
    progress: &dyn Progress,
) -> PointRecord {
    let model = &p.model;
    let seed = model.spec().sim.seed;
    let index = p.planned.index;
    let (warmup, method) = resolve_warmup(model, seed, index);
    let batch = model.spec().sim.replications;
    let mut runs = run_replications(model, seed, index, warmup, 0..batch, progress);
    let (mut result, mut histogram) = summarise(index, p.planned.parameters.clone(), method.name(), &runs);
    if let Some(rule) = precision {
        // Rounds of `batch` more replications until the interval is tight
        // enough: decided on whole rounds, so never on thread timing.
        while !precise_enough(&result, rule) && (runs.len() as u32) < rule.max_replications {
            let start = runs.len() as u32;
            let end = (start + batch).min(rule.max_replications);
            progress.add_work((end - start) as u64);
            runs.extend(run_replications(model, seed, index, warmup, start..end, progress));
            (result, histogram) = summarise(index, p.planned.parameters.clone(), method.name(), &runs);
        }
    }
    result.windows = traffic_windows(model.spec());
    // Calibration hook: the percentiles `[[observed]]` compares.
    result.observed_latency = crate::observed::measure(&runs, observed);
    PointRecord {
        fingerprint: p.planned.fingerprint.clone(),
        result,
        histogram: HistogramData::from_histogram(&histogram),
    }
}

/// Runs (this shard of) a sweep, writing each point as it finishes, and, for
/// a whole sweep, the final results.
pub fn sweep(req: SweepRequest<'_>, progress: &dyn Progress) -> Result<SweepOutcome, RunError> {
    let (plan, prepared) = prepare(&req)?;
    let plan_path = req.out.join("plan.json");
    if req.resume && plan_path.exists() {
        let old: Plan = read_json(&plan_path)?;
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
    let mine: Vec<&Prepared> = prepared
        .iter()
        .enumerate()
        .filter(|(i, _)| match (&owner, split) {
            (Some(owner), Some(s)) => owner[*i] == s.index,
            _ => true,
        })
        .map(|(_, p)| p)
        .collect();
    let todo: Vec<(&Prepared, Option<PointRecord>)> = mine
        .iter()
        .map(|p| {
            let kept = req
                .resume
                .then(|| read_json::<PointRecord>(&point_dir(&req.out, p.planned.index).join("point.json")).ok())
                .flatten()
                .filter(|r| r.fingerprint == p.planned.fingerprint);
            (*p, kept)
        })
        .collect();
    let resumed = todo.iter().filter(|(_, k)| k.is_some()).count();
    progress
        .add_work(todo.iter().filter(|(_, k)| k.is_none()).map(|(p, _)| p.model.spec().sim.replications as u64).sum());

    let precision = req.experiment.precision.as_ref();
    let results: Vec<Result<u64, RunError>> = todo
        .par_iter()
        .map(|(p, kept)| {
            if kept.is_some() {
                progress.point_done();
                return Ok(0);
            }
            let record = run_point(p, precision, &plan.observed, progress);
            write_json(&point_dir(&req.out, p.planned.index).join("point.json"), &record)?;
            progress.point_done();
            Ok(record.result.events)
        })
        .collect();
    let mut events = 0;
    for r in results {
        events += r?;
    }
    let computed = mine.len() - resumed;

    if split.is_some() {
        return Ok(SweepOutcome { plan, summary: None, computed, resumed, events });
    }
    let summary = finalize(&req.out)?;
    Ok(SweepOutcome { plan, summary: Some(summary), computed, resumed, events })
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
pub fn load(dir: &Path) -> Result<(Plan, Summary, Vec<LatencyHistogram>), RunError> {
    let plan: Plan = read_json(&dir.join("plan.json"))?;
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
    let slos = evaluate_slos(&plan, &points);
    let observed = crate::observed::evaluate(&plan.observed, &points);
    let summary = Summary {
        tailsim_version: plan.tailsim_version.clone(),
        model: plan.model.clone(),
        experiment: plan.experiment.clone(),
        seed: plan.seed,
        duration_s: plan.duration_s,
        axes: plan.axes.clone(),
        plot_against: plan.plot_against.clone(),
        slos,
        observed,
        points,
    };
    Ok((plan, summary, histograms))
}

fn evaluate_slos(plan: &Plan, points: &[PointResult]) -> Vec<SloOutcome> {
    plan.slos
        .iter()
        .map(|text| {
            let slo = parse_slo_text(text);
            let mut failed = Vec::new();
            for p in points {
                let value = slo.as_ref().and_then(|(m, _, _)| p.metric(m)).map(|e| e.mean);
                let ok = match (&slo, value) {
                    (Some((_, cmp, threshold)), Some(v)) if v.is_finite() => cmp.holds(v, *threshold),
                    _ => false,
                };
                if !ok {
                    failed.push(p.index);
                }
            }
            SloOutcome { slo: text.clone(), passed: points.len() - failed.len(), failed }
        })
        .collect()
}

/// Re-reads an SLO from the plan (it was checked when the experiment was
/// loaded).
pub(crate) fn parse_slo_text(text: &str) -> Option<(String, tailsim_config::Comparison, f64)> {
    use tailsim_config::Comparison::*;
    for (sym, cmp) in [("<=", LessOrEqual), (">=", GreaterOrEqual), ("<", Less), (">", Greater)] {
        if let Some((m, v)) = text.split_once(sym) {
            return Some((m.trim().to_string(), cmp, v.trim().parse().ok()?));
        }
    }
    None
}
