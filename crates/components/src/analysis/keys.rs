//! Key popularity for static analysis: how much of a client's traffic a
//! cache of a given size absorbs (Che's approximation), and how it falls
//! on a datastore's shards.
//!
//! Popularity is handled in groups of keys whose probabilities differ by at
//! most 1%, so a Zipf over millions of keys costs a few thousand terms.

use crate::partition::Partitioner;
use crate::spec::{ClientSpec, DatastoreSpec, KeyDistSpec};

/// Keys with one probability each: (probability of each key, how many keys,
/// first key).
#[derive(Clone, Debug)]
pub struct Popularity {
    groups: Vec<(f64, f64, u64)>,
    /// A hot key's share, and the key.
    hot: Option<(f64, u64)>,
}

/// Keys individually placed on shards before the rest is spread evenly.
const EXACT_KEYS: u64 = 100_000;

impl Popularity {
    /// The popularity a client's requests follow in the long run; hotspots
    /// count at their share for their part of the run.
    pub fn of_client(c: &ClientSpec, duration: u64) -> Popularity {
        let (n, zipf) = match &c.keys {
            None => (1, None),
            Some(k) => (k.n.max(1), (k.dist == KeyDistSpec::Zipf).then_some(k.s)),
        };
        let mut groups = Vec::new();
        let weights = c.keys.as_ref().filter(|k| k.dist == KeyDistSpec::Weights).map(|k| k.weights.as_slice());
        match zipf {
            // Weighted keys (from a file of counts): one group per key.
            None if let Some(w) = weights => {
                let total: f64 = w.iter().sum();
                groups.extend(w.iter().enumerate().map(|(k, &wk)| (wk / total, 1.0, k as u64)));
            }
            None => groups.push((1.0 / n as f64, n as f64, 0)),
            Some(s) => {
                let mut total = 0.0;
                let mut k = 1u64;
                while k <= n {
                    let end = ((k as f64 * 1.01).ceil() as u64).max(k + 1).min(n + 1);
                    let mid = (k + end - 1) as f64 / 2.0;
                    let count = (end - k) as f64;
                    let p = mid.powf(-s);
                    groups.push((p, count, k - 1));
                    total += p * count;
                    k = end;
                }
                for g in &mut groups {
                    g.0 /= total;
                }
            }
        }
        // A hotspot's share, weighted by the part of the run it covers.
        let hot = c.hotspots.iter().find(|h| h.share > 0.0).map(|h| {
            let until = h.until.map_or(duration, |u| u.0.min(duration));
            let covered = until.saturating_sub(h.at.0) as f64 / duration.max(1) as f64;
            (h.share * covered, h.key)
        });
        Popularity { groups, hot }
    }

    /// Che's approximation of an LRU cache's hit ratio with `capacity`
    /// entries: t solves sum(1 - e^{-q t}) = capacity; H = sum q (1 - e^{-q t}).
    /// The hot key is always cached.
    pub fn hit_ratio(&self, capacity: f64) -> f64 {
        let filled = |t: f64| self.groups.iter().map(|&(p, n, _)| n * (1.0 - (-p * t).exp())).sum::<f64>();
        let keys: f64 = self.groups.iter().map(|g| g.1).sum();
        let base = if capacity >= keys {
            1.0
        } else {
            let (mut lo, mut hi) = (0.0, 1.0);
            while filled(hi) < capacity {
                hi *= 2.0;
            }
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if filled(mid) < capacity {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let t = 0.5 * (lo + hi);
            self.groups.iter().map(|&(p, n, _)| n * p * (1.0 - (-p * t).exp())).sum()
        };
        match self.hot {
            Some((share, _)) => share + (1.0 - share) * base,
            None => base,
        }
    }

    /// The share of requests each shard of `d` receives.
    pub fn shard_shares(&self, d: &DatastoreSpec) -> Vec<f64> {
        let p = Partitioner::new(d);
        let shards = d.shards as usize;
        let mut shares = vec![0.0; shards];
        let split = |key: u64| d.hot_keys.iter().find(|h| h.key == key).map_or(1, |h| h.split.max(1)) as u64;
        let place = |key: u64, weight: f64, shares: &mut Vec<f64>| {
            let k = split(key);
            for j in 0..k {
                shares[p.shard_of(Partitioner::sub_key(key, j)) as usize] += weight / k as f64;
            }
        };
        let (hot_share, hot_key) = self.hot.unwrap_or((0.0, 0));
        let rest = 1.0 - hot_share;
        for &(prob, count, first) in &self.groups {
            let exact = (count as u64).min(EXACT_KEYS.saturating_sub(first));
            for key in first..first + exact {
                place(key, rest * prob, &mut shares);
            }
            let spread = (count - exact as f64) * prob * rest;
            for s in shares.iter_mut() {
                *s += spread / shards as f64;
            }
        }
        if hot_share > 0.0 {
            place(hot_key, hot_share, &mut shares);
        }
        shares
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ClientSpec, Duration, HotspotSpec, KeySpec};

    #[test]
    fn che_on_grouped_keys_matches_the_reference() {
        let mut c = ClientSpec::poisson("x", 1.0);
        c.keys = Some(KeySpec { dist: KeyDistSpec::Zipf, n: 10_000, s: 1.0, weights: Vec::new() });
        let h = Popularity::of_client(&c, 1).hit_ratio(1000.0);
        assert!((h - 0.6756).abs() < 2e-3, "{h}");
        c.keys = Some(KeySpec { dist: KeyDistSpec::Uniform, n: 10_000, s: 1.0, weights: Vec::new() });
        let h = Popularity::of_client(&c, 1).hit_ratio(1000.0);
        assert!((h - 0.1).abs() < 1e-3, "{h}");
    }

    #[test]
    fn a_hotspot_loads_its_shard() {
        let mut c = ClientSpec::poisson("x", 1.0);
        c.keys = Some(KeySpec { dist: KeyDistSpec::Uniform, n: 1_000_000, s: 1.0, weights: Vec::new() });
        c.hotspots = vec![HotspotSpec { at: Duration::ZERO, until: None, key: 42, share: 0.2 }];
        let d: DatastoreSpec = toml_like();
        let shares = Popularity::of_client(&c, 100).shard_shares(&d);
        let max = shares.iter().cloned().fold(0.0, f64::max);
        assert!((max - (0.2 + 0.8 / 8.0)).abs() < 0.01, "{shares:?}");
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    fn toml_like() -> DatastoreSpec {
        use crate::spec::{DistSpec, PartitionSpec, ReadPolicySpec, ReplicationSpec};
        DatastoreSpec {
            shards: 8,
            partition: PartitionSpec::Hash,
            key_space: None,
            virtual_nodes: 100,
            replicas: 0,
            workers: 8,
            queue_capacity: None,
            read_time: DistSpec::exponential(Duration::from_millis(1)),
            write_time: DistSpec::exponential(Duration::from_millis(1)),
            replication: ReplicationSpec::Async,
            quorum: None,
            replication_lag: None,
            read_policy: ReadPolicySpec::Primary,
            read_your_writes_window: None,
            hot_keys: Vec::new(),
            failover: None,
            zones: Vec::new(),
            region: None,
        }
    }
}
