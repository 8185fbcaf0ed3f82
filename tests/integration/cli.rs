//! The command line as users meet it: tables, files and error messages.

use crate::common::{tailsim, tailsim_ok};

fn write_model(dir: &std::path::Path, text: &str) -> String {
    let p = dir.join("bad.toml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn stderr_of(args: &[&str]) -> String {
    let out = tailsim(args);
    assert!(!out.status.success(), "expected failure for {args:?}");
    String::from_utf8(out.stderr).unwrap()
}

const GOOD: &str = "[sim]\nduration = \"2s\"\n\n[client.web]\ntarget = \"app\"\nrate = 100.0\n\n[service.app]\nservice_time = { dist = \"exponential\", mean = \"1ms\" }\n";

#[test]
fn run_prints_the_table_and_writes_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let stdout = tailsim_ok(&[
        "run",
        "models/mm1.toml",
        "--set",
        "sim.duration=5s",
        "--set",
        "sim.warmup=1s",
        "--out",
        out.to_str().unwrap(),
    ]);
    for needle in ["offered", "throughput", "p99", "p99.9", "utilisation", "requests measured", "5 replications"] {
        assert!(stdout.contains(needle), "missing `{needle}` in:\n{stdout}");
    }
    let summary: serde_json::Value = serde_json::from_str(&crate::common::read(&out.join("summary.json"))).unwrap();
    let p = &summary["points"][0];
    assert_eq!(p["replications"], 5);
    for key in ["offered_rps", "throughput_rps", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"] {
        assert!(p["headline"][key]["mean"].is_number(), "{key}");
    }
    assert!(p["services"][0]["utilisation"]["mean"].as_f64().unwrap() > 0.8);
}

#[test]
fn malformed_toml_reports_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_model(tmp.path(), &GOOD.replace("rate = 100.0", "rate = = 100.0"));
    let err = stderr_of(&["run", &path]);
    assert!(err.contains(&format!("{path}:6:")), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn misspelled_field_gets_location_and_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_model(tmp.path(), &GOOD.replace("rate = 100.0", "rat = 100.0"));
    let err = stderr_of(&["run", &path]);
    assert!(err.contains("unknown field `rat`"), "{err}");
    assert!(err.contains(&format!("{path}:6:1")), "{err}");
    assert!(err.contains("did you mean `rate`?"), "{err}");
}

#[test]
fn unknown_component_gets_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_model(tmp.path(), &GOOD.replace("target = \"app\"", "target = \"ap\""));
    let err = stderr_of(&["check", &path]);
    assert!(err.contains("no balancer, service, cache, datastore, queue or router named `ap`"), "{err}");
    assert!(err.contains(&format!("{path}:5:10")), "{err}");
    assert!(err.contains("did you mean `app`?"), "{err}");
}

#[test]
fn impossible_values_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_model(tmp.path(), &GOOD.replace("rate = 100.0", "rate = -3.0"));
    let err = stderr_of(&["run", &path]);
    assert!(err.contains("`client.web.rate`: must be a positive number"), "{err}");
    let err = stderr_of(&["run", "models/mm1.toml", "--set", "service.app.workers=0"]);
    assert!(err.contains("`service.app.workers`: must be at least 1"), "{err}");
    assert!(err.contains("--set service.app.workers=0"), "{err}");
}

#[test]
fn unstable_models_are_refused_before_running() {
    let err = stderr_of(&["run", "models/mm1.toml", "--set", "client.web.rate=1500"]);
    assert!(err.contains("unstable"), "{err}");
    assert!(err.contains("utilisation 1.50"), "{err}");
    assert!(err.contains("queue_capacity"), "{err}");
    let out = tailsim(&["check", "models/mm1.toml", "--set", "client.web.rate=1500"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("UNSTABLE"));
}

#[test]
fn check_prints_the_capacity_analysis() {
    let stdout = tailsim_ok(&["check", "models/web_lb.toml"]);
    assert!(stdout.contains("valid model"), "{stdout}");
    assert!(stdout.contains("4000.0"), "capacity 4 x 2 / 2 ms: {stdout}");
    assert!(stdout.contains("0.750"), "utilisation: {stdout}");
}

#[test]
fn check_warns_when_retries_could_storm_and_a_budget_silences_it() {
    let stdout = tailsim_ok(&["check", "models/retry_storm.toml"]);
    assert!(stdout.contains("3200.0"), "4 attempts x 800 req/s: {stdout}");
    assert!(stdout.contains("retry storm could outlive"), "{stdout}");
    let stdout = tailsim_ok(&["check", "models/retry_storm.toml", "--set", "client.users.retry.budget.ratio=0.1"]);
    assert!(stdout.contains("880.0"), "800 x (1 + 0.1): {stdout}");
    assert!(!stdout.contains("retry storm"), "{stdout}");
}

#[test]
fn automatic_warm_up_is_detected_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("auto");
    let stdout = tailsim_ok(&[
        "run",
        "models/mm1.toml",
        "--set",
        "sim.warmup=auto",
        "--set",
        "sim.duration=60s",
        "--replications",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("mser5"), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(&crate::common::read(&out.join("summary.json"))).unwrap();
    let p = &summary["points"][0];
    assert_eq!(p["warmup_method"], "mser5");
    let w = p["warmup_s"].as_f64().unwrap();
    assert!((0.0..=30.0).contains(&w), "warm-up {w} s is at most half the run");
    assert!((p["measured_s"].as_f64().unwrap() - (60.0 - w)).abs() < 1e-9);
}

#[test]
fn validate_quick_passes_and_reports_every_case() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("FIDELITY.md");
    let stdout = tailsim_ok(&["validate", "--quick", "--report", report.to_str().unwrap()]);
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    for case in [
        "M/M/1",
        "M/M/2",
        "M/D/1",
        "Erlang B",
        "power of 2",
        "MVA",
        "F(x)^n",
        "S(t)S(t-h)",
        "(1-p^(N+1))/(1-p)",
        "Little's law",
    ] {
        assert!(stdout.contains(case), "{case} missing:\n{stdout}");
    }
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.starts_with("# Fidelity") && md.contains("| M/M/1 ρ=0.9 | mean T ms | 10.00 |"), "{md}");
}

#[test]
fn capacity_finds_the_smallest_fleet_and_the_knee() {
    let short = ["--set", "sim.duration=15s", "--set", "sim.warmup=3s"];
    let args =
        ["capacity", "experiments/capacity_plan.toml", "--vary", "service.api.replicas", "--from", "10", "--to", "30"];
    let out = tailsim_ok(&[&args[..], &short[..]].concat());
    // 6,944 req/s at 400 per instance: 17 cannot keep up, 18 meet the SLOs.
    assert!(out.contains("smallest service.api.replicas that meets every SLO: 18"), "{out}");
    assert!(out.contains("misses") && out.contains("meets"), "{out}");
    let args = [
        "capacity",
        "experiments/capacity_plan.toml",
        "--vary",
        "client.users.rate",
        "--from",
        "5000",
        "--to",
        "12000",
        "--largest",
        "--precision",
        "0.01",
    ];
    let out = tailsim_ok(&[&args[..], &short[..]].concat());
    let knee: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("largest client.users.rate that meets every SLO: "))
        .unwrap_or_else(|| panic!("{out}"))
        .trim()
        .parse()
        .unwrap();
    // 24 instances x 400 req/s = 9,600 req/s at full utilisation.
    assert!((9000.0..=9700.0).contains(&knee), "{knee}");
    // Nothing meets the SLOs when even the largest fleet cannot.
    let args =
        ["capacity", "experiments/capacity_plan.toml", "--vary", "service.api.replicas", "--from", "1", "--to", "4"];
    let out = tailsim(&[&args[..], &short[..]].concat());
    assert_eq!(out.status.code(), Some(3));
}
