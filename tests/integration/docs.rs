//! The model reference (docs/MODEL.md) documents every field the loader
//! accepts. The accepted fields come from the loader itself: each table is
//! given an unknown field, and the error lists what it expected.

use tailsim_components::spec::ModelSpec;

use crate::common::{read, root};

/// (section heading prefix in docs/MODEL.md, a model whose first unknown
/// field sits in that table).
const TABLES: &[(&str, &str)] = &[
    ("## Overview", "zz = 1"),
    ("## [sim]", "[sim]\nzz = 1"),
    ("### window_slo (sim)", "[sim]\nwindow_slo = { zz = 1 }"),
    ("## [client.NAME]", "[client.c]\nzz = 1"),
    ("### schedule (client)", "[client.c]\nschedule = [{ zz = 1 }]"),
    ("### spike (client)", "[client.c]\nspike = { zz = 1 }"),
    ("### diurnal (client)", "[client.c]\ndiurnal = { zz = 1 }"),
    ("### burst (client)", "[client.c]\nburst = { zz = 1 }"),
    ("### on_off (client)", "[client.c]\non_off = { zz = 1 }"),
    ("### keys (client)", "[client.c]\nkeys = { zz = 1 }"),
    ("### hotspots (client)", "[client.c]\nhotspots = [{ zz = 1 }]"),
    ("## [balancer.NAME]", "[balancer.b]\nzz = 1"),
    ("### health_check (balancer)", "[balancer.b]\nhealth_check = { zz = 1 }"),
    ("### outlier (balancer)", "[balancer.b]\noutlier = { zz = 1 }"),
    ("## [service.NAME]", "[service.s]\nzz = 1"),
    ("### autoscale (service)", "[service.s]\nautoscale = { zz = 1 }"),
    ("### cold (autoscale)", "[service.s]\nautoscale = { cold = { zz = 1 } }"),
    ("### policy (autoscale)", "[service.s]\nautoscale = { policy = [{ kind = \"threshold\", zz = 1 }] }"),
    ("### policy (autoscale)", "[service.s]\nautoscale = { policy = [{ kind = \"target\", zz = 1 }] }"),
    ("### policy (autoscale)", "[service.s]\nautoscale = { policy = [{ kind = \"queue\", zz = 1 }] }"),
    ("### policy (autoscale)", "[service.s]\nautoscale = { policy = [{ kind = \"schedule\", zz = 1 }] }"),
    ("### policy (autoscale)", "[service.s]\nautoscale = { policy = [{ kind = \"predictive\", zz = 1 }] }"),
    (
        "### steps (autoscale schedule policy)",
        "[service.s]\nautoscale = { policy = [{ kind = \"schedule\", steps = [{ zz = 1 }] }] }",
    ),
    ("## Handler steps", "[service.s]\nsteps = [{ zz = 1 }]"),
    ("### retry (client and call)", "[client.c]\nretry = { zz = 1 }"),
    ("### budget (retry)", "[client.c]\nretry = { budget = { zz = 1 } }"),
    ("### hedge (client and call)", "[client.c]\nhedge = { zz = 1 }"),
    ("### breaker (client and call)", "[client.c]\nbreaker = { zz = 1 }"),
    ("### rate_limit (client and service)", "[client.c]\nrate_limit = { zz = 1 }"),
    ("### shed (service)", "[service.s]\nshed = { zz = 1 }"),
    ("### bulkhead (call)", "[service.s]\nsteps = [{ call = \"x\", bulkhead = { zz = 1 } }]"),
    ("### pool (call)", "[service.s]\nsteps = [{ call = \"x\", pool = { zz = 1 } }]"),
    ("## [cache.NAME]", "[cache.k]\nzz = 1"),
    ("### prewarm (cache)", "[cache.k]\nprewarm = [{ zz = 1 }]"),
    ("## [datastore.NAME]", "[datastore.d]\nzz = 1"),
    ("### hot_keys (datastore)", "[datastore.d]\nhot_keys = [{ zz = 1 }]"),
    ("### failover (datastore)", "[datastore.d]\nfailover = { zz = 1 }"),
    ("## [queue.NAME]", "[queue.q]\nzz = 1"),
    ("### consumers (queue)", "[queue.q]\nconsumers = { g = { zz = 1 } }"),
    ("## [router.NAME]", "[router.r]\nzz = 1"),
    ("## [network]", "[network]\nzz = 1"),
    ("### link (network)", "[network]\nlink = [{ zz = 1 }]"),
    ("## [[fault]]", "[[fault]]\nzz = 1"),
    ("### link (fault)", "[[fault]]\nlink = { zz = 1 }"),
    ("### Distributions", "[service.s]\nservice_time = { zz = 1 }"),
];

/// The fields serde expected, from "unknown field `zz`, expected one of
/// `a`, `b`" (or "expected `a`" for a table with one field).
fn accepted_fields(model: &str) -> Vec<String> {
    let err = toml::from_str::<ModelSpec>(model).expect_err("the unknown field is refused").to_string();
    let (_, list) = err
        .split_once("unknown field `zz`, expected ")
        .unwrap_or_else(|| panic!("no field list for {model:?} in:\n{err}"));
    let list = list.lines().next().unwrap();
    list.split('`').skip(1).step_by(2).map(String::from).collect()
}

/// The first-column field names of the tables in each section.
fn documented(section: &str) -> Vec<String> {
    let doc = read(&root().join("docs/MODEL.md"));
    let start = doc.find(&format!("\n{section}")).unwrap_or_else(|| panic!("docs/MODEL.md has no section {section:?}"));
    let body = &doc[start + 1..];
    let level = section.split(' ').next().unwrap().len();
    // The section runs to the next heading at its level or above.
    let mut end = body.len();
    let mut offset = 0;
    let mut fenced = false;
    for (i, line) in body.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if i > 0 && !fenced && hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
            end = offset;
            break;
        }
        offset += line.len() + 1;
    }
    body[..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn every_field_the_loader_accepts_is_documented() {
    let mut missing = Vec::new();
    for (section, model) in TABLES {
        let fields = accepted_fields(model);
        assert!(!fields.is_empty(), "{model}");
        let docs = documented(section);
        for f in fields {
            if !docs.contains(&f) {
                missing.push(format!("{section}: `{f}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields the loader accepts but docs/MODEL.md does not document:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_documented_example_models_load() {
    // Every ```toml block in the model reference and the README that is a
    // whole model (it has [sim] and a client) loads and validates.
    let mut checked = 0;
    for file in ["docs/MODEL.md", "README.md"] {
        let doc = read(&root().join(file));
        for block in doc.split("```toml").skip(1) {
            let text = block.split("```").next().unwrap();
            if !(text.contains("[sim]") && text.contains("[client.")) {
                continue;
            }
            tailsim_config::ModelFile::from_text(file, text)
                .load(&[])
                .unwrap_or_else(|e| panic!("an example in {file} does not load:\n{e}\n{text}"));
            checked += 1;
        }
    }
    assert!(checked >= 2);
}

/// The fields serde expected, from an error message.
fn expected_fields(err: &str, context: &str) -> Vec<String> {
    let (_, list) = err
        .split_once("unknown field `zz`, expected ")
        .unwrap_or_else(|| panic!("no field list for {context} in:\n{err}"));
    let list = list.lines().next().unwrap();
    list.split('`').skip(1).step_by(2).map(String::from).collect()
}

#[test]
fn the_data_file_tables_and_observed_are_documented() {
    // Tables the config layer reads itself: a client's rate and keys from
    // a file, and an experiment's [[observed]].
    let model = |table: &str| {
        let text = format!(
            "[client.c]\ntarget = \"s\"\n{table}\n[service.s]\nservice_time = {{ dist = \"constant\", value = \"1ms\" }}\n"
        );
        tailsim_config::ModelFile::from_text("m.toml", &text)
            .load(&[])
            .expect_err("the unknown field is refused")
            .to_string()
    };
    let experiment = {
        let text = "model = \"m.toml\"\n[[observed]]\nzz = 1\n";
        let e = tailsim_config::Experiment::parse(std::path::Path::new("e.toml"), text, |_| {
            Ok(tailsim_config::ModelFile::from_text(
                "m.toml",
                "[client.c]\ntarget = \"s\"\nrate = 1.0\n[service.s]\nservice_time = { dist = \"constant\", value = \"1ms\" }\n",
            ))
        });
        e.expect_err("the unknown field is refused").to_string()
    };
    let cases = [
        ("### rate from a file (client)", model("rate = { file = \"r.csv\", zz = 1 }")),
        ("### keys from a file (client)", model("keys = { file = \"k.csv\", zz = 1 }")),
        ("## [[observed]]", experiment),
    ];
    let mut missing = Vec::new();
    for (section, err) in &cases {
        let fields = expected_fields(err, section);
        assert!(fields.len() >= 3, "{section}: {fields:?}");
        let docs = documented(section);
        for f in fields {
            if !docs.contains(&f) {
                missing.push(format!("{section}: `{f}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields the loader accepts but docs/MODEL.md does not document:\n{}",
        missing.join("\n")
    );
}

/// Every key path of `value`, arrays written `[]`, into `out`. The children
/// of an estimate ({mean, ci95, n}) and the keys of an `errors` map (error
/// kinds) are left to the sections that explain them once.
fn result_paths(value: &serde_json::Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            let estimate = map.len() == 3 && ["mean", "ci95", "n"].iter().all(|k| map.contains_key(*k));
            if estimate || prefix.ends_with("errors") {
                return;
            }
            for (k, v) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                out.insert(path.clone());
                result_paths(v, &path, out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                result_paths(v, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// docs/RESULTS.md documents every field of `summary.json`: each key path
/// found in the golden summaries of every shipped model and experiment.
#[test]
fn every_field_of_summary_json_is_documented() {
    let doc = read(&root().join("docs/RESULTS.md"));
    let mut paths = std::collections::BTreeSet::new();
    let mut stack = vec![root().join("tests/golden")];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "summary.json") {
                let value: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
                result_paths(&value, "", &mut paths);
                files += 1;
            }
        }
    }
    assert!(files >= 10 && paths.len() > 100, "{files} summaries, {} paths", paths.len());
    let missing: Vec<&String> = paths.iter().filter(|p| !doc.contains(&format!("`{p}`"))).collect();
    assert!(missing.is_empty(), "summary.json fields docs/RESULTS.md does not document:\n{missing:#?}");
}
