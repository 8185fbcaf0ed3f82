//! Datastores: which shard holds a key, which node of the shard serves a
//! request, and what each replica has applied, so stale reads can be
//! counted and aged.
//!
//! A datastore's stations are laid out shard by shard: station
//! `shard * nodes + node`, where node 0 is the primary and nodes 1.. are its
//! replicas. Writes go to the primary, which commits them and sends them to
//! the replicas over the replication link (its latency is the replication
//! lag); a replica applies a write by running it like a write.

use rand::RngExt;
use tailsim_engine::rng::SimRng;
use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::Time;

use tailsim_engine::scheduler::Scheduler;

use super::key_map::KeyMap;
use super::kind::{Next, ServiceKind};
use super::request::{Op, Outcome, Owner, Req};
use super::{Event, World};
use crate::ids::{CallId, DatastoreId, JobId, ServiceId, SiteId, StationId};
use crate::partition::Partitioner;
use crate::result::{DatastoreResult, ShardResult};
use crate::spec::{DatastoreSpec, ReadPolicySpec};

/// A datastore node's own handler steps.
#[derive(Copy, Clone, Debug)]
pub enum DatastoreStep {
    /// Primary: record the write's version.
    Commit,
    /// Primary: send the write to the shard's replicas; wait for `needed`
    /// of them.
    Replicate { needed: u32 },
    /// Replica: record that the write is applied.
    Apply,
}

/// Events of datastores.
#[derive(Copy, Clone, Debug)]
pub enum DatastoreEvent {
    /// A shard promotes a replica after its primary crashed.
    Promote { datastore: DatastoreId, shard: u32 },
}

/// Per key: when its newest write committed, and the newest write each
/// node has applied.
struct Versions {
    latest: Time,
    applied: Vec<Time>,
}

/// Measured after warm-up.
pub struct DatastoreStats {
    /// Reads served by any node.
    pub reads: u64,
    /// Reads served by replicas, and of those, stale ones.
    pub replica_reads: u64,
    pub stale_reads: u64,
    /// Stale reads that missed the reading session's own last write.
    pub own_stale_reads: u64,
    /// How old a stale read's value was: time since the newest write the
    /// replica had not applied.
    pub stale_age: LatencyHistogram,
    /// Response time per shard (reads and writes).
    pub shard_response: Vec<LatencyHistogram>,
    /// Writes acknowledged then lost when a primary failed (see faults).
    pub lost_writes: u64,
    /// The longest window of lost writes at a failover: crash time minus
    /// the newest commit the promoted replica had applied.
    pub rpo_max: Option<Time>,
}

pub struct Datastore {
    pub name: String,
    /// The runtime service holding its stations.
    pub service: ServiceId,
    pub shards: u32,
    /// Nodes per shard: the primary and its replicas.
    pub nodes: u32,
    partitioner: Partitioner,
    read_policy: ReadPolicySpec,
    ryw_window: Time,
    hot: KeyMap<u32>,
    /// Read-your-writes: each session's last write.
    sessions: KeyMap<Time>,
    /// Each session's last committed write: (key, version).
    own_writes: KeyMap<(u64, Time)>,
    versions: KeyMap<Versions>,
    /// The call site replication uses.
    pub replication_site: SiteId,
    /// Each shard's current primary (a node index).
    primary_of: Vec<u32>,
    /// Writes sent to each node (shard * nodes + node) and not yet applied.
    pending: Vec<u64>,
    /// Per shard: bumped when its primary crashes, so writes it was still
    /// shipping (inside the replication lag) never arrive.
    shipping: Vec<u32>,
    /// Per node: writes lost with a crashed primary, counted if the node is
    /// promoted.
    lost_if_promoted: Vec<u64>,
    /// Per node: the newest commit it has applied; per shard: when its
    /// primary last crashed.
    newest_applied: Vec<Time>,
    crashed_at: Vec<Time>,
    /// Detection plus promotion time, if primaries fail over.
    failover: Option<Time>,
    asynchronous: bool,
    rng: SimRng,
    pub stats: DatastoreStats,
}

impl Datastore {
    pub fn new(name: String, service: ServiceId, spec: &DatastoreSpec, replication_site: SiteId, rng: SimRng) -> Self {
        Self {
            name,
            service,
            shards: spec.shards,
            nodes: spec.replicas + 1,
            partitioner: Partitioner::new(spec),
            read_policy: spec.read_policy,
            ryw_window: spec.read_your_writes_window.map_or(tailsim_engine::time::SECOND, |d| d.0),
            hot: spec.hot_keys.iter().map(|h| (h.key, h.split)).collect(),
            sessions: KeyMap::default(),
            own_writes: KeyMap::default(),
            versions: KeyMap::default(),
            replication_site,
            primary_of: vec![0; spec.shards as usize],
            pending: vec![0; (spec.shards * (spec.replicas + 1)) as usize],
            shipping: vec![0; spec.shards as usize],
            lost_if_promoted: vec![0; (spec.shards * (spec.replicas + 1)) as usize],
            newest_applied: vec![0; (spec.shards * (spec.replicas + 1)) as usize],
            crashed_at: vec![0; spec.shards as usize],
            failover: spec.failover.as_ref().map(|f| f.detection.0 + f.promotion.0),
            asynchronous: spec.replication == crate::spec::ReplicationSpec::Async,
            rng,
            stats: DatastoreStats {
                reads: 0,
                replica_reads: 0,
                stale_reads: 0,
                own_stale_reads: 0,
                stale_age: LatencyHistogram::new(),
                shard_response: (0..spec.shards).map(|_| LatencyHistogram::new()).collect(),
                lost_writes: 0,
                rpo_max: None,
            },
        }
    }

    /// A split hot key becomes one of its sub-keys, chosen at random.
    pub fn effective_key(&mut self, key: u64) -> u64 {
        match self.hot.get(&key) {
            Some(&split) if split > 1 => Partitioner::sub_key(key, self.rng.random_range(0..split) as u64),
            _ => key,
        }
    }

    /// The shard holding `key`.
    pub fn shard_of(&self, key: u64) -> u32 {
        self.partitioner.shard_of(key)
    }

    /// The node of `shard` that serves `req` at `now`; `load(node)` is a
    /// node's current load, for power of two.
    pub fn node_for(&mut self, shard: u32, req: &Req, now: Time, load: impl Fn(u32) -> u64) -> u32 {
        let primary = self.primary_of[shard as usize];
        if req.op == Op::Write && self.read_policy == ReadPolicySpec::ReadYourWrites {
            self.sessions.insert(req.origin, now);
        }
        if req.op == Op::Write || self.nodes == 1 {
            return primary;
        }
        // A replica other than the primary, uniformly.
        let any = |rng: &mut SimRng| {
            let r = rng.random_range(0..self.nodes - 1);
            if r >= primary { r + 1 } else { r }
        };
        match self.read_policy {
            ReadPolicySpec::Primary => primary,
            ReadPolicySpec::AnyReplica => any(&mut self.rng),
            ReadPolicySpec::PowerOfTwo => {
                let a = any(&mut self.rng);
                let b = any(&mut self.rng);
                if load(b) < load(a) { b } else { a }
            }
            ReadPolicySpec::ReadYourWrites => match self.sessions.get(&req.origin) {
                Some(&w) if now.saturating_sub(w) < self.ryw_window => primary,
                _ => any(&mut self.rng),
            },
        }
    }

    /// The current primary of `shard` (a node index).
    pub fn primary_of(&self, shard: u32) -> u32 {
        self.primary_of[shard as usize]
    }

    /// The primary of `shard` committed a write of `key` by session
    /// `origin` at `now`.
    pub fn commit(&mut self, key: u64, shard: u32, now: Time, origin: u64) {
        self.own_writes.insert(origin, (key, now));
        let nodes = self.nodes as usize;
        let primary = self.primary_of[shard as usize] as usize;
        // Only replicas can be stale: a shard without them keeps no versions.
        if nodes > 1 {
            let v = self.versions.entry(key).or_insert_with(|| Versions { latest: 0, applied: vec![0; nodes] });
            v.latest = now;
            v.applied[primary] = now;
        }
        let local = (shard * self.nodes) as usize + primary;
        self.newest_applied[local] = self.newest_applied[local].max(now);
    }

    /// A write is on its way to node `local` (shard * nodes + node).
    pub fn replication_sent(&mut self, local: u32) {
        self.pending[local as usize] += 1;
    }

    /// Node `local` applied the write of `key` committed at `version`.
    pub fn apply(&mut self, key: u64, local: u32, version: Time) {
        let p = &mut self.pending[local as usize];
        *p = p.saturating_sub(1);
        let n = &mut self.newest_applied[local as usize];
        *n = (*n).max(version);
        if let Some(v) = self.versions.get_mut(&key) {
            let a = &mut v.applied[(local % self.nodes) as usize];
            *a = (*a).max(version);
        }
    }

    /// Counts a read of `key` by session `origin` answered by node `local`
    /// at `now`, whether it was stale, and whether it missed the session's
    /// own last write.
    pub fn read_served(&mut self, key: u64, local: u32, now: Time, measuring: bool, origin: u64) {
        if !measuring {
            return;
        }
        self.stats.reads += 1;
        let (shard, node) = (local / self.nodes, local % self.nodes);
        if node == self.primary_of[shard as usize] {
            return;
        }
        self.stats.replica_reads += 1;
        if let Some(v) = self.versions.get(&key)
            && v.applied[node as usize] < v.latest
        {
            self.stats.stale_reads += 1;
            self.stats.stale_age.record(now.saturating_sub(v.latest));
            if let Some(&(k, version)) = self.own_writes.get(&origin)
                && k == key
                && v.applied[node as usize] < version
            {
                self.stats.own_stale_reads += 1;
            }
        }
    }

    /// The shipping epoch of `shard`: replication messages carry it.
    pub fn shipping_epoch(&self, shard: u32) -> u32 {
        self.shipping[shard as usize]
    }

    /// Whether a replication message sent in `epoch` still arrives.
    pub fn still_shipping(&self, shard: u32, epoch: u32) -> bool {
        self.shipping[shard as usize] == epoch
    }

    /// Node `local` crashed. If it was its shard's primary, the writes it
    /// was still shipping are gone; if primaries fail over, returns when the
    /// promotion completes.
    pub fn primary_crashed(&mut self, local: u32, now: Time) -> Option<Time> {
        self.pending[local as usize] = 0;
        let (shard, node) = (local / self.nodes, local % self.nodes);
        if node != self.primary_of[shard as usize] || self.nodes == 1 {
            return None;
        }
        let s = shard as usize;
        self.crashed_at[s] = now;
        self.shipping[s] = self.shipping[s].wrapping_add(1);
        let base = (shard * self.nodes) as usize;
        for n in base..base + self.nodes as usize {
            self.lost_if_promoted[n] = std::mem::take(&mut self.pending[n]);
        }
        self.failover
    }

    /// Promotes the first live replica of `shard`. With asynchronous
    /// replication, the writes it had not applied were acknowledged and are
    /// now lost.
    pub fn promote(&mut self, shard: u32, alive: impl Fn(u32) -> bool, measuring: bool) {
        let old = self.primary_of[shard as usize];
        let Some(new) = (0..self.nodes).find(|&n| n != old && alive(n)) else { return };
        let local = (shard * self.nodes + new) as usize;
        if self.asynchronous && measuring {
            let lost = self.lost_if_promoted[local];
            self.stats.lost_writes += lost;
            if lost > 0 {
                let window = self.crashed_at[shard as usize].saturating_sub(self.newest_applied[local]);
                self.stats.rpo_max = Some(self.stats.rpo_max.unwrap_or(0).max(window));
            }
        }
        self.primary_of[shard as usize] = new;
    }

    /// A crashed node is back: it rejoins as a replica.
    pub fn node_recovered(&mut self, local: u32) {
        self.pending[local as usize] = 0;
    }

    pub fn reset(&mut self) {
        self.stats.reads = 0;
        self.stats.replica_reads = 0;
        self.stats.stale_reads = 0;
        self.stats.own_stale_reads = 0;
        self.stats.stale_age.reset();
        for h in &mut self.stats.shard_response {
            h.reset();
        }
        self.stats.lost_writes = 0;
        self.stats.rpo_max = None;
    }
}

impl World {
    fn datastore_of_job(&self, job: JobId) -> (DatastoreId, u32) {
        let station = self.requests[job].station;
        let svc = &self.services[self.stations[station].service];
        let ServiceKind::Datastore(d) = svc.kind else { unreachable!("a datastore step at a datastore node") };
        (d, svc.local(station))
    }

    pub(super) fn datastore_step(&mut self, job: JobId, step: DatastoreStep, sched: &mut Scheduler<Event>) -> Next {
        match step {
            DatastoreStep::Commit => self.commit(job, sched.now()),
            DatastoreStep::Replicate { needed } => self.replicate(job, needed, sched),
            DatastoreStep::Apply => self.apply(job),
        }
    }

    pub(super) fn on_datastore_event(&mut self, e: DatastoreEvent) {
        match e {
            DatastoreEvent::Promote { datastore, shard } => {
                let first = self.services[self.datastores[datastore].service].first_station;
                let stations = &self.stations;
                let ds = &mut self.datastores[datastore];
                let base = first.offset(shard * ds.nodes);
                ds.promote(shard, |node| !stations[base.offset(node)].is_down(), self.meter.measuring);
            }
        }
    }

    /// The node a call to datastore `d` (runtime service `s`) goes to: a
    /// split hot key becomes one of its sub-keys, the key picks the shard,
    /// the read policy the node.
    pub(super) fn datastore_route(&mut self, d: DatastoreId, s: ServiceId, call: CallId, now: Time) -> StationId {
        let first = self.services[s].first_station;
        let req = self.requests[call].req;
        let ds = &mut self.datastores[d];
        let key = if req.op == Op::Replicate { req.key } else { ds.effective_key(req.key) };
        self.requests[call].req.key = key;
        let shard = ds.shard_of(key);
        let base = first.offset(shard * ds.nodes);
        let stations = &self.stations;
        let node = ds.node_for(shard, &req, now, |n| stations[base.offset(n)].stats.present.value());
        base.offset(node)
    }

    /// Whether a request reaching datastore `d` still counts: a replication
    /// message whose primary crashed before shipping it never arrives.
    pub(super) fn replication_arrives(&self, d: DatastoreId, job: JobId) -> bool {
        let j = &self.requests[job];
        if j.req.op != Op::Replicate {
            return true;
        }
        let ds = &self.datastores[d];
        let shard = self.services[ds.service].local(j.station) / ds.nodes;
        ds.still_shipping(shard, j.req.origin as u32)
    }

    /// A measured job at node `local` of datastore `d` finished.
    pub(super) fn datastore_served(&mut self, d: DatastoreId, job: JobId, local: u32, outcome: Outcome, now: Time) {
        let j = &self.requests[job];
        if j.req.op == Op::Replicate {
            return;
        }
        let ds = &mut self.datastores[d];
        ds.stats.shard_response[(local / ds.nodes) as usize].record(now - j.arrived);
        if j.req.op == Op::Read && outcome.is_ok() {
            ds.read_served(j.req.key, local, now, self.meter.measuring, j.req.origin);
        }
    }

    /// The primary commits a write.
    fn commit(&mut self, job: JobId, now: Time) -> Next {
        let (d, local) = self.datastore_of_job(job);
        let (key, origin) = (self.requests[job].req.key, self.requests[job].req.origin);
        let ds = &mut self.datastores[d];
        ds.commit(key, local / ds.nodes, now, origin);
        Next::Continue
    }

    /// The primary sends the write to its shard's replicas.
    fn replicate(&mut self, job: JobId, needed: u32, sched: &mut Scheduler<Event>) -> Next {
        let (d, local) = self.datastore_of_job(job);
        let ds = &self.datastores[d];
        if ds.nodes == 1 {
            return Next::Continue;
        }
        let shard = local / ds.nodes;
        let primary = ds.primary_of(shard);
        let (site, nodes) = (ds.replication_site, ds.nodes);
        let first = self.services[ds.service].first_station;
        let j = &mut self.requests[job];
        j.req.version = sched.now();
        // Replication messages carry the shard's shipping epoch in `origin`.
        j.req.origin = ds.shipping_epoch(shard) as u64;
        self.block(job, nodes - 1, needed, sched);
        let j = &mut self.requests[job];
        let owner = Owner::Job { job, generation: j.generation };
        let req = j.req;
        if needed == 0 {
            j.generation = j.generation.wrapping_add(1);
        }
        for node in (0..nodes).filter(|&n| n != primary) {
            let target = shard * nodes + node;
            self.datastores[d].replication_sent(target);
            let call = self.new_call(site, owner, req, sched);
            self.start_attempt(call, Some(first.offset(target)), false, sched);
        }
        if needed == 0 { Next::Continue } else { Next::Wait }
    }

    /// A replica has applied a write.
    fn apply(&mut self, job: JobId) -> Next {
        let (d, local) = self.datastore_of_job(job);
        let req = self.requests[job].req;
        self.datastores[d].apply(req.key, local, req.version);
        Next::Continue
    }

    /// Node `local` of datastore `d` crashed: if it was a primary, its
    /// shard fails over (when the datastore says so).
    pub(super) fn datastore_crashed(&mut self, d: DatastoreId, local: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let ds = &mut self.datastores[d];
        if let Some(delay) = ds.primary_crashed(local, now) {
            let shard = local / ds.nodes;
            sched.schedule_in(delay, Event::Datastore(DatastoreEvent::Promote { datastore: d, shard }));
        }
    }

    /// What each datastore measured.
    pub(super) fn datastore_results(&mut self, end: Time) -> Vec<DatastoreResult> {
        let stations = &self.stations;
        let services = &self.services;
        self.datastores
            .iter_mut()
            .map(|d| {
                let svc = &services[d.service];
                let workers = svc.workers as f64;
                let shards = (0..d.shards)
                    .map(|shard| {
                        let nodes = stations.slice(svc.station(shard * d.nodes), d.nodes);
                        ShardResult {
                            arrivals: nodes.iter().map(|st| st.stats.arrivals).sum(),
                            primary_utilisation: nodes[0].stats.busy.mean(end) / workers,
                            utilisation: nodes.iter().map(|st| st.stats.busy.mean(end)).sum::<f64>()
                                / (workers * d.nodes as f64),
                            response: std::mem::take(&mut d.stats.shard_response[shard as usize]),
                        }
                    })
                    .collect();
                DatastoreResult {
                    name: d.name.clone(),
                    shards,
                    reads: d.stats.reads,
                    replica_reads: d.stats.replica_reads,
                    stale_reads: d.stats.stale_reads,
                    own_stale_reads: d.stats.own_stale_reads,
                    stale_age: std::mem::take(&mut d.stats.stale_age),
                    lost_writes: d.stats.lost_writes,
                    rpo_max: d.stats.rpo_max,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Id, ServiceId, SiteId};
    use crate::spec::{DistSpec, Duration};
    use tailsim_engine::rng::stream;

    fn store(shards: u32, replicas: u32) -> Datastore {
        let spec = DatastoreSpec {
            shards,
            partition: Default::default(),
            key_space: None,
            virtual_nodes: 100,
            replicas,
            workers: 8,
            queue_capacity: None,
            read_time: DistSpec::constant(Duration(1_000_000)),
            write_time: DistSpec::constant(Duration(1_000_000)),
            replication: Default::default(),
            quorum: None,
            replication_lag: None,
            read_policy: ReadPolicySpec::AnyReplica,
            read_your_writes_window: None,
            hot_keys: Vec::new(),
            failover: None,
            zones: Vec::new(),
            region: None,
        };
        Datastore::new("db".into(), ServiceId::new(0), &spec, SiteId::new(0), stream(1, "db"))
    }

    #[test]
    fn a_replica_is_stale_until_it_applies_the_write() {
        let mut ds = store(1, 2);
        ds.commit(42, 0, 100, 7);
        ds.replication_sent(1);
        ds.replication_sent(2);
        ds.read_served(42, 1, 150, true, 9);
        assert_eq!((ds.stats.replica_reads, ds.stats.stale_reads, ds.stats.own_stale_reads), (1, 1, 0));
        ds.read_served(42, 1, 160, true, 7);
        assert_eq!(ds.stats.own_stale_reads, 1, "session 7 wrote key 42 and read it stale");
        ds.apply(42, 1, 100);
        ds.read_served(42, 1, 170, true, 9);
        assert_eq!(ds.stats.stale_reads, 2, "node 1 is fresh now");
        ds.apply(42, 2, 100);
        ds.read_served(42, 2, 180, true, 9);
        assert_eq!(ds.stats.stale_reads, 2);
        assert_eq!(ds.pending, vec![0, 0, 0]);
    }

    /// A session's own older write, already on the replica, is not an own
    /// stale read when someone else wrote the key since.
    #[test]
    fn an_own_write_already_applied_is_not_an_own_stale_read() {
        let mut ds = store(1, 1);
        ds.commit(5, 0, 100, 1);
        ds.apply(5, 1, 100);
        ds.commit(5, 0, 200, 2);
        ds.read_served(5, 1, 250, true, 1);
        assert_eq!((ds.stats.stale_reads, ds.stats.own_stale_reads), (1, 0));
    }

    #[test]
    fn writes_applied_out_of_order_keep_the_newest() {
        let mut ds = store(1, 1);
        ds.commit(5, 0, 100, 1);
        ds.commit(5, 0, 200, 1);
        ds.apply(5, 1, 200);
        ds.apply(5, 1, 100); // the older write lands late
        ds.read_served(5, 1, 300, true, 2);
        assert_eq!(ds.stats.stale_reads, 0);
    }

    #[test]
    fn a_store_without_replicas_keeps_no_versions() {
        let mut ds = store(4, 0);
        for key in 0..1000 {
            ds.commit(key, 0, key, key);
        }
        assert!(ds.versions.is_empty());
    }
}
