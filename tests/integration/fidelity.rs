//! Simulated results against queueing theory. Every check places the theory
//! value inside the 99% Student-t confidence interval built from independent
//! replications after warm-up. Times are in milliseconds and the mean service
//! time is 1 ms throughout, so mu = 1 per ms.

use tailsim_components::result::RunResult;
use tailsim_components::spec::{
    BalancerPolicySpec, BalancerSpec, ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec, Warmup,
};

use crate::common::{assert_in_ci99, ci99, replicate};
use crate::theory;

const MS: f64 = 1e6;

/// Poisson arrivals at `rho * c` per ms into one queue with `c` workers.
fn mmc_model(rho: f64, c: u32, secs: u64, seed: u64) -> ModelSpec {
    let mut m = ModelSpec::default();
    m.sim.duration = Duration::from_secs(secs);
    m.sim.warmup = Some(Warmup::Fixed(Duration::from_secs(secs / 10)));
    m.sim.seed = seed;
    m.client.insert("load".into(), ClientSpec::poisson("queue", rho * c as f64 * 1000.0));
    m.service.insert("queue".into(), ServiceSpec::new(1, c, DistSpec::exponential(Duration::from_millis(1))));
    m
}

fn client_means(runs: &[RunResult]) -> Vec<f64> {
    runs.iter().map(|r| r.clients[0].latency_ok.mean().unwrap() / MS).collect()
}

fn client_quantiles(runs: &[RunResult], q: f64) -> Vec<f64> {
    runs.iter().map(|r| r.clients[0].latency_ok.quantile(q).unwrap() as f64 / MS).collect()
}

fn check_mmc(rho: f64, c: u32, secs: u64, seed: u64) {
    let runs = replicate(&mmc_model(rho, c, secs, seed), 20);
    let lambda = rho * c as f64;
    let label = format!("M/M/{c} at rho {rho}");
    assert_in_ci99(&format!("{label}: mean T"), &client_means(&runs), theory::mmc_mean(lambda, 1.0, c));
    for q in [0.5, 0.99] {
        assert_in_ci99(
            &format!("{label}: p{} T", q * 100.0),
            &client_quantiles(&runs, q),
            theory::mmc_quantile(lambda, 1.0, c, q),
        );
    }
    let waited: Vec<f64> = runs.iter().map(|r| r.services[0].waited as f64 / r.services[0].arrivals as f64).collect();
    assert_in_ci99(&format!("{label}: P(wait)"), &waited, theory::erlang_c(lambda, 1.0, c));
}

#[test]
fn mm1_at_rho_half() {
    let runs = replicate(&mmc_model(0.5, 1, 60, 11), 20);
    assert_in_ci99("M/M/1 rho 0.5 mean T", &client_means(&runs), theory::mm1_mean(0.5, 1.0));
    for q in [0.5, 0.99, 0.999] {
        assert_in_ci99(
            &format!("M/M/1 rho 0.5 p{} T", q * 100.0),
            &client_quantiles(&runs, q),
            theory::mm1_quantile(0.5, 1.0, q),
        );
    }
}

#[test]
fn mm1_at_rho_nine_tenths() {
    let runs = replicate(&mmc_model(0.9, 1, 200, 12), 20);
    assert_in_ci99("M/M/1 rho 0.9 mean T", &client_means(&runs), theory::mm1_mean(0.9, 1.0));
    assert_in_ci99("M/M/1 rho 0.9 p99 T", &client_quantiles(&runs, 0.99), theory::mm1_quantile(0.9, 1.0, 0.99));
}

#[test]
fn mmc_with_two_workers() {
    check_mmc(0.8, 2, 80, 13);
}

#[test]
fn mmc_with_four_workers() {
    check_mmc(0.9, 4, 100, 14);
}

/// Four single-worker replicas behind a balancer, at the same load as M/M/4.
fn balanced_model(policy: BalancerPolicySpec, rho: f64, secs: u64, seed: u64) -> ModelSpec {
    let mut m = mmc_model(rho, 4, secs, seed);
    m.client.get_mut("load").unwrap().target = "lb".into();
    m.balancer.insert("lb".into(), BalancerSpec::new("queue", policy));
    m.service.insert("queue".into(), ServiceSpec::new(4, 1, DistSpec::exponential(Duration::from_millis(1))));
    m
}

/// One shared queue (M/M/4) beats four queues behind a balancer at the same
/// load: a request never waits behind a busy server while another is idle.
/// A random split of a Poisson stream is Poisson, so each replica is exactly
/// M/M/1 at the same utilisation; round robin sits in between.
#[test]
fn one_queue_with_c_workers_is_not_c_queues_behind_a_balancer() {
    // Seeds are fixed, so a 99% interval misses the truth for about one seed
    // in a hundred. With 12 replications, seed 22 gave a random-split mean of
    // 4.896 ± 0.090 against 5.0 (p = 0.004); 3,000 replications over three
    // other seeds gave 5.000, 5.002 and 4.995, each ± 0.009, so that was
    // chance, not bias. The check now uses 20 replications, like the others.
    let rho = 0.8;
    let shared = client_means(&replicate(&mmc_model(rho, 4, 60, 21), 20));
    let random = client_means(&replicate(&balanced_model(BalancerPolicySpec::Random, rho, 60, 22), 20));
    let round_robin = client_means(&replicate(&balanced_model(BalancerPolicySpec::RoundRobin, rho, 60, 23), 20));

    assert_in_ci99("M/M/4 mean T", &shared, theory::mmc_mean(4.0 * rho, 1.0, 4));
    assert_in_ci99("random split: each replica M/M/1", &random, theory::mm1_mean(rho, 1.0));

    let (s, sh) = ci99(&shared);
    let (rr, rrh) = ci99(&round_robin);
    let (r, rh) = ci99(&random);
    assert!(s + sh < rr - rrh, "shared queue {s:.3}±{sh:.3} should beat round robin {rr:.3}±{rrh:.3}");
    assert!(rr + rrh < r - rh, "round robin {rr:.3}±{rrh:.3} should beat random {r:.3}±{rh:.3}");
    // The lesson in numbers: at rho 0.8 the shared queue's mean is about 2.5
    // times smaller than the random split's.
    assert!(r / s > 2.0, "random {r:.3} vs shared {s:.3}");
}
