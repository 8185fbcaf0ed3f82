//! Growth vocabulary: autoscaling (reactive, scheduled, predictive,
//! threshold with cooldowns, queue depth, cold starts, fleet limits),
//! message queues (groups, competing consumers, visibility timeouts,
//! redelivery, dead letters, retention, the request path apart from the
//! background work), and regions (cross-region latency, active-passive
//! failover with its RTO, active-active nearest routing with spill-over, RPO).

use tailsim_components::result::RunResult;
use tailsim_components::sim::run;

use crate::common::{assert_in_ci99, model, per_run, replicate, tailsim};

const SEC: f64 = 1e9;

/// A 10x spike at t = 150 s for 200 s against three instances that can
/// take 400 req/s each.
fn spike_model(policy: &str, provisioning: &str) -> String {
    format!(
        r#"
[sim]
duration = "450s"
warmup = "20s"
window = "5s"
window_slo = {{ p99 = "200ms", error_rate = 0.01 }}
[client.users]
target = "lb"
rate = 500.0
timeout = "2s"
spike = {{ at = "150s", duration = "200s", factor = 10.0 }}
[balancer.lb]
target = "api"
policy = "least_outstanding"
[service.api]
replicas = 3
workers = 4
queue_capacity = 50
service_time = {{ dist = "exponential", mean = "10ms" }}
[service.api.autoscale]
min = 3
max = 40
provisioning = "{provisioning}"
interval = "10s"
policy = [{policy}]
"#
    )
}

fn violation_s(r: &RunResult) -> f64 {
    r.violation.as_ref().expect("a window SLO").total as f64 / SEC
}

#[test]
fn a_reactive_autoscaler_breaks_p99_for_about_its_provisioning_delay_and_a_pre_scale_does_not() {
    let target = r#"{ kind = "target", metric = "requests_per_instance", target = 240.0, scale_in_cooldown = "60s" }"#;
    for r in replicate(&model(&spike_model(target, "120s")), 2) {
        // Noticed within one 10 s interval, serving 120 s later: the breach
        // lasts the provisioning delay plus up to an interval.
        let v = violation_s(&r);
        assert!((120.0..=135.0).contains(&v), "violation {v} s");
        let fleet = r.services[0].fleet.as_ref().unwrap();
        // 5000 req/s at 240 per instance, measured over a noisy interval.
        assert!((21..=23).contains(&fleet.max), "{}", fleet.max);
        let first = &fleet.events[0];
        assert!((150.0..=160.0).contains(&(first.at as f64 / SEC)), "{first:?}");
        assert_eq!(first.from, 3);
    }
    // Ordered at t = 20 s, serving from 140 s, before the spike.
    let schedule = r#"{ kind = "schedule", steps = [{ at = "20s", size = 21 }, { at = "360s", size = 3 }] }"#;
    for r in replicate(&model(&spike_model(schedule, "120s")), 2) {
        assert_eq!(violation_s(&r), 0.0);
        assert_eq!(r.clients[0].errors.total(), 0);
    }
    // Predictive: reads the known spike 150 s ahead.
    let predictive = r#"{ kind = "predictive", target = 0.6, lead = "150s" }"#;
    for r in replicate(&model(&spike_model(predictive, "120s")), 2) {
        assert_eq!(violation_s(&r), 0.0);
        let fleet = r.services[0].fleet.as_ref().unwrap();
        assert_eq!(fleet.max, 21, "ceil(5000 x 10 ms / (4 workers x 0.6))");
    }
}

#[test]
fn threshold_scaling_waits_for_its_bound_to_hold_and_for_its_cooldown_and_stays_within_the_limits() {
    let threshold = r#"{ kind = "threshold", metric = "utilisation", above = 0.7, above_for = "30s", below = 0.3, below_for = "60s", add = 2, remove = 1, cooldown = "40s" }"#;
    let text = spike_model(threshold, "10s").replace("max = 40", "max = 9");
    let r = run(&model(&text), 1).unwrap();
    let fleet = r.services[0].fleet.as_ref().unwrap();
    let ups: Vec<_> = fleet.events.iter().filter(|e| e.to > e.from).collect();
    assert!(!ups.is_empty());
    // Utilisation is above 0.7 from the spike (150 s) on; the first
    // evaluation that sees 30 s of it is at 180 s.
    assert!(ups[0].at as f64 / SEC >= 180.0, "{:?}", ups[0]);
    for pair in fleet.events.windows(2) {
        assert!(pair[1].at - pair[0].at >= 40_000_000_000, "cooldown: {pair:?}");
    }
    assert!(ups.iter().all(|e| e.to - e.from <= 2), "adds 2 at a time: {ups:?}");
    assert_eq!(fleet.max, 9, "never above max");
    assert!(fleet.min >= 3, "never below min");
    let downs: Vec<_> = fleet.events.iter().filter(|e| e.to < e.from).collect();
    assert!(downs.iter().all(|e| e.from - e.to == 1), "removes 1 at a time: {downs:?}");
    assert!(downs.iter().all(|e| e.at as f64 / SEC > 350.0), "only after the spike: {downs:?}");
}

#[test]
fn a_cold_instance_is_slower_by_its_slowdown() {
    // The second instance starts at once and stays cold all run: with round
    // robin it does the same requests at three times the work.
    let text = r#"
[sim]
duration = "200s"
warmup = "20s"
[client.c]
target = "lb"
rate = 100.0
[balancer.lb]
target = "api"
[service.api]
replicas = 1
workers = 4
service_time = { dist = "exponential", mean = "10ms" }
[service.api.autoscale]
min = 1
max = 2
interval = "1s"
cold = { duration = "1000s", slowdown = 3.0 }
policy = [{ kind = "schedule", steps = [{ at = "0s", size = 2 }] }]
"#;
    let runs = replicate(&model(text), 6);
    let ratio = per_run(&runs, |r| {
        let s = &r.services[0].replica_stats;
        s[1].busy_mean / s[0].busy_mean
    });
    assert_in_ci99("cold busy ratio", &ratio, 3.0);
}

#[test]
fn queue_depth_scaling_follows_the_backlog_of_the_queue_it_consumes() {
    let text = r#"
[sim]
duration = "300s"
warmup = "0s"
window = "5s"
[client.producer]
target = "jobs"
rate = 400.0
[queue.jobs]
visibility_timeout = "30s"
[queue.jobs.consumers.workers]
service = "worker"
[service.worker]
replicas = 1
workers = 4
service_time = { dist = "exponential", mean = "20ms" }
[service.worker.autoscale]
min = 1
max = 10
provisioning = "5s"
interval = "5s"
policy = [{ kind = "queue", per_worker = 0.7, scale_in_cooldown = "30s" }]
"#;
    let r = run(&model(text), 1).unwrap();
    let fleet = r.services[0].fleet.as_ref().unwrap();
    // 400/s x 20 ms = 8 busy workers; at 0.7 per worker that is 8 / 2.8,
    // so about 3 instances of 4 workers once the start-up backlog is gone
    // (more after a burst).
    let late: Vec<u32> = fleet.events.iter().filter(|e| e.at as f64 / SEC > 100.0).map(|e| e.to).collect();
    assert!(late.iter().all(|&n| (3..=6).contains(&n)), "{:?}", fleet.events);
    assert!((3.0..5.0).contains(&fleet.mean), "{}", fleet.mean);
    let g = &r.queues[0].groups[0];
    assert!(g.acked as f64 > 0.99 * g.produced as f64, "{g:?}");
    let late = r.series.iter().filter(|w| w.start as f64 / SEC > 100.0);
    assert!(late.clone().all(|w| w.backlog[0].0 < 50.0), "the backlog is drained once scaled");
    assert_eq!(r.fleet_names, ["worker"]);
    assert_eq!(r.backlog_names, ["jobs/workers"]);
}

fn queue_model(extra: &str) -> String {
    format!(
        r#"
[sim]
duration = "120s"
warmup = "10s"
[client.api]
target = "jobs"
rate = 100.0
{extra}
"#
    )
}

#[test]
fn every_group_sees_every_message_and_competing_consumers_share_a_group() {
    let text = queue_model(
        r#"
[queue.jobs]
[queue.jobs.consumers.a]
service = "pool"
[queue.jobs.consumers.b]
service = "single"
concurrency = 2
[service.pool]
replicas = 3
workers = 2
service_time = { dist = "exponential", mean = "10ms" }
[service.single]
workers = 2
service_time = { dist = "exponential", mean = "5ms" }
"#,
    );
    let r = run(&model(&text), 1).unwrap();
    let groups = &r.queues[0].groups;
    assert_eq!(groups[0].produced, groups[1].produced);
    for g in groups {
        assert!(g.acked + 5 >= g.produced, "{g:?}");
        assert_eq!(g.redeliveries + g.dead_lettered + g.expired, 0);
    }
    // The pool's three instances share group a's messages.
    let pool = r.services.iter().find(|s| s.name == "pool").unwrap();
    for rep in &pool.replica_stats {
        assert!(rep.completions as f64 > 0.2 * groups[0].produced as f64, "{:?}", pool.replica_stats);
    }
}

#[test]
fn failed_deliveries_come_back_after_the_visibility_timeout_and_dead_letter_after_max_deliveries() {
    let text = queue_model(
        r#"
[queue.jobs]
visibility_timeout = "2s"
max_deliveries = 2
[queue.jobs.consumers.w]
service = "flaky"
[service.flaky]
workers = 8
failure_probability = 0.5
service_time = { dist = "exponential", mean = "5ms" }
"#,
    );
    let runs = replicate(&model(&text), 5);
    // Each message fails twice in a row with probability 1/4.
    let dlq = per_run(&runs, |r| {
        let g = &r.queues[0].groups[0];
        g.dead_lettered as f64 / (g.acked + g.dead_lettered) as f64
    });
    assert_in_ci99("dead-letter fraction", &dlq, 0.25);
    // A redelivered message waited out the visibility timeout: of the
    // acknowledged, (1/4) / (3/4) succeeded at the second delivery.
    for r in &runs {
        let e2e = &r.queues[0].groups[0].end_to_end;
        let after_retry = e2e.fraction_above(1_900_000_000);
        assert!((0.28..0.39).contains(&after_retry), "{after_retry}");
        assert!(e2e.quantile(0.99).unwrap() >= 2_000_000_000);
    }
}

#[test]
fn a_consumer_slower_than_the_visibility_timeout_processes_messages_twice() {
    let text = queue_model(
        r#"
[queue.jobs]
visibility_timeout = "1s"
max_deliveries = 2
[queue.jobs.consumers.w]
service = "slow"
concurrency = 1000
[service.slow]
workers = 1000
service_time = { dist = "constant", value = "1500ms" }
"#,
    );
    let r = run(&model(&text), 1).unwrap();
    let g = &r.queues[0].groups[0];
    assert_eq!(g.acked, 0, "every delivery times out");
    assert!(g.dead_lettered > 0 && g.redeliveries > 0);
    // The consumer did the work of both deliveries.
    let slow = &r.services[0];
    assert!(slow.completions as f64 > 1.9 * g.dead_lettered as f64, "{} vs {}", slow.completions, g.dead_lettered);
}

#[test]
fn retention_drops_old_messages_and_the_request_path_does_not_wait_for_the_work() {
    let text = queue_model(
        r#"
timeout = "1s"
[queue.jobs]
retention = "5s"
[queue.jobs.consumers.w]
service = "behind"
[service.behind]
workers = 1
service_time = { dist = "constant", value = "20ms" }
"#,
    );
    let r = run(&model(&text), 1).unwrap();
    let g = &r.queues[0].groups[0];
    // 100/s offered, 50/s consumed: the rest expires at the head.
    assert!(g.expired as f64 > 0.4 * g.produced as f64, "{g:?}");
    assert!(g.oldest_age_max <= 5_100_000_000, "{}", g.oldest_age_max);
    // Producers are answered at once; the background work takes seconds.
    let c = &r.clients[0];
    assert_eq!(c.errors.total(), 0);
    assert!(c.latency_ok.quantile(0.99).unwrap() < 1_000_000);
    assert!(g.end_to_end.quantile(0.5).unwrap() > 1_000_000_000);
}

#[test]
fn an_unbounded_queue_that_cannot_keep_up_is_refused_and_a_full_one_rejects_producers() {
    let unbounded = queue_model(
        r#"
[queue.jobs]
[queue.jobs.consumers.w]
service = "behind"
[service.behind]
service_time = { dist = "constant", value = "20ms" }
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.toml");
    std::fs::write(&path, &unbounded).unwrap();
    let out = tailsim(&["run", path.to_str().unwrap(), "--out", dir.path().join("o").to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("queue.jobs") && err.contains("100.0 messages/s") && err.contains("50.0/s"), "{err}");
    let full = unbounded.replace("[queue.jobs]", "[queue.jobs]\ncapacity = 100");
    let r = run(&model(&full), 1).unwrap();
    assert!(r.queues[0].rejected > 1000, "{}", r.queues[0].rejected);
    assert!(r.queues[0].groups[0].depth_max <= 100);
}

/// Two regions; `extra` adds the router and faults.
fn regions(client_region: &str, mode: &str, extra: &str) -> String {
    format!(
        r#"
[sim]
duration = "300s"
warmup = "20s"
window = "5s"
window_slo = {{ error_rate = 0.01 }}
[client.users]
target = "global"
region = "{client_region}"
rate = 200.0
timeout = "2s"
[router.global]
targets = ["east", "west"]
mode = "{mode}"
check_interval = "10s"
unhealthy_after = 3
healthy_after = 2
propagation = "30s"
[service.east]
region = "east"
replicas = 2
workers = 8
service_time = {{ dist = "exponential", mean = "10ms" }}
[service.west]
region = "west"
replicas = 2
workers = 8
service_time = {{ dist = "exponential", mean = "10ms" }}
{extra}
"#
    )
}

#[test]
fn links_between_regions_take_the_cross_region_latency() {
    // Users in east served from west: each way crosses regions. The
    // default is lognormal with median 50 ms and p99 75 ms.
    let text = regions("east", "failover", "").replace(r#"targets = ["east", "west"]"#, r#"targets = ["west"]"#);
    let runs = replicate(&model(&text), 5);
    let sigma = (75.0f64 / 50.0).ln() / 2.326_347_874;
    let one_way = 50.0 * (sigma * sigma / 2.0).exp();
    let network = per_run(&runs, |r| r.clients[0].network_mean().unwrap() / 1e6);
    assert_in_ci99("round trip ms", &network, 2.0 * one_way);
    // In the same region there is no network delay by default.
    let home = run(&model(&regions("east", "failover", "")), 1).unwrap();
    assert_eq!(home.clients[0].network_mean(), Some(0.0));
}

#[test]
fn active_passive_failover_recovers_after_detection_and_propagation() {
    let fault = r#"
[[fault]]
kind = "crash"
region = "east"
at = "100s"
duration = "150s"
"#;
    for r in replicate(&model(&regions("east", "failover", fault)), 2) {
        let router = &r.routers[0];
        let down = &router.changes[0];
        // Checks every 10 s from t = 10 s: failures at 100, 110, 120.
        assert_eq!((down.target.as_str(), down.healthy, down.at), ("east", false, 120_000_000_000));
        // Then clients move over within the 30 s propagation; the window
        // error rate is back under 1% during its last 5 s window.
        let rto = r.faults[0].rto.expect("recovered") as f64 / SEC;
        assert!((45.0..=50.0).contains(&rto), "RTO {rto} s");
        let up = &router.changes[1];
        assert_eq!((up.target.as_str(), up.healthy), ("east", true));
        assert!(router.picks.iter().all(|&n| n > 0), "{:?}", router.picks);
    }
}

#[test]
fn nearest_routing_keeps_users_home_and_spills_over_when_home_is_saturated() {
    let r = run(&model(&regions("west", "nearest", "")), 1).unwrap();
    assert_eq!(r.routers[0].picks[0], 0, "west users stay in west");
    assert!(r.routers[0].picks[1] > 0);
    // Home can serve 1,600 req/s; 1,800 offered with a 0.9 spill threshold
    // sends the excess to east.
    let busy = regions("west", "nearest", "")
        .replace("rate = 200.0", "rate = 1800.0")
        .replace("propagation = \"30s\"", "propagation = \"30s\"\nspill_above = 0.9");
    let r = run(&model(&busy), 1).unwrap();
    let picks = &r.routers[0].picks;
    let east_share = picks[0] as f64 / (picks[0] + picks[1]) as f64;
    assert!((0.05..0.6).contains(&east_share), "{picks:?}");
}

#[test]
fn asynchronous_cross_region_replication_loses_recent_writes_at_failover_and_sync_does_not() {
    let text = |mode: &str| {
        format!(
            r#"
[sim]
duration = "120s"
warmup = "10s"
[client.c]
target = "db"
rate = 500.0
timeout = "1s"
write_fraction = 0.5
[datastore.db]
replicas = 1
workers = 32
zones = ["east-1a", "west-1a"]
replication = "{mode}"
read_time = {{ dist = "exponential", mean = "1ms" }}
write_time = {{ dist = "exponential", mean = "1ms" }}
replication_lag = {{ dist = "constant", value = "80ms" }}
failover = {{ detection = "5s", promotion = "1s" }}
[[fault]]
kind = "crash"
zone = "east-1a"
at = "60s"
duration = "30s"
"#
        )
    };
    let runs = replicate(&model(&text("async")), 3);
    for r in &runs {
        let d = &r.datastores[0];
        // 250 writes/s in flight for 80 ms: about 20 lost.
        assert!((5..=45).contains(&d.lost_writes), "{}", d.lost_writes);
        let rpo = d.rpo_max.unwrap() as f64 / 1e6;
        assert!((70.0..=120.0).contains(&rpo), "RPO {rpo} ms");
    }
    let r = run(&model(&text("sync")), 1).unwrap();
    assert_eq!(r.datastores[0].lost_writes, 0);
    assert_eq!(r.datastores[0].rpo_max, None);
}

#[test]
fn growth_errors_name_the_field() {
    let cases = [
        (
            spike_model(r#"{ kind = "target", target = 0.5 }"#, "10s").replace("replicas = 3", "replicas = 50"),
            "service.api.replicas",
        ),
        (regions("east", "failover", "").replace("region = \"east\"\nrate", "region = \"esat\"\nrate"), "esat"),
        (
            queue_model(
                "[queue.jobs]\n[queue.jobs.consumers.w]\nservice = \"wroker\"\n[service.worker]\nservice_time = { dist = \"constant\", value = \"1ms\" }\n",
            ),
            "did you mean `worker`?",
        ),
        (
            regions(
                "east",
                "failover",
                "[[fault]]\nkind = \"crash\"\nregion = \"est\"\nat = \"1s\"\nduration = \"1s\"\n",
            ),
            "did you mean `east`?",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (text, expect)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("m{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = tailsim(&["check", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "case {i}: {err}");
        assert!(err.contains(expect), "case {i}: expected {expect:?} in\n{err}");
    }
}
