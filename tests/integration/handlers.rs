//! Services and their handlers: service-time distributions against
//! Pollaczek-Khinchine, fan-out against F(x)^n, workers held or released
//! during calls, parallel waits, the network, and where time goes.

use tailsim_components::result::RunResult;

use crate::common::{assert_in_ci99, ci99, model, per_run, replicate};
use crate::theory;

fn mean_ms(r: &RunResult) -> f64 {
    r.clients[0].latency_ok.mean().unwrap() / 1e6
}

fn mg1(service_time: &str) -> String {
    format!(
        "[sim]\nduration = \"200s\"\nwarmup = \"20s\"\n[client.c]\ntarget = \"app\"\nrate = 800.0\n[service.app]\nservice_time = {service_time}\n"
    )
}

/// M/D/1 and M/G/1 with lognormal service: mean time in system against
/// Pollaczek-Khinchine, Wq = lambda E[S^2] / (2 (1 - rho)).
#[test]
fn mg1_mean_matches_pollaczek_khinchine() {
    let cases = [
        ("M/D/1", "{ dist = \"constant\", value = \"1ms\" }", 0.0),
        ("M/G/1 lognormal cv 1.5", "{ dist = \"lognormal\", mean = \"1ms\", cv = 1.5 }", 1.5),
    ];
    for (name, dist, cv) in cases {
        let runs = replicate(&model(&mg1(dist)), 12);
        let es2 = 1.0 + cv * cv; // ms^2, E[S] = 1 ms
        let theory = theory::pk_mean_wait(0.8, 1.0, es2) + 1.0;
        assert_in_ci99(&format!("{name} mean T"), &per_run(&runs, mean_ms), theory);
    }
}

/// A root that calls n independent, unloaded leaves and waits for all of
/// them answers at the maximum: P(T <= x) = F(x)^n.
#[test]
fn fan_out_latency_is_the_maximum_of_the_leaves() {
    let n = 10;
    let m = model(&format!(
        r#"
[sim]
duration = "60s"
warmup = "1s"
[client.c]
target = "root"
rate = 200.0
[service.root]
workers = 100000
steps = [{{ fanout = "leaf", n = {n}, wait = "all" }}]
[service.leaf]
workers = 100000
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
    ));
    let runs = replicate(&m, 10);
    for p in [0.5, 0.9, 0.99] {
        // (1 - e^{-x})^n = p  =>  x = -ln(1 - p^{1/n}), in ms.
        let x = -(1.0 - f64::powf(p, 1.0 / n as f64)).ln();
        let q = per_run(&runs, |r| r.clients[0].latency_ok.quantile(p).unwrap() as f64 / 1e6);
        assert_in_ci99(&format!("fan-out of {n}: p{}", p * 100.0), &q, x);
    }
    // The tail at scale: one slow leaf in a hundred makes most requests slow.
    let p_slow_leaf = 0.01f64;
    assert!((1.0 - (1.0 - p_slow_leaf).powi(100) - 0.634).abs() < 1e-3);
}

/// Waiting for the first of two exponential answers takes the minimum,
/// Exp(2); waiting for 2 of 3 takes the second order statistic.
#[test]
fn parallel_steps_wait_for_first_or_k() {
    let text = |wait: &str| {
        format!(
            r#"
[sim]
duration = "60s"
warmup = "1s"
[client.load]
target = "root"
rate = 200.0
[service.root]
workers = 100000
steps = [{wait}]
[service.a]
workers = 100000
service_time = {{ dist = "exponential", mean = "1ms" }}
[service.b]
workers = 100000
service_time = {{ dist = "exponential", mean = "1ms" }}
[service.c]
workers = 100000
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
        )
    };
    let first = replicate(&model(&text("{ parallel = [\"a\", \"b\"], wait = \"first\" }")), 8);
    assert_in_ci99("min of two Exp(1)", &per_run(&first, mean_ms), 0.5);
    let two_of_three = replicate(&model(&text("{ parallel = [\"a\", \"b\", \"c\"], wait = \"k\", k = 2 }")), 8);
    // Second order statistic of 3 Exp(1): 1/3 + 1/2.
    assert_in_ci99("2 of 3", &per_run(&two_of_three, mean_ms), 1.0 / 3.0 + 0.5);
}

fn caller(hold: bool) -> String {
    format!(
        r#"
[sim]
duration = "30s"
warmup = "3s"
[client.c]
target = "api"
rate = 50.0
timeout = "2s"
[service.api]
workers = 2
queue_capacity = 10
hold_worker = {hold}
steps = [{{ compute = {{ dist = "constant", value = "1ms" }} }}, {{ call = "slow" }}]
[service.slow]
workers = 1000
service_time = {{ dist = "constant", value = "100ms" }}
"#
    )
}

/// A slow dependency exhausts the workers of a caller that holds them while
/// it waits (thread per request), but not of one that releases them.
#[test]
fn holding_workers_turns_a_slow_dependency_into_exhaustion() {
    let held = replicate(&model(&caller(true)), 3);
    let released = replicate(&model(&caller(false)), 3);
    let util = |r: &RunResult| r.services[0].utilisation();
    let (h, _) = ci99(&per_run(&held, util));
    let (a, _) = ci99(&per_run(&released, util));
    // Holding: 2 workers x 101 ms serve at most 19.8/s of the 50/s offered.
    assert!(h > 0.99, "held workers are saturated: {h}");
    assert!(held.iter().all(|r| r.services[0].rejected > 500));
    // Released: 50/s x 2 ms of compute on 2 workers is 5% busy.
    assert!(a < 0.1, "released workers are mostly idle: {a}");
    assert!(released.iter().all(|r| r.services[0].rejected == 0 && r.clients[0].errors.total() == 0));
    // And the caller's time splits into compute, downstream and wait.
    for r in &released {
        let s = &r.services[0];
        let total = s.wait_mean().unwrap() + s.compute_mean().unwrap() + s.downstream_mean().unwrap();
        assert!((total - s.response.mean().unwrap()).abs() < 1e-6 * total + 1.0);
        assert!((s.downstream_mean().unwrap() / 1e6 - 100.0).abs() < 0.01);
    }
}

/// Link latency is paid each way; a lost message looks like a timeout.
#[test]
fn network_latency_and_loss() {
    let m = model(
        r#"
[sim]
duration = "30s"
warmup = "1s"
[network]
latency = { dist = "constant", value = "3ms" }
[client.c]
target = "app"
rate = 100.0
[service.app]
workers = 100
service_time = { dist = "constant", value = "1ms" }
"#,
    );
    let r = tailsim_components::sim::run(&m, 1).unwrap();
    let h = &r.clients[0].latency_ok;
    assert_eq!(h.quantile(0.001), h.quantile(0.999), "every request takes the same time");
    assert!((mean_ms(&r) - 7.0).abs() < 1e-3, "3 ms out, 1 ms service, 3 ms back");
    assert!((r.clients[0].network_mean().unwrap() / 1e6 - 6.0).abs() < 1e-6);

    let lossy = model(
        r#"
[sim]
duration = "60s"
warmup = "1s"
[client.c]
target = "app"
rate = 500.0
timeout = "50ms"
[[network.link]]
from = "c"
to = "app"
loss = 0.05
[service.app]
workers = 100
service_time = { dist = "constant", value = "1ms" }
"#,
    );
    let runs = replicate(&lossy, 8);
    let rate =
        per_run(&runs, |r| r.clients[0].errors.total() as f64 / (r.clients[0].ok + r.clients[0].errors.total()) as f64);
    // Lost on the way out or on the way back: 1 - 0.95^2.
    assert_in_ci99("loss looks like timeouts", &rate, 1.0 - 0.95f64.powi(2));
}
