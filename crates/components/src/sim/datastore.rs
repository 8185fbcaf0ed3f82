//! Datastores: which shard holds a key, which node of the shard serves a
//! request, and what each replica has applied, so stale reads can be
//! counted and aged.
//!
//! A datastore's stations are laid out shard by shard: station
//! `shard * nodes + node`, where node 0 is the primary and nodes 1.. are its
//! replicas. Writes go to the primary, which commits them and sends them to
//! the replicas over the replication link (its latency is the replication
//! lag); a replica applies a write by running it like a write.

use std::collections::HashMap;

use rand::RngExt;
use tailsim_engine::rng::{SimRng, splitmix64};
use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::Time;

use super::{Op, Req};
use crate::spec::{DatastoreSpec, PartitionSpec, ReadPolicySpec};

enum Partition {
    Hash,
    Range { key_space: u64 },
    Ring(Vec<(u64, u32)>),
}

/// Maps keys to shards, and split hot keys to their sub-keys. Shared by the
/// runtime and the static analysis so both place keys alike.
pub struct Partitioner {
    shards: u32,
    partition: Partition,
}

impl Partitioner {
    pub fn new(spec: &DatastoreSpec) -> Self {
        let partition = match spec.partition {
            PartitionSpec::Hash => Partition::Hash,
            PartitionSpec::Range => Partition::Range { key_space: spec.key_space.unwrap_or(1).max(1) },
            PartitionSpec::ConsistentHash => {
                let mut ring: Vec<(u64, u32)> = (0..spec.shards)
                    .flat_map(|s| (0..spec.virtual_nodes).map(move |v| (hash(((s as u64) << 32) | v as u64), s)))
                    .collect();
                ring.sort_unstable();
                Partition::Ring(ring)
            }
        };
        Self { shards: spec.shards, partition }
    }

    /// The shard holding `key`.
    pub fn shard_of(&self, key: u64) -> u32 {
        match &self.partition {
            Partition::Hash => (hash(key) % self.shards as u64) as u32,
            Partition::Range { key_space } => {
                ((key.min(key_space - 1) as u128 * self.shards as u128) / *key_space as u128) as u32
            }
            Partition::Ring(ring) => {
                let h = hash(key ^ 0x2545_F491_4F6C_DD1D);
                let i = ring.partition_point(|&(p, _)| p < h);
                ring[i % ring.len()].1
            }
        }
    }

    /// Sub-key `j` of a split key (sub-key 0 is the key itself).
    pub fn sub_key(key: u64, j: u64) -> u64 {
        if j == 0 { key } else { hash(key ^ j.wrapping_mul(0x9E37_79B9_7F4A_7C15)) }
    }
}

/// Per key: when its newest write committed, and what each replica applied.
struct Versions {
    latest: Time,
    /// Indexed by replica (node - 1).
    applied: Vec<Time>,
}

/// Measured after warm-up.
pub struct DatastoreStats {
    /// Reads served by replicas, and of those, stale ones.
    pub replica_reads: u64,
    pub stale_reads: u64,
    /// How old a stale read's value was: time since the newest write the
    /// replica had not applied.
    pub stale_age: LatencyHistogram,
    /// Response time per shard (reads and writes).
    pub shard_response: Vec<LatencyHistogram>,
    /// Writes acknowledged then lost when a primary failed (see faults).
    pub lost_writes: u64,
}

pub struct Datastore {
    pub name: String,
    /// The runtime service holding its stations.
    pub service: u32,
    pub shards: u32,
    /// Nodes per shard: the primary and its replicas.
    pub nodes: u32,
    partitioner: Partitioner,
    read_policy: ReadPolicySpec,
    ryw_window: Time,
    hot: HashMap<u64, u32>,
    /// Read-your-writes: each session's last write.
    sessions: HashMap<u64, Time>,
    versions: HashMap<u64, Versions>,
    /// The call site replication uses.
    pub replication_site: u32,
    rng: SimRng,
    pub stats: DatastoreStats,
}

fn hash(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

impl Datastore {
    pub fn new(name: String, service: u32, spec: &DatastoreSpec, replication_site: u32, rng: SimRng) -> Self {
        Self {
            name,
            service,
            shards: spec.shards,
            nodes: spec.replicas + 1,
            partitioner: Partitioner::new(spec),
            read_policy: spec.read_policy,
            ryw_window: spec.read_your_writes_window.map_or(tailsim_engine::time::SECOND, |d| d.0),
            hot: spec.hot_keys.iter().map(|h| (h.key, h.split)).collect(),
            sessions: HashMap::new(),
            versions: HashMap::new(),
            replication_site,
            rng,
            stats: DatastoreStats {
                replica_reads: 0,
                stale_reads: 0,
                stale_age: LatencyHistogram::new(),
                shard_response: (0..spec.shards).map(|_| LatencyHistogram::new()).collect(),
                lost_writes: 0,
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

    /// The node (0 = primary) of `shard` that serves `req` at `now`;
    /// `load(node)` is a node's current load, for power of two.
    pub fn node_for(&mut self, req: &Req, now: Time, load: impl Fn(u32) -> u64) -> u32 {
        if req.op == Op::Write || self.nodes == 1 {
            if req.op == Op::Write && self.read_policy == ReadPolicySpec::ReadYourWrites {
                self.sessions.insert(req.origin, now);
            }
            return 0;
        }
        let replicas = self.nodes - 1;
        match self.read_policy {
            ReadPolicySpec::Primary => 0,
            ReadPolicySpec::AnyReplica => 1 + self.rng.random_range(0..replicas),
            ReadPolicySpec::PowerOfTwo => {
                let a = 1 + self.rng.random_range(0..replicas);
                let b = 1 + self.rng.random_range(0..replicas);
                if load(b) < load(a) { b } else { a }
            }
            ReadPolicySpec::ReadYourWrites => match self.sessions.get(&req.origin) {
                Some(&w) if now.saturating_sub(w) < self.ryw_window => 0,
                _ => 1 + self.rng.random_range(0..replicas),
            },
        }
    }

    /// The primary committed a write of `key` at `now`.
    pub fn commit(&mut self, key: u64, now: Time) {
        let replicas = (self.nodes - 1) as usize;
        let v = self.versions.entry(key).or_insert_with(|| Versions { latest: 0, applied: vec![0; replicas] });
        v.latest = now;
    }

    /// Replica `node` applied the write of `key` committed at `version`.
    pub fn apply(&mut self, key: u64, node: u32, version: Time) {
        if let Some(v) = self.versions.get_mut(&key) {
            let a = &mut v.applied[node as usize - 1];
            *a = (*a).max(version);
        }
    }

    /// Counts a read of `key` answered by `node` at `now`, and whether it
    /// was stale.
    pub fn read_served(&mut self, key: u64, node: u32, now: Time, measuring: bool) {
        if node == 0 || !measuring {
            return;
        }
        self.stats.replica_reads += 1;
        if let Some(v) = self.versions.get(&key)
            && v.applied[node as usize - 1] < v.latest
        {
            self.stats.stale_reads += 1;
            self.stats.stale_age.record(now.saturating_sub(v.latest));
        }
    }

    pub fn reset(&mut self) {
        self.stats.replica_reads = 0;
        self.stats.stale_reads = 0;
        self.stats.stale_age.reset();
        for h in &mut self.stats.shard_response {
            h.reset();
        }
        self.stats.lost_writes = 0;
    }
}

impl super::World {
    fn datastore_of_job(&self, job: u32) -> (u32, u32) {
        let j = &self.jobs[job];
        let svc = &self.services[self.stations[j.station as usize].service as usize];
        let super::ServiceKind::Datastore(d) = svc.kind else { unreachable!("a datastore step at a datastore node") };
        (d, j.station - svc.first_station)
    }

    /// The primary commits a write.
    pub(super) fn commit(&mut self, job: u32, now: Time) -> super::Next {
        let (d, _) = self.datastore_of_job(job);
        let key = self.jobs[job].req.key;
        self.datastores[d as usize].commit(key, now);
        super::Next::Continue
    }

    /// The primary sends the write to its shard's replicas.
    pub(super) fn replicate(
        &mut self,
        job: u32,
        needed: u32,
        sched: &mut tailsim_engine::scheduler::Scheduler<super::Event>,
    ) -> super::Next {
        let (d, local) = self.datastore_of_job(job);
        let ds = &self.datastores[d as usize];
        let replicas = ds.nodes - 1;
        if replicas == 0 {
            return super::Next::Continue;
        }
        let site = ds.replication_site;
        let first = self.jobs[job].station - local % ds.nodes + 1;
        self.jobs[job].req.version = sched.now();
        self.wait_on_calls(job, site, replicas, needed, Some(first), sched)
    }

    /// A replica has applied a write.
    pub(super) fn apply(&mut self, job: u32) -> super::Next {
        let (d, local) = self.datastore_of_job(job);
        let req = self.jobs[job].req;
        let ds = &mut self.datastores[d as usize];
        ds.apply(req.key, local % ds.nodes, req.version);
        super::Next::Continue
    }
}
