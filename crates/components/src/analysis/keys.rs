//! Key popularity for static analysis: how much of a client's traffic a
//! cache of a given size absorbs (Che's approximation for LRU, a fixed
//! point for FIFO and RANDOM, the top keys for LFU, each bounded by a TTL),
//! and how it falls on a datastore's shards.
//!
//! Popularity is handled in groups of keys whose probabilities differ by at
//! most 1%, so a Zipf over millions of keys costs a few thousand terms.

use crate::partition::Partitioner;
use crate::spec::{ClientSpec, DatastoreSpec, EvictionSpec, KeyDistSpec};

/// Keys with one probability each: (probability of each key, how many keys,
/// first key).
#[derive(Clone, Debug)]
pub struct Popularity {
    groups: Vec<(f64, f64, u64)>,
    /// A hot key's share, and the key.
    hot: Option<(f64, u64)>,
}

/// The expected fresh time of a slot held for t (FIFO) or for a time drawn
/// from an exponential of mean t (RANDOM), by a key of request rate q and
/// entries living T: fresh for T after the insertion, then in turns of a
/// wait for the request that refills it (mean 1/q) and T fresh. Over a span
/// s after the first T that is phi s + c, the alternating-renewal limit
/// with phi = q T / (1 + q T) and c = -q T^2 / (2 (1 + q T)^2) for a span
/// that starts waiting (never below zero).
fn fresh_time(q: f64, t: f64, ttl: f64, random: bool) -> f64 {
    let phi = q * ttl / (1.0 + q * ttl);
    let offset = -q * ttl * ttl / (2.0 * (1.0 + q * ttl).powi(2));
    if random {
        // E[min(L, T)] + P(L > T) E[fresh time of the rest], the rest again
        // exponential with mean t.
        let beyond = (-ttl / t).exp();
        t * (1.0 - beyond) + beyond * (phi * t + offset).max(0.0)
    } else if ttl >= t {
        t
    } else {
        ttl + (phi * (t - ttl) + offset).max(0.0)
    }
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

    /// The estimated hit ratio of a cache of `capacity` entries evicting
    /// by `eviction`, whose entries expire `ttl` requests of this client
    /// after they are filled (a time-to-live in seconds times the client's
    /// read rate at the cache), if they expire. As in the simulator, a hit
    /// does not extend an entry's life, and an expired entry keeps its slot
    /// until it is refilled (in place) or evicted. The hot key is always
    /// cached.
    ///
    /// A key holds a slot a share of the time set by the policy, at a
    /// characteristic time t that fills the cache:
    /// - LRU (Che's approximation): 1 - e^{-q t}, the chance of a request
    ///   within t of the last;
    /// - FIFO and RANDOM (the fixed point): q t / (1 + q t), a slot held
    ///   for about t after each insertion, whatever its hits;
    /// - LFU (perfect, counting every request): the `capacity` most
    ///   popular keys hold one for good.
    ///
    /// With a TTL T a request in a held slot hits only if it comes within
    /// T of the slot's last fill. For LRU the bound q T / (1 + q T) (fresh
    /// for T, then a miss that refills) is taken against Che's share, the
    /// smaller of the two; for LFU it applies to each top key; for FIFO and
    /// RANDOM, whose slot life does not depend on hits, the expected fresh
    /// part of that life is counted ([`fresh_time`]).
    pub fn hit_ratio(&self, capacity: f64, eviction: EvictionSpec, ttl: Option<f64>) -> f64 {
        let fresh = |q: f64| ttl.map_or(1.0, |t| q * t / (1.0 + q * t));
        let base = match eviction {
            EvictionSpec::Lfu => self.top(capacity, fresh),
            EvictionSpec::Lru => {
                let t = self.characteristic_time(capacity, |q, t| 1.0 - (-q * t).exp());
                self.hits(|q| (if t.is_finite() { 1.0 - (-q * t).exp() } else { 1.0 }).min(fresh(q)))
            }
            EvictionSpec::Fifo | EvictionSpec::Random => {
                let t = self.characteristic_time(capacity, |q, t| q * t / (1.0 + q * t));
                let random = eviction == EvictionSpec::Random;
                self.hits(|q| match (t.is_finite(), ttl) {
                    (false, _) => fresh(q),
                    (true, None) => q * t / (1.0 + q * t),
                    // Per slot: the inserting miss, q t requests, and
                    // hits for those in its fresh time.
                    (true, Some(ttl)) => q * fresh_time(q, t, ttl, random) / (1.0 + q * t),
                })
            }
        };
        match self.hot {
            Some((share, _)) => share + (1.0 - share) * base,
            None => base,
        }
    }

    /// The t at which keys held a share `held(q, t)` of the time fill
    /// `capacity` slots on average; infinite when every key fits.
    fn characteristic_time(&self, capacity: f64, held: impl Fn(f64, f64) -> f64) -> f64 {
        let keys: f64 = self.groups.iter().map(|g| g.1).sum();
        if keys <= capacity {
            return f64::INFINITY;
        }
        let filled = |t: f64| self.groups.iter().map(|&(p, n, _)| n * held(p, t)).sum::<f64>();
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
        0.5 * (lo + hi)
    }

    /// The hit ratio when a request for a key of probability q hits with
    /// probability `hit(q)`.
    fn hits(&self, hit: impl Fn(f64) -> f64) -> f64 {
        self.groups.iter().map(|&(p, n, _)| n * p * hit(p)).sum()
    }

    /// The hit ratio of the `capacity` most popular keys, each a share
    /// `bound(q)` of its requests (its expiry).
    fn top(&self, capacity: f64, bound: impl Fn(f64) -> f64) -> f64 {
        let mut groups: Vec<(f64, f64)> = self.groups.iter().map(|&(p, n, _)| (p, n)).collect();
        groups.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (mut room, mut hits) = (capacity, 0.0);
        for (p, n) in groups {
            let taken = n.min(room);
            hits += taken * p * bound(p);
            room -= taken;
            if room <= 0.0 {
                break;
            }
        }
        hits
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
        let h = Popularity::of_client(&c, 1).hit_ratio(1000.0, EvictionSpec::Lru, None);
        assert!((h - 0.6756).abs() < 2e-3, "{h}");
        c.keys = Some(KeySpec { dist: KeyDistSpec::Uniform, n: 10_000, s: 1.0, weights: Vec::new() });
        let h = Popularity::of_client(&c, 1).hit_ratio(1000.0, EvictionSpec::Lru, None);
        assert!((h - 0.1).abs() < 1e-3, "{h}");
    }

    /// Each policy's estimate against the same formula summed key by key.
    #[test]
    fn each_policy_on_grouped_keys_matches_the_sum_over_keys() {
        let mut c = ClientSpec::poisson("x", 1.0);
        c.keys = Some(KeySpec { dist: KeyDistSpec::Zipf, n: 10_000, s: 1.0, weights: Vec::new() });
        let pop = Popularity::of_client(&c, 1);
        let w: Vec<f64> = (1..=10_000).map(|k| 1.0 / k as f64).collect();
        let total: f64 = w.iter().sum();
        let q: Vec<f64> = w.iter().map(|x| x / total).collect();
        // Perfect LFU: the top 1,000 keys.
        let top: f64 = q[..1000].iter().sum();
        let lfu = pop.hit_ratio(1000.0, EvictionSpec::Lfu, None);
        assert!((lfu - top).abs() < 2e-3, "{lfu} vs {top}");
        // FIFO: t with sum q t / (1 + q t) = 1000, by bisection over keys.
        let filled = |t: f64| q.iter().map(|p| p * t / (1.0 + p * t)).sum::<f64>();
        let (mut lo, mut hi) = (0.0, 1e9);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if filled(mid) < 1000.0 { lo = mid } else { hi = mid }
        }
        let fifo_ref: f64 = q.iter().map(|p| p * p * lo / (1.0 + p * lo)).sum();
        let fifo = pop.hit_ratio(1000.0, EvictionSpec::Fifo, None);
        assert!((fifo - fifo_ref).abs() < 2e-3, "{fifo} vs {fifo_ref}");
        assert!(fifo < pop.hit_ratio(1000.0, EvictionSpec::Lru, None) && lfu > fifo);
        assert_eq!(pop.hit_ratio(1000.0, EvictionSpec::Random, None), fifo);
        // A TTL far beyond every slot's life changes nothing, and one near
        // zero leaves nothing fresh.
        for e in [EvictionSpec::Fifo, EvictionSpec::Random] {
            assert!((pop.hit_ratio(1000.0, e, Some(1e15)) - fifo).abs() < 1e-6, "{e:?}");
            assert!(pop.hit_ratio(1000.0, e, Some(1e-9)) < 1e-6, "{e:?}");
        }
        // A TTL of 5,000 requests in a cache that holds every key: each
        // key q T / (1 + q T) of the time, whatever the policy.
        let ttl: f64 = q.iter().map(|p| p * p * 5000.0 / (1.0 + p * 5000.0)).sum();
        for e in [EvictionSpec::Lru, EvictionSpec::Fifo, EvictionSpec::Lfu] {
            let h = pop.hit_ratio(20_000.0, e, Some(5000.0));
            assert!((h - ttl).abs() < 2e-3, "{e:?}: {h} vs {ttl}");
        }
        // A TTL never raises a hit ratio; one longer than a FIFO slot's
        // life changes nothing.
        for e in [EvictionSpec::Lru, EvictionSpec::Fifo, EvictionSpec::Lfu] {
            assert!(pop.hit_ratio(1000.0, e, Some(5000.0)) <= pop.hit_ratio(1000.0, e, None) + 1e-12);
        }
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
