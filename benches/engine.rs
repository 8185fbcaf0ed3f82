//! The classic hold model for every event-set candidate.
//!
//! `n` events are pending. Each operation pops the earliest and pushes a new
//! one at its time plus an exponential increment (mean 1 ms), so the set
//! stays at `n`. This is the access pattern of a discrete-event simulation.
//! Run with `cargo bench --bench engine`.

use std::hash::{Hash, Hasher};

use priority_queue::PriorityQueue;
use rand::Rng;
use rand_distr::{Distribution, Exp};
use tailsim_engine::event_set::{BinaryHeapSet, EventSet, Key, QuaternaryHeap, RadixHeap};
use tailsim_engine::rng::{SimRng, stream};

fn main() {
    divan::main();
}

const OPS: u64 = 200_000;
const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// A 16-byte payload, the size of tailsim's events.
#[derive(Clone, Copy)]
struct Payload([u64; 2]);

/// The `priority-queue` crate, adapted: items are keyed by sequence number
/// (it needs hashable, unique items) and prioritised by reversed key.
struct IndexedQueue {
    pq: PriorityQueue<Item, std::cmp::Reverse<Key>>,
}

struct Item {
    seq: u64,
    payload: Payload,
}
impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        self.seq == o.seq
    }
}
impl Eq for Item {}
impl Hash for Item {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.seq.hash(h)
    }
}

impl Default for IndexedQueue {
    fn default() -> Self {
        Self { pq: PriorityQueue::new() }
    }
}

impl EventSet<Payload> for IndexedQueue {
    fn push(&mut self, key: Key, payload: Payload) {
        self.pq.push(Item { seq: key.seq, payload }, std::cmp::Reverse(key));
    }
    fn pop(&mut self) -> Option<(Key, Payload)> {
        self.pq.pop().map(|(item, std::cmp::Reverse(k))| (k, item.payload))
    }
    fn len(&self) -> usize {
        self.pq.len()
    }
}

struct Hold<S> {
    set: S,
    rng: SimRng,
    exp: Exp<f64>,
    seq: u64,
}

impl<S: EventSet<Payload> + Default> Hold<S> {
    fn new(n: usize) -> Self {
        let mut h = Hold { set: S::default(), rng: stream(1, "hold"), exp: Exp::new(1e-6).unwrap(), seq: 0 };
        for _ in 0..n {
            let t = h.exp.sample(&mut h.rng) as u64;
            h.push(t);
        }
        h
    }

    #[inline]
    fn push(&mut self, time: u64) {
        self.seq += 1;
        self.set.push(Key { time, seq: self.seq }, Payload([self.seq, time]));
    }

    #[inline]
    fn step(&mut self) {
        let (k, p) = self.set.pop().expect("hold keeps the set full");
        let dt = self.exp.sample(&mut self.rng) as u64;
        std::hint::black_box(p.0[0]);
        self.push(k.time + dt);
    }
}

fn hold<S: EventSet<Payload> + Default>(bencher: divan::Bencher, n: usize) {
    let mut h = Hold::<S>::new(n);
    // Reach the steady state before timing.
    for _ in 0..n.min(1_000_000) {
        h.step();
    }
    let _ = h.rng.next_u64();
    bencher.counter(divan::counter::ItemsCount::new(OPS)).bench_local(|| {
        for _ in 0..OPS {
            h.step();
        }
    });
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn binary_heap(bencher: divan::Bencher, n: usize) {
    hold::<BinaryHeapSet<Payload>>(bencher, n);
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn quaternary_heap(bencher: divan::Bencher, n: usize) {
    hold::<QuaternaryHeap<Payload>>(bencher, n);
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn radix_heap(bencher: divan::Bencher, n: usize) {
    hold::<RadixHeap<Payload>>(bencher, n);
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn priority_queue_crate(bencher: divan::Bencher, n: usize) {
    hold::<IndexedQueue>(bencher, n);
}
