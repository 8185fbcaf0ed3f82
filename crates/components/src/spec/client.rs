//! Clients: open-loop traffic (Poisson, constant, bursty, with a rate
//! schedule, spike and diurnal curve) and closed-loop users; keys,
//! hotspots, the read/write mix and request classes.

use serde::Deserialize;

use super::{BreakerSpec, DistSpec, Duration, HedgeSpec, RateLimitSpec, RetrySpec};

/// A source of requests: open loop (`rate`) or closed loop (`users`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// The balancer or service that receives the requests.
    pub target: String,
    /// Open loop: mean requests per second (before the schedule, spike,
    /// diurnal curve and bursts apply).
    #[serde(default)]
    pub rate: Option<f64>,
    /// Open loop: how arrivals are spaced.
    #[serde(default)]
    pub arrival: ArrivalSpec,
    /// Open loop: the rate over time, replacing `rate` from each point on.
    #[serde(default)]
    pub schedule: Vec<RatePoint>,
    /// Open loop: an x-fold surge for a window.
    #[serde(default)]
    pub spike: Option<SpikeSpec>,
    /// Open loop: a daily (or any period) rate curve.
    #[serde(default)]
    pub diurnal: Option<DiurnalSpec>,
    /// Open loop: a two-state Markov-modulated Poisson process.
    #[serde(default)]
    pub burst: Option<BurstSpec>,
    /// Open loop: alternate sending and silence.
    #[serde(default)]
    pub on_off: Option<OnOffSpec>,
    /// Closed loop: users who each send, wait for the answer, think, repeat.
    #[serde(default)]
    pub users: Option<u32>,
    /// Closed loop: time between an answer and the user's next request.
    #[serde(default)]
    pub think_time: Option<DistSpec>,
    /// Give up on a request after this long; counted as a timeout error.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Retry failed requests.
    #[serde(default)]
    pub retry: Option<RetrySpec>,
    /// Hedged or tied requests.
    #[serde(default)]
    pub hedge: Option<HedgeSpec>,
    /// A circuit breaker on the client's requests.
    #[serde(default)]
    pub breaker: Option<BreakerSpec>,
    /// A rate limiter on what the client sends; requests over the limit fail
    /// at once as rate-limited.
    #[serde(default)]
    pub rate_limit: Option<RateLimitSpec>,
    /// An end-to-end deadline: requests carry `born + deadline`, and
    /// deadline-aware services drop work for callers that have given up.
    #[serde(default)]
    pub deadline: Option<Duration>,
    /// Which keys requests carry (for consistent hashing, shards, caches).
    #[serde(default)]
    pub keys: Option<KeySpec>,
    /// From `at` (until `until`), key `key` takes a `share` of requests.
    #[serde(default)]
    pub hotspots: Vec<HotspotSpec>,
    /// Fraction of requests that are writes.
    #[serde(default)]
    pub write_fraction: f64,
    /// The request class, for priority queues and per-class results;
    /// defaults to the client's name.
    #[serde(default)]
    pub class: Option<String>,
    /// The region the users are in: links to components in other regions
    /// cross regions, and a `nearest` router prefers this one.
    #[serde(default)]
    pub region: Option<String>,
}

impl ClientSpec {
    /// Poisson arrivals at `rate` per second to `target`.
    pub fn poisson(target: &str, rate: f64) -> Self {
        Self { rate: Some(rate), ..Self::closed(target, 0) }
    }

    /// `users` closed-loop users with no think time, to `target`.
    pub fn closed(target: &str, users: u32) -> Self {
        Self {
            target: target.into(),
            rate: None,
            arrival: ArrivalSpec::Poisson,
            schedule: Vec::new(),
            spike: None,
            diurnal: None,
            burst: None,
            on_off: None,
            users: (users > 0).then_some(users),
            think_time: None,
            timeout: None,
            retry: None,
            hedge: None,
            breaker: None,
            rate_limit: None,
            deadline: None,
            keys: None,
            hotspots: Vec::new(),
            write_fraction: 0.0,
            class: None,
            region: None,
        }
    }
}

/// The spacing of open-loop arrivals.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalSpec {
    /// Exponential gaps: a Poisson process.
    #[default]
    Poisson,
    /// Equal gaps of 1/rate.
    Constant,
}

/// From `at`, the base rate is `rate`; with `ramp = true` it rises (or
/// falls) linearly from the previous point's rate to reach `rate` at `at`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatePoint {
    pub at: Duration,
    pub rate: f64,
    #[serde(default)]
    pub ramp: bool,
}

/// The rate is multiplied by `factor` during [`at`, `at + duration`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSpec {
    pub at: Duration,
    pub duration: Duration,
    pub factor: f64,
}

/// The rate is multiplied by a cosine curve with the given `period` that
/// reaches `peak` at `peak_at` and `trough` half a period later.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiurnalSpec {
    pub period: Duration,
    pub peak_at: Duration,
    pub peak: f64,
    pub trough: f64,
}

/// A two-state Markov-modulated Poisson process: normal periods with mean
/// `mean_between`, bursts with mean `mean_burst` during which the rate is
/// multiplied by `factor`. Both durations are exponential.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstSpec {
    pub factor: f64,
    pub mean_burst: Duration,
    pub mean_between: Duration,
}

/// Alternating exponential periods of sending (at the rate) and silence.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnOffSpec {
    pub mean_on: Duration,
    pub mean_off: Duration,
}

/// The key space requests draw from.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    /// How popular each key is.
    #[serde(default)]
    pub dist: KeyDistSpec,
    /// Keys are numbered 0 to n - 1 (0 the most popular under Zipf).
    pub n: u64,
    /// The Zipf exponent.
    #[serde(default = "one")]
    pub s: f64,
    /// With `dist` = [`KeyDistSpec::Weights`]: key k is drawn with
    /// probability `weights[k] / sum(weights)`, and `n` is their number.
    /// Filled by the config layer from a file of counts per key.
    #[serde(skip)]
    pub weights: Vec<f64>,
}

impl KeySpec {
    /// Keys 0 to n - 1 drawn with probability proportional to `weights`.
    pub fn weighted(weights: Vec<f64>) -> Self {
        Self { dist: KeyDistSpec::Weights, n: weights.len() as u64, s: 1.0, weights }
    }
}

fn one() -> f64 {
    1.0
}

/// Key popularity.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDistSpec {
    #[default]
    Uniform,
    /// Probability of key k proportional to 1/(k+1)^s.
    Zipf,
    /// Probability of key k proportional to `weights[k]` (read from a file
    /// of counts per key; not written as `dist` in a model).
    #[serde(skip)]
    Weights,
}

/// A hot key: from `at` until `until` (or the end), `key` takes a `share`
/// of requests and the rest follow the key distribution.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotSpec {
    pub at: Duration,
    #[serde(default)]
    pub until: Option<Duration>,
    pub key: u64,
    pub share: f64,
}
