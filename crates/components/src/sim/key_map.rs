//! Maps keyed by a request's key (a `u64`) on the per-request path: cache
//! contents, single-flight scopes, top-key counts and datastore state.
//!
//! std's default SipHash is keyed at random per process and costs about as
//! much as the rest of a cache lookup. Keys here come from the model, not
//! from an adversary, so a fixed mixing function (the engine's splitmix64)
//! serves: it is deterministic and spreads consecutive keys over every bit,
//! which hashbrown needs (it takes the bucket from the low bits and its
//! control byte from the high ones).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tailsim_engine::rng::splitmix64;

/// A `HashMap` from keys, hashed with [`KeyHasher`].
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Hashes one `u64` by splitmix64 (the engine's seed mixer).
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        let mut state = self.0;
        splitmix64(&mut state)
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = self.0.rotate_left(5) ^ x;
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::{KeyHasher, KeyMap};

    #[test]
    fn equal_keys_hash_alike_and_consecutive_keys_spread() {
        let b = BuildHasherDefault::<KeyHasher>::default();
        assert_eq!(b.hash_one(42u64), b.hash_one(42u64));
        // Consecutive keys fill the low bits (the bucket) evenly.
        let mut buckets = [0u32; 64];
        for k in 0..64_000u64 {
            buckets[(b.hash_one(k) & 63) as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| (800..1200).contains(&n)), "{buckets:?}");
        let mut m = KeyMap::default();
        m.insert(7, "a");
        assert_eq!(m.get(&7), Some(&"a"));
    }
}
