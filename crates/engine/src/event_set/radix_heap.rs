//! A radix heap: a monotone priority queue over integer times.
//!
//! Items live in 64 buckets by the highest bit in which their time differs
//! from `last`, the time of the most recent minimum. A push is an append to a
//! vector. A pop that finds the "now" queue empty takes the lowest non-empty
//! bucket, makes its smallest time the new `last`, and redistributes the
//! bucket into strictly lower buckets. Each item moves down at most 64 times
//! over its life, and usually far fewer, so the amortised cost is small and
//! the memory access is sequential, which is where it beats a binary heap.
//!
//! Items whose time equals `last` wait in `now`, a FIFO kept in sequence
//! order, so equal times pop in insertion order.

use std::collections::VecDeque;

use super::{EventSet, Key};
use crate::time::Time;

struct Entry<T> {
    key: Key,
    item: T,
}

/// A monotone radix heap keyed by time, FIFO among equal times.
pub struct RadixHeap<T> {
    last: Time,
    len: usize,
    /// Items with `key.time == last`, in increasing `seq`.
    now: VecDeque<(u64, T)>,
    /// Bucket `b` holds items whose time differs from `last` first in bit `b`.
    buckets: [Vec<Entry<T>>; 64],
    /// Bit `b` is set when bucket `b` is non-empty.
    occupied: u64,
}

impl<T> Default for RadixHeap<T> {
    fn default() -> Self {
        Self { last: 0, len: 0, now: VecDeque::new(), buckets: std::array::from_fn(|_| Vec::new()), occupied: 0 }
    }
}

#[inline]
fn bucket_of(time: Time, last: Time) -> usize {
    63 - (time ^ last).leading_zeros() as usize
}

impl<T> RadixHeap<T> {
    fn push_now(&mut self, seq: u64, item: T) {
        match self.now.back() {
            Some(&(back, _)) if back > seq => {
                let pos = self.now.partition_point(|&(s, _)| s < seq);
                self.now.insert(pos, (seq, item));
            }
            _ => self.now.push_back((seq, item)),
        }
    }

    /// Refills `now` from the lowest non-empty bucket.
    fn refill(&mut self) {
        debug_assert!(self.now.is_empty());
        if self.occupied == 0 {
            return;
        }
        let b = self.occupied.trailing_zeros() as usize;
        let mut bucket = std::mem::take(&mut self.buckets[b]);
        self.occupied &= !(1 << b);
        let min = bucket.iter().map(|e| e.key.time).min().expect("occupied bucket is empty");
        self.last = min;
        for e in bucket.drain(..) {
            if e.key.time == min {
                self.now.push_back((e.key.seq, e.item));
            } else {
                let nb = bucket_of(e.key.time, min);
                debug_assert!(nb < b);
                self.buckets[nb].push(e);
                self.occupied |= 1 << nb;
            }
        }
        // Keep the emptied vector's capacity for the next fill of bucket b.
        self.buckets[b] = bucket;
        if self.now.len() > 1 {
            self.now.make_contiguous().sort_unstable_by_key(|&(seq, _)| seq);
        }
    }
}

impl<T> EventSet<T> for RadixHeap<T> {
    #[inline]
    fn push(&mut self, key: Key, item: T) {
        debug_assert!(key.time >= self.last, "radix heap used non-monotonically");
        self.len += 1;
        if key.time == self.last {
            self.push_now(key.seq, item);
        } else {
            let b = bucket_of(key.time, self.last);
            self.buckets[b].push(Entry { key, item });
            self.occupied |= 1 << b;
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<(Key, T)> {
        if self.now.is_empty() {
            self.refill();
        }
        let (seq, item) = self.now.pop_front()?;
        self.len -= 1;
        Some((Key { time: self.last, seq }, item))
    }

    fn len(&self) -> usize {
        self.len
    }
}
