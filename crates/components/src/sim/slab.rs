//! A vector with a free list: stable typed indices, no allocation once warm.

use std::marker::PhantomData;

use crate::ids::Id;

/// Storage for short-lived records (jobs, calls, attempts) addressed by id.
/// Freed slots keep their last value until reused, so a record's
/// generation survives and stale ids can be recognised.
pub struct Slab<I, T> {
    entries: Vec<T>,
    free: Vec<u32>,
    live: usize,
    _id: PhantomData<I>,
}

impl<I: Id, T> Default for Slab<I, T> {
    fn default() -> Self {
        Self { entries: Vec::new(), free: Vec::new(), live: 0, _id: PhantomData }
    }
}

impl<I: Id, T> Slab<I, T> {
    /// Stores the value `make` returns; `make` sees the slot's previous
    /// occupant when a freed slot is reused.
    #[inline]
    pub fn insert_with(&mut self, make: impl FnOnce(Option<&T>) -> T) -> I {
        self.live += 1;
        match self.free.pop() {
            Some(i) => {
                let value = make(Some(&self.entries[i as usize]));
                self.entries[i as usize] = value;
                I::new(i as usize)
            }
            None => {
                let value = make(None);
                self.entries.push(value);
                I::new(self.entries.len() - 1)
            }
        }
    }

    /// Marks slot `i` free. The value stays until the slot is reused, so
    /// callers keep a generation in `T` when stale ids may be presented.
    #[inline]
    pub fn remove(&mut self, i: I) {
        self.live -= 1;
        self.free.push(i.index() as u32);
    }

    /// Records alive.
    #[inline]
    pub fn live(&self) -> usize {
        self.live
    }
}

impl<I: Id, T> std::ops::Index<I> for Slab<I, T> {
    type Output = T;
    #[inline]
    fn index(&self, i: I) -> &T {
        &self.entries[i.index()]
    }
}

impl<I: Id, T> std::ops::IndexMut<I> for Slab<I, T> {
    #[inline]
    fn index_mut(&mut self, i: I) -> &mut T {
        &mut self.entries[i.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::JobId;

    #[test]
    fn reuses_slots_and_keeps_the_previous_value_for_generations() {
        let mut s: Slab<JobId, u32> = Slab::default();
        let a = s.insert_with(|_| 1);
        let b = s.insert_with(|_| 2);
        s.remove(a);
        assert_eq!(s.live(), 1);
        let c = s.insert_with(|prev| prev.copied().unwrap_or(0) + 2);
        assert_eq!(c, a);
        assert_eq!((s[b], s[c], s.live()), (2, 3, 2));
    }
}
