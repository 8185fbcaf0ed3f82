//! Services: replicas of workers behind queues, running a handler that is a
//! short program of steps.
//!
//! ```toml
//! [service.api]
//! replicas = 4
//! workers = 8
//! hold_worker = true          # thread per request: workers wait on calls
//! steps = [
//!   { compute = { dist = "exponential", mean = "1ms" } },
//!   { call = "db", timeout = "50ms" },
//!   { fanout = "search", n = 10, wait = "all" },
//!   { parallel = ["ads", "recs"], wait = "first" },
//! ]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{BreakerSpec, BulkheadSpec, DistSpec, Duration, HedgeSpec, RateLimitSpec, RetrySpec, ShedSpec};

/// A service: `replicas` instances, each with `workers` and its own queue.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Independent instances, each with its own queue and workers.
    #[serde(default = "one")]
    pub replicas: u32,
    /// Requests one instance serves at once.
    #[serde(default = "one")]
    pub workers: u32,
    /// Requests that may wait per instance; absent means unbounded, 0 means
    /// none (a request that finds every worker busy is rejected).
    #[serde(default)]
    pub queue_capacity: Option<u32>,
    /// The order in which waiting requests get a worker.
    #[serde(default)]
    pub discipline: DisciplineSpec,
    /// Priority discipline: class name to priority; lower is served first,
    /// and classes not listed come last.
    #[serde(default)]
    pub priorities: BTreeMap<String, u32>,
    /// Shorthand for `steps = [{ compute = ... }]`.
    #[serde(default)]
    pub service_time: Option<DistSpec>,
    /// The handler: compute, call and parallel steps, in order.
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    /// The handler for writes (see a client's `write_fraction`); absent
    /// means writes run `service_time` and `steps` like reads.
    #[serde(default)]
    pub write_steps: Option<Vec<StepSpec>>,
    /// Whether a request keeps its worker while it waits on calls (thread
    /// per request, the default) or gives it back (asynchronous).
    #[serde(default = "yes")]
    pub hold_worker: bool,
    /// Relative speed of each replica (service times are divided by it):
    /// heterogeneous hardware, or one slow replica.
    #[serde(default)]
    pub replica_speed: Option<Vec<f64>>,
    /// A rate limiter on each replica's admissions.
    #[serde(default)]
    pub rate_limit: Option<RateLimitSpec>,
    /// Load shedding on each replica.
    #[serde(default)]
    pub shed: Option<ShedSpec>,
    /// Drop requests whose caller's deadline has passed, instead of working
    /// on them.
    #[serde(default)]
    pub deadline_aware: bool,
    /// Each request fails with a server error with this probability.
    #[serde(default)]
    pub failure_probability: f64,
    /// Zones the replicas are spread over, in turn (replica r is in
    /// zones[r mod len]); a zone fault takes them all down.
    #[serde(default)]
    pub zones: Vec<String>,
    /// The region the service runs in (see `network.cross_region`).
    #[serde(default)]
    pub region: Option<String>,
    /// Grow and shrink the fleet under load; `replicas` is the size at the
    /// start.
    #[serde(default)]
    pub autoscale: Option<crate::spec::AutoscaleSpec>,
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

impl ServiceSpec {
    /// A service with a single compute step and unbounded FIFO queues.
    pub fn new(replicas: u32, workers: u32, service_time: DistSpec) -> Self {
        Self {
            replicas,
            workers,
            queue_capacity: None,
            discipline: DisciplineSpec::Fifo,
            priorities: BTreeMap::new(),
            service_time: Some(service_time),
            steps: Vec::new(),
            write_steps: None,
            hold_worker: true,
            replica_speed: None,
            rate_limit: None,
            shed: None,
            deadline_aware: false,
            failure_probability: 0.0,
            zones: Vec::new(),
            region: None,
            autoscale: None,
        }
    }

    /// The write handler: `write_steps` if given, else the read handler.
    pub fn all_write_steps(&self) -> Vec<StepSpec> {
        match &self.write_steps {
            Some(steps) => steps.clone(),
            None => self.all_steps(),
        }
    }

    /// The handler's steps, with `service_time` as a compute step first.
    pub fn all_steps(&self) -> Vec<StepSpec> {
        let mut v = Vec::with_capacity(self.steps.len() + 1);
        if let Some(d) = &self.service_time {
            v.push(StepSpec::Compute(d.clone()));
        }
        v.extend(self.steps.iter().cloned());
        v
    }
}

/// Queue discipline.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisciplineSpec {
    #[default]
    Fifo,
    /// Newest first: under overload, fresh requests are served while old
    /// ones (whose callers may have given up) wait.
    Lifo,
    /// By class priority (see `priorities`), FIFO within a class.
    Priority,
}

/// One step of a handler.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawStep")]
pub enum StepSpec {
    /// Keep the worker busy for a drawn time.
    Compute(DistSpec),
    /// Call another component and wait for its answer.
    Call(CallSpec),
    /// Call several components (or one component `n` times) at once, and
    /// wait for all of them, the first, `k` of them, or none.
    Parallel { calls: Vec<CallSpec>, wait: WaitSpec },
    /// Cache-aside: look the key up in `cache`; on a miss, read `origin` and
    /// fill the cache. Writes go to `origin` and invalidate the cache.
    CacheAside { cache: String, origin: CallSpec, single_flight: bool },
}

impl StepSpec {
    /// The components this step calls.
    pub fn targets(&self) -> Vec<&str> {
        match self {
            StepSpec::Compute(_) => Vec::new(),
            StepSpec::Call(c) => vec![c.target.as_str()],
            StepSpec::Parallel { calls, .. } => calls.iter().map(|c| c.target.as_str()).collect(),
            StepSpec::CacheAside { cache, origin, .. } => vec![cache.as_str(), origin.target.as_str()],
        }
    }

    /// The calls this step makes that carry their own timeout and pool.
    pub fn calls(&self) -> Vec<&CallSpec> {
        match self {
            StepSpec::Compute(_) => Vec::new(),
            StepSpec::Call(c) => vec![c],
            StepSpec::Parallel { calls, .. } => calls.iter().collect(),
            StepSpec::CacheAside { origin, .. } => vec![origin],
        }
    }
}

/// A call to a component.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSpec {
    pub target: String,
    /// Give up on the call after this long.
    pub timeout: Option<Duration>,
    /// Connections to the target: a call waits for a free one.
    pub pool: Option<PoolSpec>,
    pub retry: Option<RetrySpec>,
    pub hedge: Option<HedgeSpec>,
    pub breaker: Option<BreakerSpec>,
    pub bulkhead: Option<BulkheadSpec>,
}

impl CallSpec {
    pub fn new(target: &str) -> Self {
        Self {
            target: target.into(),
            timeout: None,
            pool: None,
            retry: None,
            hedge: None,
            breaker: None,
            bulkhead: None,
        }
    }
}

/// A connection pool per calling replica and target node (each shard's
/// primary or replica, or each replica of a service): `size` connections,
/// and a call that finds none free waits up to `acquire_timeout`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub size: u32,
    pub acquire_timeout: Duration,
}

/// How many answers a parallel step waits for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WaitSpec {
    All,
    First,
    Some(u32),
    /// Fire and forget: continue at once; answers are ignored.
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    compute: Option<DistSpec>,
    call: Option<String>,
    parallel: Option<Vec<String>>,
    fanout: Option<String>,
    n: Option<u32>,
    wait: Option<String>,
    k: Option<u32>,
    timeout: Option<Duration>,
    pool: Option<PoolSpec>,
    retry: Option<RetrySpec>,
    hedge: Option<HedgeSpec>,
    breaker: Option<BreakerSpec>,
    bulkhead: Option<BulkheadSpec>,
    cache: Option<String>,
    origin: Option<String>,
    single_flight: Option<bool>,
}

impl RawStep {
    fn call(&self, target: String) -> CallSpec {
        CallSpec {
            target,
            timeout: self.timeout,
            pool: self.pool.clone(),
            retry: self.retry.clone(),
            hedge: self.hedge.clone(),
            breaker: self.breaker.clone(),
            bulkhead: self.bulkhead.clone(),
        }
    }
}

impl TryFrom<RawStep> for StepSpec {
    type Error = String;

    fn try_from(r: RawStep) -> Result<Self, String> {
        let kinds =
            [r.compute.is_some(), r.call.is_some(), r.parallel.is_some(), r.fanout.is_some(), r.cache.is_some()];
        if kinds.iter().filter(|&&k| k).count() != 1 {
            return Err("a step needs exactly one of `compute`, `call`, `parallel`, `fanout` or `cache`".into());
        }
        if r.origin.is_some() && r.cache.is_none() {
            return Err("`origin` applies to `cache` (cache-aside) steps".into());
        }
        if r.single_flight.is_some() && r.cache.is_none() {
            return Err("`single_flight` applies to `cache` (cache-aside) steps".into());
        }
        if let Some(cache) = r.cache.clone() {
            let origin = r.origin.clone().ok_or("a `cache` step needs `origin`, the component to read on a miss")?;
            for (f, present) in [("n", r.n.is_some()), ("wait", r.wait.is_some()), ("k", r.k.is_some())] {
                if present {
                    return Err(format!("`{f}` does not apply to `cache` steps"));
                }
            }
            return Ok(StepSpec::CacheAside {
                cache,
                origin: r.call(origin),
                single_flight: r.single_flight.unwrap_or(false),
            });
        }
        let parallel_only = |field: &str, present: bool| {
            if present { Err(format!("`{field}` applies only to `parallel` and `fanout` steps")) } else { Ok(()) }
        };
        if let Some(d) = r.compute.clone() {
            let call_only = [
                r.timeout.is_some(),
                r.pool.is_some(),
                r.retry.is_some(),
                r.hedge.is_some(),
                r.breaker.is_some(),
                r.bulkhead.is_some(),
            ];
            if call_only.iter().any(|&x| x) {
                return Err(
                    "`timeout`, `pool`, `retry`, `hedge`, `breaker` and `bulkhead` apply to calls, not `compute` steps"
                        .into(),
                );
            }
            parallel_only("n", r.n.is_some())?;
            parallel_only("wait", r.wait.is_some())?;
            parallel_only("k", r.k.is_some())?;
            return Ok(StepSpec::Compute(d));
        }
        if let Some(target) = r.call.clone() {
            parallel_only("n", r.n.is_some())?;
            parallel_only("wait", r.wait.is_some())?;
            parallel_only("k", r.k.is_some())?;
            return Ok(StepSpec::Call(r.call(target)));
        }
        let calls: Vec<CallSpec> = match (r.parallel.clone(), r.fanout.clone()) {
            (Some(targets), None) => {
                if r.n.is_some() {
                    return Err("`n` applies to `fanout` steps; a `parallel` step calls each target once".into());
                }
                targets.into_iter().map(|target| r.call(target)).collect()
            }
            (None, Some(target)) => {
                let n = r.n.ok_or("a `fanout` step needs `n`, the number of calls")?;
                (0..n).map(|_| r.call(target.clone())).collect()
            }
            _ => unreachable!("exactly one kind"),
        };
        if calls.is_empty() {
            return Err("a parallel step needs at least one call".into());
        }
        let wait = match (r.wait.as_deref().unwrap_or("all"), r.k) {
            ("all", None) => WaitSpec::All,
            ("first", None) => WaitSpec::First,
            ("none", None) => WaitSpec::None,
            ("k", Some(k)) => {
                if k == 0 || k as usize > calls.len() {
                    return Err(format!("`k` must be between 1 and the number of calls ({}), got {k}", calls.len()));
                }
                WaitSpec::Some(k)
            }
            ("k", None) => return Err("`wait = \"k\"` needs `k`".into()),
            (w @ ("all" | "first" | "none"), Some(_)) => {
                return Err(format!("`k` applies to `wait = \"k\"`, not \"{w}\""));
            }
            (other, _) => {
                return Err(format!(
                    "unknown `wait` value \"{other}\"; expected \"all\", \"first\", \"k\" or \"none\""
                ));
            }
        };
        Ok(StepSpec::Parallel { calls, wait })
    }
}
