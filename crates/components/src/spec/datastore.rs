//! Datastores: shards by hash, range or consistent hash; a primary and
//! replicas per shard; replication; read policies; hot-key splitting.

use serde::Deserialize;

use super::{DistSpec, Duration};

/// A sharded, replicated datastore. Every node (the primary and each
/// replica of each shard) is a station with `workers` and a queue.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatastoreSpec {
    #[serde(default = "one")]
    pub shards: u32,
    #[serde(default)]
    pub partition: PartitionSpec,
    /// Range partitioning: keys 0..key_space split into equal ranges.
    #[serde(default)]
    pub key_space: Option<u64>,
    /// Consistent hashing: ring points per shard.
    #[serde(default = "hundred")]
    pub virtual_nodes: u32,
    /// Read replicas per shard, besides the primary.
    #[serde(default)]
    pub replicas: u32,
    /// Requests a node serves at once (its connection limit).
    #[serde(default = "eight")]
    pub workers: u32,
    #[serde(default)]
    pub queue_capacity: Option<u32>,
    pub read_time: DistSpec,
    pub write_time: DistSpec,
    /// How writes reach the replicas.
    #[serde(default)]
    pub replication: ReplicationSpec,
    /// Quorum replication: nodes (primary included) that must apply a write
    /// before it is acknowledged.
    #[serde(default)]
    pub quorum: Option<u32>,
    /// Delay before a replica starts applying a write.
    #[serde(default)]
    pub replication_lag: Option<DistSpec>,
    #[serde(default)]
    pub read_policy: ReadPolicySpec,
    /// Read-your-writes: how long after its own write a session reads from
    /// the primary; 1 s when not given.
    #[serde(default)]
    pub read_your_writes_window: Option<Duration>,
    /// Keys spread over `split` sub-keys (and so over shards): reads pick
    /// one at random, writes go to all.
    #[serde(default)]
    pub hot_keys: Vec<HotKeySpec>,
    /// Primary failover: how long until a crashed primary is noticed, and
    /// how long promoting a replica takes.
    #[serde(default)]
    pub failover: Option<FailoverSpec>,
    /// Zones the nodes of each shard are spread over, in turn (the primary
    /// in the first).
    #[serde(default)]
    pub zones: Vec<String>,
    /// The region it runs in (see `network.cross_region`).
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverSpec {
    pub detection: Duration,
    pub promotion: Duration,
}

fn one() -> u32 {
    1
}
fn eight() -> u32 {
    8
}
fn hundred() -> u32 {
    100
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionSpec {
    /// shard = hash(key) mod shards.
    #[default]
    Hash,
    /// shard = key * shards / key_space.
    Range,
    /// A hash ring with `virtual_nodes` points per shard.
    ConsistentHash,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationSpec {
    /// Acknowledge after the primary; replicas catch up later.
    #[default]
    Async,
    /// Acknowledge after every replica has applied the write.
    Sync,
    /// Acknowledge after `quorum` nodes have applied it.
    Quorum,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadPolicySpec {
    #[default]
    Primary,
    /// A uniformly random replica (the primary if there are none).
    AnyReplica,
    /// The less loaded of two random replicas.
    PowerOfTwo,
    /// The primary for a while after the session's own write, else any
    /// replica.
    ReadYourWrites,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotKeySpec {
    pub key: u64,
    pub split: u32,
}
