//! A vector with a free list: stable `u32` indices, no allocation once warm.

/// Storage for short-lived records (jobs, calls) addressed by index.
pub struct Slab<T> {
    entries: Vec<T>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self { entries: Vec::new(), free: Vec::new(), live: 0 }
    }
}

impl<T> Slab<T> {
    /// Stores the value `make` returns; `make` sees the slot's previous
    /// occupant when a freed slot is reused.
    #[inline]
    pub fn insert_with(&mut self, make: impl FnOnce(Option<&T>) -> T) -> u32 {
        self.live += 1;
        match self.free.pop() {
            Some(i) => {
                let value = make(Some(&self.entries[i as usize]));
                self.entries[i as usize] = value;
                i
            }
            None => {
                let value = make(None);
                self.entries.push(value);
                (self.entries.len() - 1) as u32
            }
        }
    }

    /// Marks slot `i` free. The value stays until the slot is reused, so
    /// callers keep a generation in `T` when stale indices may be presented.
    #[inline]
    pub fn remove(&mut self, i: u32) {
        self.live -= 1;
        self.free.push(i);
    }

    /// Records alive.
    #[inline]
    pub fn live(&self) -> usize {
        self.live
    }
}

impl<T> std::ops::Index<u32> for Slab<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: u32) -> &T {
        &self.entries[i as usize]
    }
}

impl<T> std::ops::IndexMut<u32> for Slab<T> {
    #[inline]
    fn index_mut(&mut self, i: u32) -> &mut T {
        &mut self.entries[i as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_slots() {
        let mut s = Slab::default();
        let a = s.insert_with(|_| 1);
        let b = s.insert_with(|_| 2);
        s.remove(a);
        let c = s.insert_with(|prev| prev.copied().unwrap_or(0) + 2);
        assert_eq!(c, a);
        assert_eq!((s[b], s[c], s.live()), (2, 3, 2));
    }
}
