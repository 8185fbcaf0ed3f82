//! The HTML report (`report.html`) and the topology picture (`tailsim
//! graph`).
//!
//! `reports_work_in_a_real_browser` builds the reports of three shipped
//! experiments (shortened with `--set`) and drives headless Chromium
//! (Debian's `chromium`, installed on first use) with playwright-core
//! through `tests/browser/check_report.mjs`: no console errors, no network
//! request, the table sorts, selecting a point updates the charts, the
//! topology has one node per component, hover read-outs, readable light and
//! dark colours. Its screenshots are kept under `target/test-artifacts/`
//! (`report-<experiment>.png`, full page, and `-dark.png`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{read, root, tailsim, tailsim_ok};
use crate::prereq;

/// The playwright-core release the browser test is written against.
const PLAYWRIGHT: &str = "playwright-core@1.65.1";

/// A shipped experiment, shortened for the test.
struct Case {
    experiment: &'static str,
    set: &'static [&'static str],
}

const CASES: [Case; 3] = [
    // A numeric sweep: 16 points, one server and eight.
    Case { experiment: "hockey_stick", set: &["sim.duration=20s", "sim.warmup=2s", "sim.replications=3"] },
    // Variants, a cache, datastore shards and a hot-key window (from 60 s).
    Case { experiment: "celebrity_stampede", set: &["sim.duration=90s", "sim.replications=2"] },
    // A balancer, an autoscaled fleet and a load spike (from 200 s).
    Case { experiment: "autoscale_spike", set: &["sim.duration=320s", "sim.replications=2"] },
];

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `tailsim sweep` for `case` into `out`; SLO failures (exit 3) are
/// part of several scenarios.
fn sweep(case: &Case, out: &Path) {
    let file = format!("experiments/{}.toml", case.experiment);
    let mut args = vec!["sweep", &file, "--out", path(out)];
    for s in case.set {
        args.extend(["--set", s]);
    }
    let done = tailsim(&args);
    assert!(
        matches!(done.status.code(), Some(0 | 3)),
        "tailsim {args:?} failed:\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// The model's component names, read independently of the report: every
/// named table of the model an experiment loads.
fn components(case: &Case) -> Vec<String> {
    let e = tailsim_config::Experiment::read(&root().join("experiments").join(format!("{}.toml", case.experiment)))
        .unwrap_or_else(|d| panic!("{d}"));
    let spec = e.model.load(&e.base).unwrap_or_else(|d| panic!("{d}")).into_spec();
    let mut names: Vec<String> = spec
        .client
        .keys()
        .chain(spec.router.keys())
        .chain(spec.balancer.keys())
        .chain(spec.service.keys())
        .chain(spec.cache.keys())
        .chain(spec.datastore.keys())
        .chain(spec.queue.keys())
        .cloned()
        .collect();
    names.sort();
    names
}

/// The component names in a results directory's plan.
fn plan_nodes(dir: &Path) -> Vec<String> {
    let plan: serde_json::Value = serde_json::from_str(&read(&dir.join("plan.json"))).unwrap();
    let mut names: Vec<String> =
        plan["topology"]["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

#[test]
fn reports_work_in_a_real_browser() {
    prereq::debian(&[("/usr/bin/chromium", "chromium")]);
    let node = Command::new("node").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let major: Option<u32> =
        node.as_deref().ok().and_then(|v| v.trim().trim_start_matches('v').split('.').next()?.parse().ok());
    assert!(
        major.is_some_and(|m| m >= 20),
        "this test needs Node.js 20 or newer for {PLAYWRIGHT} (found {node:?}); install it (for example from NodeSource) and run the tests again"
    );
    let playwright = prereq::npm("playwright", &[PLAYWRIGHT]);
    let artifacts = root().join("target").join("test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut pages = Vec::new();
    for case in &CASES {
        let out = tmp.path().join(case.experiment);
        sweep(case, &out);
        let nodes = components(case);
        assert_eq!(plan_nodes(&out), nodes, "{}: the plan's topology lists every component", case.experiment);
        pages.push(serde_json::json!({
            "name": case.experiment,
            "html": out.join("report.html"),
            "nodes": nodes,
            "screenshot": artifacts.join(format!("report-{}.png", case.experiment)),
        }));
    }
    let list = tmp.path().join("pages.json");
    std::fs::write(&list, serde_json::to_string_pretty(&pages).unwrap()).unwrap();
    let script = root().join("tests").join("browser").join("check_report.mjs");
    let done = Command::new("node")
        .arg(&script)
        .arg(&list)
        .env("PLAYWRIGHT_DIR", &playwright)
        .output()
        .expect("node runs (install it with `sudo apt-get install -y nodejs`)");
    let stdout = String::from_utf8_lossy(&done.stdout);
    println!("{stdout}");
    assert!(done.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&done.stderr));
    assert!(stdout.contains("3 reports checked"), "{stdout}");
    for case in &CASES {
        let shot = artifacts.join(format!("report-{}.png", case.experiment));
        assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "{} has a screenshot", shot.display());
    }
}

/// A small run, into a temporary directory.
fn small_run(dir: &Path) -> PathBuf {
    let out = dir.join("mm1");
    tailsim_ok(&[
        "run",
        "models/mm1.toml",
        "--set",
        "sim.duration=6s",
        "--set",
        "sim.warmup=1s",
        "--replications",
        "2",
        "--out",
        path(&out),
    ]);
    out
}

#[test]
fn every_run_writes_a_self_contained_report_that_tailsim_report_rebuilds() {
    let tmp = tempfile::tempdir().unwrap();
    let out = small_run(tmp.path());
    let html = read(&out.join("report.html"));
    assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>\n"));
    // Nothing to fetch: no external scripts, styles, images or fonts.
    assert!(!html.contains(" src=") && !html.contains("url(http"), "the page loads nothing");
    let links: Vec<&str> = html.match_indices("http:").map(|(i, _)| &html[i..(i + 30).min(html.len())]).collect();
    assert!(!html.contains("https:") && !html.contains("//cdn"), "no links out");
    assert!(links.iter().all(|l| l.starts_with("http://www.w3.org/")), "only SVG namespaces: {links:?}");
    assert!(html.contains("default-src 'none'"), "the page forbids requests");
    // The header says how to get the same page again.
    assert!(
        html.contains("tailsim run models/mm1.toml --set sim.duration=6s --set sim.warmup=1s --replications 2"),
        "the command"
    );
    assert!(html.contains("<dt>seed</dt><dd>1</dd>"));
    std::fs::remove_file(out.join("report.html")).unwrap();
    let done = tailsim(&["report", path(&out)]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert_eq!(read(&out.join("report.html")), html, "rebuilt byte for byte");
    let missing = tailsim(&["report", path(&tmp.path().join("nothing"))]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("plan.json"), "names what is missing");
}

#[test]
fn graph_draws_every_component_as_svg_or_dot() {
    let svg = tailsim_ok(&["graph", "models/two_region_failover.toml"]);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    for name in ["users", "global", "lb_east", "lb_west", "api_east", "api_west", "db"] {
        assert_eq!(svg.matches(&format!("data-node=\"{name}\"")).count(), 1, "{name}");
    }
    assert_eq!(svg.matches("<g class=\"node ").count(), 7);
    assert!(svg.contains(">region east</text>") && svg.contains(">region west</text>"));
    assert!(svg.contains(">east-1a</text>"), "a zone chip");
    let dot = tailsim_ok(&["graph", "models/queue_workers.toml", "--format", "dot"]);
    assert!(dot.contains("\"thumbnails\" -> \"resizer\" [label=\"consumes\", style=dashed];"), "{dot}");
    assert!(dot.contains("\"api\" -> \"thumbnails\" [label=\"calls\"];"));
    // Overrides apply, and errors point at them.
    let set = "service.api.steps=[{ call = \"db\" }]";
    let changed = tailsim_ok(&["graph", "models/celebrity_stampede.toml", "--format", "dot", "--set", set]);
    assert!(changed.contains("\"api\" -> \"db\" [label=\"calls\"];"), "{changed}");
    assert!(!changed.contains("\"api\" -> \"feed_cache\""), "{changed}");
    let wrong = tailsim(&["graph", "models/mm1.toml", "--set", "client.web.targt=app"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("did you mean `target`?"));
}
