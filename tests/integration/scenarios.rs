//! The shipped scenarios show what their comments and the README say: the
//! celebrity-post stampede collapses the hot shard and spreads errors until
//! a fix removes it, and fan-out turns a 1% slow leaf into the
//! 1 - 0.99^n slow requests the tail-at-scale arithmetic predicts.

use tailsim_components::result::RunResult;
use tailsim_components::sim::run;

use crate::common::{assert_in_ci99, per_run, replicate, shipped_model as shipped};

/// Failed and answered requests per second over [from, to) seconds.
fn rates(r: &RunResult, from: u64, to: u64) -> (f64, f64) {
    let rows: Vec<_> =
        r.series.iter().filter(|w| (from * 1_000_000_000..to * 1_000_000_000).contains(&w.start)).collect();
    let n = rows.len() as f64;
    (rows.iter().map(|w| w.errors as f64).sum::<f64>() / n, rows.iter().map(|w| w.ok as f64).sum::<f64>() / n)
}

/// The post goes up at 60 s and takes 25% of 3,000 req/s (750 req/s) until
/// 240 s. Without a fix, more requests fail than ask for the post (errors
/// spread to other users), and failures go on after the post cools down.
/// Single-flight and read replicas remove the incident; pre-warming does
/// not, because every like drops the entry again.
#[test]
fn celebrity_post_collapses_the_shard_until_a_fix_removes_it() {
    let steps = |extra: &str| {
        format!(
            r#"service.api.steps = [{{ compute = {{ dist = "lognormal", mean = "2ms", cv = 1.0 }} }}, {{ cache = "feed_cache", origin = "db", timeout = "500ms", pool = {{ size = 8, acquire_timeout = "1s" }}, retry = {{ attempts = 3, backoff = "fixed", base = "50ms" }}, {extra} }}]"#
        )
    };
    for seed in [1, 2] {
        for (label, set) in [
            ("baseline", vec![]),
            (
                "pre-warm",
                vec![
                    r#"cache.feed_cache.prewarm = [{ at = "0s", top = 10000 }, { at = "60s", keys = [9999] }]"#
                        .to_string(),
                ],
            ),
        ] {
            let set: Vec<&str> = set.iter().map(String::as_str).collect();
            let r = run(&shipped("celebrity_stampede.toml", &set), seed).unwrap();
            let (before, _) = rates(&r, 10, 60);
            let (during, _) = rates(&r, 150, 240);
            let (after, _) = rates(&r, 260, 300);
            assert_eq!(before, 0.0, "seed {seed} {label}: no errors before the post");
            assert!(during > 750.0, "seed {seed} {label}: {during:.0} errors/s should exceed the post's 750 req/s");
            assert!(
                after > 100.0,
                "seed {seed} {label}: {after:.0} errors/s after the post cools: the shard stays down"
            );
        }
        for (label, set) in [
            ("single-flight", vec![steps("single_flight = true")]),
            (
                "read replicas",
                vec![
                    "datastore.db.replicas = 2".to_string(),
                    r#"datastore.db.read_policy = "any_replica""#.to_string(),
                ],
            ),
        ] {
            let set: Vec<&str> = set.iter().map(String::as_str).collect();
            let r = run(&shipped("celebrity_stampede.toml", &set), seed).unwrap();
            let (errors, ok) = rates(&r, 10, 300);
            assert_eq!(errors, 0.0, "seed {seed} {label}: no request fails");
            assert!(ok > 2900.0, "seed {seed} {label}: {ok:.0} req/s answered");
            let p99 = r.clients[0].latency_ok.quantile(0.99).unwrap() as f64 / 1e6;
            assert!(p99 < 200.0, "seed {seed} {label}: p99 {p99:.1} ms");
        }
    }
}

/// A request waits for all n leaves and a leaf call is slow (40-60 ms) with
/// probability 0.01, at a load where nothing queues: the fraction of
/// requests slower than 20 ms is 1 - 0.99^n, checked at n = 10 and 100 with
/// a 99% interval over replications.
#[test]
fn fan_out_makes_one_slow_leaf_in_a_hundred_common() {
    for n in [10, 100] {
        let set = format!(r#"service.root.steps = [{{ fanout = "leaf", n = {n}, wait = "all" }}]"#);
        let spec = shipped("tail_at_scale.toml", &[&set, "sim.duration = 30s", "sim.warmup = 1s"]);
        let runs = replicate(&spec, 8);
        let slow = per_run(&runs, |r| r.clients[0].latency_ok.fraction_above(20_000_000));
        assert_in_ci99(&format!("slow fraction at n = {n}"), &slow, 1.0 - 0.99f64.powi(n));
    }
}
