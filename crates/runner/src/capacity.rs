//! Capacity search: the smallest value of one model parameter (replicas,
//! workers) that meets every SLO of an experiment, or the largest (the
//! highest load a fixed configuration sustains: its knee).
//!
//! The search is a bisection that assumes the SLOs are monotone in the
//! parameter. Each probe runs the experiment's replications, with the same
//! seeds at every value (common random numbers make neighbouring values
//! comparable), and judges each SLO on its 95% interval: met when the whole
//! interval is on the right side of the threshold, missed when it is wholly
//! on the wrong side. When an interval straddles the threshold, the probe
//! runs more replications (up to four times as many); if it still
//! straddles, the value is too close to call, counts as not meeting the
//! SLOs, and is reported as such.

use tailsim_components::analysis::check_stable;
use tailsim_components::metric::{Comparison, Slo};
use tailsim_components::model::Model;

use crate::RunError;
use crate::execute::{Progress, resolve_warmup, run_replications};
use crate::point::{PointResult, summarise};
use crate::stats::Estimate;

/// What to search.
pub struct CapacityRequest<'a> {
    /// What every probe must meet.
    pub slos: &'a [Slo],
    /// The parameter varied, such as `service.api.replicas` (a label: the
    /// model at each value comes from the search's `model_at`).
    pub path: String,
    pub from: f64,
    pub to: f64,
    /// Search for the largest value that meets the SLOs (a load) rather
    /// than the smallest (a resource).
    pub largest: bool,
    /// Whole numbers only.
    pub integer: bool,
    /// Continuous search: stop when the bracket is this narrow, relative.
    pub precision: f64,
    /// Replications per probe (more while a verdict is too close); the
    /// model's `sim.replications` when absent.
    pub replications: Option<u32>,
}

/// Makes the model at one value of the parameter.
pub type ModelAt<'a> = dyn Fn(f64) -> Result<Model, RunError> + 'a;

/// How one probe went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    TooClose,
    /// The model is unstable at this value (an unbounded queue would grow
    /// without end): it cannot meet any SLO.
    Unstable,
}

/// One evaluated value.
#[derive(Clone, Debug)]
pub struct Probe {
    pub value: f64,
    pub replications: u32,
    pub verdict: Verdict,
    /// Each SLO as written, with its estimate and whether it was met.
    pub slos: Vec<(String, Estimate, Verdict)>,
}

#[derive(Clone, Debug)]
pub struct CapacityOutcome {
    pub probes: Vec<Probe>,
    /// The smallest (largest) value that surely meets every SLO, if any.
    pub answer: Option<f64>,
}

impl CapacityRequest<'_> {
    /// A value as the search shows it (and as `--set` takes it).
    pub fn format(&self, v: f64) -> String {
        if self.integer { format!("{}", v.round() as i64) } else { format!("{v}") }
    }
}

/// Judges one SLO on its interval.
fn judge(e: &Estimate, comparison: Comparison, threshold: f64) -> Verdict {
    if !e.mean.is_finite() {
        return Verdict::Missed;
    }
    let h = e.ci95.unwrap_or(0.0);
    let (low, high) = (e.mean - h, e.mean + h);
    let (surely, surely_not) = match comparison {
        Comparison::Less | Comparison::LessOrEqual => {
            (comparison.holds(high, threshold), !comparison.holds(low, threshold))
        }
        Comparison::Greater | Comparison::GreaterOrEqual => {
            (comparison.holds(low, threshold), !comparison.holds(high, threshold))
        }
    };
    if surely {
        Verdict::Met
    } else if surely_not {
        Verdict::Missed
    } else {
        Verdict::TooClose
    }
}

fn overall(slos: &[(String, Estimate, Verdict)]) -> Verdict {
    if slos.iter().any(|s| s.2 == Verdict::Missed) {
        Verdict::Missed
    } else if slos.iter().all(|s| s.2 == Verdict::Met) {
        Verdict::Met
    } else {
        Verdict::TooClose
    }
}

/// Runs the model at `value`, replicating more while a verdict is too
/// close.
fn probe(
    req: &CapacityRequest<'_>,
    model_at: &ModelAt<'_>,
    value: f64,
    progress: &dyn Progress,
) -> Result<Probe, RunError> {
    let model = model_at(value)?;
    if check_stable(&model).is_err() {
        return Ok(Probe { value, replications: 0, verdict: Verdict::Unstable, slos: Vec::new() });
    }
    let seed = model.spec().sim.seed;
    let (warmup, method) = resolve_warmup(&model, seed, 0);
    let batch = req.replications.unwrap_or(model.spec().sim.replications).max(2);
    let mut runs = Vec::new();
    let mut result: PointResult;
    loop {
        let start = runs.len() as u32;
        progress.add_work(batch as u64);
        runs.extend(run_replications(&model, seed, 0, warmup, start..start + batch, progress));
        (result, _) = summarise(0, vec![(req.path.clone(), req.format(value))], method.name(), &runs);
        let slos: Vec<(String, Estimate, Verdict)> = req
            .slos
            .iter()
            .map(|s| {
                let est = result.metric(&s.metric).unwrap_or(Estimate::from_samples(&[]));
                (s.to_string(), est, judge(&est, s.comparison, s.threshold))
            })
            .collect();
        let verdict = overall(&slos);
        if verdict != Verdict::TooClose || runs.len() as u32 >= 4 * batch {
            return Ok(Probe { value, replications: runs.len() as u32, verdict, slos });
        }
    }
}

/// Bisects for the boundary between values that meet the SLOs and values
/// that do not; `model_at` gives the model at each value probed.
pub fn search(
    req: &CapacityRequest<'_>,
    model_at: &ModelAt<'_>,
    progress: &dyn Progress,
) -> Result<CapacityOutcome, RunError> {
    if req.slos.is_empty() {
        return Err(RunError::Io(
            "the experiment states no SLOs (`slo = [\"p99_ms < 200\"]`) to search against".into(),
        ));
    }
    let mut probes = Vec::new();
    let run = |v: f64, probes: &mut Vec<Probe>| -> Result<bool, RunError> {
        let p = probe(req, model_at, v, progress)?;
        let met = p.verdict == Verdict::Met;
        probes.push(p);
        Ok(met)
    };
    // `good` meets the SLOs, `bad` does not; the answer lies between.
    let (mut good, mut bad) = if req.largest { (req.from, req.to) } else { (req.to, req.from) };
    if !run(good, &mut probes)? {
        return Ok(CapacityOutcome { probes, answer: None });
    }
    if run(bad, &mut probes)? {
        return Ok(CapacityOutcome { probes, answer: Some(bad) });
    }
    loop {
        let gap = (good - bad).abs();
        let done = if req.integer { gap <= 1.0 } else { gap <= req.precision * good.abs().max(bad.abs()) };
        if done {
            break;
        }
        let mid = if req.integer { ((good + bad) / 2.0).floor() } else { (good + bad) / 2.0 };
        if run(mid, &mut probes)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(CapacityOutcome { probes, answer: Some(good) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(mean: f64, h: f64) -> Estimate {
        Estimate { mean, ci95: Some(h), n: 5 }
    }

    #[test]
    fn an_interval_straddling_the_threshold_is_too_close() {
        assert_eq!(judge(&est(180.0, 10.0), Comparison::Less, 200.0), Verdict::Met);
        assert_eq!(judge(&est(220.0, 10.0), Comparison::Less, 200.0), Verdict::Missed);
        assert_eq!(judge(&est(195.0, 10.0), Comparison::Less, 200.0), Verdict::TooClose);
        assert_eq!(judge(&est(0.95, 0.01), Comparison::Greater, 0.9), Verdict::Met);
        assert_eq!(judge(&est(f64::NAN, 0.0), Comparison::Less, 1.0), Verdict::Missed);
    }
}
