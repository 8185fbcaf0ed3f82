//! Call sites: where calls from one place go, over which link, with what
//! timeout, retry, hedge, breaker, bulkhead and connection pools, and what
//! they did (for amplification per hop).

use tailsim_engine::time::Time;

use super::policy::{Breaker, Hedge, Retry};
use super::request::Op;
use crate::ids::{BalancerId, LinkId, PoolId, ServiceId};

/// Where a call goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Balancer(BalancerId),
    /// A service, cache, datastore or queue.
    Service(ServiceId),
    /// One station, named at send time (probes, replication).
    Station,
}

/// A pool per (calling replica, target node) pair: the pool of calling
/// replica `c` to target node `t` is `first + c * per_caller + t`.
#[derive(Copy, Clone, Debug)]
pub struct SitePools {
    pub first: PoolId,
    pub per_caller: u32,
}

pub struct Site {
    pub target: Target,
    pub link: LinkId,
    pub timeout: Option<Time>,
    pub retry: Option<Retry>,
    pub hedge: Option<Hedge>,
    pub breaker: Option<Breaker>,
    /// Bulkhead: calls at once per calling replica (by its place in its
    /// service), and their counts.
    pub bulkhead: Option<(u32, Vec<u32>)>,
    pub stats: SiteStats,
    pub pools: Option<SitePools>,
    /// The operation calls from here carry; `None` keeps the request's.
    pub op: Option<Op>,
    /// Queue deliveries: consumers pull, so a message goes to the serving
    /// instance with the fewest requests present.
    pub pull: bool,
    /// Names, for results; a site with no caller (probes, replication) is
    /// not a hop.
    pub caller: String,
    pub callee: String,
}

impl Site {
    pub fn new(target: Target, link: LinkId, timeout: Option<Time>) -> Self {
        Self {
            target,
            link,
            timeout,
            retry: None,
            hedge: None,
            breaker: None,
            bulkhead: None,
            stats: SiteStats::default(),
            pools: None,
            op: None,
            pull: false,
            caller: String::new(),
            callee: String::new(),
        }
    }
}

/// What a call site did, after warm-up: how much a call was amplified.
#[derive(Clone, Debug, Default)]
pub struct SiteStats {
    pub calls: u64,
    pub attempts: u64,
    pub retries: u64,
    pub hedges: u64,
    pub budget_denied: u64,
    pub fallbacks: u64,
}
