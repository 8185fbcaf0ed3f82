//! The messages a person meets first, each said in the model's words.

use crate::common::{read, tailsim};

fn failure(args: &[&str]) -> String {
    let out = tailsim(args);
    assert!(!out.status.success(), "expected failure for {args:?}");
    String::from_utf8(out.stderr).unwrap()
}

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn wrong_types_are_said_without_rust_type_names() {
    let dir = tempfile::tempdir().unwrap();
    let model = "[client.web]\ntarget = \"app\"\nrate = \"900\"\n\n[service.app]\nservice_time = { dist = \"exponential\", mean = \"1ms\" }\n";
    let err = failure(&["check", &write(dir.path(), "m.toml", model.as_bytes())]);
    assert!(
        err.contains("`rate` expects a number of requests per second, such as 900.0, found the text \"900\""),
        "{err}"
    );
    assert!(err.contains("write the number without quotes: `rate = 900`"), "{err}");
    assert!(!err.contains("f64"), "{err}");

    let err = failure(&["check", "models/mm1.toml", "--set", "service.app.replicas=-1"]);
    assert!(err.contains("`replicas` expects a whole number ≥ 1, found -1"), "{err}");
    assert!(!err.contains("u32"), "{err}");
    let err = failure(&["check", "models/mm1.toml", "--set", "service.app.workers={ a = 1 }"]);
    assert!(err.contains("`workers` expects a whole number ≥ 1, found a table"), "{err}");
    assert!(!err.contains("invalid type"), "{err}");
}

#[test]
fn an_experiment_given_to_run_is_named_as_one() {
    let err = failure(&["run", "experiments/hedging.toml"]);
    assert!(err.contains("looks like an experiment file"), "{err}");
    assert!(err.contains("run it with `tailsim sweep experiments/hedging.toml`"), "{err}");
}

#[test]
fn binary_input_is_reported_at_its_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "garbage.toml", b"a = 1\n# caf\xe9 \x00\x01\n");
    let err = failure(&["check", &path]);
    assert!(err.contains("is not UTF-8 text: byte 11 (0xe9) is not valid UTF-8"), "{err}");
    assert!(err.contains(&format!("--> {path}:2:6")), "{err}");
    assert!(!err.contains('\u{0}'), "no raw control bytes reach the terminal: {err:?}");
}

#[test]
fn an_autoscaled_service_without_replicas_starts_at_its_minimum() {
    let model = read(&crate::common::root().join("models/autoscale_spike.toml"));
    let without = model.replacen("[service.api]\nreplicas = 3\n", "[service.api]\n", 1);
    assert_ne!(model, without, "the shipped model names its starting size");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "autoscaled.toml", without.as_bytes());
    let out = tailsim(&["check", &path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3×4"), "starts at autoscale.min = 3 replicas");
    // A size the user writes is still checked against the range.
    let err = failure(&["check", &path, "--set", "service.api.replicas=1"]);
    assert!(err.contains("must lie between `autoscale.min` (3) and `autoscale.max` (40), got 1"), "{err}");
}

#[test]
fn one_bad_setting_on_a_sweep_is_reported_once() {
    let err = failure(&["sweep", "tests/golden/tiny.toml", "--set", "service.app.workers=0"]);
    assert_eq!(err.matches("must be at least 1").count(), 1, "{err}");
    assert!(err.contains("at every sweep point (4)"), "{err}");
}

#[test]
fn a_window_too_small_for_the_duration_is_refused_with_a_suggestion() {
    let err = failure(&["check", "models/mm1.toml", "--set", "sim.window=10us"]);
    assert!(err.contains("`sim.window`: gives 20000000 windows"), "{err}");
    assert!(err.contains("such as `window = \"1s\"`"), "{err}");
}

#[test]
fn every_capacity_option_has_help() {
    let out = tailsim(&["capacity", "-h"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("The high end of the range to search"), "{help}");
    for line in help.lines().filter(|l| l.trim_start().starts_with("--")) {
        assert!(line.split("  ").filter(|p| !p.trim().is_empty()).count() >= 2, "an option without help: {line}");
    }
}

#[test]
fn a_peak_rate_that_overflows_is_an_error() {
    let err = failure(&[
        "check",
        "models/mm1.toml",
        "--set",
        "client.web.spike={ at = \"10s\", duration = \"1s\", factor = 1e308 }",
    ]);
    assert!(err.contains("`client.web`: its peak rate overflows (inf req/s"), "{err}");
    assert!(!err.contains("NaN"), "{err}");
}

#[test]
fn a_long_time_series_is_drawn_in_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = tailsim(&[
        "run",
        "models/mm1.toml",
        "--set",
        "sim.duration=1000s",
        "--set",
        "sim.window=100ms",
        "--replications",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = read(&out.join("points/0/timeseries.csv"));
    assert_eq!(csv.lines().count(), 9_801, "the CSV keeps every measured window (980 s after warm-up)");
    let svg = read(&out.join("points/0/timeseries.svg"));
    assert!(svg.contains("buckets of 23 windows"), "9,800 windows in buckets of 23 (at most 430 drawn)");
}
