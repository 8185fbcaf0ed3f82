//! Loading the data files a model names, as part of loading the model:
//! `dist = "file"` distributions anywhere, and a client's `rate = { file =
//! ... }` and `keys = { file = ... }`. Errors name the data file and line,
//! and the place in the model that named the file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use tailsim_components::spec::{DistSpec, KeySpec, ModelSpec};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::keys::KeyFile;
use super::rates::RateFile;
use super::{DataError, Observations, Source, load_observations, read_text};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};

/// Latency files already read by one model file, so the points of a sweep
/// read each file once. Keyed by file and the options that shape what is
/// read (not `factor`, applied afterwards).
pub(crate) type Cache = Arc<Mutex<BTreeMap<String, Result<Observations, DataError>>>>;

/// A client field that names a data file, taken out of the tree before the
/// model is deserialised (the model's `rate` is a number, its `keys` a key
/// space).
pub(crate) struct Pending<'a> {
    client: String,
    field: &'static str,
    value: Spanned<DeValue<'a>>,
}

/// Takes every `client.<name>.rate` table, and every `keys` table with a
/// `file`, out of the tree.
pub(crate) fn take_client_files<'a>(root: &mut DeTable<'a>) -> Vec<Pending<'a>> {
    let mut out = Vec::new();
    let Some(DeValue::Table(clients)) = root.get_mut("client").map(|v| v.get_mut()) else {
        return out;
    };
    for (name, client) in clients.iter_mut() {
        let DeValue::Table(c) = client.get_mut() else { continue };
        if matches!(c.get("rate").map(|v| v.get_ref()), Some(DeValue::Table(_)))
            && let Some(value) = c.remove("rate")
        {
            out.push(Pending { client: name.get_ref().to_string(), field: "rate", value });
        }
        if let Some(DeValue::Table(k)) = c.get("keys").map(|v| v.get_ref())
            && k.contains_key("file")
            && let Some(value) = c.remove("keys")
        {
            out.push(Pending { client: name.get_ref().to_string(), field: "keys", value });
        }
    }
    out
}

/// Where things are, for messages.
pub(crate) struct Place<'t> {
    pub tree: &'t DeTable<'t>,
    pub locate: &'t dyn Fn(Range<usize>) -> Location,
    pub base: &'t Path,
    pub cache: &'t Cache,
}

/// Loads every data file the model names into `spec`.
pub(crate) fn resolve(spec: &mut ModelSpec, pending: Vec<Pending<'_>>, at: &Place<'_>) -> Result<(), Diagnostics> {
    let mut errors = Vec::new();
    for p in pending {
        if let Err(d) = client_file(spec, p, at) {
            errors.push(d);
        }
    }
    spec.for_each_dist_mut(&mut |path, d| {
        let DistSpec::File(f) = d else { return };
        let field = path.join(".");
        let mut path_field: Vec<String> = path.to_vec();
        path_field.push("path".into());
        let named = span_at(at.tree, &path_field).map(|s| (at.locate)(s));
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            at.base.join(&f.path).display(),
            f.format,
            f.unit,
            f.column,
            f.histogram,
            f.labels,
            f.tag
        );
        let loaded = {
            let mut cache = at.cache.lock().expect("the cache is never poisoned: loading does not panic");
            cache.entry(key).or_insert_with(|| load_observations(at.base, f)).clone()
        };
        match loaded {
            Ok(obs) => *d = obs.to_dist(f.factor),
            Err(e) => errors.push(data_diagnostic(&e, &field, named)),
        }
    });
    if errors.is_empty() { Ok(()) } else { Err(Diagnostics(errors)) }
}

fn client_file(spec: &mut ModelSpec, p: Pending<'_>, at: &Place<'_>) -> Result<(), Diagnostic> {
    let field = format!("client.{}.{}", p.client, p.field);
    let table_span = p.value.span();
    let file_span = match p.value.get_ref() {
        DeValue::Table(t) => t.get("file").map(|v| v.span()),
        _ => None,
    };
    let named = (at.locate)(file_span.clone().unwrap_or(table_span.clone()));
    let deser_error = |e: toml::de::Error| {
        let mut d = crate::diagnostic::from_serde(
            e.message().trim(),
            Some((at.locate)(e.span().unwrap_or(table_span.clone()))),
        );
        d.message = format!("`{field}`: {}", d.message);
        d
    };
    let client = spec.client.get_mut(&p.client).expect("the client was deserialised from the same tree");
    match p.field {
        "rate" => {
            let opts = RateFile::deserialize(toml::de::ValueDeserializer::from(p.value)).map_err(deser_error)?;
            opts.check().map_err(|m| Diagnostic {
                message: format!("`{field}`: {m}"),
                location: Some((at.locate)(table_span.clone())),
                help: None,
            })?;
            if !client.schedule.is_empty() {
                return Err(Diagnostic {
                    message: format!(
                        "`{field}`: the rate over time comes from `{}`, so the client must not also have a `schedule`",
                        opts.file
                    ),
                    location: Some(named),
                    help: Some("remove `schedule`, or give `rate` as a number".into()),
                });
            }
            let path = at.base.join(&opts.file);
            let loaded = read_text(&path)
                .and_then(|text| super::rates::read(&Source { path: &path, text: &text }, &opts))
                .map_err(|e| data_diagnostic(&e, &field, Some(named)))?;
            client.rate = Some(loaded.rate);
            client.schedule = loaded.schedule;
        }
        _ => {
            let opts = KeyFile::deserialize(toml::de::ValueDeserializer::from(p.value)).map_err(deser_error)?;
            let path = at.base.join(&opts.file);
            let weights = read_text(&path)
                .and_then(|text| super::keys::read(&Source { path: &path, text: &text }, &opts))
                .map_err(|e| data_diagnostic(&e, &field, Some(named)))?;
            client.keys = Some(KeySpec::weighted(weights));
        }
    }
    Ok(())
}

/// A data file's problem as a diagnostic: located at the data file's line
/// when there is one, with the model field that named the file as help;
/// otherwise located at that field.
pub(crate) fn data_diagnostic(e: &DataError, field: &str, named: Option<Location>) -> Diagnostic {
    let mut d = e.diagnostic();
    d.message = format!("`{field}`: {}", d.message);
    match (&d.location, named) {
        (Some(_), Some(l)) => {
            let place = if l.in_file { format!("{}:{}:{}", l.origin, l.line, l.column) } else { l.origin.clone() };
            d.help = Some(format!("the file is named by `{field}` at {place}"));
        }
        (None, named) => d.location = named,
        _ => {}
    }
    d
}

impl DataError {
    /// The error as a diagnostic located at the data file's line, when
    /// there is one.
    pub fn diagnostic(&self) -> Diagnostic {
        let e = self;
        let message = format!("data file `{}`: {}", e.file.display(), e.message);
        match (e.line, &e.line_text) {
            (Some(line), Some(text)) => Diagnostic {
                message,
                location: Some(Location {
                    origin: e.file.display().to_string(),
                    line,
                    column: 1,
                    line_text: text.clone(),
                    width: text.chars().count().max(1),
                    in_file: true,
                }),
                help: None,
            },
            _ => Diagnostic { message, location: None, help: None },
        }
    }
}

/// The span of the value at `path` in the tree, through tables and arrays
/// (a numeric segment indexes an array).
pub(crate) fn span_at(root: &DeTable<'_>, path: &[String]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let mut value = root.get(first.as_str())?;
    for seg in rest {
        value = match value.get_ref() {
            DeValue::Table(t) => t.get(seg.as_str())?,
            DeValue::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value.span())
}
