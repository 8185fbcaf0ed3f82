//! A 4-ary implicit heap: shallower than a binary heap, and the four children
//! of a node sit next to each other in memory.

use super::{EventSet, Key};

const ARITY: usize = 4;

/// An implicit min-heap with four children per node.
pub struct QuaternaryHeap<T> {
    keys: Vec<Key>,
    items: Vec<T>,
}

impl<T> Default for QuaternaryHeap<T> {
    fn default() -> Self {
        Self { keys: Vec::new(), items: Vec::new() }
    }
}

impl<T> QuaternaryHeap<T> {
    fn sift_up(&mut self, mut pos: usize) {
        let key = self.keys[pos];
        while pos > 0 {
            let parent = (pos - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys.swap(pos, parent);
            self.items.swap(pos, parent);
            pos = parent;
        }
    }

    fn sift_down(&mut self, mut pos: usize) {
        let len = self.keys.len();
        loop {
            let first = pos * ARITY + 1;
            if first >= len {
                break;
            }
            let last = (first + ARITY).min(len);
            let mut best = first;
            for child in first + 1..last {
                if self.keys[child] < self.keys[best] {
                    best = child;
                }
            }
            if self.keys[pos] <= self.keys[best] {
                break;
            }
            self.keys.swap(pos, best);
            self.items.swap(pos, best);
            pos = best;
        }
    }
}

impl<T> EventSet<T> for QuaternaryHeap<T> {
    fn push(&mut self, key: Key, item: T) {
        self.keys.push(key);
        self.items.push(item);
        self.sift_up(self.keys.len() - 1);
    }

    fn pop(&mut self) -> Option<(Key, T)> {
        if self.keys.is_empty() {
            return None;
        }
        let key = self.keys.swap_remove(0);
        let item = self.items.swap_remove(0);
        if !self.keys.is_empty() {
            self.sift_down(0);
        }
        Some((key, item))
    }

    fn len(&self) -> usize {
        self.keys.len()
    }
}
