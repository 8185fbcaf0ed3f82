//! What one replication produces: plain data, ready to aggregate or print.

use serde::{Deserialize, Serialize};
use tailsim_engine::StopReason;
use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::{Time, as_secs_f64};

/// Why a request failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The caller stopped waiting.
    Timeout,
    /// A full queue turned the request away.
    Rejected,
    /// No pooled connection came free within the acquire timeout.
    PoolTimeout,
    /// Load shedding dropped it.
    Shed,
    /// A rate limiter refused it.
    RateLimited,
    /// An open circuit breaker failed it fast.
    CircuitOpen,
    /// The node crashed with it, or refused it while down.
    Crashed,
    /// The handler failed (injected errors).
    ServerError,
    /// A message was lost on the network, noticed by a timeout.
    Lost,
    /// A bulkhead had no room for another call.
    BulkheadFull,
    /// A deadline-aware node dropped it because its caller had given up.
    DeadlineExceeded,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Timeout,
        ErrorKind::Rejected,
        ErrorKind::PoolTimeout,
        ErrorKind::Shed,
        ErrorKind::RateLimited,
        ErrorKind::CircuitOpen,
        ErrorKind::Crashed,
        ErrorKind::ServerError,
        ErrorKind::Lost,
        ErrorKind::BulkheadFull,
        ErrorKind::DeadlineExceeded,
    ];

    /// The name used in results files.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Rejected => "rejected",
            ErrorKind::PoolTimeout => "pool_timeout",
            ErrorKind::Shed => "shed",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::Crashed => "crashed",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Lost => "lost",
            ErrorKind::BulkheadFull => "bulkhead_full",
            ErrorKind::DeadlineExceeded => "deadline_exceeded",
        }
    }
}

/// Errors by cause.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounts([u64; ErrorKind::ALL.len()]);

impl ErrorCounts {
    #[inline]
    pub fn add(&mut self, kind: ErrorKind) {
        self.0[kind as usize] += 1;
    }
    pub fn get(&self, kind: ErrorKind) -> u64 {
        self.0[kind as usize]
    }
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
    pub fn iter(&self) -> impl Iterator<Item = (ErrorKind, u64)> + '_ {
        ErrorKind::ALL.iter().map(|&k| (k, self.get(k)))
    }
}

/// One client's view: end-to-end latency of the requests it sent after
/// warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientResult {
    pub name: String,
    /// Requests sent after warm-up.
    pub sent: u64,
    /// Of those, answered successfully.
    pub ok: u64,
    /// Of those, failed, by cause.
    pub errors: ErrorCounts,
    /// Latency of successful requests.
    pub latency_ok: LatencyHistogram,
    /// Latency of failed requests (time until the failure was known).
    pub latency_err: LatencyHistogram,
    /// Summed network time of successful requests, in ns.
    pub network_sum_ns: u128,
    /// Successes served from expired cache entries or stale fallbacks.
    pub stale: u64,
    /// Successes answered by a circuit breaker's default fallback.
    pub fallback: u64,
}

impl ClientResult {
    /// Mean network time of a successful request, in ns.
    pub fn network_mean(&self) -> Option<f64> {
        (self.ok > 0).then(|| self.network_sum_ns as f64 / self.ok as f64)
    }
}

/// What kind of station a [`ServiceResult`] is: "service", "cache",
/// "datastore" or "queue". (An alias, so that serde reads it through
/// [`station_kind`] rather than borrowing it from the input.)
pub type StationName = &'static str;

const STATION_NAMES: [&str; 4] = ["service", "cache", "datastore", "queue"];

/// Reads a [`ServiceResult::kind`] back as the static name it was.
fn station_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<StationName, D::Error> {
    let name = String::deserialize(d)?;
    STATION_NAMES
        .into_iter()
        .find(|k| *k == name)
        .ok_or_else(|| serde::de::Error::unknown_variant(&name, &STATION_NAMES))
}

/// One service, summed over its replicas, after warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceResult {
    pub name: String,
    /// "service", "cache" or "datastore".
    #[serde(deserialize_with = "station_kind")]
    pub kind: StationName,
    pub replicas: u32,
    pub workers: u32,
    /// Requests admitted (queued or served).
    pub arrivals: u64,
    /// Requests turned away by a full queue.
    pub rejected: u64,
    /// Requests that finished service.
    pub completions: u64,
    /// Of the admitted requests, those that had to wait for a worker.
    pub waited: u64,
    /// Mean busy workers over all replicas.
    pub busy_mean: f64,
    /// Mean requests queued (not in service), over all replicas.
    pub queue_mean: f64,
    /// The longest single-replica queue seen.
    pub queue_max: u64,
    /// Mean requests present (queued or in service), over all replicas.
    pub in_system_mean: f64,
    /// Time from arrival to answer, for requests that arrived after warm-up.
    pub response: LatencyHistogram,
    /// Of those, answered with success and with an error.
    pub finished: u64,
    pub failed: u64,
    /// Where their time went, summed in ns: waiting for a worker, computing,
    /// and blocked on downstream calls (network included).
    pub wait_sum_ns: u128,
    pub compute_sum_ns: u128,
    pub downstream_sum_ns: u128,
    /// Time present after warm-up, over the jobs that arrived after it and
    /// over those that arrived before (jobs present at the end count up to
    /// the end): Little's law on the sample path is
    /// `in_system_mean = (present_ns + carried_ns) / measured time`.
    pub present_ns: u128,
    pub carried_ns: u128,
    /// Each replica, in order.
    pub replica_stats: Vec<ReplicaResult>,
    /// Requests turned away by load shedding and rate limiting, dropped
    /// because their deadline had passed, and lost in crashes.
    pub shed: u64,
    pub rate_limited: u64,
    pub expired: u64,
    pub crashed: u64,
    /// Autoscaled services: the fleet over time.
    pub fleet: Option<FleetResult>,
}

/// How an autoscaled fleet behaved after warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetResult {
    /// Time-weighted mean, and extremes, of serving instances.
    pub mean: f64,
    pub max: u64,
    pub min: u64,
    pub events: Vec<ScaleEvent>,
}

/// A change of an autoscaler's desired fleet size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleEvent {
    pub at: Time,
    pub from: u32,
    pub to: u32,
    /// The policy that asked for it.
    pub reason: String,
}

/// A message queue after warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueResult {
    pub name: String,
    /// Messages refused because a group was full.
    pub rejected: u64,
    pub groups: Vec<GroupResult>,
}

/// One consumer group of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    pub name: String,
    pub produced: u64,
    pub delivered: u64,
    /// Acknowledged, of messages produced after warm-up.
    pub acked: u64,
    pub redeliveries: u64,
    pub dead_lettered: u64,
    /// Dropped at the head for exceeding the retention.
    pub expired: u64,
    /// Waiting messages: time-weighted mean, most, and at the end.
    pub depth_mean: f64,
    pub depth_max: u64,
    pub depth_end: u64,
    /// The oldest waiting message's age, at most.
    pub oldest_age_max: Time,
    /// From produce to acknowledgement.
    pub end_to_end: LatencyHistogram,
}

/// A global router after warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouterResult {
    pub name: String,
    pub targets: Vec<String>,
    /// Requests sent to each target.
    pub picks: Vec<u64>,
    pub changes: Vec<RoutingChange>,
}

/// A target declared down or up by a router's health checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutingChange {
    pub at: Time,
    pub target: String,
    pub healthy: bool,
}

/// One call site (a hop from a caller to a target), after warm-up: how
/// much retries and hedges multiplied its calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HopResult {
    pub caller: String,
    pub target: String,
    /// Logical calls, and attempts sent for them.
    pub calls: u64,
    pub attempts: u64,
    pub retries: u64,
    pub hedges: u64,
    /// Retries the budget refused.
    pub budget_denied: u64,
    /// Calls answered by a breaker's fallback.
    pub fallbacks: u64,
    /// Times the breaker opened, and calls it refused (whole run).
    pub breaker_opens: u64,
    pub breaker_rejections: u64,
}

impl HopResult {
    /// Attempts per call at this hop.
    pub fn amplification(&self) -> f64 {
        if self.calls == 0 { 1.0 } else { self.attempts as f64 / self.calls as f64 }
    }
}

/// One replica of a service, after warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaResult {
    pub arrivals: u64,
    pub completions: u64,
    pub rejected: u64,
    /// Mean busy workers.
    pub busy_mean: f64,
    pub queue_mean: f64,
    pub queue_max: u64,
}

/// One cache, all nodes together, after warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheResult {
    pub name: String,
    pub hits: u64,
    pub misses: u64,
    /// Served from an expired entry (stale-while-revalidate).
    pub stale: u64,
    /// Misses that waited on another request's fetch (single flight).
    pub coalesced: u64,
    pub origin_fetches: u64,
    /// Hits turned into refreshes by probabilistic early expiration.
    pub early_refreshes: u64,
    pub fills: u64,
    pub invalidations: u64,
    pub evictions: u64,
    pub writes_buffered: u64,
    pub writes_flushed: u64,
    /// Write-behind writes lost before they were flushed.
    pub writes_lost: u64,
    /// The most requested keys and their request counts, most first.
    pub top_keys: Vec<(u64, u64)>,
    /// How far below the truth a top-key count may be: 0 while the cache
    /// saw no more distinct keys than its counter holds (65,536).
    pub top_keys_undercount: u64,
}

impl CacheResult {
    /// Hits (fresh or stale) over lookups.
    pub fn hit_ratio(&self) -> Option<f64> {
        let lookups = self.hits + self.stale + self.misses;
        (lookups > 0).then(|| (self.hits + self.stale) as f64 / lookups as f64)
    }
}

/// One shard of a datastore, its primary and replicas together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardResult {
    /// Requests admitted, reads and writes and replication, at all nodes.
    pub arrivals: u64,
    /// Mean busy fraction of the primary's workers, and of all nodes'.
    pub primary_utilisation: f64,
    pub utilisation: f64,
    /// Response time of reads and writes.
    pub response: LatencyHistogram,
}

/// One datastore, after warm-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatastoreResult {
    pub name: String,
    pub shards: Vec<ShardResult>,
    /// Reads served by any node.
    pub reads: u64,
    /// Reads served by replicas, and of those, stale ones.
    pub replica_reads: u64,
    pub stale_reads: u64,
    /// Stale reads that missed the reading session's own last write (what
    /// read-your-writes prevents).
    pub own_stale_reads: u64,
    /// Time since the newest write a replica had not applied, per stale read.
    pub stale_age: LatencyHistogram,
    /// Acknowledged writes lost when a primary failed.
    pub lost_writes: u64,
    /// At each failover that lost writes: how far the promoted replica
    /// lagged (the crash time minus its newest applied commit); the most.
    pub rpo_max: Option<Time>,
}

/// The connection pools of one call site (one per calling replica and
/// target node), together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolResult {
    pub caller: String,
    pub target: String,
    pub pools: u32,
    pub size: u32,
    /// Mean connections in use over all the pools, and as a fraction of
    /// all connections.
    pub in_use_mean: f64,
    pub utilisation: f64,
    /// Mean calls waiting for a connection, over all the pools.
    pub waiting_mean: f64,
    pub max_waiting: u64,
    pub acquired: u64,
    /// Acquisitions that had to wait, and their summed wait in ns.
    pub waited: u64,
    pub wait_sum_ns: u128,
    /// Calls that gave up waiting.
    pub timeouts: u64,
}

/// One load balancer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalancerResult {
    pub name: String,
    /// Ejections by failed health checks and by outlier detection, and
    /// readmissions, over the whole run.
    pub health_ejections: u64,
    pub outlier_ejections: u64,
    pub readmissions: u64,
    /// Requests sent to each replica over the whole run.
    pub picks: Vec<u64>,
}

impl ServiceResult {
    /// Jobs that arrived after warm-up and were answered.
    pub fn answered(&self) -> u64 {
        self.finished + self.failed
    }

    /// Mean time waiting for a worker, in ns.
    pub fn wait_mean(&self) -> Option<f64> {
        let n = self.answered();
        (n > 0).then(|| self.wait_sum_ns as f64 / n as f64)
    }

    /// Mean time computing, in ns.
    pub fn compute_mean(&self) -> Option<f64> {
        let n = self.answered();
        (n > 0).then(|| self.compute_sum_ns as f64 / n as f64)
    }

    /// Mean time blocked on downstream calls, in ns.
    pub fn downstream_mean(&self) -> Option<f64> {
        let n = self.answered();
        (n > 0).then(|| self.downstream_sum_ns as f64 / n as f64)
    }

    /// Busy workers as a fraction of all workers (of the serving fleet, on
    /// average, when it autoscales).
    pub fn utilisation(&self) -> f64 {
        let instances = self.fleet.as_ref().map_or(self.replicas as f64, |f| f.mean);
        self.busy_mean / (instances * self.workers as f64)
    }
}

/// One time-series window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowRow {
    /// Window start, in simulated ns.
    pub start: Time,
    /// Requests answered successfully in the window.
    pub ok: u64,
    /// Requests that failed in the window.
    pub errors: u64,
    /// Mean latency of successes in the window, in ns.
    pub mean: Option<f64>,
    /// Median and 99th percentile latency of successes in the window.
    pub p50: Option<Time>,
    pub p99: Option<Time>,
    /// Mean requests queued over all services.
    pub queue_mean: f64,
    /// Cache hits over lookups, over all caches, if any lookup happened.
    pub cache_hit_ratio: Option<f64>,
    /// Mean serving instances per autoscaled service (see
    /// `RunResult::fleet_names`).
    pub fleet: Vec<f64>,
    /// Per queue group (see `RunResult::backlog_names`): mean waiting
    /// messages, and the oldest waiting message's age at the window's end
    /// in seconds.
    pub backlog: Vec<(f64, f64)>,
}

/// Whole-run counts that let tests check no request is lost or duplicated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conservation {
    /// Requests created by clients.
    pub born: u64,
    /// Requests whose outcome reached their client.
    pub settled: u64,
    /// Calls not yet settled at the end (at every tier), and their attempts
    /// in flight.
    pub calls_in_flight: u64,
    pub attempts_in_flight: u64,
    /// Jobs at the end: crossing the network, queued, or in service.
    pub jobs_in_system: u64,
}

/// Everything one replication measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub seed: u64,
    /// Measurement starts here.
    pub warmup: Time,
    /// Simulated time at the end.
    pub end: Time,
    pub events: u64,
    pub stop: StopReason,
    /// Set when the run was stopped because requests piled up without bound.
    pub runaway: Option<String>,
    pub clients: Vec<ClientResult>,
    pub services: Vec<ServiceResult>,
    pub balancers: Vec<BalancerResult>,
    pub caches: Vec<CacheResult>,
    pub datastores: Vec<DatastoreResult>,
    pub pools: Vec<PoolResult>,
    /// Every call site with a caller (clients' included), in build order.
    pub hops: Vec<HopResult>,
    pub series: Vec<WindowRow>,
    /// Names of the series' fleet columns (autoscaled services) and backlog
    /// columns (`queue/group`).
    pub fleet_names: Vec<String>,
    pub backlog_names: Vec<String>,
    pub queues: Vec<QueueResult>,
    pub routers: Vec<RouterResult>,
    /// Conservation counters over the whole run, warm-up included: every
    /// request born is settled (answered, failed or timed out) or still in
    /// flight at the end.
    pub conservation: Conservation,
    /// Width of the series windows.
    pub window: Time,
    /// When faults were active, for shading plots.
    pub faults: Vec<FaultWindow>,
    /// With a window SLO: the windows that broke it.
    pub violation: Option<Violation>,
}

/// A span of simulated time during which a fault was active.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub start: Time,
    pub end: Time,
    /// What happened, such as `crash app[0]`.
    pub label: String,
    /// Recovery time: from the start until the error rate is back at or
    /// below the window SLO's (1% by default) for good, to the window;
    /// `None` when it never recovered or started before measurement.
    pub rto: Option<Time>,
}

/// Windows that broke the model's window SLO (`sim.window_slo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Total length of the violating windows.
    pub total: Time,
    /// The start of the first and the end of the last violating window.
    pub first: Option<Time>,
    pub last: Option<Time>,
}

impl RunResult {
    /// The measured span in seconds.
    pub fn measured_secs(&self) -> f64 {
        as_secs_f64(self.end.saturating_sub(self.warmup))
    }
}
