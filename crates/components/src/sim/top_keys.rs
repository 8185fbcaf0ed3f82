//! The most requested keys of a cache, counted in bounded memory.
//!
//! Counts are exact until `capacity` distinct keys have been seen. When the
//! table is full, the keys counted at or below the median are dropped
//! (Misra-Gries style), and the median is added to the undercount bound: a
//! reported count is never above the true count, and at most
//! [`TopKeys::undercount`] below it. Hot keys, the ones a report shows,
//! survive every prune and are counted exactly from their first request.

use super::key_map::KeyMap;

/// How many distinct keys a cache counts before pruning.
pub const TOP_KEY_CAPACITY: usize = 65_536;

#[derive(Clone, Debug)]
pub struct TopKeys {
    /// (key, count), in no particular order.
    counts: Vec<(u64, u64)>,
    /// Where each counted key sits in `counts`.
    index: KeyMap<u32>,
    capacity: usize,
    undercount: u64,
}

impl Default for TopKeys {
    fn default() -> Self {
        Self::with_capacity(TOP_KEY_CAPACITY)
    }
}

impl TopKeys {
    pub fn with_capacity(capacity: usize) -> Self {
        assert!(capacity >= 2, "a top-key table holds at least two keys");
        Self { counts: Vec::new(), index: KeyMap::default(), capacity, undercount: 0 }
    }

    /// Counts one request for `key`.
    #[inline]
    pub fn count(&mut self, key: u64) {
        if let Some(&i) = self.index.get(&key) {
            self.counts[i as usize].1 += 1;
            return;
        }
        if self.counts.len() == self.capacity {
            self.prune();
        }
        self.index.insert(key, self.counts.len() as u32);
        self.counts.push((key, 1));
    }

    /// Drops the keys counted at or below the median count.
    fn prune(&mut self) {
        let mut counts: Vec<u64> = self.counts.iter().map(|&(_, n)| n).collect();
        let mid = counts.len() / 2;
        let median = *counts.select_nth_unstable(mid).1;
        self.counts.retain(|&(_, n)| n > median);
        self.undercount += median;
        self.index.clear();
        for (i, &(k, _)) in self.counts.iter().enumerate() {
            self.index.insert(k, i as u32);
        }
    }

    /// The `n` most counted keys, most first (ties: lower key first).
    pub fn top(&self, n: usize) -> Vec<(u64, u64)> {
        let mut top = self.counts.clone();
        top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(n);
        top
    }

    /// How far below its true count any reported count may be (0: exact).
    pub fn undercount(&self) -> u64 {
        self.undercount
    }

    /// Distinct keys held now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.counts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::TopKeys;

    #[test]
    fn counts_are_exact_while_the_table_has_room() {
        let mut t = TopKeys::with_capacity(8);
        for k in [3, 1, 3, 2, 3, 1] {
            t.count(k);
        }
        assert_eq!(t.top(2), vec![(3, 3), (1, 2)]);
        assert_eq!(t.undercount(), 0);
    }

    #[test]
    fn memory_stays_bounded_and_hot_keys_stay_exact() {
        let mut t = TopKeys::with_capacity(64);
        let mut hot = 0;
        for i in 0..100_000u64 {
            if i % 4 == 0 {
                t.count(7); // a hot key: a quarter of requests
                hot += 1;
            } else {
                t.count(1_000 + i); // each cold key seen once
            }
            assert!(t.len() <= 64);
        }
        assert_eq!(t.top(1), vec![(7, hot)], "the hot key survives every prune, counted exactly");
        assert!(t.undercount() > 0, "cold keys were pruned");
    }

    #[test]
    fn a_reported_count_is_within_the_undercount_of_the_truth() {
        // Keys with skewed counts: key k is requested (k % 50) + 1 times,
        // interleaved so every key arrives before the table prunes.
        let mut t = TopKeys::with_capacity(100);
        let mut truth = std::collections::BTreeMap::new();
        for round in 0..50u64 {
            for k in 0..400u64 {
                if round <= k % 50 {
                    t.count(k);
                    *truth.entry(k).or_insert(0u64) += 1;
                }
            }
        }
        for (k, n) in t.top(100) {
            let true_n = truth[&k];
            assert!(n <= true_n && true_n - n <= t.undercount(), "key {k}: {n} against {true_n}");
        }
    }
}
