//! Invariants that hold in every run: requests are conserved, and Little's
//! law L = lambda W holds at every service.

use proptest::prelude::*;
use tailsim_components::sim::run;
use tailsim_components::spec::{
    BalancerPolicySpec, BalancerSpec, ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec, Warmup,
};

use crate::common::{assert_in_ci99, replicate};

fn random_model(
    rate: f64,
    replicas: u32,
    workers: u32,
    cap: Option<u32>,
    timeout_ms: Option<u64>,
    random_lb: bool,
) -> ModelSpec {
    let mut m = ModelSpec::default();
    m.sim.duration = Duration::from_secs(2);
    m.sim.warmup = Some(Warmup::Fixed(Duration::from_millis(200)));
    m.client.insert("c".into(), ClientSpec::poisson("lb", rate));
    m.client.get_mut("c").unwrap().timeout = timeout_ms.map(Duration::from_millis);
    let policy = if random_lb { BalancerPolicySpec::Random } else { BalancerPolicySpec::RoundRobin };
    m.balancer.insert("lb".into(), BalancerSpec::new("s", policy));
    let mut s = ServiceSpec::new(replicas, workers, DistSpec::lognormal(Duration::from_millis(2), 1.0));
    s.queue_capacity = cap;
    m.service.insert("s".into(), s);
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every request born is either settled or still in flight, and without
    /// timeouts every call in flight is a job at some station.
    #[test]
    fn requests_are_conserved(
        rate in 50.0f64..3000.0,
        replicas in 1u32..4,
        workers in 1u32..4,
        cap in proptest::option::of(0u32..20),
        timeout_ms in proptest::option::of(1u64..20),
        random_lb in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut m = random_model(rate, replicas, workers, cap.or(Some(50)), timeout_ms, random_lb);
        m.sim.seed = seed;
        let r = run(&m, seed).unwrap();
        let c = &r.conservation;
        prop_assert_eq!(c.born, c.settled + c.calls_in_flight);
        if timeout_ms.is_none() {
            prop_assert_eq!(c.calls_in_flight, c.jobs_in_system);
        } else {
            // A timed-out request's job may still be at a station.
            prop_assert!(c.jobs_in_system >= c.calls_in_flight);
        }
        let client = &r.clients[0];
        prop_assert!(client.ok + client.errors.total() <= client.sent);
        let s = &r.services[0];
        prop_assert!(s.completions <= s.arrivals + (replicas * (workers + cap.unwrap_or(50))) as u64);
    }
}

/// L (time-average requests present) against lambda W (arrival rate times
/// mean time present), at every service of a model with a bounded queue,
/// a balancer and timeouts.
#[test]
fn littles_law_holds_at_every_service() {
    let mut m = random_model(2500.0, 3, 2, Some(20), Some(50), false);
    m.sim.duration = Duration::from_secs(30);
    m.sim.warmup = Some(Warmup::Fixed(Duration::from_secs(3)));
    let runs = replicate(&m, 10);
    for si in 0..runs[0].services.len() {
        let l: Vec<f64> = runs.iter().map(|r| r.services[si].in_system_mean).collect();
        let lambda_w: Vec<f64> = runs
            .iter()
            .map(|r| {
                let s = &r.services[si];
                s.arrivals as f64 / r.measured_secs() * s.response.mean().unwrap() / 1e9
            })
            .collect();
        let mean_lw = lambda_w.iter().sum::<f64>() / lambda_w.len() as f64;
        assert_in_ci99(&format!("Little's law at {}", runs[0].services[si].name), &l, mean_lw);
    }
}

/// Requests born during warm-up are not measured, counters start at the end
/// of warm-up, and the time series starts there too.
#[test]
fn nothing_is_recorded_during_warm_up() {
    let mut m = random_model(1000.0, 2, 2, Some(50), None, false);
    m.sim.duration = Duration::from_secs(10);
    m.sim.warmup = Some(Warmup::Fixed(Duration::from_secs(6)));
    let r = run(&m, 3).unwrap();
    // Poisson: 4,000 expected in the 4 measured seconds, sd 63; allow 5 sd.
    let sent = r.clients[0].sent as f64;
    assert!((sent - 4000.0).abs() < 5.0 * 4000f64.sqrt(), "sent {sent}");
    assert!(r.conservation.born as f64 > 9000.0, "the whole run still simulates");
    let arrivals = r.services[0].arrivals as f64;
    assert!((arrivals - 4000.0).abs() < 5.0 * 4000f64.sqrt(), "arrivals {arrivals}");
    assert_eq!(r.series.first().unwrap().start, 6_000_000_000);
    assert_eq!(r.series.len(), 4);
}
