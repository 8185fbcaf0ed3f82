//! Event sets: priority queues of pending events keyed by (time, sequence).
//!
//! The sequence number is assigned by the [`Scheduler`](crate::Scheduler) at
//! insertion and only grows, so two events for the same instant leave in the
//! order they were scheduled. Every implementation here pops the smallest
//! [`Key`] first and may assume *monotone* use, as a discrete-event simulation
//! guarantees: no key pushed is smaller than the last key popped.
//!
//! Several implementations exist so the benchmarks can compare them
//! (`benches/engine.rs`); the scheduler uses the fastest, [`RadixHeap`].

mod binary_heap;
mod quaternary_heap;
mod radix_heap;

pub use binary_heap::BinaryHeapSet;
pub use quaternary_heap::QuaternaryHeap;
pub use radix_heap::RadixHeap;

use crate::time::Time;

/// The order of events: by time, then by insertion sequence.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub time: Time,
    pub seq: u64,
}

/// A priority queue of items keyed by [`Key`], smallest first.
pub trait EventSet<T> {
    /// Adds an item. `key` must not be smaller than the last popped key.
    fn push(&mut self, key: Key, item: T);
    /// Removes and returns the item with the smallest key.
    fn pop(&mut self) -> Option<(Key, T)>;
    /// The number of items held.
    fn len(&self) -> usize;
    /// Whether no items are held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Runs a monotone sequence of operations against an implementation and
    /// against a sorted reference, and checks that both pop the same keys.
    fn check_against_reference<S: EventSet<u32>>(mut set: S, ops: &[(bool, u64)]) {
        let mut reference: Vec<Key> = Vec::new();
        let mut now = 0u64;
        let mut seq = 0u64;
        for &(is_push, delta) in ops {
            if is_push {
                // Small deltas give many equal times, which is where FIFO
                // order among equals is tested.
                let key = Key { time: now + delta, seq };
                seq += 1;
                set.push(key, key.seq as u32);
                reference.push(key);
            } else {
                reference.sort();
                let expected = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                let got = set.pop();
                assert_eq!(got.map(|(k, _)| k), expected);
                if let Some((k, item)) = got {
                    assert_eq!(item as u64, k.seq);
                    now = k.time;
                }
            }
            assert_eq!(set.len(), reference.len());
        }
        reference.sort();
        for expected in reference {
            assert_eq!(set.pop().map(|(k, _)| k), Some(expected));
        }
        assert!(set.pop().is_none());
    }

    fn op() -> impl Strategy<Value = (bool, u64)> {
        (any::<bool>(), prop_oneof![0u64..3, 0u64..1_000, 0u64..1 << 50])
    }

    proptest! {
        #[test]
        fn binary_heap_pops_in_key_order(ops in proptest::collection::vec(op(), 0..400)) {
            check_against_reference(BinaryHeapSet::default(), &ops);
        }

        #[test]
        fn quaternary_heap_pops_in_key_order(ops in proptest::collection::vec(op(), 0..400)) {
            check_against_reference(QuaternaryHeap::default(), &ops);
        }

        #[test]
        fn radix_heap_pops_in_key_order(ops in proptest::collection::vec(op(), 0..400)) {
            check_against_reference(RadixHeap::default(), &ops);
        }
    }

    #[test]
    fn equal_times_pop_in_insertion_order() {
        fn fifo<S: EventSet<u32>>(mut set: S) {
            for seq in 0..100 {
                set.push(Key { time: 7, seq }, seq as u32);
            }
            for seq in 0..100 {
                assert_eq!(set.pop().unwrap().1, seq as u32);
            }
        }
        fifo(BinaryHeapSet::default());
        fifo(QuaternaryHeap::default());
        fifo(RadixHeap::default());
    }
}
