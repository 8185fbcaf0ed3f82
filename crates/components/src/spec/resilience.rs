//! Resilience policies: retries with backoff and jitter, retry budgets,
//! hedged and tied requests, circuit breakers, rate limiters, load shedding
//! and bulkheads.

use serde::Deserialize;

use super::Duration;

/// Retries of a failed call.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Attempts in all, the first included (3 = up to two retries).
    pub attempts: u32,
    /// Which failures are retried; default timeouts, rejections, crashes,
    /// lost messages and server errors.
    #[serde(default = "default_retry_on")]
    pub on: Vec<RetryOnSpec>,
    #[serde(default)]
    pub backoff: BackoffSpec,
    /// The first backoff (fixed: every backoff).
    #[serde(default = "ten_ms")]
    pub base: Duration,
    /// The longest backoff.
    #[serde(default = "one_s")]
    pub cap: Duration,
    #[serde(default)]
    pub jitter: JitterSpec,
    /// A retry budget: a token bucket shared by the call site.
    #[serde(default)]
    pub budget: Option<BudgetSpec>,
}

fn default_retry_on() -> Vec<RetryOnSpec> {
    vec![RetryOnSpec::Timeout, RetryOnSpec::Rejected, RetryOnSpec::Crashed, RetryOnSpec::ServerError]
}
fn ten_ms() -> Duration {
    Duration::from_millis(10)
}
fn one_s() -> Duration {
    Duration::from_secs(1)
}

/// Error causes a retry policy can name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryOnSpec {
    Timeout,
    Rejected,
    Shed,
    RateLimited,
    CircuitOpen,
    Crashed,
    ServerError,
    PoolTimeout,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackoffSpec {
    /// `base` before every retry.
    Fixed,
    /// `base * 2^(k-1)` before retry k, at most `cap`.
    #[default]
    Exponential,
}

/// Jitter, after Brooker's "Exponential Backoff And Jitter".
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JitterSpec {
    /// The backoff as computed.
    #[default]
    None,
    /// Uniform in [0, backoff].
    Full,
    /// backoff / 2 + uniform in [0, backoff / 2].
    Equal,
    /// min(cap, uniform in [base, 3 x the previous backoff]).
    Decorrelated,
}

/// A retry token bucket: each success adds `ratio` tokens (up to
/// `capacity`); each retry spends one.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    #[serde(default = "tenth")]
    pub ratio: f64,
    #[serde(default = "ten")]
    pub capacity: f64,
}

fn tenth() -> f64 {
    0.1
}
fn ten() -> f64 {
    10.0
}

/// A second copy of a request: after a fixed delay, after the call site's
/// observed `percentile` latency, or at once with `tied = true` (the copy
/// that starts service first cancels the other).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HedgeSpec {
    #[serde(default)]
    pub after: Option<Duration>,
    #[serde(default)]
    pub percentile: Option<f64>,
    #[serde(default)]
    pub tied: bool,
}

/// A circuit breaker on a call site: opens when, over the last `window`,
/// at least `min_calls` calls were made and `failure_rate` of them failed;
/// stays open `open_for`; then lets `half_open_probes` calls through and
/// closes if they all succeed.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    pub failure_rate: f64,
    #[serde(default = "ten_s")]
    pub window: Duration,
    #[serde(default = "twenty")]
    pub min_calls: u32,
    #[serde(default = "thirty_s")]
    pub open_for: Duration,
    #[serde(default = "three")]
    pub half_open_probes: u32,
    /// What an open breaker answers.
    #[serde(default)]
    pub fallback: FallbackSpec,
}

fn ten_s() -> Duration {
    Duration::from_secs(10)
}
fn thirty_s() -> Duration {
    Duration::from_secs(30)
}
fn twenty() -> u32 {
    20
}
fn three() -> u32 {
    3
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FallbackSpec {
    /// Fail fast with a circuit-open error.
    #[default]
    Fail,
    /// Answer with a default value (a success, flagged as a fallback).
    Default,
    /// Answer with a stale value (a success, flagged as stale).
    Stale,
}

/// A rate limiter at a client (on what it sends) or at a service replica
/// (on what it admits).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    pub algorithm: RateLimitAlgorithm,
    /// Requests per second allowed in the long run.
    pub rate: f64,
    /// Token and leaky bucket: the burst (bucket size); sliding window: the
    /// window is 1 s and `burst` is unused.
    #[serde(default = "ten")]
    pub burst: f64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitAlgorithm {
    /// Admit while a token is available; tokens refill at `rate`.
    TokenBucket,
    /// Queue up to `burst` requests and release them at `rate`; beyond
    /// that, reject (a shaper: it delays rather than drops).
    LeakyBucket,
    /// At most `rate` requests in any sliding second (sliding-window
    /// counter over two fixed windows).
    SlidingWindow,
}

/// Load shedding at a service replica.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShedSpec {
    /// Shed arrivals while this many requests are queued.
    #[serde(default)]
    pub queue_above: Option<u32>,
    /// CoDel-like: shed a request that waited longer than `target` when
    /// waits have stayed above `target` for at least `interval`.
    #[serde(default)]
    pub sojourn_target: Option<Duration>,
    #[serde(default = "hundred_ms")]
    pub interval: Duration,
    /// Serve newest first while more than this many are queued.
    #[serde(default)]
    pub lifo_above: Option<u32>,
}

fn hundred_ms() -> Duration {
    Duration::from_millis(100)
}

/// A bulkhead: at most `max_concurrent` calls from one caller replica to a
/// dependency at once; more fail at once.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkheadSpec {
    pub max_concurrent: u32,
}
