//! Caches: lookups, read-through fetches with single flight, probabilistic
//! early expiration, stale-while-revalidate, write policies, prewarming.
//!
//! A cache is a cluster of nodes (stations); a key lives on node
//! `hash(key) mod nodes`. Nodes are event-driven: a request waiting on the
//! origin gives its worker back.

use std::collections::HashSet;

use tailsim_engine::rng::{SimRng, splitmix64};
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::Time;

use super::kind::{Next, ServiceKind};
use super::request::{Answer, Op, Owner, Req};
use super::store::{Lookup, Store};
use super::top_keys::TopKeys;
use super::{Event, World};
use crate::dist::{Dist, unit};
use crate::ids::{CacheId, FlightId, JobId, SiteId, StationId};
use crate::result::CacheResult;
use crate::spec::{CacheModeSpec, CacheSpec, WritePolicySpec};

/// A cache node's own handler steps.
#[derive(Copy, Clone, Debug)]
pub enum CacheStep {
    /// Look the key up; fetch from the origin on a miss (read-through), or
    /// answer `Miss` (cache-aside).
    Read,
    /// Store the key just fetched or written.
    Store,
    /// Apply the write policy.
    Write,
    /// Drop the key.
    Remove,
}

/// Events of caches.
#[derive(Copy, Clone, Debug)]
pub enum CacheEvent {
    /// A write-behind node flushes one buffered write.
    Flush { station: StationId, key: u64, epoch: u32 },
    /// Keys are loaded into a cache.
    Prewarm { cache: CacheId, entry: u32 },
}

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
    /// Requests per key, for the hottest keys (bounded).
    pub key_counts: TopKeys,
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
    /// Single flight: the scope of node 0 (node `n` has `first + n`).
    pub flights: Option<FlightId>,
    pub origin_site: SiteId,
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
    pub fn new(
        name: String,
        spec: &CacheSpec,
        ttl: Option<Dist>,
        origin_site: SiteId,
        flights: Option<FlightId>,
        rng: SimRng,
    ) -> Self {
        let n = spec.replicas as usize;
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
            flights,
            origin_site,
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

    /// Node `node` crashed: its contents, refreshes in flight and unflushed
    /// write-behind writes are gone.
    fn crash(&mut self, node: u32, measuring: bool) {
        let n = node as usize;
        let (policy, capacity) = (self.stores[n].policy(), self.stores[n].capacity());
        self.stores[n] = Store::new(policy, capacity);
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

    /// What it measured.
    pub fn result(&self) -> CacheResult {
        let s = &self.stats;
        let top = s.key_counts.top(self.top_keys as usize);
        CacheResult {
            name: self.name.clone(),
            hits: s.hits,
            misses: s.misses,
            stale: s.stale,
            coalesced: s.coalesced,
            origin_fetches: s.origin_fetches,
            early_refreshes: s.early_refreshes,
            fills: s.fills,
            invalidations: s.invalidations,
            evictions: self.stores.iter().map(|st| st.evictions).sum(),
            writes_buffered: s.writes_buffered,
            writes_flushed: s.writes_flushed,
            writes_lost: s.writes_lost,
            top_keys: top,
            top_keys_undercount: s.key_counts.undercount(),
        }
    }
}

impl World {
    /// The cache and node of a station, if it is a cache node.
    fn cache_node(&self, station: StationId) -> Option<(CacheId, u32)> {
        let svc = &self.services[self.stations[station].service];
        match svc.kind {
            ServiceKind::Cache(c) => Some((c, svc.local(station))),
            _ => None,
        }
    }

    fn cache_of_job(&self, job: JobId) -> (CacheId, u32) {
        self.cache_node(self.requests[job].station).expect("a cache step at a cache node")
    }

    pub(super) fn cache_step(&mut self, job: JobId, step: CacheStep, sched: &mut Scheduler<Event>) -> Next {
        match step {
            CacheStep::Read => self.cache_read(job, sched),
            CacheStep::Store => self.cache_store(job, sched),
            CacheStep::Write => self.cache_write(job, sched),
            CacheStep::Remove => self.cache_remove(job),
        }
    }

    pub(super) fn on_cache_event(&mut self, e: CacheEvent, sched: &mut Scheduler<Event>) {
        match e {
            CacheEvent::Flush { station, key, epoch } => self.on_flush(station, key, epoch, sched),
            CacheEvent::Prewarm { cache, entry } => self.on_prewarm(cache, entry, sched.now()),
        }
    }

    /// The lookup at a cache node.
    fn cache_read(&mut self, job: JobId, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let (c, node) = self.cache_of_job(job);
        let key = self.requests[job].req.key;
        let measuring = self.meter.measuring;
        let cache = &mut self.caches[c];
        if measuring {
            cache.stats.key_counts.count(key);
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
                    let station = self.requests[job].station;
                    let site = cache.origin_site;
                    let req = Req { key, op: Op::Read, ..Default::default() };
                    self.start_detached(site, Owner::Refresh { station, key }, req, sched);
                }
                self.meter.window_lookup(true);
                return Next::Finish(Ok(Answer::Stale));
            }
            Lookup::Expired { .. } | Lookup::Miss => false,
        };
        let cache = &mut self.caches[c];
        if hit {
            if measuring {
                cache.stats.hits += 1;
            }
            self.meter.window_lookup(true);
            return Next::Finish(Ok(Answer::Done));
        }
        if measuring {
            cache.stats.misses += 1;
        }
        self.meter.window_lookup(false);
        if cache.mode == CacheModeSpec::CacheAside {
            return Next::Finish(Ok(Answer::Miss));
        }
        // Read-through: fetch from the origin, once per key if single flight.
        if let Some(first) = cache.flights {
            let scope = first.offset(node);
            let generation = self.requests[job].generation;
            match self.flights.join(scope, key, job, generation) {
                super::flight::Join::Wait => {
                    if measuring {
                        self.caches[c].stats.coalesced += 1;
                    }
                    return self.park(job, sched);
                }
                super::flight::Join::Lead => self.requests[job].leads = Some(scope),
            }
        }
        if measuring {
            self.caches[c].stats.origin_fetches += 1;
        }
        let site = self.caches[c].origin_site;
        self.wait_on_calls(job, site, 1, 1, None, sched)
    }

    /// Parks a job that waits for another's fetch: no worker, no calls.
    fn park(&mut self, job: JobId, sched: &mut Scheduler<Event>) -> Next {
        let j = &mut self.requests[job];
        j.mark = sched.now();
        if j.holds_worker {
            j.holds_worker = false;
            let station = j.station;
            self.release_worker(station, sched);
        }
        Next::Wait
    }

    /// After a successful fetch or write-through: store the key.
    fn cache_store(&mut self, job: JobId, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let (c, node) = self.cache_of_job(job);
        let j = &self.requests[job];
        // The time spent blocked on the origin is the fetch's duration,
        // XFetch's delta.
        let (key, op, fetch) = (j.req.key, j.req.op, j.downstream_ns);
        let cache = &mut self.caches[c];
        if op == Op::Fill && self.meter.measuring {
            cache.stats.fills += 1;
        }
        cache.insert(node, key, now, if op == Op::Read { fetch } else { 0 });
        Next::Finish(Ok(Answer::Done))
    }

    /// A write at a cache node, by write policy.
    fn cache_write(&mut self, job: JobId, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let (c, node) = self.cache_of_job(job);
        let key = self.requests[job].req.key;
        let cache = &mut self.caches[c];
        match cache.write_policy {
            WritePolicySpec::WriteBehind => {
                cache.insert(node, key, now, 0);
                cache.buffered[node as usize] += 1;
                if self.meter.measuring {
                    cache.stats.writes_buffered += 1;
                }
                let station = self.requests[job].station;
                let epoch = cache.flush_epoch[node as usize];
                sched.schedule_in(cache.flush_delay, Event::Cache(CacheEvent::Flush { station, key, epoch }));
                Next::Finish(Ok(Answer::Done))
            }
            WritePolicySpec::WriteThrough | WritePolicySpec::Invalidate => {
                let site = cache.origin_site;
                self.wait_on_calls(job, site, 1, 1, None, sched)
            }
        }
    }

    /// Drops a key (an invalidation, or the write-invalidate policy).
    fn cache_remove(&mut self, job: JobId) -> Next {
        let (c, node) = self.cache_of_job(job);
        let j = &self.requests[job];
        let cache = &mut self.caches[c];
        cache.stores[node as usize].remove(j.req.key);
        if j.req.op == Op::Invalidate && self.meter.measuring {
            cache.stats.invalidations += 1;
        }
        Next::Finish(Ok(Answer::Done))
    }

    /// A write-behind write reaches the origin.
    fn on_flush(&mut self, station: StationId, key: u64, epoch: u32, sched: &mut Scheduler<Event>) {
        let Some((c, node)) = self.cache_node(station) else { return };
        let node = node as usize;
        let cache = &mut self.caches[c];
        if cache.flush_epoch[node] != epoch {
            return; // lost in a crash
        }
        cache.buffered[node] -= 1;
        if self.meter.measuring {
            cache.stats.writes_flushed += 1;
        }
        let site = cache.origin_site;
        self.start_detached(site, Owner::Detached, Req { key, op: Op::Write, ..Default::default() }, sched);
    }

    /// A background refresh came back.
    pub(super) fn refreshed(&mut self, station: StationId, key: u64, ok: bool, fetch: Time, now: Time) {
        let Some((c, node)) = self.cache_node(station) else { return };
        let cache = &mut self.caches[c];
        cache.refreshing[node as usize].remove(&key);
        if ok {
            cache.insert(node, key, now, fetch);
        }
    }

    /// Loads a prewarm entry's keys into their nodes.
    fn on_prewarm(&mut self, c: CacheId, entry: u32, now: Time) {
        let cache = &mut self.caches[c];
        let keys = std::mem::take(&mut cache.prewarm[entry as usize].1);
        for key in keys {
            let node = cache.node_of(key);
            cache.insert(node, key, now, 0);
        }
    }

    /// Node `node` of cache `c` crashed: with its contents go its fetches
    /// in flight (their waiters were at the node, and are lost with it).
    pub(super) fn cache_crashed(&mut self, c: CacheId, node: u32) {
        let cache = &mut self.caches[c];
        cache.crash(node, self.meter.measuring);
        if let Some(first) = cache.flights {
            self.flights.clear(first.offset(node));
        }
    }

    /// Schedules each cache's prewarm loads.
    pub(super) fn first_prewarms(&self, sched: &mut Scheduler<Event>) {
        for (cache, c) in self.caches.enumerate() {
            for (e, (at, _)) in c.prewarm.iter().enumerate() {
                sched.schedule(*at, Event::Cache(CacheEvent::Prewarm { cache, entry: e as u32 }));
            }
        }
    }
}
