//! Peer comparison, tailsim's side: the two queueing models of
//! `benches/peers/` run through tailsim's whole component stack, and M/M/1
//! once more as a hand-written single-purpose loop (a binary heap, a FIFO
//! queue and an HdrHistogram, no framework) for a floor.
//!
//! mm1: Poisson arrivals at 0.9 per ms, one FIFO server with exponential
//! service of mean 1 ms (theory: mean time in system 10 ms).
//! mm4: Poisson arrivals at 3.6 per ms behind a random load balancer in
//! front of 4 single-server FIFO replicas, each with mean service 1 ms
//! (each replica is then an M/M/1 at load 0.9: mean 10 ms).
//!
//! Prints one line per model and tool, times in ms:
//!     RESULT tool=tailsim model=mm1 customers=N seconds=S mean=M
//! `seconds` is the best of `PEERS_REPEATS` (default 3) wall-clock runs,
//! building the simulation included. `PEERS_CUSTOMERS` (default 1000000)
//! sets the customers per model: tailsim simulates for as long as that many
//! take to arrive on average and counts those served; the hand-written loop
//! stops after exactly that many.
//! Run with `cargo bench --bench peers` (or `benches/peers/run.sh` for the
//! whole table).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use hdrhistogram::Histogram;
use rand_distr::{Distribution, Exp};
use tailsim_components::model::Model;
use tailsim_components::sim::Simulation;
use tailsim_components::spec::{
    BalancerPolicySpec, BalancerSpec, ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec, Warmup,
};
use tailsim_engine::rng::stream;

/// Arrivals per ms at each server, and the mean service time.
const LAMBDA_PER_SERVER: f64 = 0.9;
const SERVICE_MEAN_NS: u64 = 1_000_000;
const SEED: u64 = 1;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `servers` single-worker replicas; more than one sit behind a random
/// balancer. Simulates for the time `customers` take to arrive on average.
fn spec(servers: u32, customers: u64) -> ModelSpec {
    let per_ms = LAMBDA_PER_SERVER * servers as f64;
    let mut m = ModelSpec::default();
    m.sim.duration = Duration::from_millis((customers as f64 / per_ms).round() as u64);
    m.sim.warmup = Some(Warmup::Fixed(Duration::ZERO));
    let service = ServiceSpec::new(servers, 1, DistSpec::exponential(Duration::from_nanos(SERVICE_MEAN_NS)));
    m.service.insert("app".into(), service);
    if servers == 1 {
        m.client.insert("customers".into(), ClientSpec::poisson("app", per_ms * 1000.0));
    } else {
        m.balancer.insert("lb".into(), BalancerSpec::new("app", BalancerPolicySpec::Random));
        m.client.insert("customers".into(), ClientSpec::poisson("lb", per_ms * 1000.0));
    }
    m
}

/// One tailsim run: customers served and their mean time in system in ms.
fn tailsim_run(spec: &ModelSpec) -> (u64, f64) {
    let model = Model::resolve(spec).expect("valid model");
    let r = Simulation::new(&model, SEED).run();
    let c = &r.clients[0];
    assert_eq!(c.errors.total(), 0, "no customer may fail");
    (c.ok, c.latency_ok.mean().unwrap_or(f64::NAN) / 1e6)
}

#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
}

/// M/M/1 by hand, in integer ns: an event heap ordered by (time, sequence),
/// a FIFO of arrival times, every time in system in an HdrHistogram. Stops
/// when `customers` have left. Returns the count and the mean in ms.
fn handwritten_mm1(customers: u64) -> (u64, f64) {
    let mut rng = stream(SEED, "peers-handwritten");
    let gap = Exp::new(LAMBDA_PER_SERVER / 1e6).unwrap();
    let work = Exp::new(1.0 / SERVICE_MEAN_NS as f64).unwrap();
    let mut events: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
    let mut sum_ns: u128 = 0;
    let mut serving: Option<u64> = None;
    let mut arrived = 0u64;
    let mut left = 0u64;
    let mut seq = 0u64;
    let mut schedule = |events: &mut BinaryHeap<_>, at: u64, kind: Kind| {
        seq += 1;
        events.push(Reverse((at, seq, kind)));
    };
    schedule(&mut events, gap.sample(&mut rng) as u64, Kind::Arrival);
    while let Some(Reverse((now, _, kind))) = events.pop() {
        match kind {
            Kind::Arrival => {
                arrived += 1;
                if arrived < customers {
                    schedule(&mut events, now + gap.sample(&mut rng) as u64, Kind::Arrival);
                }
                if serving.is_none() {
                    serving = Some(now);
                    schedule(&mut events, now + work.sample(&mut rng) as u64, Kind::Departure);
                } else {
                    waiting.push_back(now);
                }
            }
            Kind::Departure => {
                let since = serving.take().expect("a departure with nobody in service");
                let sojourn = now - since;
                hist.saturating_record(sojourn);
                sum_ns += sojourn as u128;
                left += 1;
                if let Some(next) = waiting.pop_front() {
                    serving = Some(next);
                    schedule(&mut events, now + work.sample(&mut rng) as u64, Kind::Departure);
                }
            }
        }
    }
    assert_eq!(hist.len(), left);
    (left, sum_ns as f64 / left as f64 / 1e6)
}

/// Best wall-clock time of `repeats` runs of `f`, and the last run's result.
fn best_of<T>(repeats: u64, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let r = std::hint::black_box(f());
        best = best.min(t0.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.unwrap())
}

fn report(tool: &str, model: &str, seconds: f64, (customers, mean): (u64, f64)) {
    println!("RESULT tool={tool} model={model} customers={customers} seconds={seconds:.6} mean={mean:.6}");
}

fn main() {
    let customers = env_or("PEERS_CUSTOMERS", 1_000_000);
    let repeats = env_or("PEERS_REPEATS", 3);
    for (model, servers) in [("mm1", 1), ("mm4", 4)] {
        let spec = spec(servers, customers);
        let (seconds, out) = best_of(repeats, || tailsim_run(&spec));
        report("tailsim", model, seconds, out);
    }
    let (seconds, out) = best_of(repeats, || handwritten_mm1(customers));
    report("handwritten", "mm1", seconds, out);
}
