//! Which shard of a datastore holds a key: by hash, by range, or on a
//! consistent-hash ring; and the sub-keys a split hot key spreads over.
//! Shared by the runtime and the static analysis, so both place keys alike.

use tailsim_engine::rng::splitmix64;

use crate::spec::{DatastoreSpec, PartitionSpec};

pub(crate) fn hash(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

enum Partition {
    Hash,
    Range { key_space: u64 },
    Ring(Vec<(u64, u32)>),
}

/// Maps keys to shards, and split hot keys to their sub-keys.
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
