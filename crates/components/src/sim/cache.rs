//! Caches: lookups, read-through fetches with single flight, probabilistic
//! early expiration, stale-while-revalidate, write policies, prewarming.
//!
//! A cache is a cluster of nodes (stations); a key lives on node
//! `hash(key) mod nodes`. Nodes are event-driven: a request waiting on the
//! origin gives its worker back.

use std::collections::{HashMap, HashSet};

use tailsim_engine::rng::{SimRng, splitmix64};
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::Time;

use super::store::{Lookup, Store};
use super::{Answer, Event, Next, Op, Owner, Req, World};
use crate::dist::{Dist, unit};
use crate::spec::{CacheModeSpec, CacheSpec, TtlSpec, WritePolicySpec};

/// Measured after warm-up.
#[derive(Default)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub stale: u64,
    pub coalesced: u64,
    pub origin_fetches: u64,
    pub early_refreshes: u64,
    pub fills: u64,
    pub invalidations: u64,
    pub writes_buffered: u64,
    pub writes_flushed: u64,
    pub writes_lost: u64,
    /// Requests per key, for the hottest keys.
    pub key_counts: HashMap<u64, u64>,
}

pub struct Cache {
    pub name: String,
    pub nodes: u32,
    pub stores: Vec<Store>,
    ttl: Option<Dist>,
    pub mode: CacheModeSpec,
    pub write_policy: WritePolicySpec,
    flush_delay: Time,
    xfetch_beta: Option<f64>,
    stale_window: Option<Time>,
    single_flight: bool,
    pub origin_site: u32,
    /// Per node: keys with an origin fetch in flight, and who waits on it.
    inflight: Vec<HashMap<u64, Vec<(u32, u32)>>>,
    /// Per node: keys being refreshed in the background.
    refreshing: Vec<HashSet<u64>>,
    /// Per node: write-behind writes not yet flushed, and an epoch a crash
    /// bumps so pending flushes of lost writes are dropped.
    pub buffered: Vec<u64>,
    pub flush_epoch: Vec<u32>,
    pub prewarm: Vec<(Time, Vec<u64>)>,
    pub top_keys: u32,
    rng: SimRng,
    pub stats: CacheStats,
}

impl Cache {
    pub fn new(name: String, spec: &CacheSpec, origin_site: u32, rng: SimRng) -> Self {
        let n = spec.replicas as usize;
        let ttl = spec.ttl.as_ref().map(|t| match t {
            TtlSpec::Fixed(d) => Dist::Constant(d.0),
            TtlSpec::Drawn(d) => Dist::new(d).expect("validated"),
        });
        Self {
            name,
            nodes: spec.replicas,
            stores: (0..n).map(|_| Store::new(spec.eviction, spec.capacity as usize)).collect(),
            ttl,
            mode: spec.mode,
            write_policy: spec.write_policy,
            flush_delay: spec.flush_delay.map_or(0, |d| d.0),
            xfetch_beta: spec.xfetch_beta,
            stale_window: spec.stale_while_revalidate.map(|d| d.0),
            single_flight: spec.single_flight,
            origin_site,
            inflight: vec![HashMap::new(); n],
            refreshing: vec![HashSet::new(); n],
            buffered: vec![0; n],
            flush_epoch: vec![0; n],
            prewarm: spec.prewarm.iter().map(|p| (p.at.0, p.keys.iter().copied().chain(0..p.top).collect())).collect(),
            top_keys: spec.top_keys,
            rng,
            stats: CacheStats::default(),
        }
    }

    /// The node holding `key`.
    pub fn node_of(&self, key: u64) -> u32 {
        let mut s = key ^ 0x6A09_E667_F3BC_C908;
        (splitmix64(&mut s) % self.nodes as u64) as u32
    }

    fn expiry(&mut self, now: Time) -> Time {
        match &self.ttl {
            Some(d) => now.saturating_add(d.sample(&mut self.rng)),
            None => Time::MAX,
        }
    }

    fn insert(&mut self, node: u32, key: u64, now: Time, fetch: Time) {
        let expires = self.expiry(now);
        self.stores[node as usize].insert(key, expires, fetch, &mut self.rng);
    }

    /// Node `node` crashed: its contents, fetches in flight and unflushed
    /// write-behind writes are gone.
    pub fn crash(&mut self, node: u32, measuring: bool) {
        let n = node as usize;
        let (policy, capacity) = (self.stores[n].policy(), self.stores[n].capacity());
        self.stores[n] = Store::new(policy, capacity);
        self.inflight[n].clear();
        self.refreshing[n].clear();
        if measuring {
            self.stats.writes_lost += self.buffered[n];
        }
        self.buffered[n] = 0;
        self.flush_epoch[n] = self.flush_epoch[n].wrapping_add(1);
    }

    /// Forgets what was measured during warm-up.
    pub fn reset(&mut self) {
        self.stats = CacheStats::default();
        for s in &mut self.stores {
            s.evictions = 0;
        }
    }
}

impl World {
    fn cache_of_job(&self, job: u32) -> (u32, u32) {
        let j = &self.jobs[job];
        let st = &self.stations[j.station as usize];
        let svc = &self.services[st.service as usize];
        let super::ServiceKind::Cache(c) = svc.kind else { unreachable!("a cache step at a cache node") };
        (c, j.station - svc.first_station)
    }

    /// The lookup at a cache node.
    pub(super) fn cache_read(&mut self, job: u32, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let (c, node) = self.cache_of_job(job);
        let key = self.jobs[job].req.key;
        let measuring = self.measuring;
        let cache = &mut self.caches[c as usize];
        if measuring {
            *cache.stats.key_counts.entry(key).or_insert(0) += 1;
        }
        let hit = match cache.stores[node as usize].lookup(key, now) {
            Lookup::Hit { expires, fetch } => match cache.xfetch_beta {
                // XFetch: refresh early with a probability that grows as
                // expiry nears: when now - fetch * beta * ln(u) >= expiry.
                Some(beta)
                    if now as f64 - fetch as f64 * beta * unit(&mut cache.rng).max(1e-300).ln() >= expires as f64 =>
                {
                    if measuring {
                        cache.stats.early_refreshes += 1;
                    }
                    false
                }
                _ => true,
            },
            Lookup::Expired { age } if cache.stale_window.is_some_and(|w| age < w) => {
                if measuring {
                    cache.stats.stale += 1;
                }
                if cache.mode == CacheModeSpec::ReadThrough && cache.refreshing[node as usize].insert(key) {
                    let station = self.jobs[job].station;
                    self.start_detached(
                        self.caches[c as usize].origin_site,
                        Owner::Refresh { station, key },
                        Req { key, op: Op::Read, ..Default::default() },
                        sched,
                    );
                }
                self.window_hits += 1;
                return Next::Finish(Ok(Answer::Stale));
            }
            Lookup::Expired { .. } | Lookup::Miss => false,
        };
        let cache = &mut self.caches[c as usize];
        if hit {
            if measuring {
                cache.stats.hits += 1;
            }
            self.window_hits += 1;
            return Next::Finish(Ok(Answer::Done));
        }
        if measuring {
            cache.stats.misses += 1;
        }
        self.window_misses += 1;
        if cache.mode == CacheModeSpec::CacheAside {
            return Next::Finish(Ok(Answer::Miss));
        }
        // Read-through: fetch from the origin, once per key if single flight.
        let generation = self.jobs[job].generation;
        if cache.single_flight {
            if let Some(waiters) = cache.inflight[node as usize].get_mut(&key) {
                waiters.push((job, generation));
                if measuring {
                    cache.stats.coalesced += 1;
                }
                return self.park(job, sched);
            }
            cache.inflight[node as usize].insert(key, Vec::new());
            self.jobs[job].leads_fetch = true;
        }
        if measuring {
            self.caches[c as usize].stats.origin_fetches += 1;
        }
        let site = self.caches[c as usize].origin_site;
        self.wait_on_calls(job, site, 1, 1, None, sched)
    }

    /// Parks a job that waits for another's fetch: no worker, no calls.
    pub(super) fn park(&mut self, job: u32, sched: &mut Scheduler<Event>) -> Next {
        let j = &mut self.jobs[job];
        j.mark = sched.now();
        if j.holds_worker {
            j.holds_worker = false;
            let station = j.station;
            self.release_worker(station, sched);
        }
        Next::Wait
    }

    /// After a successful fetch or write-through: store the key.
    pub(super) fn cache_store(&mut self, job: u32, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let (c, node) = self.cache_of_job(job);
        let j = &self.jobs[job];
        // The time spent blocked on the origin is the fetch's duration,
        // XFetch's delta.
        let (key, op, fetch) = (j.req.key, j.req.op, j.downstream_ns);
        let cache = &mut self.caches[c as usize];
        if op == Op::Fill && self.measuring {
            cache.stats.fills += 1;
        }
        cache.insert(node, key, now, if op == Op::Read { fetch } else { 0 });
        Next::Finish(Ok(Answer::Done))
    }

    /// A fetch this job led is over: answer everyone who waited on it.
    pub(super) fn cache_release_waiters(&mut self, job: u32, outcome: super::Outcome, sched: &mut Scheduler<Event>) {
        let (c, node) = self.cache_of_job(job);
        let key = self.jobs[job].req.key;
        let waiters = self.caches[c as usize].inflight[node as usize].remove(&key).unwrap_or_default();
        for (w, generation) in waiters {
            if self.jobs[w].generation == generation {
                self.finish_job(w, outcome, sched);
            }
        }
    }

    /// A write at a cache node, by write policy.
    pub(super) fn cache_write(&mut self, job: u32, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let (c, node) = self.cache_of_job(job);
        let key = self.jobs[job].req.key;
        let cache = &mut self.caches[c as usize];
        match cache.write_policy {
            WritePolicySpec::WriteBehind => {
                cache.insert(node, key, now, 0);
                cache.buffered[node as usize] += 1;
                if self.measuring {
                    cache.stats.writes_buffered += 1;
                }
                let station = self.jobs[job].station;
                let epoch = cache.flush_epoch[node as usize];
                sched.schedule_in(cache.flush_delay, Event::Flush { station, key, epoch });
                Next::Finish(Ok(Answer::Done))
            }
            WritePolicySpec::WriteThrough | WritePolicySpec::Invalidate => {
                let site = cache.origin_site;
                self.wait_on_calls(job, site, 1, 1, None, sched)
            }
        }
    }

    /// Drops a key (an invalidation, or the write-invalidate policy).
    pub(super) fn cache_remove(&mut self, job: u32) -> Next {
        let (c, node) = self.cache_of_job(job);
        let j = &self.jobs[job];
        let cache = &mut self.caches[c as usize];
        cache.stores[node as usize].remove(j.req.key);
        if j.req.op == Op::Invalidate && self.measuring {
            cache.stats.invalidations += 1;
        }
        Next::Finish(Ok(Answer::Done))
    }

    /// A write-behind write reaches the origin.
    pub(super) fn on_flush(&mut self, station: u32, key: u64, epoch: u32, sched: &mut Scheduler<Event>) {
        let svc = &self.services[self.stations[station as usize].service as usize];
        let super::ServiceKind::Cache(c) = svc.kind else { return };
        let node = (station - svc.first_station) as usize;
        let cache = &mut self.caches[c as usize];
        if cache.flush_epoch[node] != epoch {
            return; // lost in a crash
        }
        cache.buffered[node] -= 1;
        if self.measuring {
            cache.stats.writes_flushed += 1;
        }
        let site = cache.origin_site;
        self.start_detached(site, Owner::Detached, Req { key, op: Op::Write, ..Default::default() }, sched);
    }

    /// A background refresh came back.
    pub(super) fn refreshed(&mut self, station: u32, key: u64, ok: bool, fetch: Time, now: Time) {
        let svc = &self.services[self.stations[station as usize].service as usize];
        let super::ServiceKind::Cache(c) = svc.kind else { return };
        let node = station - svc.first_station;
        let cache = &mut self.caches[c as usize];
        cache.refreshing[node as usize].remove(&key);
        if ok {
            cache.insert(node, key, now, fetch);
        }
    }

    /// Loads a prewarm entry's keys into their nodes.
    pub(super) fn on_prewarm(&mut self, c: u32, entry: u32, now: Time) {
        let cache = &mut self.caches[c as usize];
        let keys = std::mem::take(&mut cache.prewarm[entry as usize].1);
        for key in keys {
            let node = cache.node_of(key);
            cache.insert(node, key, now, 0);
        }
    }
}
