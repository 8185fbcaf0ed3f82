//! The baseline event set: `std::collections::BinaryHeap` ordered by key.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::{EventSet, Key};

struct Entry<T> {
    key: Key,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the smallest key is on top.
        other.key.cmp(&self.key)
    }
}

/// `std::collections::BinaryHeap` on (time, seq): the reference the other
/// event sets are measured against.
pub struct BinaryHeapSet<T> {
    heap: BinaryHeap<Entry<T>>,
}

impl<T> Default for BinaryHeapSet<T> {
    fn default() -> Self {
        Self { heap: BinaryHeap::new() }
    }
}

impl<T> EventSet<T> for BinaryHeapSet<T> {
    fn push(&mut self, key: Key, item: T) {
        self.heap.push(Entry { key, item });
    }

    fn pop(&mut self) -> Option<(Key, T)> {
        self.heap.pop().map(|e| (e.key, e.item))
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}
