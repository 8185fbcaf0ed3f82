//! Single flight (request coalescing): while one job fetches a key, others
//! asking for the same key wait for its answer instead of fetching again.
//!
//! One implementation serves both places that coalesce: a read-through
//! cache node (its misses), and a service's cache-aside steps (standing for
//! a distributed lock around the origin read). Each is a *scope*; a key is
//! in flight at most once per scope. The job that leads a fetch records its
//! scope (`Job::leads`); when it ends, its waiters are answered with its
//! outcome, in the way the scope's kind answers them.

use tailsim_engine::scheduler::Scheduler;

use super::key_map::KeyMap;
use super::request::Outcome;
use super::{Event, World};
use crate::ids::{FlightId, IdVec, JobId};

/// How waiters of a scope are answered when the fetch ends.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlightKind {
    /// A cache node: the waiters are jobs at the node; they finish with the
    /// leader's outcome.
    CacheNode,
    /// Cache-aside from a service: the waiters end their cache-aside step
    /// with the leader's outcome and carry on.
    Aside,
}

struct Scope {
    kind: FlightKind,
    /// Keys in flight, and who waits on each: (job, generation).
    waiting: KeyMap<Vec<(JobId, u32)>>,
}

#[derive(Default)]
pub struct SingleFlight {
    scopes: IdVec<FlightId, Scope>,
}

/// What a job asking for a key in a scope should do.
pub enum Join {
    /// Nobody is fetching it: this job leads, and fetches.
    Lead,
    /// Another job is fetching it: this job waits.
    Wait,
}

impl SingleFlight {
    /// A new scope of `kind`.
    pub fn add_scope(&mut self, kind: FlightKind) -> FlightId {
        self.scopes.push(Scope { kind, waiting: KeyMap::default() })
    }

    /// `job` asks for `key` in `scope`: it leads the fetch, or waits on it.
    pub fn join(&mut self, scope: FlightId, key: u64, job: JobId, generation: u32) -> Join {
        let s = &mut self.scopes[scope];
        match s.waiting.get_mut(&key) {
            Some(waiters) => {
                waiters.push((job, generation));
                Join::Wait
            }
            None => {
                s.waiting.insert(key, Vec::new());
                Join::Lead
            }
        }
    }

    /// The fetch of `key` in `scope` ended: who waited on it.
    fn land(&mut self, scope: FlightId, key: u64) -> (FlightKind, Vec<(JobId, u32)>) {
        let s = &mut self.scopes[scope];
        (s.kind, s.waiting.remove(&key).unwrap_or_default())
    }

    /// Forgets every fetch in flight in `scope` (its node crashed, and its
    /// waiters with it).
    pub fn clear(&mut self, scope: FlightId) {
        self.scopes[scope].waiting.clear();
    }
}

impl World {
    /// `job` led a fetch that ended with `outcome`: answers everyone who
    /// waited on it. Does nothing if the job leads none.
    pub(super) fn release_flight(&mut self, job: JobId, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let Some(scope) = self.requests[job].leads.take() else { return };
        let key = self.requests[job].req.key;
        self.answer_waiters(scope, key, outcome, sched);
    }

    /// The fetch of `key` in `scope` ended with `outcome` (or its leader was
    /// lost in a crash): answers the live jobs that waited on it. Waiters at
    /// a crashed cache node were forgotten with the node (`clear`).
    pub(super) fn answer_waiters(&mut self, scope: FlightId, key: u64, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let (kind, waiters) = self.flights.land(scope, key);
        for (w, generation) in waiters {
            if self.requests.job_is(w, generation) {
                match kind {
                    FlightKind::CacheNode => self.finish_job(w, outcome, sched),
                    FlightKind::Aside => self.aside_done(w, outcome.map(|_| ()), sched),
                }
            }
        }
    }
}
