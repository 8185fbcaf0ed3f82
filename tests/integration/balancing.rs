//! Load balancers behave as the policies they name, against theory where
//! theory exists (power of d choices) and by their defining property
//! elsewhere.

use tailsim_components::result::RunResult;

use crate::common::{assert_shares, ci99, model, per_run, replicate, ring_share_variance};

/// The supermarket model's mean time in system (n -> infinity), for
/// exponential service with mean 1 and arrival rate `lambda` per server.
fn supermarket_mean(lambda: f64, d: u32) -> f64 {
    if d == 1 {
        return 1.0 / (1.0 - lambda);
    }
    let d = d as f64;
    (1..60).map(|i| lambda.powf((d.powi(i) - d) / (d - 1.0))).sum()
}

#[test]
fn supermarket_formula_matches_the_reference_values() {
    assert!((supermarket_mean(0.9, 2) - 2.6141).abs() < 1e-4);
    assert!((supermarket_mean(0.9, 1) - 10.0).abs() < 1e-9);
}

fn balanced(policy: &str, servers: u32, lambda: f64, extra: &str) -> String {
    format!(
        r#"
[sim]
duration = "12s"
warmup = "2s"
[client.c]
target = "lb"
rate = {rate}
[balancer.lb]
target = "app"
policy = "{policy}"
{extra}
[service.app]
replicas = {servers}
service_time = {{ dist = "exponential", mean = "1ms" }}
"#,
        rate = lambda * servers as f64 * 1000.0
    )
}

fn mean_ms(r: &RunResult) -> f64 {
    r.clients[0].latency_ok.mean().unwrap() / 1e6
}

/// Power of two choices over 100 servers at load 0.9 approaches the
/// mean-field limit 2.6141 from above (finite n sits slightly higher), far
/// below random assignment's 10.
#[test]
fn power_of_two_choices_approaches_the_supermarket_limit_from_above() {
    let runs = replicate(&model(&balanced("power_of_d", 100, 0.9, "choices = 2")), 8);
    let (m, h) = ci99(&per_run(&runs, mean_ms));
    let limit = supermarket_mean(0.9, 2);
    eprintln!("p2c n=100 lambda=0.9: {m:.4} ± {h:.4} (limit {limit:.4})");
    assert!(m - h > limit, "mean {m:.4} ± {h:.4} should lie above the limit {limit:.4}");
    // The finite-n excess is small: within 5% of the limit at n = 100 (a
    // margin for the mean-field approximation, not for noise).
    assert!(m + h < limit * 1.05, "mean {m:.4} ± {h:.4} is far above the limit {limit:.4}");
    let random = replicate(&model(&balanced("random", 100, 0.9, "")), 4);
    let (r, _) = ci99(&per_run(&random, mean_ms));
    assert!(r > 3.0 * m, "random {r:.2} vs p2c {m:.2}");
}

#[test]
fn weighted_round_robin_splits_in_proportion() {
    let m = model(&balanced("weighted_round_robin", 3, 0.3, "weights = [1.0, 1.0, 2.0]"));
    let r = tailsim_components::sim::run(&m, 1).unwrap();
    let picks = &r.balancers[0].picks;
    let total: u64 = picks.iter().sum();
    // Smooth weighted round robin is exact: 1:1:2 within one request.
    for (p, w) in picks.iter().zip([0.25, 0.25, 0.5]) {
        assert!((*p as f64 - w * total as f64).abs() <= 1.0, "{picks:?}");
    }
}

fn slow_replica(policy: &str) -> String {
    format!(
        r#"
[sim]
duration = "30s"
warmup = "3s"
[client.c]
target = "lb"
rate = 2400.0
[balancer.lb]
target = "app"
policy = "{policy}"
[service.app]
replicas = 4
workers = 1
replica_speed = [1.0, 1.0, 1.0, 0.5]
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
    )
}

/// With one replica at half speed, round robin overloads it (it gets a
/// quarter of 2,400/s against a capacity of 500/s); least outstanding
/// steers around it.
#[test]
fn least_outstanding_avoids_a_slow_replica() {
    let lor = replicate(&model(&slow_replica("least_outstanding")), 4);
    let share = per_run(&lor, |r| {
        let p = &r.balancers[0].picks;
        p[3] as f64 / p.iter().sum::<u64>() as f64
    });
    let (s, h) = ci99(&share);
    assert!(s + h < 0.2, "the slow replica's share {s:.3} should be well below a quarter");
    let p99 = |r: &RunResult| r.clients[0].latency_ok.quantile(0.99).unwrap() as f64 / 1e6;
    let (l, _) = ci99(&per_run(&lor, p99));
    // Round robin sends 600/s into a 500/s replica: its queue runs away, so
    // give it a bounded queue to compare tails.
    let rr_text = slow_replica("round_robin").replace("workers = 1", "workers = 1\nqueue_capacity = 200");
    let rr = replicate(&model(&rr_text), 4);
    let (r, _) = ci99(&per_run(&rr, p99));
    assert!(r > 5.0 * l, "round robin p99 {r:.1} ms vs least outstanding {l:.1} ms");
}

fn hashed(extra: &str, rate: f64) -> String {
    format!(
        r#"
[sim]
duration = "20s"
warmup = "2s"
[client.c]
target = "lb"
rate = {rate}
keys = {{ dist = "uniform", n = 100000 }}
hotspots = [{{ at = "0s", key = 42, share = 0.5 }}]
[balancer.lb]
target = "app"
policy = "consistent_hash"
{extra}
[service.app]
replicas = 4
workers = 4
queue_capacity = 1000
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
    )
}

/// A key always lands on the same replica, so a hot key makes a hot
/// replica: half the traffic plus its eighth of the rest. Bounded loads
/// spill the excess to the next replicas on the ring.
#[test]
fn consistent_hashing_keeps_keys_on_one_replica_and_bounded_loads_spread_a_hot_key() {
    let max_share = |r: &RunResult| {
        let p = &r.balancers[0].picks;
        *p.iter().max().unwrap() as f64 / p.iter().sum::<u64>() as f64
    };
    let plain = replicate(&model(&hashed("", 6000.0)), 3);
    let (s, h) = ci99(&per_run(&plain, max_share));
    // 0.5 + 0.5 x (ring share of that replica, about 1/4).
    assert!(s - h > 0.55, "hot replica share {s:.3}");
    let bounded = replicate(&model(&hashed("load_factor = 1.25", 6000.0)), 3);
    let (b, bh) = ci99(&per_run(&bounded, max_share));
    assert!(b + bh < 0.4, "bounded loads should cap the hot replica: {b:.3}");
}

/// Without a hot key, virtual nodes spread keys evenly enough.
#[test]
fn virtual_nodes_spread_uniform_keys() {
    let text = hashed("virtual_nodes = 200", 2000.0).replace("share = 0.5", "share = 0.0");
    let r = tailsim_components::sim::run(&model(&text), 5).unwrap();
    // Each of the 100,000 keys lands on a random replica's arc of a ring
    // with 200 points per replica.
    let spread_var = ring_share_variance(4, 200) + 0.25 * 0.75 / 100_000.0;
    assert_shares("consistent hashing", &r.balancers[0].picks, 0.25, spread_var);
}

#[test]
fn sticky_sessions_keep_each_user_on_one_replica() {
    let m = model(
        r#"
[sim]
duration = "10s"
warmup = "0s"
[client.one]
target = "lb"
users = 1
think_time = { dist = "constant", value = "10ms" }
[balancer.lb]
target = "app"
policy = "sticky"
[service.app]
replicas = 5
service_time = { dist = "exponential", mean = "1ms" }
"#,
    );
    let r = tailsim_components::sim::run(&m, 2).unwrap();
    let p = &r.balancers[0].picks;
    assert_eq!(p.iter().filter(|&&x| x > 0).count(), 1, "{p:?}");
    assert!(p.iter().sum::<u64>() > 800);
}

/// A replica at 1/50 speed fails its health checks (probes wait behind its
/// queue), is ejected, drains, passes again, is readmitted, and so on.
#[test]
fn health_checks_eject_and_readmit() {
    let text = slow_replica("round_robin")
        .replace("replica_speed = [1.0, 1.0, 1.0, 0.5]", "replica_speed = [1.0, 1.0, 1.0, 0.02]\nqueue_capacity = 50")
        .replace("rate = 2400.0", "rate = 1500.0")
        .replace(
            "policy = \"round_robin\"",
            "policy = \"round_robin\"\nhealth_check = { interval = \"500ms\", timeout = \"50ms\", unhealthy_threshold = 2, healthy_threshold = 2 }",
        );
    let runs = replicate(&model(&text), 2);
    for r in &runs {
        let b = &r.balancers[0];
        assert!(b.health_ejections >= 2, "ejections {}", b.health_ejections);
        assert!(b.readmissions >= 1, "readmissions {}", b.readmissions);
        let p = &b.picks;
        // Ejected most of the time: far less than a quarter of the traffic.
        assert!((p[3] as f64) < 0.1 * p.iter().sum::<u64>() as f64, "{p:?}");
    }
    // Without health checks the slow replica keeps its quarter and rejects.
    let plain = text.replace(
        "health_check = { interval = \"500ms\", timeout = \"50ms\", unhealthy_threshold = 2, healthy_threshold = 2 }",
        "",
    );
    let r = &replicate(&model(&plain), 1)[0];
    assert!(r.services[0].rejected > 1000, "rejected {}", r.services[0].rejected);
}

/// Consecutive timeouts from one replica eject it for `eject_time`, after
/// which it is readmitted.
#[test]
fn outlier_detection_ejects_after_consecutive_errors_and_readmits() {
    let text = r#"
[sim]
duration = "20s"
warmup = "1s"
[client.c]
target = "lb"
rate = 400.0
timeout = "20ms"
[balancer.lb]
target = "app"
policy = "random"
outlier = { consecutive_errors = 5, eject_time = "2s", max_ejected_fraction = 0.5 }
[service.app]
replicas = 4
workers = 4
replica_speed = [1.0, 1.0, 1.0, 0.01]
queue_capacity = 20
service_time = { dist = "exponential", mean = "1ms" }
"#;
    let runs = replicate(&model(text), 3);
    for r in &runs {
        let b = &r.balancers[0];
        assert!(b.outlier_ejections >= 3, "ejections {}", b.outlier_ejections);
        assert!(b.readmissions >= 2, "readmissions {}", b.readmissions);
    }
    let with = per_run(&runs, |r| r.clients[0].errors.total() as f64 / r.clients[0].sent as f64);
    let without = replicate(&model(&text.replace("outlier = {", "# outlier = {")), 3);
    let without = per_run(&without, |r| r.clients[0].errors.total() as f64 / r.clients[0].sent as f64);
    let (w, wh) = ci99(&with);
    let (o, oh) = ci99(&without);
    assert!(w + wh < o - oh, "error rate with ejection {w:.4} vs without {o:.4}");
}
