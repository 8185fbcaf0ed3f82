//! Reads a model file, applies overrides, and turns every mistake into a
//! [`Diagnostic`] with a file, line and column.
//!
//! The file is parsed into a spanned TOML tree. Overrides (`--set
//! client.web.rate=900`, sweep points, experiment settings) are written into
//! that tree before deserialisation, each with spans of its own, so an error
//! caused by an override points at the override and one caused by the file
//! points into the file. Semantic errors from
//! [`Model::resolve`](tailsim_components::model::Model::resolve) carry a field path,
//! which is looked up in the same tree.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use tailsim_components::model::Model;
use tailsim_components::plan::Plan;
use tailsim_components::spec::{ModelSpec, NAMED_TABLES};
use tailsim_components::suggest::did_you_mean;
use tailsim_components::validate::SpecError;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Diagnostics, Location, locate};

/// A change to one field of a model, such as `client.web.rate=900`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// Dotted path to the field.
    pub path: String,
    /// The value as TOML (`900`, `"10s"`, `{ dist = "constant", value = "1ms" }`);
    /// text that is not valid TOML is taken as a string, so `10s` works.
    pub value: String,
    /// Where the override came from, for error messages.
    pub origin: String,
    /// Where the override is written in a file (an experiment), if it is:
    /// errors it causes point there instead of at `origin`.
    pub anchor: Option<Location>,
}

impl Override {
    pub fn new(path: impl Into<String>, value: impl Into<String>, origin: impl Into<String>) -> Self {
        Self { path: path.into(), value: value.into(), origin: origin.into(), anchor: None }
    }
}

impl FromStr for Override {
    type Err = String;

    /// Parses `PATH=VALUE` as given to `--set`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (path, value) =
            s.split_once('=').ok_or_else(|| format!("expected PATH=VALUE, such as client.web.rate=900, got `{s}`"))?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(|seg| seg.trim().is_empty()) {
            return Err(format!("`{path}` is not a field path; expected something like client.web.rate"));
        }
        Ok(Override::new(path, value.trim(), format!("--set {s}")))
    }
}

/// A model file's text, ready to be loaded with any set of overrides.
#[derive(Clone, Debug)]
pub struct ModelFile {
    path: PathBuf,
    origin: String,
    text: String,
    /// Data files already read, shared by every load of this model.
    data: crate::data_file::resolve::Cache,
}

/// Where spans point: the file, or one of the overrides.
struct VirtualSource<'a> {
    file: &'a ModelFile,
    /// Start offset of each override's line, and the override.
    overrides: Vec<(usize, &'a Override)>,
}

impl VirtualSource<'_> {
    fn locate(&self, span: Range<usize>) -> Location {
        match self.overrides.iter().rev().find(|(start, _)| span.start >= *start) {
            Some(&(_, ov)) if ov.anchor.is_some() => ov.anchor.clone().expect("checked"),
            Some(&(start, ov)) => {
                let line = format!("{}={}", ov.path, ov.value);
                let mut loc = locate(&ov.origin, &line, span.start - start..span.end - start);
                loc.in_file = false;
                loc
            }
            None => locate(&self.file.origin, &self.file.text, span),
        }
    }
}

impl ModelFile {
    /// Reads a model from disk.
    pub fn read(path: &Path) -> Result<Self, Diagnostics> {
        let text = crate::diagnostic::read_text(path, "model")?;
        Ok(Self { path: path.to_path_buf(), origin: path.display().to_string(), text, data: Default::default() })
    }

    /// A model from text; `origin` names it in messages.
    pub fn from_text(origin: &str, text: &str) -> Self {
        Self {
            path: PathBuf::from(origin),
            origin: origin.to_string(),
            text: text.to_string(),
            data: Default::default(),
        }
    }

    /// The file stem, used to name result directories.
    pub fn name(&self) -> String {
        self.path.file_stem().map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned())
    }

    /// The path the model was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text of the file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The directory data files are named relative to.
    pub fn base_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// Parses the file, applies `overrides` in order, deserialises and
    /// resolves the model.
    pub fn load(&self, overrides: &[Override]) -> Result<Model, Diagnostics> {
        self.load_checked(overrides, |_| Ok(()))
    }

    /// Like [`load`](Self::load), with an extra check whose errors are
    /// located the same way (for example the stability check).
    pub fn load_checked(
        &self,
        overrides: &[Override],
        check: impl FnOnce(&Model) -> Result<(), Vec<SpecError>>,
    ) -> Result<Model, Diagnostics> {
        let mut source = VirtualSource { file: self, overrides: Vec::new() };
        let mut root = DeTable::parse(&self.text).map_err(|e| toml_diagnostic(&source, &e))?;
        let mut offset = self.text.len() + 1;
        for ov in overrides {
            source.overrides.push((offset, ov));
            apply(root.get_mut(), ov, offset).map_err(|(span, message)| {
                let (message, help) = split_hint(&message);
                Diagnostic { message, location: Some(source.locate(span)), help }
            })?;
            offset += ov.path.len() + ov.value.len() + 2;
        }
        let tree = root.clone();
        // Data files: a client's `rate` or `keys` table naming a file is taken
        // out before deserialising and loaded after; `dist = "file"`
        // distributions deserialise as references and are loaded in place.
        // `[sim]` is all defaults, so serde would also take an array for it
        // (a struct read from a sequence): refuse that here.
        if let Some(sim) = root.get_ref().get("sim")
            && !matches!(sim.get_ref(), DeValue::Table(_))
        {
            return Err(Diagnostics(vec![Diagnostic {
                message: format!("`sim` must be a table of settings, found {}", with_article(sim.get_ref().type_str())),
                location: Some(source.locate(sim.span())),
                help: Some("write `[sim]` with its fields below, such as `duration = \"60s\"`".into()),
            }]));
        }
        let pending = crate::data_file::resolve::take_client_files(root.get_mut());
        let mut spec =
            ModelSpec::deserialize(toml::de::Deserializer::from(root)).map_err(|e| toml_diagnostic(&source, &e))?;
        let locate = |span: Range<usize>| source.locate(span);
        let place = crate::data_file::resolve::Place {
            tree: tree.get_ref(),
            locate: &locate,
            base: self.base_dir(),
            cache: &self.data,
        };
        crate::data_file::resolve::resolve(&mut spec, pending, &place)?;
        start_autoscaled_fleets_at_min(&mut spec, tree.get_ref());
        validate_then(&spec, check)
            .map_err(|errors| Diagnostics(errors.iter().map(|e| spec_diagnostic(&source, tree.get_ref(), e)).collect()))
    }

    /// A single run of this model with `overrides`, as a plan (its
    /// stability checked, and its load unless `force`).
    pub fn plan(&self, overrides: &[Override], force: bool) -> Result<Plan, Diagnostics> {
        let experiment = crate::Experiment { force, ..crate::Experiment::from_model(self.clone(), overrides.to_vec()) };
        let mut plan = experiment.plan()?;
        plan.is_experiment = false;
        Ok(plan)
    }

    /// Locates a [`SpecError`] found later (for example by the runner) in
    /// this file with these overrides.
    pub fn explain(&self, overrides: &[Override], error: &SpecError) -> Diagnostic {
        let mut source = VirtualSource { file: self, overrides: Vec::new() };
        let Ok(mut root) = DeTable::parse(&self.text) else {
            return Diagnostic::new(error.to_string());
        };
        let mut offset = self.text.len() + 1;
        for ov in overrides {
            source.overrides.push((offset, ov));
            let _ = apply(root.get_mut(), ov, offset);
            offset += ov.path.len() + ov.value.len() + 2;
        }
        spec_diagnostic(&source, root.get_ref(), error)
    }
}

fn validate_then(
    spec: &ModelSpec,
    check: impl FnOnce(&Model) -> Result<(), Vec<SpecError>>,
) -> Result<Model, Vec<SpecError>> {
    let model = Model::resolve(spec)?;
    check(&model)?;
    Ok(model)
}

/// "an array", "a table": a TOML type name with its article.
fn with_article(kind: &str) -> String {
    let vowel = kind.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {kind}", if vowel { "an" } else { "a" })
}

/// Writes one override into the tree. Errors carry a span in the override.
fn apply<'a>(root: &mut DeTable<'a>, ov: &'a Override, offset: usize) -> Result<(), (Range<usize>, String)> {
    let value_start = offset + ov.path.len() + 1;
    let value = match DeValue::parse(&ov.value) {
        Ok(v) => shift(v, value_start),
        // Not TOML: a bare word such as `10s` or `round_robin` is a string.
        Err(_) => {
            Spanned::new(value_start..value_start + ov.value.len(), DeValue::String(Cow::Borrowed(ov.value.as_str())))
        }
    };
    let segments: Vec<(&str, Range<usize>)> = {
        let mut pos = offset;
        ov.path
            .split('.')
            .map(|seg| {
                let span = pos..pos + seg.len();
                pos += seg.len() + 1;
                (seg.trim(), span)
            })
            .collect()
    };
    // Overrides change components; they do not create them, so a misspelled
    // name is an error here rather than a half-built component later.
    if let [(table, _), (name, name_span), _, ..] = segments.as_slice()
        && NAMED_TABLES.contains(table)
    {
        let existing: Vec<&str> = match root.get(*table).map(|v| v.get_ref()) {
            Some(DeValue::Table(t)) => t.keys().map(|k| k.get_ref().as_ref()).collect(),
            _ => Vec::new(),
        };
        if !existing.contains(name) {
            let hint = did_you_mean(name, existing.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err((
                name_span.clone(),
                format!("cannot set `{}`: there is no {table} named `{name}`{hint}", ov.path),
            ));
        }
    }
    let (last, intermediate) = segments.split_last().expect("paths are not empty");
    let mut table = root;
    let mut walked = String::new();
    for (seg, span) in intermediate {
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(seg);
        if !table.contains_key(*seg) {
            table.insert(
                Spanned::new(span.clone(), Cow::Borrowed(*seg)),
                Spanned::new(span.clone(), DeValue::Table(DeTable::new())),
            );
        }
        match table.get_mut(*seg).map(|v| v.get_mut()) {
            Some(DeValue::Table(t)) => table = t,
            Some(other) => {
                return Err((
                    span.clone(),
                    format!("cannot set `{}`: `{walked}` is {}, not a table", ov.path, with_article(other.type_str())),
                ));
            }
            None => unreachable!("inserted above"),
        }
    }
    table.remove(last.0);
    table.insert(Spanned::new(last.1.clone(), Cow::Borrowed(last.0)), value);
    Ok(())
}

/// Moves every span in `v` by `offset`.
fn shift(v: Spanned<DeValue<'_>>, offset: usize) -> Spanned<DeValue<'_>> {
    let span = v.span();
    let moved = span.start + offset..span.end + offset;
    let inner = match v.into_inner() {
        DeValue::Array(items) => DeValue::Array(items.into_iter().map(|i| shift(i, offset)).collect::<DeArray>()),
        DeValue::Table(t) => {
            let mut out = DeTable::new();
            for (k, val) in t {
                let ks = k.span();
                out.insert(Spanned::new(ks.start + offset..ks.end + offset, k.into_inner()), shift(val, offset));
            }
            DeValue::Table(out)
        }
        other => other,
    };
    Spanned::new(moved, inner)
}

/// Turns a TOML or serde error into a diagnostic, with a suggestion when it
/// names an unknown field or variant.
fn toml_diagnostic(source: &VirtualSource<'_>, e: &toml::de::Error) -> Diagnostics {
    let message = e.message().trim().to_string();
    // Keys only an experiment has: say so, rather than only "unknown field".
    let experiment_key = ["model", "sweep", "slo", "run", "precision", "observed"]
        .iter()
        .any(|k| message.starts_with(&format!("unknown field `{k}`")));
    let mut d = crate::diagnostic::from_serde(&message, e.span().map(|s| source.locate(s)));
    if experiment_key {
        d.help = Some(format!(
            "`{}` looks like an experiment file (it names a model and what to vary): run it with `tailsim sweep {}`",
            source.file.origin, source.file.origin
        ));
    }
    d.into()
}

/// A service with `autoscale` and no `replicas` starts at `autoscale.min`
/// (otherwise `replicas` would default to 1, a size the user never wrote,
/// and could lie outside the autoscaler's range).
fn start_autoscaled_fleets_at_min(spec: &mut ModelSpec, root: &DeTable<'_>) {
    let written = |name: &str| match root.get("service").map(|v| v.get_ref()) {
        Some(DeValue::Table(services)) => match services.get(name).map(|v| v.get_ref()) {
            Some(DeValue::Table(service)) => service.contains_key("replicas"),
            _ => false,
        },
        _ => false,
    };
    for (name, service) in spec.service.iter_mut() {
        if let Some(a) = &service.autoscale
            && !written(name)
        {
            service.replicas = a.min;
        }
    }
}

/// Splits "message; did you mean `x`?" into the message and the hint.
fn split_hint(message: &str) -> (String, Option<String>) {
    match message.split_once("; did you mean ") {
        Some((m, h)) => (m.to_string(), Some(format!("did you mean {h}"))),
        None => (message.to_string(), None),
    }
}

fn spec_diagnostic(source: &VirtualSource<'_>, root: &DeTable<'_>, e: &SpecError) -> Diagnostic {
    let (message, help) = split_hint(&e.message);
    let message = if e.path.is_empty() {
        format!("{}: {message}", source.file.origin)
    } else {
        format!("`{}`: {message}", e.path_string())
    };
    let location = find_span(root, &e.path).map(|s| source.locate(s));
    Diagnostic { message, location, help }
}

/// The span of the deepest part of `path` present in the tree: the value if
/// the whole path exists, otherwise the last key found.
fn find_span(root: &DeTable<'_>, path: &[String]) -> Option<Range<usize>> {
    let mut table = root;
    let mut best = None;
    for (i, seg) in path.iter().enumerate() {
        let (key, value) = table.get_key_value(seg.as_str())?;
        best = Some(key.span());
        match value.get_ref() {
            DeValue::Table(t) if i + 1 < path.len() => table = t,
            _ if i + 1 == path.len() => {
                if !matches!(value.get_ref(), DeValue::Table(_)) {
                    best = Some(value.span());
                }
            }
            _ => break,
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const MM1: &str = r#"# An M/M/1 queue.
[sim]
duration = "20s"

[client.web]
target = "app"
rate = 500.0

[service.app]
service_time = { dist = "exponential", mean = "1ms" }
"#;

    fn load(text: &str, overrides: &[&str]) -> Result<ModelSpec, Diagnostics> {
        let ovs: Vec<Override> = overrides.iter().map(|s| s.parse().unwrap()).collect();
        ModelFile::from_text("m.toml", text).load(&ovs).map(Model::into_spec)
    }

    fn first_error(text: &str, overrides: &[&str]) -> String {
        load(text, overrides).unwrap_err().0[0].to_string()
    }

    #[test]
    fn loads_a_model_and_applies_overrides() {
        let spec = load(MM1, &[]).unwrap();
        assert_eq!(spec.client["web"].rate, Some(500.0));
        let spec = load(MM1, &["client.web.rate=900", "sim.duration=5s", "service.app.workers=3"]).unwrap();
        assert_eq!(spec.client["web"].rate, Some(900.0));
        assert_eq!(spec.sim.duration.0, 5_000_000_000);
        assert_eq!(spec.service["app"].workers, 3);
        let spec = load(MM1, &["service.app.service_time.mean=2ms"]).unwrap();
        assert_eq!(
            spec.service["app"].service_time,
            Some(tailsim_components::spec::DistSpec::exponential(tailsim_components::spec::Duration::from_millis(2)))
        );
    }

    #[test]
    fn sim_must_be_a_table_not_an_array_read_as_defaults() {
        let e = first_error(MM1, &["sim=[]"]);
        assert!(e.contains("`sim` must be a table of settings, found an array"), "{e}");
        assert!(e.contains("--set sim=[]"), "{e}");
        let e = first_error(MM1, &["sim=[]", "sim.duration=5s"]);
        assert!(e.contains("`sim` is an array, not a table"), "{e}");
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = first_error("[sim]\nduration = \n", &[]);
        assert!(e.contains("m.toml:2:"), "{e}");
    }

    #[test]
    fn unknown_fields_get_suggestions() {
        let e = first_error(&MM1.replace("rate = 500.0", "ratee = 500.0"), &[]);
        assert!(e.contains("unknown field `ratee`"), "{e}");
        assert!(e.contains("--> m.toml:7:1"), "{e}");
        assert!(e.contains("did you mean `rate`?"), "{e}");
        let e = first_error(&MM1.replace("[service.app]", "[servce.app]"), &[]);
        assert!(e.contains("did you mean `service`?"), "{e}");
    }

    #[test]
    fn bad_references_point_at_the_value() {
        let e = first_error(&MM1.replace("target = \"app\"", "target = \"apq\""), &[]);
        assert!(
            e.contains(
                "`client.web.target`: there is no balancer, service, cache, datastore, queue or router named `apq`"
            ),
            "{e}"
        );
        assert!(e.contains("--> m.toml:6:10"), "{e}");
        assert!(e.contains("did you mean `app`?"), "{e}");
    }

    #[test]
    fn impossible_values_are_located() {
        let e = first_error(&MM1.replace("rate = 500.0", "rate = -5.0"), &[]);
        assert!(e.contains("`client.web.rate`: must be a positive number"), "{e}");
        assert!(e.contains("m.toml:7:8"), "{e}");
    }

    #[test]
    fn override_errors_point_at_the_override() {
        let e = first_error(MM1, &["client.web.ratee=5"]);
        assert!(e.contains("--set client.web.ratee=5"), "{e}");
        assert!(e.contains("did you mean `rate`?"), "{e}");
        let e = first_error(MM1, &["client.web.rate=fast"]);
        assert!(e.contains("--set client.web.rate=fast"), "{e}");
        let e = first_error(MM1, &["client.web.rate.x=1"]);
        assert!(e.contains("is a float, not a table") || e.contains("not a table"), "{e}");
    }

    #[test]
    fn durations_need_units() {
        let e = first_error(&MM1.replace("duration = \"20s\"", "duration = 20"), &[]);
        assert!(e.contains("needs a unit"), "{e}");
        assert!(e.contains("m.toml:3:12"), "{e}");
    }

    #[test]
    fn override_parsing() {
        assert!("nopath".parse::<Override>().is_err());
        assert!("a..b=1".parse::<Override>().is_err());
        let o: Override = "a.b = 2".parse().unwrap();
        assert_eq!((o.path.as_str(), o.value.as_str()), ("a.b", "2"));
    }
}

#[cfg(test)]
mod fuzz {
    //! The loader must explain bad input, never panic on it.

    use proptest::prelude::*;

    use super::*;

    const VALID: &str = r#"[sim]
duration = "2s"
warmup = "auto"
[client.web]
target = "lb"
rate = 500.0
timeout = "50ms"
[balancer.lb]
target = "app"
policy = "random"
[service.app]
replicas = 2
workers = 2
queue_capacity = 10
service_time = { dist = "mixture", parts = [
  { weight = 0.9, dist = "lognormal", p50 = "1ms", p99 = "9ms" },
  { weight = 0.1, dist = "empirical", percentiles = [[0.0, "1ms"], [1.0, "5ms"]] },
] }
"#;

    fn mutate(text: &str, edits: &[(usize, u8, char)]) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for &(pos, kind, c) in edits {
            if chars.is_empty() {
                break;
            }
            let i = pos % chars.len();
            match kind % 3 {
                0 => {
                    chars.remove(i);
                }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
        }
        chars.into_iter().collect()
    }

    fn edit_char() -> impl Strategy<Value = char> {
        prop_oneof![
            Just('"'),
            Just('='),
            Just('['),
            Just(']'),
            Just('{'),
            Just('}'),
            Just('.'),
            Just(','),
            Just('\n'),
            Just('-'),
            Just('0'),
            Just('9'),
            Just('e'),
            any::<char>()
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn mutated_models_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), edit_char()), 1..6)) {
            let text = mutate(VALID, &edits);
            if let Ok(model) = ModelFile::from_text("m.toml", &text).load(&[]) {
                // A model that loads must also build.
                let _ = tailsim_components::sim::Simulation::new(&model, 1);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = ModelFile::from_text("m.toml", &text).load(&[]);
        }

        #[test]
        fn arbitrary_overrides_never_panic(path in "[a-z_.]{0,30}", value in "\\PC{0,20}") {
            if let Ok(ov) = format!("{path}={value}").parse::<Override>() {
                let _ = ModelFile::from_text("m.toml", VALID).load(&[ov]);
            }
        }
    }

    #[test]
    fn the_fuzz_seed_model_is_valid() {
        ModelFile::from_text("m.toml", VALID).load(&[]).unwrap();
    }
}
