//! Requests in flight: what a request carries, and the three records that
//! follow it through the system.
//!
//! A *call* is what an owner (a client, a waiting job, a health probe)
//! waits for; an *attempt* is one try of it (retries and hedges make more);
//! a *job* is an attempt being served at one station. All three live in
//! slabs with typed ids. Each carries a generation that is bumped when it
//! ends (and, for jobs, when a step's calls settle), so a late event naming
//! an old generation is recognised and dropped in O(1).

use tailsim_engine::scheduler::TimerId;
use tailsim_engine::time::Time;

use super::slab::Slab;
use crate::ids::{
    AttemptId, BalancerId, CallId, ClientId, DeliveryId, FlightId, JobId, PoolId, QueueId, SiteId, SlotId, StationId,
};
use crate::result::ErrorKind;

/// What a request asks for.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    #[default]
    Read = 0,
    Write = 1,
    /// Cache-aside: store the value just read from the origin.
    Fill = 2,
    /// Cache-aside: drop the entry after a write.
    Invalidate = 3,
    /// Datastore: apply a primary's write at a replica.
    Replicate = 4,
}

impl Op {
    pub const COUNT: usize = 5;
}

/// The attributes a request carries from client to every call it causes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Req {
    pub key: u64,
    /// Who sent it: (client << 32 | user), for sticky balancing and
    /// read-your-writes sessions.
    pub origin: u64,
    pub class: u16,
    pub op: Op,
    /// Replication: when the primary committed the write being applied.
    pub version: Time,
    /// When the client gives up (its end-to-end deadline), or `Time::MAX`.
    pub deadline: Time,
}

impl Default for Req {
    fn default() -> Self {
        Req { key: 0, origin: 0, class: 0, op: Op::Read, version: 0, deadline: Time::MAX }
    }
}

/// What a successful answer says.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Done,
    /// A cache-aside lookup found nothing.
    Miss,
    /// Served from an expired cache entry (stale-while-revalidate), or an
    /// open breaker's stale fallback.
    Stale,
    /// An open breaker's default value.
    Fallback,
}

/// An outcome travelling back to a caller.
pub type Outcome = Result<Answer, ErrorKind>;

/// Who waits for a call's answer.
#[derive(Copy, Clone, Debug)]
pub enum Owner {
    /// A client request; `user` is the closed-loop user, if any.
    Client { client: ClientId, user: Option<u32> },
    /// A job blocked in a call or parallel step.
    Job { job: JobId, generation: u32 },
    /// A balancer's health check of one replica.
    Probe { balancer: BalancerId, replica: u32 },
    /// A cache's background refresh of one key.
    Refresh { station: StationId, key: u64 },
    /// A queue's delivery of one message to a consumer.
    Consumer { queue: QueueId, slot: DeliveryId },
    /// Nobody: fire-and-forget work not tied to a request (flushes, fills).
    Detached,
}

/// A logical call: one request from an owner to a target, made of one or
/// more attempts (retries, hedges).
pub struct Call {
    pub generation: u32,
    pub owner: Owner,
    pub site: SiteId,
    pub req: Req,
    pub born: Time,
    /// Network time of the answering attempt, in ns.
    pub net: Time,
    pub attempts: u32,
    /// Attempts in flight, at most two (a hedge).
    pub live: [Option<AttemptId>; 2],
    pub last_error: ErrorKind,
    /// The previous backoff, for decorrelated jitter.
    pub backoff: Time,
    pub hedge_timer: Option<TimerId>,
}

impl Call {
    /// Whether an attempt is still in flight.
    #[inline]
    pub fn in_flight(&self) -> bool {
        self.live.iter().any(Option::is_some)
    }
}

/// One try of a call.
pub struct Attempt {
    pub generation: u32,
    pub call: CallId,
    pub call_generation: u32,
    pub timer: Option<TimerId>,
    pub sent: Time,
    pub net: Time,
    /// The balancer it went through and the replica it picked, if any.
    pub balancer: Option<(BalancerId, u32)>,
    /// The pool whose connection it holds, or waits for.
    pub pool: Option<PoolId>,
    /// The station it is headed for, while it waits for a connection.
    pub waiting_for: Option<StationId>,
    /// The calling replica, holding a bulkhead slot.
    pub bulkhead: Option<StationId>,
    /// A half-open breaker's probe.
    pub probe: bool,
    /// Lost on the network: its timeout reports `Lost`.
    pub lost: bool,
    /// The job serving it, once sent, so a cancellation can reach it.
    pub job: Option<(JobId, u32)>,
}

/// A request at a station.
pub struct Job {
    /// Bumped when a step's calls are settled and when the job ends, so
    /// answers to calls it no longer waits for are ignored.
    pub generation: u32,
    pub station: StationId,
    pub attempt: AttemptId,
    pub attempt_generation: u32,
    pub req: Req,
    pub arrived: Time,
    /// The station's crash epoch at admission: a crash drops the job.
    pub epoch: u32,
    /// Its place in the station's `present` list, once admitted.
    pub slot: Option<SlotId>,
    /// It already passed the station's rate limiter (after a delay).
    pub limited: bool,
    /// Its caller cancelled it (a hedge or tied copy that lost): it is
    /// dropped before service. A caller that merely timed out does not
    /// cancel; the station cannot tell.
    pub cancelled: bool,
    /// Start of the current wait, compute or block segment.
    pub mark: Time,
    pub pc: u16,
    /// Progress within a multi-call step (cache-aside).
    pub phase: u8,
    pub holds_worker: bool,
    pub probe: bool,
    /// Single flight: the fetch this job leads, that others wait for.
    pub leads: Option<FlightId>,
    /// Calls of the current step not yet settled, successes and failures.
    pub outstanding: u32,
    pub successes: u32,
    pub failures: u32,
    pub needed: u32,
    pub last_error: ErrorKind,
    pub wait_ns: Time,
    pub compute_ns: Time,
    pub downstream_ns: Time,
}

/// Every request record in flight, and the conservation counts.
#[derive(Default)]
pub struct Requests {
    jobs: Slab<JobId, Job>,
    calls: Slab<CallId, Call>,
    attempts: Slab<AttemptId, Attempt>,
    /// Client requests created and settled (answered, failed or refused).
    pub born: u64,
    pub settled: u64,
}

impl Requests {
    /// Stores a new call; its generation carries on from the slot's last
    /// occupant, so stale answers stay stale.
    #[inline]
    pub fn new_call(&mut self, owner: Owner, site: SiteId, req: Req, now: Time) -> CallId {
        self.calls.insert_with(|prev| Call {
            generation: prev.map_or(0, |p| p.generation),
            owner,
            site,
            req,
            born: now,
            net: 0,
            attempts: 0,
            live: [None; 2],
            last_error: ErrorKind::Timeout,
            backoff: 0,
            hedge_timer: None,
        })
    }

    #[inline]
    pub fn new_attempt(
        &mut self,
        call: CallId,
        call_generation: u32,
        now: Time,
        bulkhead: Option<StationId>,
        probe: bool,
    ) -> AttemptId {
        self.attempts.insert_with(|prev| Attempt {
            generation: prev.map_or(0, |p| p.generation),
            call,
            call_generation,
            timer: None,
            sent: now,
            net: 0,
            balancer: None,
            pool: None,
            waiting_for: None,
            bulkhead,
            probe,
            lost: false,
            job: None,
        })
    }

    #[inline]
    pub fn new_job(
        &mut self,
        station: StationId,
        attempt: AttemptId,
        attempt_generation: u32,
        req: Req,
        probe: bool,
    ) -> JobId {
        self.jobs.insert_with(|prev| Job {
            generation: prev.map_or(0, |p| p.generation),
            station,
            attempt,
            attempt_generation,
            req,
            arrived: 0,
            epoch: 0,
            slot: None,
            limited: false,
            cancelled: false,
            mark: 0,
            pc: 0,
            phase: 0,
            holds_worker: false,
            probe,
            leads: None,
            outstanding: 0,
            successes: 0,
            failures: 0,
            needed: 0,
            last_error: ErrorKind::Timeout,
            wait_ns: 0,
            compute_ns: 0,
            downstream_ns: 0,
        })
    }

    /// Frees a call's slot (its generation was bumped when it settled).
    #[inline]
    pub fn remove_call(&mut self, call: CallId) {
        self.calls.remove(call);
    }

    /// Frees an attempt's slot (its generation was bumped when it ended).
    #[inline]
    pub fn remove_attempt(&mut self, attempt: AttemptId) {
        self.attempts.remove(attempt);
    }

    /// Ends a job.
    #[inline]
    pub fn free_job(&mut self, job: JobId) {
        let j = &mut self.jobs[job];
        j.generation = j.generation.wrapping_add(1);
        self.jobs.remove(job);
    }

    /// Whether `job` is still the job of that generation.
    #[inline]
    pub fn job_is(&self, job: JobId, generation: u32) -> bool {
        self.jobs[job].generation == generation
    }

    /// Records in flight: (calls, attempts, jobs).
    pub fn live(&self) -> (usize, usize, usize) {
        (self.calls.live(), self.attempts.live(), self.jobs.live())
    }
}

impl std::ops::Index<JobId> for Requests {
    type Output = Job;
    #[inline]
    fn index(&self, i: JobId) -> &Job {
        &self.jobs[i]
    }
}

impl std::ops::IndexMut<JobId> for Requests {
    #[inline]
    fn index_mut(&mut self, i: JobId) -> &mut Job {
        &mut self.jobs[i]
    }
}

impl std::ops::Index<CallId> for Requests {
    type Output = Call;
    #[inline]
    fn index(&self, i: CallId) -> &Call {
        &self.calls[i]
    }
}

impl std::ops::IndexMut<CallId> for Requests {
    #[inline]
    fn index_mut(&mut self, i: CallId) -> &mut Call {
        &mut self.calls[i]
    }
}

impl std::ops::Index<AttemptId> for Requests {
    type Output = Attempt;
    #[inline]
    fn index(&self, i: AttemptId) -> &Attempt {
        &self.attempts[i]
    }
}

impl std::ops::IndexMut<AttemptId> for Requests {
    #[inline]
    fn index_mut(&mut self, i: AttemptId) -> &mut Attempt {
        &mut self.attempts[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Id;

    #[test]
    fn generations_survive_slot_reuse() {
        let mut r = Requests::default();
        let site = SiteId::new(0);
        let a = r.new_call(Owner::Detached, site, Req::default(), 0);
        let g = r[a].generation;
        r[a].generation += 1;
        r.remove_call(a);
        let b = r.new_call(Owner::Detached, site, Req::default(), 5);
        assert_eq!(a, b, "the slot is reused");
        assert_ne!(r[b].generation, g, "an answer to the old call is recognised as stale");
        assert_eq!(r.live(), (1, 0, 0));
    }

    #[test]
    fn records_stay_small() {
        // Memory per request in flight is one call, one attempt and one job.
        let sizes = (std::mem::size_of::<Call>(), std::mem::size_of::<Attempt>(), std::mem::size_of::<Job>());
        assert!(sizes.0 <= 120 && sizes.1 <= 72 && sizes.2 <= 136, "{sizes:?}");
    }
}
