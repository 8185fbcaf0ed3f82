//! End-to-end speed: M/M/1 (lambda 0.9, mu 1) through tailsim's whole
//! component stack, against a hand-written single-purpose loop (a binary
//! heap, a FIFO queue and a histogram, no framework) in the same run.
//! Both record every customer's time in system in an HdrHistogram.
//! Run with `cargo bench --bench end_to_end`; divan reports items/s, where
//! an item is one customer.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use hdrhistogram::Histogram;
use rand_distr::{Distribution, Exp};
use tailsim_components::model::Model;
use tailsim_components::sim::Simulation;
use tailsim_components::spec::{ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec, Warmup};
use tailsim_engine::rng::stream;

fn main() {
    divan::main();
}

/// Simulated seconds: about one million customers at 900 per second.
const SECONDS: u64 = 1_111;

fn mm1_spec() -> ModelSpec {
    let mut m = ModelSpec::default();
    m.sim.duration = Duration::from_secs(SECONDS);
    m.sim.warmup = Some(Warmup::Fixed(Duration::ZERO));
    m.client.insert("web".into(), ClientSpec::poisson("app", 900.0));
    m.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))));
    m
}

#[divan::bench(sample_count = 10)]
fn tailsim_mm1(bencher: divan::Bencher) {
    let spec = Model::resolve(&mm1_spec()).expect("a valid model");
    let customers = Simulation::new(&spec, 1).run().clients[0].ok;
    bencher.counter(divan::counter::ItemsCount::new(customers)).bench(|| {
        let r = Simulation::new(&spec, 1).run();
        assert_eq!(r.clients[0].ok, customers);
        r
    });
}

#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
}

/// M/M/1 by hand: returns the number of customers served.
fn handwritten_mm1() -> (u64, Histogram<u64>) {
    let end = SECONDS * 1_000_000_000;
    let mut rng = stream(1, "handwritten");
    let inter = Exp::new(900.0 / 1e9).unwrap();
    let service = Exp::new(1.0 / 1e6).unwrap();
    let mut heap: BinaryHeap<Reverse<(u64, u64, Kind)>> = BinaryHeap::new();
    let mut queue: VecDeque<u64> = VecDeque::new();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
    let mut seq = 0u64;
    let mut in_service: Option<u64> = None;
    let mut served = 0u64;
    heap.push(Reverse((inter.sample(&mut rng) as u64, seq, Kind::Arrival)));
    while let Some(Reverse((now, _, kind))) = heap.pop() {
        if now > end {
            break;
        }
        match kind {
            Kind::Arrival => {
                seq += 1;
                heap.push(Reverse((now + inter.sample(&mut rng) as u64, seq, Kind::Arrival)));
                if in_service.is_none() {
                    in_service = Some(now);
                    seq += 1;
                    heap.push(Reverse((now + service.sample(&mut rng) as u64, seq, Kind::Departure)));
                } else {
                    queue.push_back(now);
                }
            }
            Kind::Departure => {
                let arrived = in_service.take().unwrap();
                hist.saturating_record(now - arrived);
                served += 1;
                if let Some(next) = queue.pop_front() {
                    in_service = Some(next);
                    seq += 1;
                    heap.push(Reverse((now + service.sample(&mut rng) as u64, seq, Kind::Departure)));
                }
            }
        }
    }
    (served, hist)
}

#[divan::bench(sample_count = 10)]
fn handwritten_loop_mm1(bencher: divan::Bencher) {
    let customers = handwritten_mm1().0;
    bencher.counter(divan::counter::ItemsCount::new(customers)).bench(handwritten_mm1);
}
