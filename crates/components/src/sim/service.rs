//! Runtime services: a service, cache, datastore or queue as a group of
//! stations that share handlers. A handler is a list of steps; the generic
//! steps (compute, calls, cache-aside) run in `flow`, each kind's own steps
//! in the kind's module.

use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::Time;

use super::aside::AsideSites;
use super::cache::CacheStep;
use super::datastore::DatastoreStep;
pub use super::kind::{Next, ServiceKind};
use super::queue::QueueStep;
use super::request::Op;
use crate::dist::Dist;
use crate::ids::{SiteId, StationId};

/// A runtime handler step.
pub enum Step {
    Compute(Dist),
    /// `count` calls to the sites `first..first + count`, of which `needed`
    /// must succeed (zero: fire and forget).
    Calls {
        first: SiteId,
        count: u32,
        needed: u32,
    },
    /// Cache-aside from a service: look up, on a miss read the origin and
    /// fill; writes go to the origin and invalidate.
    CacheAside(AsideSites),
    /// A cache node's own steps.
    Cache(CacheStep),
    /// A datastore node's own steps.
    Datastore(DatastoreStep),
    /// A queue's own step.
    Queue(QueueStep),
}

pub struct Service {
    pub name: String,
    pub kind: ServiceKind,
    pub first_station: StationId,
    /// Stations (replicas; for a datastore, shards x nodes per shard; for
    /// an autoscaled service, its largest fleet).
    pub replicas: u32,
    /// Stations taking requests: the first `active` (all but for autoscaled
    /// services).
    pub active: u32,
    /// Requests that reached a station, admitted or not, warm-up included
    /// (what autoscaling reads).
    pub offered: u64,
    pub workers: u32,
    pub cursor: u32,
    /// Handlers, and which one each operation runs.
    pub handlers: Vec<Vec<Step>>,
    pub handler_of: [u8; Op::COUNT],
    pub hold_worker: bool,
    /// Drop requests whose deadline has passed instead of serving them.
    pub deadline_aware: bool,
    /// After its calls, a job goes on without a worker (event-driven
    /// cache nodes) instead of queueing for one.
    pub continue_without_worker: bool,
    /// Priority of each request class (by class index).
    pub priorities: Vec<u32>,
    pub stats: ServiceStats,
}

impl Service {
    /// Replica `r`'s station.
    #[inline]
    pub fn station(&self, r: u32) -> StationId {
        self.first_station.offset(r)
    }

    /// Station `s`'s place among this service's stations.
    #[inline]
    pub fn local(&self, s: StationId) -> u32 {
        s.local_to(self.first_station)
    }

    /// The steps operation `op` runs.
    #[inline]
    pub fn handler(&self, op: Op) -> &[Step] {
        &self.handlers[self.handler_of[op as usize] as usize]
    }
}

/// Per-service measurements of jobs that arrived after warm-up.
pub struct ServiceStats {
    pub response: LatencyHistogram,
    pub finished: u64,
    pub failed: u64,
    pub wait_sum: u128,
    pub compute_sum: u128,
    pub downstream_sum: u128,
    /// Time present after warm-up, summed over the jobs that arrived after
    /// it (`present_ns`) and over those that arrived before (`carried_ns`);
    /// jobs still present at the end count up to the end. Little's law in
    /// its sample-path form.
    pub present_ns: u128,
    pub carried_ns: u128,
}

impl ServiceStats {
    pub fn new() -> Self {
        Self {
            response: LatencyHistogram::new(),
            finished: 0,
            failed: 0,
            wait_sum: 0,
            compute_sum: 0,
            downstream_sum: 0,
            present_ns: 0,
            carried_ns: 0,
        }
    }

    /// Counts a job's time present up to `now`, from its arrival or from
    /// the end of warm-up (`measure_from`), whichever is later.
    #[inline]
    pub fn presence(&mut self, arrived: Time, measure_from: Time, now: Time) {
        let from = arrived.max(measure_from);
        if arrived >= measure_from {
            self.present_ns += (now - from) as u128;
        } else {
            self.carried_ns += (now - from) as u128;
        }
    }

    /// Records a job that finished at `now`, having arrived at `arrived`.
    #[inline]
    pub fn finished(&mut self, now: Time, arrived: Time, ok: bool, wait: Time, compute: Time, downstream: Time) {
        self.response.record(now - arrived);
        if ok {
            self.finished += 1;
        } else {
            self.failed += 1;
        }
        self.wait_sum += wait as u128;
        self.compute_sum += compute as u128;
        self.downstream_sum += downstream as u128;
    }
}
