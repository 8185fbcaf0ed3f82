//! `[[observed]]`: latency percentiles observed in production, which the
//! model's simulated percentiles must reproduce.
//!
//! ```toml
//! [[observed]]
//! path = "../models/data/edge.hgrm"   # any latency format, relative to the experiment
//! unit = "ms"
//! metric = "latency"                  # end to end; or "<component>.latency"
//! tolerance = 0.1                     # relative
//! fail_sweep = true                   # a miss fails `tailsim sweep` (exit status 3)
//! ```
//!
//! The file is read here, once; what the runner needs is the observed
//! value of each percentile with its 95% interval from the order
//! statistics of the observations.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use tailsim_components::spec::{DataFormat, DistFileSpec, TimeUnit};
use tailsim_components::suggest::did_you_mean;
use toml::Spanned;

use crate::data_file::{Observations, load_observations};
use crate::diagnostic::Diagnostic;

/// The percentiles checked when `percentiles` is not given.
pub const DEFAULT_PERCENTILES: [f64; 4] = [50.0, 90.0, 99.0, 99.9];

/// The standard normal quantile at 0.975.
const Z95: f64 = 1.959_963_984_540_054;

pub use tailsim_components::plan::{Observation as Observed, ObservedPercentile};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawObserved {
    path: Spanned<String>,
    format: Option<DataFormat>,
    unit: Option<TimeUnit>,
    column: Option<String>,
    histogram: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    tag: Option<String>,
    metric: Spanned<String>,
    tolerance: Spanned<f64>,
    percentiles: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    fail_sweep: bool,
    variant: Option<Spanned<String>>,
}

/// The observed percentiles of `obs`, with their intervals.
pub fn percentiles(obs: &Observations, ps: &[f64]) -> Vec<ObservedPercentile> {
    let n = obs.count();
    ps.iter()
        .map(|&p| {
            let q = p / 100.0;
            let spread = Z95 * (n * q * (1.0 - q)).sqrt() / n;
            ObservedPercentile {
                p,
                value_ms: obs.quantile(q) / 1e6,
                low_ms: obs.quantile((q - spread).max(0.0)) / 1e6,
                high_ms: obs.quantile((q + spread).min(1.0)) / 1e6,
            }
        })
        .collect()
}

/// Reads one entry; `at` locates a span of the experiment file, `names`
/// are the model's clients and components.
pub(super) fn read(
    raw: RawObserved,
    base: &Path,
    names: &[String],
    variants: &[String],
    at: &dyn Fn(std::ops::Range<usize>, String) -> Diagnostic,
) -> Result<Observed, Diagnostic> {
    if let Some(v) = &raw.variant
        && !variants.contains(v.get_ref())
    {
        let mut d = if variants.is_empty() {
            at(v.span(), format!("`variant = \"{}\"`, but the experiment has no [[variant]]", v.get_ref()))
        } else {
            at(v.span(), format!("the experiment has no variant named `{}`", v.get_ref()))
        };
        d.help = did_you_mean(v.get_ref(), variants.iter().map(|s| s.as_str())).map(|s| format!("did you mean `{s}`?"));
        return Err(d);
    }
    let metric = raw.metric.get_ref().trim().to_string();
    if metric != "latency" {
        let Some(name) = metric.strip_suffix(".latency") else {
            return Err(at(
                raw.metric.span(),
                format!("`metric = \"{metric}\"`: expected `latency` (end to end) or `<component>.latency`"),
            ));
        };
        if !names.iter().any(|n| n == name) {
            let mut d = at(raw.metric.span(), format!("the model has no client or component named `{name}`"));
            d.help =
                did_you_mean(name, names.iter().map(|s| s.as_str())).map(|s| format!("did you mean `{s}.latency`?"));
            return Err(d);
        }
    }
    let tolerance = *raw.tolerance.get_ref();
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(at(
            raw.tolerance.span(),
            format!("`tolerance` must be zero or a positive fraction, got {tolerance}"),
        ));
    }
    let ps = match &raw.percentiles {
        Some(p) => {
            if p.get_ref().is_empty() || p.get_ref().iter().any(|v| !(*v > 0.0 && *v < 100.0)) {
                return Err(at(p.span(), "`percentiles` must list percentiles between 0 and 100, such as 99.9".into()));
            }
            p.get_ref().clone()
        }
        None => DEFAULT_PERCENTILES.to_vec(),
    };
    let unit = raw.unit.ok_or_else(|| {
        at(
            raw.path.span(),
            format!(
                "the observations in `{}` need `unit`, the unit of the file's values (ns, us, ms or s)",
                raw.path.get_ref()
            ),
        )
    })?;
    let mut spec = DistFileSpec::new(raw.path.get_ref().clone(), unit);
    spec.format = raw.format;
    spec.column = raw.column;
    spec.histogram = raw.histogram;
    spec.labels = raw.labels;
    spec.tag = raw.tag;
    spec.check().map_err(|m| at(raw.path.span(), m))?;
    let obs = load_observations(base, &spec).map_err(|e| {
        let named = at(raw.path.span(), String::new()).location;
        crate::data_file::resolve::data_diagnostic(&e, "observed", named)
    })?;
    Ok(Observed {
        name: raw.path.get_ref().clone(),
        metric,
        tolerance,
        fail_sweep: raw.fail_sweep,
        variant: raw.variant.map(Spanned::into_inner),
        count: obs.count(),
        percentiles: percentiles(&obs, &ps),
    })
}
