//! Runaway inputs stop with a message: the limits on values past physical
//! sense, the load-against-capacity check and `--force`, and the budgets
//! (events, wall time) that stop a replication cleanly. Each input an
//! earlier fuzzing found crashing or hanging the simulator is here.

use crate::common::tailsim;

/// Runs `tailsim args`, asserting its exit status; returns stdout and
/// stderr together.
fn said(expected: i32, args: &[&str]) -> String {
    let out = tailsim(args);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(expected), "tailsim {args:?}:\n{text}");
    text
}

/// `check` and `run` (with a short horizon) both refuse `set` on `model`
/// with status 1 and a message containing every one of `words`.
fn both_refuse(model: &str, set: &str, words: &[&str]) {
    let run = ["run", model, "--set", set, "--set", "sim.duration=2s", "--replications", "1", "--out", "/dev/null/x"];
    for args in [&["check", model, "--set", set][..], &run[..]] {
        let text = said(1, args);
        for w in words {
            assert!(text.contains(w), "tailsim {args:?} does not say {w:?}:\n{text}");
        }
        assert!(!text.contains("panicked"), "{text}");
    }
}

#[test]
fn rates_past_physical_sense_are_refused_naming_the_field() {
    for model in ["models/lb_policies.toml", "models/capacity_plan.toml", "models/retry_storm.toml"] {
        let client = if model.contains("lb_policies") { "web" } else { "users" };
        for rate in ["1e12", "9223372036854775808"] {
            both_refuse(
                model,
                &format!("client.{client}.rate={rate}"),
                &[&format!("`client.{client}.rate`"), "beyond the limit of 1e9 requests per second", "per day"],
            );
        }
        // 2^64 does not fit any number the model holds.
        both_refuse(
            model,
            &format!("client.{client}.rate=18446744073709551616"),
            &["found 1.8446744073709552e19", "wrong unit", &format!("--set client.{client}.rate")],
        );
    }
}

#[test]
fn a_key_space_past_2_48_is_refused_and_check_never_allocates_per_key() {
    let model = "models/cache_aside_sharded.toml";
    both_refuse(model, "client.web.keys.n=18446744073709551615", &["`client.web.keys.n`", "limit of 2^48 keys"]);
    both_refuse(model, "client.web.keys.n=18446744073709551616", &["found 1.8446744073709552e19"]);
    // At the limit, `check` answers (with O(1) memory per key space) and
    // a short run completes.
    let text = said(0, &["check", model, "--set", "client.web.keys.n=281474976710656"]);
    assert!(text.contains("valid model"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let args = ["--set", "sim.duration=2s", "--set", "sim.warmup=1s", "--replications", "1", "--out"];
    let mut run = vec!["run", model, "--set", "client.web.keys.n=281474976710656"];
    run.extend(args);
    run.push(out.to_str().unwrap());
    said(0, &run);
}

#[test]
fn autoscaling_parameters_that_would_spin_are_refused() {
    let model = "models/autoscale_spike.toml";
    for (field, value) in [("min", "9223372036854775807"), ("max", "1e308")] {
        both_refuse(
            model,
            &format!("service.api.autoscale.{field}={value}"),
            &[&format!("`{field}` expects a whole number ≥ 1")],
        );
    }
    both_refuse(
        model,
        "service.api.autoscale.interval=\"1ns\"",
        &["`service.api.autoscale.interval`: evaluates", "at most 1e7 are allowed", "Use at least"],
    );
    both_refuse(model, "service.api.autoscale.interval=\"1e300s\"", &["too long"]);
}

#[test]
fn load_a_thousand_times_over_capacity_needs_force() {
    let model = "models/lb_policies.toml";
    let text = said(1, &["check", model, "--set", "client.web.rate=1e8"]);
    assert!(
        text.contains("service `api` is offered 1e8 req/s against a capacity of 3464 req/s (28868x over)"),
        "{text}"
    );
    assert!(text.contains("give `--force`"), "{text}");
    let text = said(0, &["check", model, "--set", "client.web.rate=1e8", "--force"]);
    assert!(text.contains("valid model") && text.contains("28868x over"), "{text}");
    // Ten times over: a warning only.
    let text = said(0, &["check", model, "--set", "client.web.rate=40000"]);
    assert!(text.contains("warning: service `api` is offered 40000 req/s") && text.contains("per day"), "{text}");
    // `run` refuses it the same way, located at the component.
    let text = said(1, &["run", model, "--set", "client.web.rate=1e8", "--out", "/dev/null/x"]);
    assert!(text.contains("`service.api`: offered 1e8 req/s") && text.contains("--force"), "{text}");
}

#[test]
fn a_spent_budget_stops_the_replication_and_says_which_when_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let common = ["--replications", "1", "--force", "--out", out.to_str().unwrap()];
    let mut args =
        vec!["run", "models/lb_policies.toml", "--set", "client.web.rate=1e8", "--set", "sim.max_events=200000"];
    args.extend(common);
    let text = said(4, &args);
    assert!(text.contains("the run was stopped early: stopped at t = "), "{text}");
    assert!(text.contains("of 1m: the event budget (`sim.max_events` = 200000) is spent"), "{text}");
    assert!(text.contains("the likely cause: service `api` is offered 1e8 req/s"), "{text}");
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("the event budget"), "summary.json says why: {summary}");

    let mut args = vec!["run", "models/lb_policies.toml", "--set", "client.web.rate=1e8", "--set", "sim.max_wall=1ms"];
    args.extend(common);
    let text = said(4, &args);
    assert!(text.contains("the wall-time budget (`sim.max_wall` = 1ms) is spent, after "), "{text}");

    // Queues allowed to grow far: the memory budget stops it.
    let mut args = vec!["run", "models/lb_policies.toml", "--set", "client.web.rate=1e6"];
    args.extend(["--set", "service.api.queue_capacity=10000000", "--set", "sim.max_in_flight=100000000"]);
    args.extend(["--set", "sim.max_memory=\"100MB\""]);
    args.extend(common);
    let text = said(4, &args);
    assert!(
        text.contains("the memory budget (`sim.max_memory` = 100MB, for every replication running at once)"),
        "{text}"
    );
    assert!(text.contains("(289x over)"), "{text}");

    // A model within its budgets is not touched by them.
    let mut args = vec!["run", "models/mm1.toml", "--set", "sim.duration=5s", "--set", "sim.warmup=1s"];
    args.extend(common);
    said(0, &args);
    // A budget of zero, or an amount that is not one, is refused.
    let text = said(1, &["check", "models/mm1.toml", "--set", "sim.max_events=0"]);
    assert!(text.contains("`sim.max_events`: must be at least 1"), "{text}");
    let text = said(1, &["check", "models/mm1.toml", "--set", "sim.max_memory=\"4 parsecs\""]);
    assert!(text.contains("invalid amount of memory `4 parsecs`"), "{text}");
}
