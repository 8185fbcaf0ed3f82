//! A cache's contents: capacity in entries, O(1) eviction by LRU, LFU,
//! FIFO or random choice, and per-entry expiry.
//!
//! Entries live in slots addressed by index; a hash map finds a key's slot.
//! LRU and FIFO keep one doubly-linked list through the slots (LRU moves an
//! entry to the front on every hit, FIFO never does). LFU keeps one list per
//! use count and remembers the smallest non-empty count, the constant-time
//! scheme of Shah, Mitra and Matani; ties go to the least recently used.
//! LFU is "perfect" LFU: it counts every request for a key, cached or not
//! (one counter per distinct key seen, so memory is bounded by the key
//! space), and a key enters a full cache only when it has been requested
//! more often than the least used entry. Under the independent reference
//! model it converges to the best static cache. Random eviction picks a
//! slot uniformly.

use rand::RngExt;
use tailsim_engine::rng::SimRng;
use tailsim_engine::time::Time;

use super::key_map::KeyMap;
use crate::spec::EvictionSpec;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u64,
    expires: Time,
    /// How long the fetch that filled it took: XFetch's delta.
    fetch: Time,
    uses: u32,
    prev: u32,
    next: u32,
}

#[derive(Clone, Copy, Default)]
struct List {
    head: u32,
    tail: u32,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A fresh entry: its expiry, and the duration of the fetch that filled it.
    Hit {
        expires: Time,
        fetch: Time,
    },
    /// An expired entry, `age` past its expiry.
    Expired {
        age: Time,
    },
    Miss,
}

pub struct Store {
    policy: EvictionSpec,
    capacity: usize,
    slots: Vec<Entry>,
    index: KeyMap<u32>,
    /// LRU and FIFO: one list, most recent first.
    order: List,
    /// LFU: a list per use count (index = uses), most recent first.
    by_uses: Vec<List>,
    min_uses: u32,
    /// LFU: use counts of keys not in the cache.
    history: KeyMap<u32>,
    /// Slots emptied by invalidation, reused before anything is evicted.
    free: Vec<u32>,
    pub evictions: u64,
}

impl Store {
    pub fn new(policy: EvictionSpec, capacity: usize) -> Self {
        Self {
            policy,
            capacity,
            slots: Vec::with_capacity(capacity.min(1 << 20)),
            index: KeyMap::with_capacity_and_hasher(capacity.min(1 << 20), Default::default()),
            order: List { head: NIL, tail: NIL },
            by_uses: Vec::new(),
            min_uses: 0,
            history: KeyMap::default(),
            free: Vec::new(),
            evictions: 0,
        }
    }

    pub fn policy(&self) -> EvictionSpec {
        self.policy
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    fn list(&mut self, uses: u32) -> &mut List {
        if self.policy == EvictionSpec::Lfu {
            let i = uses as usize;
            if self.by_uses.len() <= i {
                self.by_uses.resize(i + 1, List { head: NIL, tail: NIL });
            }
            &mut self.by_uses[i]
        } else {
            &mut self.order
        }
    }

    fn unlink(&mut self, slot: u32) {
        let Entry { prev, next, uses, .. } = self.slots[slot as usize];
        if prev != NIL {
            self.slots[prev as usize].next = next;
        }
        if next != NIL {
            self.slots[next as usize].prev = prev;
        }
        let list = self.list(uses);
        if list.head == slot {
            list.head = next;
        }
        if list.tail == slot {
            list.tail = prev;
        }
    }

    fn push_front(&mut self, slot: u32) {
        let uses = self.slots[slot as usize].uses;
        let list = *self.list(uses);
        self.slots[slot as usize].prev = NIL;
        self.slots[slot as usize].next = list.head;
        if list.head != NIL {
            self.slots[list.head as usize].prev = slot;
        }
        let list = self.list(uses);
        list.head = slot;
        if list.tail == NIL {
            list.tail = slot;
        }
    }

    /// Looks `key` up at `now`, counting a use of a fresh entry.
    pub fn lookup(&mut self, key: u64, now: Time) -> Lookup {
        let Some(&slot) = self.index.get(&key) else { return Lookup::Miss };
        let e = self.slots[slot as usize];
        if e.expires <= now {
            return Lookup::Expired { age: now - e.expires };
        }
        match self.policy {
            EvictionSpec::Lru => {
                self.unlink(slot);
                self.push_front(slot);
            }
            EvictionSpec::Lfu => {
                self.unlink(slot);
                let emptied = self.by_uses[e.uses as usize].head == NIL;
                self.slots[slot as usize].uses = e.uses + 1;
                self.push_front(slot);
                if emptied && self.min_uses == e.uses {
                    self.min_uses = e.uses + 1;
                }
            }
            EvictionSpec::Fifo | EvictionSpec::Random => {}
        }
        Lookup::Hit { expires: e.expires, fetch: e.fetch }
    }

    /// Stores `key` until `expires`, evicting if full. `fetch` is how long
    /// the fill took (for probabilistic early expiration).
    pub fn insert(&mut self, key: u64, expires: Time, fetch: Time, rng: &mut SimRng) {
        if self.capacity == 0 {
            return;
        }
        if let Some(&slot) = self.index.get(&key) {
            let e = &mut self.slots[slot as usize];
            e.expires = expires;
            e.fetch = fetch;
            if self.policy == EvictionSpec::Lru {
                self.unlink(slot);
                self.push_front(slot);
            }
            return;
        }
        let uses = if self.policy == EvictionSpec::Lfu { self.history.remove(&key).unwrap_or(0) + 1 } else { 1 };
        let fresh = Entry { key, expires, fetch, uses, prev: NIL, next: NIL };
        let full = self.free.is_empty() && self.slots.len() >= self.capacity;
        if full && self.policy == EvictionSpec::Lfu {
            let victim = self.slots[self.victim(rng) as usize];
            if uses <= victim.uses {
                // Not asked for more often than what it would replace.
                self.history.insert(key, uses);
                return;
            }
            self.history.insert(victim.key, victim.uses);
        }
        let slot = if let Some(slot) = self.free.pop() {
            self.slots[slot as usize] = fresh;
            slot
        } else if self.slots.len() < self.capacity {
            self.slots.push(fresh);
            (self.slots.len() - 1) as u32
        } else {
            let victim = self.victim(rng);
            self.evictions += 1;
            self.unlink(victim);
            let old = self.slots[victim as usize].key;
            self.index.remove(&old);
            self.slots[victim as usize] = fresh;
            victim
        };
        self.index.insert(key, slot);
        self.push_front(slot);
        self.min_uses = if self.index.len() == 1 { uses } else { self.min_uses.min(uses) };
    }

    fn victim(&self, rng: &mut SimRng) -> u32 {
        match self.policy {
            EvictionSpec::Lru | EvictionSpec::Fifo => self.order.tail,
            EvictionSpec::Lfu => {
                let mut u = self.min_uses as usize;
                while u < self.by_uses.len() && self.by_uses[u].tail == NIL {
                    u += 1;
                }
                self.by_uses[u].tail
            }
            EvictionSpec::Random => {
                // Full and no free slots, so every slot is live.
                rng.random_range(0..self.slots.len() as u32)
            }
        }
    }

    /// Removes `key` (invalidation). Returns whether it was present.
    pub fn remove(&mut self, key: u64) -> bool {
        let Some(slot) = self.index.remove(&key) else { return false };
        if self.policy == EvictionSpec::Lfu {
            self.history.insert(key, self.slots[slot as usize].uses);
        }
        self.unlink(slot);
        self.free.push(slot);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailsim_engine::rng::stream;

    fn fill(policy: EvictionSpec, cap: usize, keys: &[u64]) -> Store {
        let mut s = Store::new(policy, cap);
        let mut rng = stream(1, "t");
        for &k in keys {
            if s.lookup(k, 0) == Lookup::Miss {
                s.insert(k, Time::MAX, 0, &mut rng);
            }
        }
        s
    }

    fn has(s: &mut Store, k: u64) -> bool {
        matches!(s.lookup(k, 0), Lookup::Hit { .. })
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut s = fill(EvictionSpec::Lru, 2, &[1, 2, 1, 3]);
        assert!(has(&mut s, 1) && has(&mut s, 3) && !has(&mut s, 2));
        assert_eq!(s.evictions, 1);
    }

    #[test]
    fn fifo_evicts_the_oldest_regardless_of_use() {
        let mut s = fill(EvictionSpec::Fifo, 2, &[1, 2, 1, 3]);
        assert!(!has(&mut s, 1) && has(&mut s, 2) && has(&mut s, 3));
    }

    #[test]
    fn lfu_keeps_the_most_requested_keys() {
        // 1 reaches 3 uses, 2 has 1. The first request for 3 does not
        // displace 2 (a tie); the second does (2 > 1). 4, asked once, does
        // not displace 3 (2 uses).
        let mut s = fill(EvictionSpec::Lfu, 2, &[1, 1, 1, 2, 3, 3, 4]);
        assert!(has(&mut s, 1) && has(&mut s, 3) && !has(&mut s, 4));
        assert_eq!(s.evictions, 1);
        // Counts survive eviction: 2 is displaced by 3, then comes back at
        // its third request, displacing 1 (tied with 3, less recently used).
        let mut s = fill(EvictionSpec::Lfu, 2, &[1, 1, 2, 3, 3, 2, 2]);
        assert!(has(&mut s, 2) && has(&mut s, 3) && !has(&mut s, 1));
    }

    #[test]
    fn random_eviction_keeps_capacity() {
        let s = fill(EvictionSpec::Random, 10, &(0..1000).collect::<Vec<_>>());
        assert_eq!(s.len(), 10);
        assert_eq!(s.evictions, 990);
    }

    #[test]
    fn entries_expire_and_can_be_invalidated() {
        let mut s = Store::new(EvictionSpec::Lru, 4);
        let mut rng = stream(1, "t");
        s.insert(7, 100, 5, &mut rng);
        assert_eq!(s.lookup(7, 50), Lookup::Hit { expires: 100, fetch: 5 });
        assert_eq!(s.lookup(7, 130), Lookup::Expired { age: 30 });
        assert!(s.remove(7));
        assert_eq!(s.lookup(7, 10), Lookup::Miss);
        // The freed slot is reused before anything live is evicted.
        for k in [1, 2, 3, 4] {
            s.insert(k, 1000, 0, &mut rng);
        }
        assert_eq!(s.evictions, 0);
        assert!(has(&mut s, 1) && has(&mut s, 4));
        s.insert(5, 1000, 0, &mut rng);
        assert_eq!((s.evictions, s.len()), (1, 4));
    }
}
