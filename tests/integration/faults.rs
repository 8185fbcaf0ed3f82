//! Faults: crashes that refuse or blackhole, slowdowns, injected latency
//! and loss, partitions, random failures with the right availability, zone
//! outages, datastore failover and the writes it loses.

use tailsim_components::result::{ErrorKind, RunResult};
use tailsim_components::sim::run;

use crate::common::{assert_in_ci99, model, per_run, replicate};

/// Windows starting in [from, to) seconds.
fn windows(r: &RunResult, from: f64, to: f64) -> Vec<&tailsim_components::result::WindowRow> {
    r.series.iter().filter(|w| (from * 1e9..to * 1e9).contains(&(w.start as f64))).collect()
}

fn crash(mode: &str) -> String {
    format!(
        r#"
[sim]
duration = "40s"
warmup = "0s"
[client.c]
target = "api"
rate = 200.0
timeout = "200ms"
[service.api]
workers = 10
service_time = {{ dist = "constant", value = "20ms" }}
[[fault]]
kind = "crash"
target = "api"
on_crash = "{mode}"
at = "10s"
duration = "10s"
"#
    )
}

#[test]
fn a_crash_refuses_callers_at_once_or_blackholes_them() {
    let refuse = run(&model(&crash("refuse")), 1).unwrap();
    let c = &refuse.clients[0];
    // 10 s down at 200/s: about 2,000 refused, plus the few in service.
    assert!((1900..2200).contains(&c.errors.get(ErrorKind::Crashed)), "{}", c.errors.get(ErrorKind::Crashed));
    assert!(c.latency_err.quantile(0.99).unwrap() < 1_000_000, "refusals are immediate");
    assert!(refuse.services[0].crashed >= 1, "the requests in service were lost");
    assert_eq!(refuse.faults.len(), 1);
    assert_eq!((refuse.faults[0].start, refuse.faults[0].end), (10_000_000_000, 20_000_000_000));
    for w in windows(&refuse, 21.0, 40.0) {
        assert_eq!(w.errors, 0, "recovered");
    }
    let blackhole = run(&model(&crash("blackhole")), 1).unwrap();
    let c = &blackhole.clients[0];
    assert!(c.errors.get(ErrorKind::Timeout) > 1900);
    assert_eq!(c.errors.get(ErrorKind::Crashed), 0);
    // Callers wait out their 200 ms timeout (to histogram resolution).
    assert!(c.latency_err.quantile(0.5).unwrap() >= 199_800_000, "{:?}", c.latency_err.quantile(0.5));
}

fn light(fault: &str) -> String {
    format!(
        r#"
[sim]
duration = "30s"
warmup = "0s"
[client.c]
target = "api"
rate = 100.0
timeout = "1s"
[service.api]
workers = 100
service_time = {{ dist = "constant", value = "10ms" }}
{fault}
"#
    )
}

fn mean_ms(ws: &[&tailsim_components::result::WindowRow]) -> f64 {
    ws.iter().map(|w| w.mean.unwrap()).sum::<f64>() / ws.len() as f64 / 1e6
}

#[test]
fn slowdowns_and_injected_latency_stretch_requests_during_the_fault() {
    let slow = run(
        &model(&light(
            "[[fault]]\nkind = \"slowdown\"\ntarget = \"api\"\nfactor = 4.0\nat = \"10s\"\nduration = \"10s\"",
        )),
        1,
    )
    .unwrap();
    assert!((mean_ms(&windows(&slow, 0.0, 10.0)) - 10.0).abs() < 0.01);
    assert!((mean_ms(&windows(&slow, 11.0, 20.0)) - 40.0).abs() < 0.01);
    assert!((mean_ms(&windows(&slow, 21.0, 30.0)) - 10.0).abs() < 0.01);

    let node = run(&model(&light("[[fault]]\nkind = \"latency\"\ntarget = \"api\"\ndelay = { dist = \"constant\", value = \"25ms\" }\nat = \"10s\"\nduration = \"10s\"")), 1).unwrap();
    assert!((mean_ms(&windows(&node, 11.0, 20.0)) - 35.0).abs() < 0.01);

    let edge = run(&model(&light("[[fault]]\nkind = \"latency\"\nlink = { from = \"c\", to = \"api\" }\ndelay = { dist = \"constant\", value = \"5ms\" }\nat = \"10s\"\nduration = \"10s\"")), 1).unwrap();
    // Both ways over the link: 10 ms more.
    assert!((mean_ms(&windows(&edge, 11.0, 20.0)) - 20.0).abs() < 0.01);
}

#[test]
fn partitions_and_loss_drop_messages() {
    let part = run(
        &model(&light(
            "[[fault]]\nkind = \"partition\"\ngroups = [[\"c\"], [\"api\"]]\nat = \"10s\"\nduration = \"5s\"",
        )),
        1,
    )
    .unwrap();
    // 5 s cut off at 100/s: Poisson, 500 ± 22.
    let lost = part.clients[0].errors.get(ErrorKind::Lost) as f64;
    assert!((lost - 500.0).abs() < 5.0 * 500f64.sqrt(), "{lost}");
    assert_eq!(part.faults[0].label, "partition c | api");

    let text = light(
        "[[fault]]\nkind = \"loss\"\nlink = { from = \"c\", to = \"api\" }\nprobability = 0.2\nat = \"0s\"\nduration = \"30s\"",
    );
    let runs = replicate(&model(&text), 6);
    let rate = per_run(&runs, |r| r.clients[0].errors.get(ErrorKind::Lost) as f64 / r.clients[0].sent as f64);
    assert_in_ci99("loss both ways", &rate, 1.0 - 0.8f64.powi(2));
}

/// Random failures: the fraction of time down is MTTR / (MTBF + MTTR), for
/// exponential and Weibull timings alike.
///
/// Seeds are fixed, so a 99% interval misses the truth for about one seed in
/// a hundred: with 10 runs of 2,000 s the Weibull case gave 0.186 ± 0.012;
/// 30 other seeds gave 0.1998 ± 0.0029 (one standard error), so that was
/// chance. The check now uses 20 runs of 4,000 s.
#[test]
fn random_faults_have_the_right_availability() {
    for timing in ["", "distribution = \"weibull\"\nshape = 2.0"] {
        let text = format!(
            "[sim]\nduration = \"4000s\"\nwarmup = \"0s\"\n[client.c]\ntarget = \"api\"\nrate = 1.0\n[service.api]\nservice_time = {{ dist = \"constant\", value = \"1ms\" }}\n[[fault]]\nkind = \"crash\"\ntarget = \"api\"\nmtbf = \"40s\"\nmttr = \"10s\"\n{timing}\n"
        );
        let runs = replicate(&model(&text), 20);
        let down = per_run(&runs, |r| r.faults.iter().map(|f| (f.end - f.start) as f64).sum::<f64>() / r.end as f64);
        assert_in_ci99(&format!("unavailability {timing}"), &down, 10.0 / 50.0);
    }
}

/// A zone outage takes down every station in the zone at once.
#[test]
fn a_zone_outage_takes_its_replicas_down_together() {
    let text = r#"
[sim]
duration = "30s"
warmup = "0s"
[client.c]
target = "lb"
rate = 400.0
[balancer.lb]
target = "api"
policy = "round_robin"
[service.api]
replicas = 4
zones = ["a", "b"]
workers = 10
service_time = { dist = "constant", value = "5ms" }
[[fault]]
kind = "crash"
zone = "a"
at = "10s"
duration = "10s"
"#;
    let r = run(&model(text), 1).unwrap();
    // Replicas 0 and 2 are in zone a: half the traffic is refused.
    let crashed = r.clients[0].errors.get(ErrorKind::Crashed) as f64;
    assert!((crashed - 2000.0).abs() < 100.0, "{crashed}");
    let per_replica: Vec<u64> = r.services[0].replica_stats.iter().map(|s| s.arrivals).collect();
    assert!(per_replica[0] < per_replica[1] && per_replica[2] < per_replica[3], "{per_replica:?}");
    assert_eq!(r.faults[0].label, "crash zone a");
}

/// A primary crash: writes fail until the replica is promotion, then
/// succeed; with asynchronous replication the writes the replica had not
/// applied are lost, and counted.
#[test]
fn datastore_failover_promotes_a_replica_and_counts_lost_writes() {
    let text = r#"
[sim]
duration = "40s"
warmup = "0s"
[client.c]
target = "db"
rate = 500.0
write_fraction = 1.0
keys = { dist = "uniform", n = 1000 }
timeout = "500ms"
[datastore.db]
replicas = 1
workers = 32
replication_lag = { dist = "constant", value = "200ms" }
failover = { detection = "2s", promotion = "1s" }
read_time = { dist = "constant", value = "1ms" }
write_time = { dist = "constant", value = "1ms" }
[[fault]]
kind = "crash"
target = "db[0]"
at = "10s"
duration = "20s"
"#;
    let r = run(&model(text), 1).unwrap();
    let d = &r.datastores[0];
    // 200 ms of lag at 500 writes/s: about 100 acknowledged writes had not
    // reached the replica.
    assert!((80..=120).contains(&d.lost_writes), "lost {}", d.lost_writes);
    // Down for detection + promotion = 3 s: about 1,500 refused writes.
    let crashed = r.clients[0].errors.get(ErrorKind::Crashed);
    assert!((1400..=1600).contains(&crashed), "{crashed}");
    for w in windows(&r, 14.0, 40.0) {
        assert_eq!(w.errors, 0, "the promoted replica serves writes");
    }
}

#[test]
fn a_cache_crash_loses_unflushed_write_behind_writes() {
    let text = r#"
[sim]
duration = "20s"
warmup = "0s"
[client.c]
target = "cache"
rate = 1000.0
write_fraction = 1.0
keys = { dist = "uniform", n = 100 }
[cache.cache]
capacity = 1000
write_policy = "write_behind"
flush_delay = "2s"
service_time = { dist = "constant", value = "100us" }
origin = "db"
[service.db]
workers = 100
service_time = { dist = "constant", value = "1ms" }
[[fault]]
kind = "crash"
target = "cache"
at = "10s"
duration = "1s"
"#;
    let r = run(&model(text), 1).unwrap();
    let c = &r.caches[0];
    // Two seconds of writes were buffered when it crashed.
    assert!((1900..=2100).contains(&c.writes_lost), "{}", c.writes_lost);
    // Everything else buffered was flushed, except the last 2 s of the run.
    let unflushed = c.writes_buffered - c.writes_flushed - c.writes_lost;
    assert!((1900..=2100).contains(&unflushed), "{unflushed}");
}

/// Health checks eject a crashed replica and readmit it once it is back.
#[test]
fn health_checks_readmit_a_recovered_replica() {
    let text = r#"
[sim]
duration = "40s"
warmup = "0s"
[client.c]
target = "lb"
rate = 400.0
[balancer.lb]
target = "api"
health_check = { interval = "500ms", timeout = "100ms", unhealthy_threshold = 2, healthy_threshold = 2 }
[service.api]
replicas = 4
workers = 10
service_time = { dist = "constant", value = "5ms" }
[[fault]]
kind = "crash"
target = "api[1]"
at = "10s"
duration = "10s"
"#;
    let r = run(&model(text), 1).unwrap();
    let b = &r.balancers[0];
    assert_eq!((b.health_ejections, b.readmissions), (1, 1));
    // Ejected within about two probe intervals: few requests refused.
    assert!(r.clients[0].errors.get(ErrorKind::Crashed) < 200, "{}", r.clients[0].errors.get(ErrorKind::Crashed));
    let late: Vec<_> = windows(&r, 25.0, 40.0);
    assert!(late.iter().all(|w| w.errors == 0));
    assert!(r.services[0].replica_stats[1].arrivals > 2000, "it gets traffic again");
}

/// Two faults of one kind on one station that overlap in time: the station
/// stays faulty until the last one ends. (Ending one used to undo the
/// other: a crash's end brought the station back while a second crash was
/// still on, and a latency fault's end removed a second one's delay.)
#[test]
fn overlapping_faults_on_one_station_last_until_the_last_ends() {
    let base = r#"
[sim]
duration = "50s"
warmup = "0s"
[client.c]
target = "api"
rate = 200.0
timeout = "500ms"
[service.api]
workers = 10
service_time = { dist = "constant", value = "5ms" }
"#;
    // Crashes over [10, 30) and [20, 40): down from 10 s to 40 s.
    let crashes = format!(
        "{base}[[fault]]\nkind = \"crash\"\ntarget = \"api\"\nat = \"10s\"\nduration = \"20s\"\n\
         [[fault]]\nkind = \"crash\"\ntarget = \"api\"\nat = \"20s\"\nduration = \"20s\"\n"
    );
    let r = run(&model(&crashes), 1).unwrap();
    for w in windows(&r, 11.0, 40.0) {
        assert_eq!(
            w.ok,
            0,
            "down until the second crash ends; window at {} s served {}",
            w.start / 1_000_000_000,
            w.ok
        );
    }
    for w in windows(&r, 41.0, 50.0) {
        assert_eq!(w.errors, 0, "back after the second crash ends");
    }
    // Latency of +100 ms over [10, 30) and [20, 40): slow until 40 s.
    let latency = format!(
        "{base}[[fault]]\nkind = \"latency\"\ntarget = \"api\"\nat = \"10s\"\nduration = \"20s\"\n\
         delay = {{ dist = \"constant\", value = \"100ms\" }}\n\
         [[fault]]\nkind = \"latency\"\ntarget = \"api\"\nat = \"20s\"\nduration = \"20s\"\n\
         delay = {{ dist = \"constant\", value = \"100ms\" }}\n"
    );
    let r = run(&model(&latency), 1).unwrap();
    for w in windows(&r, 11.0, 40.0) {
        let p50 = w.p50.unwrap();
        assert!(
            p50 >= 100_000_000,
            "delayed until the second fault ends; p50 {p50} ns at {} s",
            w.start / 1_000_000_000
        );
    }
    for w in windows(&r, 41.0, 50.0) {
        assert!(w.p50.unwrap() < 10_000_000, "no delay after both end");
    }
}

/// A replica that crashes while one of its requests leads a cache-aside
/// origin read (single flight) must not leave the key locked: requests for
/// the key after the recovery are served, and none waits out its timeout.
#[test]
fn a_crashed_single_flight_leader_releases_its_key() {
    let text = r#"
[sim]
duration = "8s"
warmup = "0s"
[client.c]
target = "api"
rate = 200.0
keys = { dist = "uniform", n = 1 }
timeout = "2s"
[service.api]
workers = 400
service_time = { dist = "constant", value = "1ms" }
steps = [{ cache = "kv", origin = "db", single_flight = true }]
[cache.kv]
mode = "cache_aside"
capacity = 10
ttl = { dist = "constant", value = "1ms" }
service_time = { dist = "constant", value = "100us" }
origin = "db"
[datastore.db]
workers = 4
read_time = { dist = "constant", value = "300ms" }
write_time = { dist = "constant", value = "300ms" }
[[fault]]
kind = "crash"
target = "api"
at = "1s"
duration = "500ms"
"#;
    for seed in 1..=3 {
        let r = run(&model(text), seed).unwrap();
        let later = windows(&r, 3.0, 8.0);
        assert!(!later.is_empty());
        for w in later {
            assert!(w.ok > 0, "seed {seed}: requests at {} s are served", w.start as f64 / 1e9);
            assert_eq!(w.errors, 0, "seed {seed}: no request after the recovery fails or times out");
        }
        assert_eq!(r.clients[0].errors.get(ErrorKind::Timeout), 0, "seed {seed}");
    }
}
