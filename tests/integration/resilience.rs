//! Timeouts, retries, budgets, hedging, circuit breakers, rate limiters,
//! load shedding, bulkheads and deadlines behave as their designs say, and
//! the metastable retry storm happens and is cured.

use tailsim_components::result::{ErrorKind, RunResult};
use tailsim_components::sim::run;

use crate::common::{assert_in_ci99, ci99, model, per_run, replicate};

fn failing(p: f64, attempts: u32, extra: &str) -> String {
    format!(
        r#"
[sim]
duration = "30s"
warmup = "1s"
[client.c]
target = "api"
rate = 500.0
retry = {{ attempts = {attempts}, on = ["server_error"], backoff = "fixed", base = "1ms", cap = "1ms" }}
{extra}
[service.api]
workers = 100
failure_probability = {p}
service_time = {{ dist = "constant", value = "1ms" }}
"#
    )
}

/// With independent per-attempt failure probability p and N retries, each
/// call makes (1 - p^(N+1)) / (1 - p) attempts on average and fails with
/// probability p^(N+1).
#[test]
fn retry_amplification_matches_the_formula() {
    for (p, retries) in [(0.3, 2), (0.5, 3)] {
        let runs = replicate(&model(&failing(p, retries + 1, "")), 6);
        let n = retries as i32 + 1;
        let load = (1.0 - f64::powi(p, n)) / (1.0 - p);
        assert_in_ci99(&format!("load factor p={p} N={retries}"), &per_run(&runs, |r| r.hops[0].amplification()), load);
        let fail = per_run(&runs, |r| {
            let c = &r.clients[0];
            c.errors.total() as f64 / (c.ok + c.errors.total()) as f64
        });
        assert_in_ci99(&format!("failure rate p={p} N={retries}"), &fail, f64::powi(p, n));
    }
}

/// A budget of 0.1 tokens per success caps retries near a tenth of calls.
#[test]
fn retry_budget_caps_retries() {
    let text =
        failing(0.5, 5, "").replace(r#"cap = "1ms" }"#, r#"cap = "1ms", budget = { ratio = 0.1, capacity = 10 } }"#);
    let r = run(&model(&text), 1).unwrap();
    let h = &r.hops[0];
    let retries_per_call = h.retries as f64 / h.calls as f64;
    // Successes are about half the calls, each earning 0.1: about 0.05.
    assert!(retries_per_call < 0.06, "retries per call {retries_per_call:.3}");
    assert!(h.budget_denied > 0);
    let unbudgeted = run(&model(&failing(0.5, 5, "")), 1).unwrap();
    assert!(unbudgeted.hops[0].retries as f64 / unbudgeted.hops[0].calls as f64 > 0.9);
}

/// Hedging after h under light load, with independent replicas:
/// P(T > t) = S(t) S(t - h) for t > h, and the extra load is P(X > h).
#[test]
fn hedged_requests_follow_s_t_times_s_t_minus_h() {
    let text = r#"
[sim]
duration = "60s"
warmup = "1s"
[client.c]
target = "leaf"
rate = 200.0
hedge = { after = "2ms" }
[service.leaf]
replicas = 50
workers = 1000
service_time = { dist = "exponential", mean = "1ms" }
"#;
    let runs = replicate(&model(text), 8);
    let h: f64 = 2.0;
    for t in [2.5f64, 3.0, 4.0] {
        let above = per_run(&runs, |r| r.clients[0].latency_ok.fraction_above((t * 1e6) as u64));
        assert_in_ci99(&format!("P(T > {t} ms)"), &above, (-t).exp() * (-(t - h)).exp());
    }
    let extra = per_run(&runs, |r| r.hops[0].hedges as f64 / r.hops[0].calls as f64);
    assert_in_ci99("hedge rate", &extra, (-h).exp());
}

/// Tied requests: both copies go out, and the one that starts service
/// first cancels the other, so little work is duplicated.
#[test]
fn tied_requests_cancel_the_copy_still_queued() {
    let text = |hedge: &str| {
        format!(
            r#"
[sim]
duration = "40s"
warmup = "2s"
[client.c]
target = "lb"
rate = 1400.0
{hedge}
[balancer.lb]
target = "api"
policy = "random"
[service.api]
replicas = 4
workers = 1
queue_capacity = 1000
service_time = {{ dist = "exponential", mean = "2ms" }}
"#
        )
    };
    let plain = replicate(&model(&text("")), 4);
    let tied = replicate(&model(&text("hedge = { tied = true }")), 4);
    let work = |r: &RunResult| r.services[0].completions as f64 / r.clients[0].sent as f64;
    let (w, _) = ci99(&per_run(&tied, work));
    assert!(w < 1.3, "tied copies are mostly cancelled before service: {w:.3} served per request");
    let p99 = |r: &RunResult| r.clients[0].latency_ok.quantile(0.99).unwrap() as f64 / 1e6;
    let (t99, th) = ci99(&per_run(&tied, p99));
    let (p99p, ph) = ci99(&per_run(&plain, p99));
    assert!(t99 + th < p99p - ph, "tied p99 {t99:.2} vs plain {p99p:.2}");
}

/// A circuit breaker opens when most calls fail, answers with its fallback
/// while open, and closes again once probes succeed.
#[test]
fn circuit_breaker_opens_falls_back_and_closes() {
    let text = r#"
[sim]
duration = "60s"
warmup = "1s"
[client.c]
target = "api"
rate = 200.0
breaker = { failure_rate = 0.5, window = "5s", min_calls = 20, open_for = "5s", half_open_probes = 3, fallback = "default" }
[service.api]
workers = 50
service_time = { dist = "constant", value = "1ms" }
[[fault]]
kind = "error"
target = "api"
probability = 0.9
at = "20s"
duration = "10s"
"#;
    let r = run(&model(text), 1).unwrap();
    let h = &r.hops[0];
    assert!(h.breaker_opens >= 1 && h.breaker_rejections > 500, "{h:?}");
    assert_eq!(r.clients[0].fallback, h.fallbacks);
    // After the fault ends the breaker closes and everything succeeds.
    let late: u64 = r.series.iter().filter(|w| w.start >= 45_000_000_000).map(|w| w.errors).sum();
    assert_eq!(late, 0);
    let without = run(&model(&text.replace("breaker = {", "# breaker = {")), 1).unwrap();
    assert!(without.clients[0].errors.get(ErrorKind::ServerError) > 1500);
}

fn limited(algorithm: &str) -> String {
    format!(
        r#"
[sim]
duration = "20s"
warmup = "2s"
[client.c]
target = "api"
rate = 1000.0
[service.api]
workers = 100
rate_limit = {{ algorithm = "{algorithm}", rate = 300.0, burst = 20 }}
service_time = {{ dist = "constant", value = "1ms" }}
"#
    )
}

#[test]
fn rate_limiters_hold_a_node_to_its_rate() {
    for algorithm in ["token_bucket", "sliding_window", "leaky_bucket"] {
        let r = run(&model(&limited(algorithm)), 1).unwrap();
        // Offered 1,000/s against 300/s: the limiter is never idle, so over
        // T seconds it admits 300 T give or take what it held at the start.
        // A bucket holds at most its burst (20), plus one for rounding; a
        // sliding window carries at most one window (300) of its past.
        let admitted = r.services[0].arrivals as f64;
        let expected = 300.0 * r.measured_secs();
        let slack = if algorithm == "sliding_window" { 300.0 } else { 21.0 };
        assert!((admitted - expected).abs() <= slack, "{algorithm}: admitted {admitted} in {} s", r.measured_secs());
        assert!(r.clients[0].errors.get(ErrorKind::RateLimited) > 10_000, "{algorithm}");
    }
    // The leaky bucket delays what it admits instead of passing bursts.
    let leaky = run(&model(&limited("leaky_bucket")), 1).unwrap();
    assert!(leaky.clients[0].latency_ok.mean().unwrap() > 10e6, "waits up to burst / rate = 67 ms");
}

fn overloaded(shed: &str) -> String {
    format!(
        r#"
[sim]
duration = "20s"
warmup = "2s"
[client.c]
target = "api"
rate = 1500.0
[service.api]
workers = 1
queue_capacity = 5000
{shed}
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
    )
}

/// At 1.5x capacity a bounded queue fills and every request waits seconds;
/// shedding by queue length or by sojourn keeps waits short.
#[test]
fn load_shedding_keeps_waits_short() {
    let p50 = |r: &RunResult| r.clients[0].latency_ok.quantile(0.5).unwrap() as f64 / 1e6;
    let full = run(&model(&overloaded("")), 1).unwrap();
    assert!(p50(&full) > 1000.0, "unshed median {:.1} ms", p50(&full));
    let by_length = run(&model(&overloaded("shed = { queue_above = 20 }")), 1).unwrap();
    assert!(by_length.services[0].queue_max <= 20);
    assert!(by_length.services[0].shed > 5000);
    assert!(p50(&by_length) < 25.0);
    let codel = run(&model(&overloaded("shed = { sojourn_target = \"5ms\", interval = \"100ms\" }")), 1).unwrap();
    assert!(codel.services[0].shed > 5000);
    assert!(p50(&codel) < 50.0, "CoDel median {:.1} ms", p50(&codel));
    // Adaptive LIFO: under overload the newest are served first, so most
    // requests are quick and a few wait very long.
    let lifo = run(&model(&overloaded("shed = { lifo_above = 10 }")), 1).unwrap();
    assert!(p50(&lifo) < p50(&full) / 10.0);
}

/// A bulkhead keeps a slow dependency from taking every worker: calls to
/// the healthy one still go through.
#[test]
fn bulkheads_isolate_a_slow_dependency() {
    let text = |bulkhead: &str| {
        format!(
            r#"
[sim]
duration = "20s"
warmup = "2s"
[client.slow_path]
target = "api"
rate = 200.0
write_fraction = 1.0
timeout = "2s"
[client.fast_path]
target = "api"
rate = 200.0
timeout = "2s"
[service.api]
workers = 20
queue_capacity = 500
steps = [{{ call = "good" }}]
write_steps = [{{ call = "bad" {bulkhead} }}]
[service.good]
workers = 100
service_time = {{ dist = "constant", value = "1ms" }}
[service.bad]
workers = 100
service_time = {{ dist = "constant", value = "500ms" }}
"#
        )
    };
    // Clients sort by name: fast_path is 0, slow_path is 1. Without a
    // bulkhead the slow calls (200/s x 0.5 s = 100 at once) hold all 20
    // workers, and fast requests queue behind them until they time out.
    let plain = run(&model(&text("")), 1).unwrap();
    let fast = &plain.clients[0];
    let fast_errors = fast.errors.total() as f64 / fast.sent as f64;
    assert!(fast_errors > 0.5, "fast path error rate {fast_errors:.3}");
    let isolated = run(&model(&text(", bulkhead = { max_concurrent = 10 }")), 1).unwrap();
    let fast = &isolated.clients[0];
    assert_eq!(fast.errors.total(), 0);
    assert!(fast.latency_ok.quantile(0.5).unwrap() < 5_000_000);
    assert!(isolated.clients[1].errors.get(ErrorKind::BulkheadFull) > 0);
}

/// A deadline-aware service drops work whose caller has given up; one that
/// is not keeps serving the dead.
#[test]
fn deadlines_stop_work_for_callers_that_gave_up() {
    let text = |aware: bool| {
        format!(
            r#"
[sim]
duration = "20s"
warmup = "2s"
[client.c]
target = "api"
rate = 1300.0
timeout = "50ms"
deadline = "50ms"
[service.api]
workers = 1
queue_capacity = 1000
deadline_aware = {aware}
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
        )
    };
    let blind = run(&model(&text(false)), 1).unwrap();
    let aware = run(&model(&text(true)), 1).unwrap();
    let goodput = |r: &RunResult| r.clients[0].ok as f64 / r.measured_secs();
    assert!(aware.services[0].expired > 1000);
    assert_eq!(blind.services[0].expired, 0);
    // Without deadlines the server spends its time on requests nobody is
    // waiting for; with them most of its capacity becomes goodput (some
    // requests still run out of time while in service).
    let (a, b) = (goodput(&aware), goodput(&blind));
    assert!(a > 600.0 && a > 3.0 * b, "aware {a:.0}/s, blind {b:.0}/s");
}

/// The metastable retry storm (models/retry_storm.toml): a 10 s slowdown
/// leaves goodput collapsed long after it ends; a retry budget, a circuit
/// breaker or load shedding let the service recover. Checked on several
/// seeds.
#[test]
fn retry_storm_persists_without_protection_and_recovers_with_it() {
    let late_goodput = |r: &RunResult| {
        let rows: Vec<_> = r.series.iter().filter(|w| w.start >= 120_000_000_000).collect();
        rows.iter().map(|w| w.ok as f64).sum::<f64>() / rows.len() as f64
    };
    let load = |set: &[&str]| crate::common::shipped_model("retry_storm.toml", set);
    for seed in [1, 2, 3] {
        let storm = run(&load(&[]), seed).unwrap();
        let g = late_goodput(&storm);
        assert!(g < 400.0, "seed {seed}: without protection goodput stays collapsed: {g:.0}/s of 800");
        for fix in [
            "client.users.retry.budget.ratio=0.1",
            "client.users.breaker.failure_rate=0.5",
            "service.api.shed.queue_above=20",
        ] {
            let cured = run(&load(&[fix]), seed).unwrap();
            let g = late_goodput(&cured);
            assert!(g > 760.0, "seed {seed}, {fix}: goodput {g:.0}/s should be back near 800");
        }
    }
}
