//! Reads an experiment: a model, overrides, sweep axes, run settings, SLO
//! assertions and an optional precision rule.
//!
//! ```toml
//! model = "../models/mm1.toml"        # relative to this file
//! set = ["service.app.workers=1"]     # applied to every point, like --set
//! combine = "grid"                    # or "zip"
//! slo = ["p99_ms < 200", "error_rate < 0.001"]
//!
//! [run]                               # replaces the model's [sim] settings
//! replications = 10
//! seed = 42
//! duration = "60s"
//! warmup = "6s"                       # or "auto"
//!
//! [[sweep]]
//! path = "client.web.rate"
//! values = [100, 500, 900]            # or range = { from, to, steps }
//!                                     # or geometric = { from, to, steps }
//!
//! [[variant]]                         # named alternatives: an axis called
//! name = "budget"                     # `variant`, combined with the others
//! set = ["client.web.retry.budget.ratio=0.1"]
//!
//! [precision]                         # keep replicating until the CI is tight
//! metric = "p99_ms"
//! relative_half_width = 0.05
//! max_replications = 50
//! ```
//!
//! Every value in the sweep is applied to the model as an [`Override`]
//! anchored at the line that wrote it, so a bad path or value is reported
//! in the experiment file.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tailsim_components::analysis::check_runnable;
use tailsim_components::metric::{Metric, MetricError, Precision, Slo};
use tailsim_components::plan::Plan;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, Location, locate};
use crate::model_file::{ModelFile, Override};

pub mod observed;

pub use observed::{Observed, ObservedPercentile};

/// How several axes combine into points.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Every combination (cartesian product); the first axis varies slowest.
    #[default]
    Grid,
    /// Axes advance together; they must have equal lengths.
    Zip,
}

/// One swept parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The field path, or `variant` for the experiment's named variants.
    pub path: String,
    /// Values as TOML text, ready to apply as overrides (variant names for
    /// the variant axis).
    pub values: Vec<String>,
    /// Where the axis is written.
    pub anchor: Location,
    /// For the variant axis: each variant's overrides.
    pub variants: Option<Vec<Vec<Override>>>,
}

/// A parsed, checked experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub name: String,
    pub path: PathBuf,
    pub model: ModelFile,
    /// `set` entries and `[run]` settings, applied to every point.
    pub base: Vec<Override>,
    pub axes: Vec<Axis>,
    pub combine: Combine,
    pub slos: Vec<Slo>,
    pub precision: Option<Precision>,
    /// The metric on the x axis of `latency.svg` (such as
    /// `app.utilisation`), instead of the first swept axis.
    pub plot_against: Option<Metric>,
    /// Production observations the model must reproduce (`[[observed]]`).
    pub observed: Vec<Observed>,
    /// Run points whose load is implausibly far over capacity
    /// ([`check_runnable`]); set by `--force`.
    pub force: bool,
}

/// One point of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct PointPlan {
    pub index: usize,
    /// (axis path, value as displayed) for each axis.
    pub parameters: Vec<(String, String)>,
    /// Base overrides followed by this point's axis values.
    pub overrides: Vec<Override>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    model: Spanned<String>,
    name: Option<String>,
    #[serde(default)]
    set: Vec<Spanned<String>>,
    #[serde(default)]
    combine: Combine,
    #[serde(default)]
    slo: Vec<Spanned<String>>,
    #[serde(default)]
    run: RawRun,
    #[serde(default)]
    sweep: Vec<RawAxis>,
    #[serde(default)]
    variant: Vec<RawVariant>,
    precision: Option<RawPrecision>,
    plot_against: Option<Spanned<String>>,
    #[serde(default)]
    observed: Vec<observed::RawObserved>,
}

/// A named set of overrides; the variants form an axis called `variant`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    #[serde(default)]
    set: Vec<Spanned<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    replications: Option<Spanned<toml::Value>>,
    seed: Option<Spanned<toml::Value>>,
    duration: Option<Spanned<toml::Value>>,
    warmup: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAxis {
    path: Spanned<String>,
    values: Option<Vec<Spanned<toml::Value>>>,
    range: Option<Spanned<RawRange>>,
    geometric: Option<Spanned<RawRange>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: Spanned<toml::Value>,
    to: Spanned<toml::Value>,
    steps: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrecision {
    #[serde(default = "default_precision_metric")]
    metric: Spanned<String>,
    relative_half_width: Spanned<f64>,
    max_replications: Spanned<u32>,
}

fn default_precision_metric() -> Spanned<String> {
    Spanned::new(0..0, "p99_ms".into())
}

struct Reader<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Reader<'_> {
    fn at(&self, span: Range<usize>) -> Location {
        locate(self.origin, self.text, span)
    }
    fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { message: message.into(), location: Some(self.at(span)), help: None }
    }
    fn raw(&self, span: Range<usize>) -> String {
        self.text[span].trim().to_string()
    }
}

/// "at sweep point #2 (...)", "at sweep points #0 (...), #3 (...)" or
/// "at every sweep point (16)": where in a sweep an error occurs.
fn where_in_sweep(points: &[String], total: usize) -> String {
    const SHOWN: usize = 3;
    match points.len() {
        n if n == total && n > 1 => format!("at every sweep point ({n})"),
        1 => format!("at sweep point {}", points[0]),
        n if n <= SHOWN => format!("at sweep points {}", points.join(", ")),
        n => format!("at sweep points {} and {} more", points[..SHOWN].join(", "), n - SHOWN),
    }
}

impl Experiment {
    /// Reads an experiment file and the model it names, and checks every
    /// point of the sweep.
    pub fn read(path: &Path) -> Result<Experiment, Diagnostics> {
        let text = crate::diagnostic::read_text(path, "experiment")?;
        Self::parse(path, &text, ModelFile::read)
    }

    /// Parses experiment `text` (read from `path`); `read_model` loads the
    /// model it names.
    pub fn parse(
        path: &Path,
        text: &str,
        read_model: impl FnOnce(&Path) -> Result<ModelFile, Diagnostics>,
    ) -> Result<Experiment, Diagnostics> {
        let origin = path.display().to_string();
        let r = Reader { origin: &origin, text };
        let raw: RawExperiment = toml::from_str(text)
            .map_err(|e| crate::diagnostic::from_serde(e.message().trim(), e.span().map(|s| r.at(s))))?;

        let model_path = path.parent().unwrap_or(Path::new(".")).join(raw.model.get_ref());
        let model = read_model(&model_path).map_err(|mut d| {
            if let Some(first) = d.0.first_mut()
                && first.location.is_none()
            {
                first.location = Some(r.at(raw.model.span()));
            }
            d
        })?;

        let mut errors = Vec::new();
        let mut base = Vec::new();
        for s in &raw.set {
            match s.get_ref().parse::<Override>() {
                Ok(mut ov) => {
                    ov.anchor = Some(r.at(s.span()));
                    base.push(ov);
                }
                Err(e) => errors.push(r.error(s.span(), e)),
            }
        }
        let run = [
            ("replications", &raw.run.replications),
            ("seed", &raw.run.seed),
            ("duration", &raw.run.duration),
            ("warmup", &raw.run.warmup),
        ];
        for (field, value) in run {
            if let Some(v) = value {
                let mut ov = Override::new(format!("sim.{field}"), r.raw(v.span()), format!("[run] {field}"));
                ov.anchor = Some(r.at(v.span()));
                base.push(ov);
            }
        }

        let mut axes = Vec::new();
        if let Some(first) = raw.variant.first() {
            let mut names = Vec::new();
            let mut sets = Vec::new();
            for v in &raw.variant {
                if names.contains(v.name.get_ref()) {
                    errors.push(r.error(v.name.span(), format!("two variants are named `{}`", v.name.get_ref())));
                }
                names.push(v.name.get_ref().clone());
                let mut overrides = Vec::new();
                for s in &v.set {
                    match s.get_ref().parse::<Override>() {
                        Ok(mut ov) => {
                            ov.anchor = Some(r.at(s.span()));
                            overrides.push(ov);
                        }
                        Err(e) => errors.push(r.error(s.span(), e)),
                    }
                }
                sets.push(overrides);
            }
            axes.push(Axis {
                path: "variant".into(),
                values: names,
                anchor: r.at(first.name.span()),
                variants: Some(sets),
            });
        }
        for a in &raw.sweep {
            match axis_values(&r, a) {
                Ok(values) => axes.push(Axis {
                    path: a.path.get_ref().clone(),
                    values,
                    anchor: r.at(a.path.span()),
                    variants: None,
                }),
                Err(d) => errors.push(d),
            }
        }
        if raw.combine == Combine::Zip
            && let Some(first) = axes.first()
            && let Some(bad) = axes.iter().find(|a| a.values.len() != first.values.len())
        {
            errors.push(Diagnostic {
                message: format!(
                    "`combine = \"zip\"` needs axes of equal length: `{}` has {} values but `{}` has {}",
                    first.path,
                    first.values.len(),
                    bad.path,
                    bad.values.len()
                ),
                location: Some(bad.anchor.clone()),
                help: Some("use `combine = \"grid\"` for every combination".into()),
            });
        }

        // Metrics are checked against the model as its file stands.
        let base_model = model.load(&[]).ok();
        let check = |text: &str| -> Result<Metric, Problem> {
            let metric: Metric = text.parse().map_err(|e: MetricError| (e.message, e.hint))?;
            if let Some(m) = &base_model {
                metric.check(m).map_err(|e| (e.message, e.hint))?;
            }
            Ok(metric)
        };
        let mut slos = Vec::new();
        for s in &raw.slo {
            match parse_slo(s.get_ref(), &check) {
                Ok(slo) => slos.push(slo),
                Err((message, help)) => errors.push(Diagnostic { message, location: Some(r.at(s.span())), help }),
            }
        }
        let precision = match raw.precision {
            None => None,
            Some(p) => {
                let metric = match check(p.metric.get_ref()) {
                    Ok(m) => m,
                    Err((message, help)) => {
                        errors.push(Diagnostic { message, location: Some(r.at(p.metric.span())), help });
                        Metric::Headline(tailsim_components::metric::Headline::P99Ms)
                    }
                };
                let rel = *p.relative_half_width.get_ref();
                if !(rel > 0.0 && rel.is_finite()) {
                    errors.push(r.error(
                        p.relative_half_width.span(),
                        format!("`relative_half_width` must be positive, got {rel}"),
                    ));
                }
                if *p.max_replications.get_ref() < 2 {
                    errors.push(r.error(p.max_replications.span(), "`max_replications` must be at least 2"));
                }
                Some(Precision { metric, relative_half_width: rel, max_replications: p.max_replications.into_inner() })
            }
        };
        let plot_against = match &raw.plot_against {
            None => None,
            Some(m) => match check(m.get_ref()) {
                Ok(metric) => Some(metric),
                Err((message, help)) => {
                    errors.push(Diagnostic { message, location: Some(r.at(m.span())), help });
                    None
                }
            },
        };
        // [[observed]]: files relative to the experiment; metrics name the
        // model's clients and components.
        let names: Vec<String> = model
            .load(&[])
            .map(|m| {
                let spec = m.spec();
                let mut v: Vec<String> = spec.client.keys().cloned().collect();
                v.extend(spec.service.keys().chain(spec.cache.keys()).chain(spec.datastore.keys()).cloned());
                v.extend(spec.queue.keys().cloned());
                v
            })
            .unwrap_or_default();
        let data_dir = path.parent().unwrap_or(Path::new(""));
        let at = |span: Range<usize>, message: String| r.error(span, message);
        let variants: Vec<String> = raw.variant.iter().map(|v| v.name.get_ref().clone()).collect();
        let mut observed = Vec::new();
        for o in raw.observed {
            match observed::read(o, data_dir, &names, &variants, &at) {
                Ok(o) => observed.push(o),
                Err(d) => errors.push(d),
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }

        let experiment = Experiment {
            name: raw.name.unwrap_or_else(|| {
                path.file_stem().map_or_else(|| "experiment".into(), |s| s.to_string_lossy().into_owned())
            }),
            path: path.to_path_buf(),
            model,
            base,
            axes,
            combine: raw.combine,
            slos,
            precision,
            plot_against,
            observed,
            force: false,
        };
        Ok(experiment)
    }

    /// A single model run as a one-point experiment: `overrides` apply to
    /// it, nothing is swept.
    pub fn from_model(model: ModelFile, overrides: Vec<Override>) -> Experiment {
        Experiment {
            name: model.name(),
            path: model.path().to_path_buf(),
            model,
            base: overrides,
            axes: Vec::new(),
            combine: Combine::Grid,
            slos: Vec::new(),
            precision: None,
            plot_against: None,
            observed: Vec::new(),
            force: false,
        }
    }

    /// Expands the experiment into a plan: every point's model loaded,
    /// resolved and checked for stability once, with errors located at
    /// the axis or override that caused them.
    pub fn plan(&self) -> Result<Plan, Diagnostics> {
        let axes: Vec<&str> = self.axes.iter().map(|a| a.path.as_str()).collect();
        let mut plan = Plan::sweep(&self.name, &self.model.name(), &axes);
        // Each distinct error once, with the points where it occurs.
        let mut errors: Vec<(Diagnostic, Vec<String>)> = Vec::new();
        let points = self.points();
        for p in &points {
            match self.model.load_checked(&p.overrides, |m| check_runnable(m, self.force)) {
                Ok(model) => plan.add_point(p.parameters.clone(), model),
                Err(d) => {
                    let at: Vec<String> = p.parameters.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                    let point = format!("#{} ({})", p.index, at.join(", "));
                    for diag in d.0 {
                        match errors.iter_mut().find(|(e, _)| *e == diag) {
                            Some((_, at)) => at.push(point.clone()),
                            None => errors.push((diag, vec![point.clone()])),
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            let swept = !self.axes.is_empty();
            return Err(Diagnostics(
                errors
                    .into_iter()
                    .map(|(mut diag, at)| {
                        if swept {
                            let note = where_in_sweep(&at, points.len());
                            diag.help = Some(match diag.help.take() {
                                Some(h) => format!("{h}; {note}"),
                                None => note,
                            });
                        }
                        diag
                    })
                    .collect(),
            ));
        }
        plan.slos = self.slos.clone();
        plan.precision = self.precision.clone();
        plan.plot_against = self.plot_against.clone();
        plan.observed = self.observed.clone();
        Ok(plan)
    }

    /// The points of the sweep, in index order. With no axes there is one.
    pub fn points(&self) -> Vec<PointPlan> {
        let n = match (self.axes.is_empty(), self.combine) {
            (true, _) => 1,
            (false, Combine::Grid) => self.axes.iter().map(|a| a.values.len()).product(),
            (false, Combine::Zip) => self.axes[0].values.len(),
        };
        (0..n)
            .map(|index| {
                let mut rest = index;
                let mut parameters = Vec::new();
                let mut overrides = self.base.clone();
                // Grid: the last axis varies fastest.
                let mut picks = vec![0; self.axes.len()];
                for (i, a) in self.axes.iter().enumerate().rev() {
                    picks[i] = match self.combine {
                        Combine::Grid => {
                            let k = rest % a.values.len();
                            rest /= a.values.len();
                            k
                        }
                        Combine::Zip => index,
                    };
                }
                for (a, &k) in self.axes.iter().zip(&picks) {
                    let value = &a.values[k];
                    parameters.push((a.path.clone(), display_value(value)));
                    if let Some(sets) = &a.variants {
                        overrides.extend(sets[k].iter().cloned());
                        continue;
                    }
                    let mut ov = Override::new(a.path.clone(), value.clone(), format!("sweep {}", a.path));
                    ov.anchor = Some(a.anchor.clone());
                    overrides.push(ov);
                }
                PointPlan { index, parameters, overrides }
            })
            .collect()
    }
}

/// A TOML value as shown in tables: strings without their quotes.
fn display_value(toml_text: &str) -> String {
    toml_text.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(toml_text).to_string()
}

fn axis_values(r: &Reader<'_>, a: &RawAxis) -> Result<Vec<String>, Diagnostic> {
    let path = a.path.get_ref();
    if path.is_empty() || path.split('.').any(|s| s.trim().is_empty()) {
        return Err(
            r.error(a.path.span(), format!("`{path}` is not a field path; expected something like client.web.rate"))
        );
    }
    let given = [a.values.is_some(), a.range.is_some(), a.geometric.is_some()];
    if given.iter().filter(|&&g| g).count() != 1 {
        return Err(r.error(
            a.path.span(),
            format!("sweep axis `{path}` needs exactly one of `values`, `range` or `geometric`"),
        ));
    }
    if let Some(values) = &a.values {
        if values.is_empty() {
            return Err(r.error(a.path.span(), format!("sweep axis `{path}` has no values")));
        }
        return Ok(values.iter().map(|v| r.raw(v.span())).collect());
    }
    let (range, geometric) = match (&a.range, &a.geometric) {
        (Some(g), None) => (g, false),
        (None, Some(g)) => (g, true),
        _ => unreachable!("exactly one given"),
    };
    let rr = range.get_ref();
    let number = |v: &Spanned<toml::Value>| -> Result<(f64, bool), Diagnostic> {
        match v.get_ref() {
            toml::Value::Integer(i) => Ok((*i as f64, true)),
            toml::Value::Float(f) => Ok((*f, false)),
            other => Err(r.error(v.span(), format!("expected a number, got a {}", other.type_str()))),
        }
    };
    let (from, from_int) = number(&rr.from)?;
    let (to, to_int) = number(&rr.to)?;
    if rr.steps < 2 {
        return Err(r.error(range.span(), "a range needs `steps` of at least 2 (both ends are included)"));
    }
    if geometric && (from <= 0.0 || to <= 0.0) {
        return Err(r.error(range.span(), "a geometric range needs positive `from` and `to`"));
    }
    let n = rr.steps as usize;
    let mut out: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        let f = i as f64 / (n - 1) as f64;
        let v = if geometric { from * (to / from).powf(f) } else { from + (to - from) * f };
        let text = if from_int && to_int { format!("{}", v.round() as i64) } else { format_float(v) };
        if out.last() != Some(&text) {
            out.push(text);
        }
    }
    Ok(out)
}

/// A float as TOML, rounded to 12 significant digits so ranges do not show
/// binary noise (0.30000000000000004).
fn format_float(v: f64) -> String {
    let s = format!("{:.*e}", 11, v);
    let parsed: f64 = s.parse().unwrap_or(v);
    let mut text = format!("{parsed}");
    if !text.contains('.') && !text.contains('e') && !text.contains("inf") && !text.contains("NaN") {
        text.push_str(".0");
    }
    text
}

type Problem = (String, Option<String>);

fn parse_slo(text: &str, check: &dyn Fn(&str) -> Result<Metric, Problem>) -> Result<Slo, Problem> {
    let slo: Slo = text.parse().map_err(|e: MetricError| (e.message, e.hint))?;
    check(&slo.metric.to_string())?;
    Ok(slo)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "[sim]\nduration = \"10s\"\n[client.web]\ntarget = \"app\"\nrate = 100.0\n[service.app]\nservice_time = { dist = \"exponential\", mean = \"1ms\" }\n";

    fn parse(text: &str) -> Result<Experiment, Diagnostics> {
        Experiment::parse(Path::new("exp/e.toml"), text, |p| {
            assert_eq!(p, Path::new("exp/../m.toml"));
            Ok(ModelFile::from_text("m.toml", MODEL))
        })
    }

    /// The errors of reading the experiment, or else of expanding it into
    /// a plan (where each point's model is loaded).
    fn err(text: &str) -> String {
        match parse(text) {
            Err(d) => d.to_string(),
            Ok(e) => e.plan().expect_err("expected an error").to_string(),
        }
    }

    #[test]
    fn grid_and_zip_expand_in_order() {
        let e = parse(
            "model = \"../m.toml\"\n[[sweep]]\npath = \"client.web.rate\"\nvalues = [100, 200]\n[[sweep]]\npath = \"service.app.workers\"\nrange = { from = 1, to = 3, steps = 3 }\n",
        )
        .unwrap();
        let pts = e.points();
        assert_eq!(pts.len(), 6);
        let params: Vec<Vec<String>> =
            pts.iter().map(|p| p.parameters.iter().map(|(_, v)| v.clone()).collect()).collect();
        assert_eq!(params[0], ["100", "1"]);
        assert_eq!(params[1], ["100", "2"]);
        assert_eq!(params[5], ["200", "3"]);
        let spec = e.model.load(&pts[4].overrides).unwrap().into_spec();
        assert_eq!((spec.client["web"].rate, spec.service["app"].workers), (Some(200.0), 2));

        let z = parse(
            "model = \"../m.toml\"\ncombine = \"zip\"\n[[sweep]]\npath = \"client.web.rate\"\nvalues = [100, 200]\n[[sweep]]\npath = \"service.app.workers\"\nvalues = [1, 2]\n",
        )
        .unwrap();
        assert_eq!(z.points().len(), 2);
    }

    #[test]
    fn ranges_are_inclusive_and_clean() {
        let e = parse(
            "model = \"../m.toml\"\n[[sweep]]\npath = \"client.web.rate\"\nrange = { from = 0.1, to = 0.5, steps = 5 }\n",
        );
        // Rate 0.1 is valid; values come out without binary noise.
        let vals = &e.unwrap().axes[0].values;
        assert_eq!(vals, &["0.1", "0.2", "0.3", "0.4", "0.5"]);
        let g = parse(
            "model = \"../m.toml\"\n[[sweep]]\npath = \"client.web.rate\"\ngeometric = { from = 1, to = 1000, steps = 4 }\n",
        );
        assert_eq!(g.unwrap().axes[0].values, ["1", "10", "100", "1000"]);
    }

    #[test]
    fn run_settings_and_set_apply_to_every_point() {
        let e = parse("model = \"../m.toml\"\nset = [\"client.web.rate=300\"]\n[run]\nreplications = 7\nduration = \"5s\"\nwarmup = \"auto\"\n").unwrap();
        let spec = e.model.load(&e.points()[0].overrides).unwrap().into_spec();
        assert_eq!(spec.sim.replications, 7);
        assert_eq!(spec.sim.duration.0, 5_000_000_000);
        assert_eq!(spec.sim.warmup, Some(tailsim_components::spec::Warmup::Auto));
        assert_eq!(spec.client["web"].rate, Some(300.0));
    }

    #[test]
    fn unknown_sweep_path_points_at_the_axis() {
        let e = err("model = \"../m.toml\"\n\n[[sweep]]\npath = \"client.web.ratee\"\nvalues = [1, 2]\n");
        assert!(e.contains("unknown field `ratee`"), "{e}");
        assert!(e.contains("exp/e.toml:4:8"), "{e}");
        assert!(e.contains("did you mean `rate`?"), "{e}");
    }

    #[test]
    fn missing_component_in_a_sweep_path() {
        let e = err("model = \"../m.toml\"\n[[sweep]]\npath = \"service.ap.workers\"\nvalues = [1, 2]\n");
        assert!(e.contains("exp/e.toml:3:8"), "{e}");
        assert!(e.contains("there is no service named `ap`"), "{e}");
        assert!(e.contains("did you mean `app`?"), "{e}");
    }

    #[test]
    fn out_of_range_sweep_value_is_located() {
        let e = err("model = \"../m.toml\"\n[[sweep]]\npath = \"service.app.workers\"\nvalues = [2, 0]\n");
        assert!(e.contains("`service.app.workers`: must be at least 1"), "{e}");
        assert!(e.contains("exp/e.toml:3:8"), "{e}");
    }

    #[test]
    fn bad_slos_and_fields_are_explained() {
        let e = err("model = \"../m.toml\"\nslo = [\"p99ms < 200\"]\n");
        assert!(e.contains("unknown metric `p99ms`"), "{e}");
        assert!(e.contains("did you mean `p99_ms`?"), "{e}");
        assert!(e.contains("exp/e.toml:2:8"), "{e}");
        let e = err("model = \"../m.toml\"\nslo = [\"app.utilisaton < 0.8\"]\n");
        assert!(e.contains("did you mean `app.utilisation`?"), "{e}");
        let e = err("model = \"../m.toml\"\nslo = [\"p99_ms about 200\"]\n");
        assert!(e.contains("expected METRIC OP NUMBER"), "{e}");
        let e = err("model = \"../m.toml\"\nsweeps = []\n");
        assert!(e.contains("did you mean `sweep`?"), "{e}");
        let e = err(
            "model = \"../m.toml\"\ncombine = \"zip\"\n[[sweep]]\npath = \"client.web.rate\"\nvalues = [1]\n[[sweep]]\npath = \"service.app.workers\"\nvalues = [1, 2]\n",
        );
        assert!(e.contains("equal length"), "{e}");
        let e = err("model = \"../m.toml\"\nplot_against = \"app.utilisaton\"\n");
        assert!(e.contains("did you mean `app.utilisation`?") && e.contains("exp/e.toml:2:16"), "{e}");
        let ok = parse("model = \"../m.toml\"\nplot_against = \"app.utilisation\"\n").unwrap();
        assert_eq!(ok.plot_against.map(|m| m.to_string()).as_deref(), Some("app.utilisation"));
    }

    #[test]
    fn variants_form_an_axis() {
        let e = parse(
            "model = \"../m.toml\"\n[[variant]]\nname = \"base\"\n[[variant]]\nname = \"busy\"\nset = [\"client.web.rate=900\", \"service.app.workers=2\"]\n[[sweep]]\npath = \"sim.seed\"\nvalues = [1, 2]\n",
        )
        .unwrap();
        let pts = e.points();
        assert_eq!(pts.len(), 4);
        assert_eq!(pts[2].parameters[0], ("variant".to_string(), "busy".to_string()));
        let spec = e.model.load(&pts[3].overrides).unwrap().into_spec();
        assert_eq!((spec.client["web"].rate, spec.service["app"].workers, spec.sim.seed), (Some(900.0), 2, 2));
        let e = err("model = \"../m.toml\"\n[[variant]]\nname = \"x\"\nset = [\"client.web.rat=9\"]\n");
        assert!(e.contains("did you mean `rate`?") && e.contains("exp/e.toml:4:8"), "{e}");
    }

    #[test]
    fn slos_parse() {
        let any = |t: &str| t.parse::<Metric>().map_err(|e| (e.message, e.hint));
        let s = parse_slo("p99_ms <= 200", &any).unwrap();
        let comparison = tailsim_components::metric::Comparison::LessOrEqual;
        assert_eq!((s.metric.to_string().as_str(), s.comparison, s.threshold), ("p99_ms", comparison, 200.0));
        assert!(s.comparison.holds(200.0, s.threshold));
        assert!(parse_slo("error_rate<0.001", &any).unwrap().comparison.holds(0.0, 0.001));
    }
}
