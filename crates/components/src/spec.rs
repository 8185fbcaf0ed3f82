//! The model as plain data: what a TOML file says, or what Rust code builds.
//!
//! These types derive `serde::Deserialize` so the config layer can fill them
//! from any format, but this crate never reads or writes one. A model built in
//! code is checked when it is resolved exactly like one read
//! from a file.
//!
//! Names share one namespace across kinds: a client's `target` may name a
//! balancer or a service, and a balancer's `target` names a service.

mod autoscale;
mod balancer;
mod bytes;
mod cache;
mod client;
mod datastore;
pub(crate) mod dist;
mod duration;
mod fault;
mod file;
mod network;
mod queue;
mod resilience;
mod router;
mod service;
mod visit;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

pub use autoscale::{AutoscaleSpec, ColdShapeSpec, ColdSpec, ScaleMetricSpec, ScalePolicySpec, ScheduleStepSpec};
pub use balancer::{BalancerPolicySpec, BalancerSpec, HealthCheckSpec, OutlierSpec};
pub use bytes::Bytes;
pub use cache::{CacheModeSpec, CacheSpec, EvictionSpec, PrewarmSpec, TtlSpec, WritePolicySpec};
pub use client::{
    ArrivalSpec, BurstSpec, ClientSpec, DiurnalSpec, HotspotSpec, KeyDistSpec, KeySpec, OnOffSpec, RatePoint, SpikeSpec,
};
pub use datastore::{DatastoreSpec, FailoverSpec, HotKeySpec, PartitionSpec, ReadPolicySpec, ReplicationSpec};
pub use dist::DistSpec;
pub use duration::{Duration, ParseDurationError};
pub use fault::{CrashModeSpec, FaultKindSpec, FaultLinkSpec, FaultSpec, FaultTimingSpec};
pub use file::{DataFormat, DistFileSpec, TimeUnit};
pub use network::{LinkSpec, NetworkSpec};
pub use queue::{ConsumerGroupSpec, QueueSpec};
pub use resilience::{
    BackoffSpec, BreakerSpec, BudgetSpec, BulkheadSpec, FallbackSpec, HedgeSpec, JitterSpec, RateLimitAlgorithm,
    RateLimitSpec, RetryOnSpec, RetrySpec, ShedSpec,
};
pub use router::{RouterModeSpec, RouterSpec};
pub use service::{CallSpec, DisciplineSpec, PoolSpec, ServiceSpec, StepSpec, WaitSpec};

/// The tables whose keys are component names chosen by the user. An
/// override may change a component but not create one.
pub const NAMED_TABLES: [&str; 7] = ["client", "balancer", "service", "cache", "datastore", "queue", "router"];

/// A whole system model.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    #[serde(default)]
    pub sim: SimSpec,
    /// Traffic sources, by name.
    #[serde(default)]
    pub client: BTreeMap<String, ClientSpec>,
    /// Load balancers, by name.
    #[serde(default)]
    pub balancer: BTreeMap<String, BalancerSpec>,
    /// Services, by name.
    #[serde(default)]
    pub service: BTreeMap<String, ServiceSpec>,
    /// Caches, by name.
    #[serde(default)]
    pub cache: BTreeMap<String, CacheSpec>,
    /// Datastores, by name.
    #[serde(default)]
    pub datastore: BTreeMap<String, DatastoreSpec>,
    /// Message queues and streams, by name.
    #[serde(default)]
    pub queue: BTreeMap<String, QueueSpec>,
    /// Global (DNS-style) routers across regions, by name.
    #[serde(default)]
    pub router: BTreeMap<String, RouterSpec>,
    /// Link latency and loss between components.
    #[serde(default)]
    pub network: NetworkSpec,
    /// Faults to inject.
    #[serde(default)]
    pub fault: Vec<FaultSpec>,
}

/// How long to simulate, and how to measure.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimSpec {
    /// Simulated time per replication, warm-up included.
    pub duration: Duration,
    /// Time at the start whose measurements are discarded: a duration, or
    /// `"auto"` to detect it (MSER-5). Defaults to a tenth of `duration`.
    pub warmup: Option<Warmup>,
    /// The master seed.
    pub seed: u64,
    /// Independent replications; confidence intervals need at least two.
    pub replications: u32,
    /// The width of a time-series window.
    pub window: Duration,
    /// Stop a replication after this many events (a budget: the result
    /// says it was stopped, and why). Defaults to [`DEFAULT_MAX_EVENTS`].
    pub max_events: Option<u64>,
    /// Stop a replication that has run for this much wall-clock time (a
    /// budget, checked every 4,096 events). Unlike every other setting
    /// it depends on the machine, so a run it stops is not reproducible;
    /// one it does not stop is unaffected.
    pub max_wall: Duration,
    /// Stop a replication when the simulator's memory in use (all the
    /// replications running at once together) passes this (a budget,
    /// checked with the wall time). Unset, the command line uses half of
    /// the machine's memory. Like `max_wall`, it depends on the machine.
    pub max_memory: Option<Bytes>,
    /// Stop, with an error, when this many requests are in flight at once: a
    /// guard against models whose queues grow without bound.
    pub max_in_flight: u64,
    /// A per-window SLO: a time-series window violates it when its p99 or
    /// its error rate is above the bound. Results give the violating time;
    /// recovery times (RTO) use its error rate.
    pub window_slo: Option<WindowSloSpec>,
}

/// Bounds one time-series window must meet.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSloSpec {
    #[serde(default)]
    pub p99: Option<Duration>,
    #[serde(default)]
    pub error_rate: Option<f64>,
}

/// The default event budget of a replication: about a minute or two of
/// work on one core, far past every shipped model (the largest,
/// `celebrity_stampede`, handles 8 million events a replication).
pub const DEFAULT_MAX_EVENTS: u64 = 1_000_000_000;

impl Default for SimSpec {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(60),
            warmup: None,
            seed: 1,
            replications: 5,
            window: Duration::from_secs(1),
            max_events: Some(DEFAULT_MAX_EVENTS),
            max_wall: Duration::from_secs(3600),
            max_memory: None,
            max_in_flight: 1_000_000,
            window_slo: None,
        }
    }
}

impl SimSpec {
    /// The fixed warm-up to use: as given, or a tenth of the duration.
    /// `None` means the warm-up is to be detected.
    pub fn fixed_warmup(&self) -> Option<Duration> {
        match self.warmup {
            Some(Warmup::Fixed(d)) => Some(d),
            Some(Warmup::Auto) => None,
            None => Some(Duration(self.duration.0 / 10)),
        }
    }
}

/// A warm-up period: fixed, or detected from the output.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Warmup {
    Fixed(Duration),
    /// Detected with MSER-5 on a pilot replication.
    Auto,
}

impl<'de> Deserialize<'de> for Warmup {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Warmup;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"10s\", or \"auto\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Warmup, E> {
                if v.trim() == "auto" { Ok(Warmup::Auto) } else { v.parse().map(Warmup::Fixed).map_err(E::custom) }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Warmup, E> {
                if v == 0 {
                    Ok(Warmup::Fixed(Duration::ZERO))
                } else {
                    Err(E::custom(format!("a warm-up needs a unit: write \"{v}s\", or \"auto\"")))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Which handler of a service a step belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Handler {
    /// `steps` (reads, and writes unless `write_steps` is given).
    Steps,
    /// `write_steps`.
    WriteSteps,
}

/// Where a distribution is written in the model: the key its built form is
/// kept under.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DistAt {
    ServiceTime(String),
    Step { service: String, handler: Handler, index: usize },
    ThinkTime(String),
    CacheTime(String),
    CacheTtl(String),
    ReadTime(String),
    WriteTime(String),
    ReplicationLag(String),
    NetworkLatency,
    CrossRegion,
    LinkLatency(usize),
    FaultDelay(usize),
}
