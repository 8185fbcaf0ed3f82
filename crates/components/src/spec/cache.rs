//! Caches: capacity, eviction, expiry, how they sit between callers and an
//! origin, and the defences against stampedes.

use serde::Deserialize;

use super::{DistSpec, Duration};

/// A cache cluster: `replicas` nodes, keys spread across them by hash, each
/// node holding up to `capacity` entries.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    /// Entries per node.
    pub capacity: u64,
    #[serde(default)]
    pub eviction: EvictionSpec,
    /// Entry lifetime: a duration, or a distribution drawn per fill.
    #[serde(default)]
    pub ttl: Option<TtlSpec>,
    /// Cache nodes; keys are spread across them by hash.
    #[serde(default = "one")]
    pub replicas: u32,
    /// Requests a node serves at once.
    #[serde(default = "workers")]
    pub workers: u32,
    #[serde(default)]
    pub queue_capacity: Option<u32>,
    /// Time to serve a lookup, hit or miss, and a fill or invalidation.
    pub service_time: DistSpec,
    /// The component behind the cache.
    pub origin: String,
    /// `read_through`: the cache fetches misses from the origin itself.
    /// `cache_aside`: it answers "miss", and the caller (a service step
    /// `{ cache = ... }`) fetches from the origin and fills the cache.
    #[serde(default)]
    pub mode: CacheModeSpec,
    /// What a write does.
    #[serde(default)]
    pub write_policy: WritePolicySpec,
    /// Write-behind: how long a write waits in the cache before it is
    /// flushed to the origin (a crash loses what has not been flushed).
    #[serde(default)]
    pub flush_delay: Option<Duration>,
    /// Give up on an origin fetch after this long.
    #[serde(default)]
    pub origin_timeout: Option<Duration>,
    /// Concurrent misses on one key wait for a single origin fetch.
    #[serde(default)]
    pub single_flight: bool,
    /// Probabilistic early expiration (XFetch) with this beta; 1.0 is the
    /// usual choice, larger refreshes earlier.
    #[serde(default)]
    pub xfetch_beta: Option<f64>,
    /// Serve an expired entry for up to this long while one request
    /// refreshes it in the background.
    #[serde(default)]
    pub stale_while_revalidate: Option<Duration>,
    /// Load keys into the cache at a time, without touching the origin.
    #[serde(default)]
    pub prewarm: Vec<PrewarmSpec>,
    /// How many of the most requested keys to report.
    #[serde(default = "ten")]
    pub top_keys: u32,
    /// Zones the nodes are spread over, in turn.
    #[serde(default)]
    pub zones: Vec<String>,
    /// The region it runs in (see `network.cross_region`).
    #[serde(default)]
    pub region: Option<String>,
}

impl CacheSpec {
    /// A read-through LRU cache of `capacity` entries in front of `origin`,
    /// with the defaults of a TOML table that names only these fields.
    pub fn new(origin: &str, capacity: u64, service_time: DistSpec) -> Self {
        Self {
            capacity,
            eviction: EvictionSpec::default(),
            ttl: None,
            replicas: one(),
            workers: workers(),
            queue_capacity: None,
            service_time,
            origin: origin.to_string(),
            mode: CacheModeSpec::default(),
            write_policy: WritePolicySpec::default(),
            flush_delay: None,
            origin_timeout: None,
            single_flight: false,
            xfetch_beta: None,
            stale_while_revalidate: None,
            prewarm: Vec::new(),
            top_keys: ten(),
            zones: Vec::new(),
            region: None,
        }
    }
}

fn one() -> u32 {
    1
}
fn workers() -> u32 {
    64
}
fn ten() -> u32 {
    10
}

/// Which entry goes when a full cache takes a new one.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvictionSpec {
    #[default]
    Lru,
    Lfu,
    Fifo,
    Random,
}

/// Entry lifetime: fixed (`"60s"`) or drawn per fill (a distribution table).
#[derive(Clone, Debug, PartialEq)]
pub enum TtlSpec {
    Fixed(Duration),
    Drawn(DistSpec),
}

impl<'de> Deserialize<'de> for TtlSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = TtlSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as \"60s\", or a distribution table")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TtlSpec, E> {
                v.parse().map(TtlSpec::Fixed).map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<TtlSpec, A::Error> {
                DistSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(TtlSpec::Drawn)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheModeSpec {
    #[default]
    ReadThrough,
    CacheAside,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WritePolicySpec {
    /// Write to the origin, then update the cache; answer after both.
    #[default]
    WriteThrough,
    /// Update the cache and answer; flush to the origin after `flush_delay`.
    WriteBehind,
    /// Write to the origin and drop the cached entry.
    Invalidate,
}

/// At `at`, load `keys` (or the `top` keys 0..top) into the cache.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrewarmSpec {
    pub at: Duration,
    #[serde(default)]
    pub keys: Vec<u64>,
    #[serde(default)]
    pub top: u64,
}
