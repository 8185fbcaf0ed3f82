//! How a job moves through its station: admitted (or refused, shed,
//! rate-limited, rejected), given a worker, run step by step, finished, and
//! answered over its link.
//!
//! Zero-latency hops are handled at once rather than as events: a request
//! reaches its station, and an answer its caller, in the same instant. To
//! keep that safe, a function that hands a request on does so as its last
//! action, and the calls of a parallel step are delivered as events.

use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::{Time, as_secs_f64, from_nanos_f64};

use super::call::CallEvent;
use super::policy::Limit;
use super::request::{Answer, Job, Outcome, Owner};
use super::service::{Next, ServiceKind, Step};
use super::{Event, World};
use crate::dist::unit;
use crate::ids::{AttemptId, JobId, SiteId, StationId};
use crate::result::ErrorKind;

/// Events of jobs at stations.
#[derive(Copy, Clone, Debug)]
pub enum JobEvent {
    /// A request reaches its station after crossing the network (or a
    /// leaky-bucket limiter's delay).
    Deliver { job: JobId, generation: u32 },
    /// A job's compute step has elapsed.
    ComputeDone { job: JobId, generation: u32 },
}

impl World {
    pub(super) fn on_job_event(&mut self, e: JobEvent, sched: &mut Scheduler<Event>) {
        match e {
            JobEvent::Deliver { job, generation } => {
                if self.requests.job_is(job, generation) {
                    self.admit(job, sched)
                }
            }
            JobEvent::ComputeDone { job, generation } => {
                if self.requests.job_is(job, generation) {
                    self.on_compute_done(job, sched)
                }
            }
        }
    }

    /// A request reaches its station: served, queued, or turned away.
    pub(super) fn admit(&mut self, job: JobId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        if self.requests[job].cancelled {
            return self.requests.free_job(job); // its caller cancelled it on the way
        }
        let j = &self.requests[job];
        let (station, class, deadline) = (j.station, j.req.class, j.req.deadline);
        let service = self.stations[station].service;
        self.services[service].offered += 1;
        if let ServiceKind::Datastore(d) = self.services[service].kind
            && !self.replication_arrives(d, job)
        {
            return self.requests.free_job(job); // its primary crashed before shipping it
        }
        let measuring = self.meter.measuring;
        let st = &mut self.stations[station];
        let refuse = |st: &super::station::Station| if st.blackhole { None } else { Some(ErrorKind::Crashed) };
        let turned_away = if st.is_down() {
            if measuring {
                st.stats.crashed += 1;
            }
            Some(refuse(st))
        } else if self.services[service].deadline_aware && now >= deadline {
            if measuring {
                st.stats.expired += 1;
            }
            Some(Some(ErrorKind::DeadlineExceeded))
        } else if st.shed.as_ref().and_then(|s| s.queue_above).is_some_and(|n| st.queue.len() >= n as usize) {
            if measuring {
                st.stats.shed += 1;
            }
            Some(Some(ErrorKind::Shed))
        } else {
            None
        };
        if let Some(error) = turned_away {
            return self.turn_away(job, error, sched);
        }
        if !self.requests[job].limited
            && let Some(l) = &mut st.limiter
        {
            match l.check(now) {
                Limit::Pass => {}
                Limit::Delay(d) => {
                    let j = &mut self.requests[job];
                    j.limited = true;
                    let generation = j.generation;
                    sched.schedule_in(d, Event::Job(JobEvent::Deliver { job, generation }));
                    return;
                }
                Limit::Reject => {
                    if measuring {
                        st.stats.rate_limited += 1;
                    }
                    return self.turn_away(job, Some(ErrorKind::RateLimited), sched);
                }
            }
        }
        let j = &mut self.requests[job];
        j.arrived = now;
        j.mark = now;
        j.epoch = st.epoch;
        if st.has_free_worker() || st.has_queue_room() {
            j.slot = Some(st.enter(job));
            if measuring {
                st.stats.arrivals += 1;
            }
            st.stats.present.increment(now);
        }
        if st.has_free_worker() {
            self.start(job, sched);
        } else if st.has_queue_room() {
            if measuring {
                st.stats.waited += 1;
            }
            st.stats.queued.increment(now);
            self.meter.queued_total.increment(now);
            let priority = self.services[service].priorities.get(class as usize).copied().unwrap_or(0);
            st.queue.push(job, priority);
        } else {
            if measuring {
                st.stats.rejected += 1;
            }
            self.turn_away(job, Some(ErrorKind::Rejected), sched);
        }
    }

    /// Answers a job that never entered its station with `error`, or drops
    /// it silently when `error` is `None` (a blackholed crash).
    fn turn_away(&mut self, job: JobId, error: Option<ErrorKind>, sched: &mut Scheduler<Event>) {
        let Job { attempt, attempt_generation, station, .. } = self.requests[job];
        self.requests.free_job(job);
        if let Some(e) = error {
            self.reply(attempt, attempt_generation, station, Err(e), sched);
        }
    }

    /// Gives `job` a worker and runs its handler from where it stands.
    fn start(&mut self, job: JobId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.requests[job];
        j.wait_ns += now - j.mark;
        j.holds_worker = true;
        let (station, attempt, probe) = (j.station, j.attempt, j.probe);
        let st = &mut self.stations[station];
        st.busy += 1;
        st.stats.busy.increment(now);
        // Tied requests: the copy that starts first cancels the others.
        let call = self.requests[attempt].call;
        if self.sites[self.requests[call].site].hedge.as_ref().is_some_and(|h| h.tied) {
            self.cancel_other_copies(call, attempt, sched);
        }
        if probe {
            self.finish_job(job, Ok(Answer::Done), sched);
        } else {
            self.run_job(job, sched);
        }
    }

    /// Runs steps until one has to wait or the handler ends.
    fn run_job(&mut self, job: JobId, sched: &mut Scheduler<Event>) {
        loop {
            match self.step(job, sched) {
                Next::Wait => return,
                Next::Continue => self.requests[job].pc += 1,
                Next::Finish(outcome) => return self.finish_job(job, outcome, sched),
            }
        }
    }

    /// Executes the job's current step.
    fn step(&mut self, job: JobId, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let j = &mut self.requests[job];
        let st = &mut self.stations[j.station];
        let svc = &self.services[st.service];
        let Some(step) = svc.handler(j.req.op).get(j.pc as usize) else {
            // Done: an injected error may still fail it.
            if st.failure > 0.0 && unit(&mut st.rng) < st.failure {
                return Next::Finish(Err(ErrorKind::ServerError));
            }
            return Next::Finish(Ok(Answer::Done));
        };
        j.mark = now;
        match *step {
            Step::Compute(ref d) => {
                let t = d.sample(&mut st.rng);
                let mut factor = st.slow / st.speed;
                if now < st.cold_until {
                    factor *= st.cold_factor(now);
                }
                let t = if factor == 1.0 { t } else { from_nanos_f64(t as f64 * factor) };
                let generation = j.generation;
                sched.schedule_in(t, Event::Job(JobEvent::ComputeDone { job, generation }));
                Next::Wait
            }
            Step::Calls { first, count, needed } => self.wait_on_calls(job, first, count, needed, None, sched),
            Step::CacheAside(sites) => self.aside_start(job, sites, sched),
            Step::Cache(step) => self.cache_step(job, step, sched),
            Step::Datastore(step) => self.datastore_step(job, step, sched),
            Step::Queue(step) => {
                let ServiceKind::Queue(q) = svc.kind else { unreachable!("a queue step at a queue") };
                self.queue_step(job, q, step, sched)
            }
        }
    }

    /// Makes `count` calls and waits for `needed` of them (none: goes on at
    /// once). The calls come from sites `first..first + count`, or all from
    /// site `first` to the stations `stations..stations + count`. The worker
    /// is given back first when the service does not hold workers.
    pub(super) fn wait_on_calls(
        &mut self,
        job: JobId,
        first: SiteId,
        count: u32,
        needed: u32,
        stations: Option<StationId>,
        sched: &mut Scheduler<Event>,
    ) -> Next {
        self.block(job, count, needed, sched);
        let j = &mut self.requests[job];
        let owner = Owner::Job { job, generation: j.generation };
        let req = j.req;
        if needed == 0 {
            // Fire and forget: answers to these calls will be ignored.
            j.generation = j.generation.wrapping_add(1);
        }
        for i in 0..count {
            let (site, station) = match stations {
                Some(s) => (first, Some(s.offset(i))),
                None => (first.offset(i), None),
            };
            let call = self.new_call(site, owner, req, sched);
            // A lone awaited call may be served at once; several go out as
            // events so none is answered while the others are being made.
            self.start_attempt(call, station, count == 1 && needed > 0, sched);
        }
        if needed == 0 { Next::Continue } else { Next::Wait }
    }

    /// Prepares a job to wait on `count` calls of which `needed` must
    /// succeed, giving its worker back if the service does not hold workers.
    pub(super) fn block(&mut self, job: JobId, count: u32, needed: u32, sched: &mut Scheduler<Event>) {
        let j = &mut self.requests[job];
        j.outstanding = count;
        j.needed = needed;
        j.successes = 0;
        j.failures = 0;
        j.mark = sched.now();
        let station = j.station;
        let svc = &self.services[self.stations[station].service];
        if !svc.hold_worker && needed > 0 && j.holds_worker {
            j.holds_worker = false;
            self.release_worker(station, sched);
        }
    }

    /// Sends one awaited call for a job already blocked.
    pub(super) fn call_for(&mut self, job: JobId, site: SiteId, sched: &mut Scheduler<Event>) {
        let j = &self.requests[job];
        let owner = Owner::Job { job, generation: j.generation };
        let req = j.req;
        let call = self.new_call(site, owner, req, sched);
        self.start_attempt(call, None, true, sched);
    }

    fn on_compute_done(&mut self, job: JobId, sched: &mut Scheduler<Event>) {
        let j = &mut self.requests[job];
        j.compute_ns += sched.now() - j.mark;
        j.pc += 1;
        self.run_job(job, sched);
    }

    /// One of a job's calls settled.
    pub(super) fn call_settled(&mut self, job: JobId, generation: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let j = &self.requests[job];
        if j.generation != generation {
            return; // the step already finished without this answer
        }
        let svc = &self.services[self.stations[j.station].service];
        if let Some(&Step::CacheAside(sites)) = svc.handler(j.req.op).get(j.pc as usize) {
            return self.aside_settled(job, sites, outcome, sched);
        }
        let now = sched.now();
        let j = &mut self.requests[job];
        j.outstanding -= 1;
        match outcome {
            Ok(_) => j.successes += 1,
            Err(e) => {
                j.failures += 1;
                j.last_error = e;
            }
        }
        let succeeded = j.successes >= j.needed;
        let failed = !succeeded && j.successes + j.outstanding < j.needed;
        if !(succeeded || failed) {
            return;
        }
        // Answers still to come for this step are now ignored.
        j.generation = j.generation.wrapping_add(1);
        j.downstream_ns += now - j.mark;
        if failed {
            let e = j.last_error;
            return self.finish_job(job, Err(e), sched);
        }
        j.pc += 1;
        self.resume(job, sched);
    }

    /// Carries on after a wait on calls: at once if the job still holds its
    /// worker (or needs none), else in the queue for a worker.
    pub(super) fn resume(&mut self, job: JobId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.requests[job];
        let station = j.station;
        let st = &mut self.stations[station];
        let svc = &self.services[st.service];
        if j.holds_worker || svc.continue_without_worker {
            return self.run_job(job, sched);
        }
        j.mark = now;
        if st.has_free_worker() {
            self.start(job, sched);
        } else {
            st.stats.queued.increment(now);
            self.meter.queued_total.increment(now);
            let priority = svc.priorities.get(j.req.class as usize).copied().unwrap_or(0);
            st.queue.push(job, priority);
        }
    }

    /// A worker of `station` is free: count it and serve the next in line,
    /// dropping queued jobs that were cancelled, have outlived their
    /// caller's deadline, or (CoDel) waited too long.
    pub(super) fn release_worker(&mut self, station: StationId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let st = &mut self.stations[station];
        st.busy -= 1;
        st.stats.busy.decrement(now);
        while let Some(next) = self.stations[station].next_job() {
            let st = &mut self.stations[station];
            st.stats.queued.decrement(now);
            self.meter.queued_total.decrement(now);
            if self.requests[next].cancelled {
                self.drop_job(next);
                continue;
            }
            let j = &self.requests[next];
            let waited = now - j.mark;
            let st = &mut self.stations[station];
            if self.services[st.service].deadline_aware && now >= j.req.deadline && j.pc == 0 {
                if self.meter.measuring {
                    st.stats.expired += 1;
                }
                self.finish_unserved(next, ErrorKind::DeadlineExceeded, sched);
                continue;
            }
            if let Some(shed) = &mut st.shed
                && let Some(target) = shed.target
            {
                if waited <= target {
                    shed.above_since = None;
                } else {
                    let since = *shed.above_since.get_or_insert(now + shed.interval);
                    if now >= since && j.pc == 0 {
                        if self.meter.measuring {
                            st.stats.shed += 1;
                        }
                        self.finish_unserved(next, ErrorKind::Shed, sched);
                        continue;
                    }
                }
            }
            return self.start(next, sched);
        }
    }

    /// Answers a queued job with an error without serving it.
    fn finish_unserved(&mut self, job: JobId, error: ErrorKind, sched: &mut Scheduler<Event>) {
        let Job { attempt, attempt_generation, station, .. } = self.requests[job];
        self.drop_job(job);
        self.reply(attempt, attempt_generation, station, Err(error), sched);
    }

    /// Removes a job that was present at its station, unanswered.
    fn drop_job(&mut self, job: JobId) {
        let j = &self.requests[job];
        let station = j.station;
        if j.slot.is_some() {
            let now = self.now;
            self.stations[station].stats.present.decrement(now);
            self.account_presence(job, now);
            self.leave_station(job);
        }
        self.requests.free_job(job);
    }

    /// Counts the time a departing job was present after warm-up, for
    /// Little's law.
    #[inline]
    pub(super) fn account_presence(&mut self, job: JobId, now: Time) {
        if !self.meter.measuring {
            return;
        }
        let j = &self.requests[job];
        let measure_from = self.meter.measure_from();
        self.services[self.stations[j.station].service].stats.presence(j.arrived, measure_from, now);
    }

    /// Takes a job off its station's present list.
    fn leave_station(&mut self, job: JobId) {
        let j = &mut self.requests[job];
        let slot = j.slot.take().expect("a present job has a slot");
        if let Some(moved) = self.stations[j.station].leave(slot) {
            self.requests[moved].slot = Some(slot);
        }
    }

    /// The handler is done: record, free the worker, answer the caller.
    pub(super) fn finish_job(&mut self, job: JobId, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.release_flight(job, outcome, sched);
        // The accounting below looks up the job, its station and its
        // service once each: this runs once per job.
        let j = &self.requests[job];
        let (station, attempt, attempt_generation, holds) =
            (j.station, j.attempt, j.attempt_generation, j.holds_worker);
        let measuring = self.meter.measuring;
        let st = &mut self.stations[station];
        st.stats.present.decrement(now);
        if measuring {
            st.stats.completions += 1;
        }
        let service = st.service;
        let svc = &mut self.services[service];
        if measuring {
            svc.stats.presence(j.arrived, self.meter.measure_from(), now);
        }
        if self.meter.counts(j.arrived) && !j.probe {
            svc.stats.finished(now, j.arrived, outcome.is_ok(), j.wait_ns, j.compute_ns, j.downstream_ns);
            if let ServiceKind::Datastore(d) = svc.kind {
                let local = svc.local(station);
                self.datastore_served(d, job, local, outcome, now);
            }
        }
        self.leave_station(job);
        self.requests.free_job(job);
        if holds {
            self.release_worker(station, sched);
        }
        self.reply(attempt, attempt_generation, station, outcome, sched);
    }

    /// Sends an answer back over the attempt's link, after any injected
    /// delay at `station`, unless the caller has already given up.
    pub(super) fn reply(
        &mut self,
        attempt: AttemptId,
        generation: u32,
        station: StationId,
        outcome: Outcome,
        sched: &mut Scheduler<Event>,
    ) {
        let a = &self.requests[attempt];
        if a.generation != generation {
            return;
        }
        let link = self.sites[self.requests[a.call].site].link;
        let Some(delay) = self.links[link].transit_back() else {
            self.requests[attempt].lost = true;
            return; // lost on the way back
        };
        let injected = self.injected_delay(station);
        self.requests[attempt].net += delay;
        if delay + injected == 0 {
            self.attempt_done(attempt, generation, outcome, sched);
        } else {
            sched.schedule_in(delay + injected, Event::Call(CallEvent::Reply { attempt, generation, outcome }));
        }
    }

    pub(super) fn runaway_message(&self, now: Time) -> String {
        let (worst, queued) = self
            .services
            .iter()
            .map(|s| {
                let q: usize = self.stations.slice(s.first_station, s.replicas).iter().map(|st| st.queue.len()).sum();
                (s.name.as_str(), q)
            })
            .max_by_key(|&(_, q)| q)
            .unwrap_or(("?", 0));
        let (_, attempts, jobs) = self.requests.live();
        format!(
            "stopped at t = {:.3} s: {} requests in flight exceeds `sim.max_in_flight` ({}); \
             `{worst}` holds {queued} of them in its queues. The offered load exceeds \
             what the model can serve and the queues are unbounded: set `queue_capacity`, \
             lower the load, or add replicas or workers",
            as_secs_f64(now),
            attempts.max(jobs),
            self.limits.max_in_flight
        )
    }

    /// Sends a routed attempt over its link.
    pub(super) fn send(&mut self, attempt: AttemptId, station: StationId, now_ok: bool, sched: &mut Scheduler<Event>) {
        let a = &self.requests[attempt];
        let c = &self.requests[a.call];
        let link = self.sites[c.site].link;
        let (generation, req) = (a.generation, c.req);
        let probe = matches!(c.owner, Owner::Probe { .. });
        let Some(delay) = self.links[link].transit() else {
            // Lost: only the attempt's timeout will notice.
            self.requests[attempt].lost = true;
            return;
        };
        self.requests[attempt].net += delay;
        let job = self.requests.new_job(station, attempt, generation, req, probe);
        let job_generation = self.requests[job].generation;
        self.requests[attempt].job = Some((job, job_generation));
        if delay == 0 && now_ok {
            self.admit(job, sched);
        } else {
            sched.schedule_in(delay, Event::Job(JobEvent::Deliver { job, generation: job_generation }));
        }
    }
}
