//! `tailsim validate`: the reference cases that show the simulator agrees
//! with queueing and caching theory, each judged against a confidence
//! interval from independent replications.
//!
//! Every check compares a theory value with the mean of one statistic over
//! replications. The table shows the 99% Student-t interval of that mean.
//! Because the suite makes many checks at once, a check passes when the
//! theory lies within the interval widened for the whole family
//! (Bonferroni: each at 1 - 0.01/k for k checks), so that a correct
//! simulator fails any check of a full run with probability at most 1%.
//! Where the theory is an approximation or a limit, the check states its
//! margin and why.

use std::fmt::Write as _;

use std::sync::RwLock;

use tailsim_components::model::Model;
use tailsim_components::result::RunResult;

use crate::execute::{Silent, resolve_warmup, run_replications};
use crate::stats::Estimate;

mod cases;
pub mod theory;

/// How a check decides.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// The theory is exact for the model: it must lie in the interval.
    Exact,
    /// The theory is an approximation: the mean may also differ from it by
    /// `margin` (relative), for `reason`.
    Approximate { margin: f64, reason: &'static str },
    /// The theory is a limit that finite systems approach from above: the
    /// mean may not be below it (beyond the interval), and may be above it
    /// by `margin` (relative), for `reason`.
    LimitFromAbove { margin: f64, reason: &'static str },
    /// The theory is a bound that finite systems approach from below: the
    /// mean may not be above it (beyond the interval), and may be below it
    /// by `margin` (relative), for `reason`.
    LimitFromBelow { margin: f64, reason: &'static str },
    /// No theory value: `holds` says whether the stated property holds.
    Property { holds: bool },
}

/// One comparison: a theory value and the per-replication samples of the
/// simulated statistic.
#[derive(Clone, Debug)]
pub struct Check {
    pub case: String,
    pub quantity: String,
    pub theory: f64,
    pub samples: Vec<f64>,
    pub rule: Rule,
}

/// A judged check.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub case: String,
    pub quantity: String,
    pub theory: f64,
    pub mean: f64,
    /// The 99% half-width, and the family-wide one used to judge.
    pub ci99: f64,
    pub ci_family: f64,
    pub replications: usize,
    pub pass: bool,
    pub note: String,
}

/// Makes a resolved model from TOML text and `--set`-style overrides: the
/// reference cases are written the way users write models, and the
/// binary passes the config layer's loader (this crate reads no model
/// format itself).
pub type Loader = fn(text: &str, overrides: &[&str]) -> Result<Model, String>;

/// What to run.
pub struct Options {
    /// The fast subset the test suite runs.
    pub quick: bool,
    /// The shipped models, by name, for Little's law on every node.
    pub models: Vec<(String, Model)>,
    pub load: Loader,
}

/// The loader of the suite being run (cases build their models with it).
static LOADER: RwLock<Option<Loader>> = RwLock::new(None);

/// Runs the suite and judges every check.
pub fn run(options: &Options, progress: &dyn Fn(&str)) -> Vec<Verdict> {
    *LOADER.write().unwrap_or_else(|p| p.into_inner()) = Some(options.load);
    let mut checks = Vec::new();
    for case in cases::all() {
        if options.quick && !case.quick {
            continue;
        }
        progress(case.name);
        checks.extend((case.run)(options.quick));
    }
    progress("Little's law on the shipped models");
    checks.extend(littles_law(&options.models, options.quick));
    judge(checks)
}

/// Judges checks as one family.
pub fn judge(checks: Vec<Check>) -> Vec<Verdict> {
    let k = checks.iter().filter(|c| !matches!(c.rule, Rule::Property { .. })).count().max(1);
    let family = 1.0 - 0.01 / k as f64;
    checks
        .into_iter()
        .map(|c| {
            let (mean, ci99) = Estimate::interval(&c.samples, 0.99);
            let (_, wide) = Estimate::interval(&c.samples, family);
            let (ci99, wide) = (ci99.unwrap_or(f64::NAN), wide.unwrap_or(f64::NAN));
            let gap = mean - c.theory;
            let (pass, note) = match &c.rule {
                Rule::Exact => (gap.abs() <= wide, String::new()),
                Rule::Approximate { margin, reason } => {
                    (gap.abs() <= wide + margin * c.theory.abs(), format!("±{}%: {reason}", percent(*margin)))
                }
                Rule::LimitFromAbove { margin, reason } => (
                    gap >= -wide && gap <= wide + margin * c.theory.abs(),
                    format!("limit, +{:.0}%: {reason}", margin * 100.0),
                ),
                Rule::LimitFromBelow { margin, reason } => (
                    gap <= wide && -gap <= wide + margin * c.theory.abs(),
                    format!("bound, -{:.0}%: {reason}", margin * 100.0),
                ),
                Rule::Property { holds } => (*holds, String::new()),
            };
            Verdict {
                case: c.case,
                quantity: c.quantity,
                theory: c.theory,
                mean,
                ci99,
                ci_family: wide,
                replications: c.samples.len(),
                pass: pass && (matches!(c.rule, Rule::Property { .. }) || mean.is_finite()),
                note,
            }
        })
        .collect()
}

/// A margin in percent: whole above 1%, to a tenth below.
fn percent(margin: f64) -> String {
    if margin >= 0.01 { format!("{:.0}", margin * 100.0) } else { format!("{:.1}", margin * 100.0) }
}

/// Loads a model written in TOML (cases are written the way users write
/// models), with overrides.
fn model(text: &str, overrides: &[&str]) -> Model {
    let load = LOADER.read().unwrap_or_else(|p| p.into_inner()).expect("validate::run sets the loader");
    load(text, overrides).unwrap_or_else(|e| panic!("a reference model: {e}"))
}

/// `reps` replications of a model, in parallel.
fn replicate(model: &Model, reps: u32) -> Vec<RunResult> {
    let seed = model.spec().sim.seed;
    let (warmup, _) = resolve_warmup(model, seed, 0);
    run_replications(model, seed, 0, warmup, 0..reps, &Silent)
}

/// L = lambda W at every node of every shipped model, as the relative gap
/// (L - lambda W) / L per replication, in the sample-path form: L counts
/// the requests that arrived after warm-up, and W counts requests still
/// present at the end up to the end, so the two sides must agree exactly
/// unless a request is lost from one account (a leak or a double count).
fn littles_law(models: &[(String, Model)], quick: bool) -> Vec<Check> {
    let take = if quick { 2 } else { models.len() };
    let mut checks = Vec::new();
    for (name, model) in models.iter().take(take) {
        let runs = replicate(model, if quick { 3 } else { 5 });
        for (si, s0) in runs[0].services.iter().enumerate() {
            if s0.kind == "queue" {
                continue; // messages are stored, not served: no response time
            }
            let gaps: Vec<f64> = runs
                .iter()
                .map(|r| {
                    let s = &r.services[si];
                    let secs = r.measured_secs();
                    let l = s.in_system_mean - s.carried_ns as f64 / 1e9 / secs;
                    let w = if s.arrivals == 0 { 0.0 } else { s.present_ns as f64 / 1e9 / s.arrivals as f64 };
                    let lw = s.arrivals as f64 / secs * w;
                    if l > 0.0 { (l - lw) / l } else { 0.0 }
                })
                .collect();
            if gaps.iter().all(|g| *g == 0.0) {
                continue; // an idle node
            }
            checks.push(Check {
                case: format!("Little's law: {name}"),
                quantity: format!("{} (L - λW)/L, sample path", s0.name),
                theory: 0.0,
                samples: gaps,
                rule: Rule::Exact,
            });
        }
    }
    checks
}

/// The table printed on stdout.
pub fn table(verdicts: &[Verdict]) -> String {
    let mut rows =
        vec![["case", "quantity", "theory", "simulated (99% CI)", "reps", "result", "note"].map(String::from).to_vec()];
    for v in verdicts {
        rows.push(vec![
            v.case.clone(),
            v.quantity.clone(),
            number(v.theory),
            format!("{} ± {}", number(v.mean), number(v.ci99)),
            v.replications.to_string(),
            if v.pass { "pass".into() } else { "FAIL".into() },
            v.note.clone(),
        ]);
    }
    let mut out = crate::table::align(&rows);
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let _ = writeln!(
        out,
        "\n{} checks, {} failed. A check passes when the theory lies within the interval widened for the whole \
         family of checks (Bonferroni, family-wise 99%), plus any stated margin.",
        verdicts.len(),
        failed
    );
    out
}

/// The same table as Markdown, for docs/FIDELITY.md.
pub fn markdown(verdicts: &[Verdict], header: &str) -> String {
    let mut out = String::from(header);
    out.push_str("\n| case | quantity | theory | simulated mean ± 99% CI | reps | result | note |\n");
    out.push_str("|---|---|---:|---:|---:|---|---|\n");
    for v in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} ± {} | {} | {} | {} |",
            v.case,
            v.quantity,
            number(v.theory),
            number(v.mean),
            number(v.ci99),
            v.replications,
            if v.pass { "pass" } else { "**FAIL**" },
            v.note
        );
    }
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let _ = writeln!(out, "\n{} checks, {} failed.", verdicts.len(), failed);
    out
}

/// Four significant digits.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() < 1e-4 {
        return format!("{v:.1e}");
    }
    let digits = v.abs().log10().floor() as i32;
    let decimals = (3 - digits).clamp(0, 8) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(samples: Vec<f64>, theory: f64, rule: Rule) -> Check {
        Check { case: "c".into(), quantity: "q".into(), theory, samples, rule }
    }

    #[test]
    fn exact_checks_use_the_family_interval_and_approximations_their_margin() {
        let samples = vec![1.0, 1.1, 0.9, 1.05, 0.95];
        let v = judge(vec![check(samples.clone(), 1.0, Rule::Exact), check(samples.clone(), 2.0, Rule::Exact)]);
        assert!(v[0].pass && !v[1].pass);
        assert!(v[0].ci_family > v[0].ci99);
        let v = judge(vec![check(samples.clone(), 1.5, Rule::Approximate { margin: 0.4, reason: "r" })]);
        assert!(v[0].pass, "{v:?}");
        // A limit approached from above: a mean below it fails.
        let v = judge(vec![check(samples, 1.5, Rule::LimitFromAbove { margin: 0.5, reason: "r" })]);
        assert!(!v[0].pass);
    }
}
