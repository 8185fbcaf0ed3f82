//! Calls and their attempts: routing, pooled connections, timeouts,
//! retries with backoff and budgets, hedged and tied copies, circuit
//! breakers, bulkheads, and settling the call with its owner.
//!
//! A call is what its owner waits for; an attempt is one try of it, one job
//! at one station. The first successful attempt settles the call. A failed
//! attempt is retried (after its backoff, within its budget) or, once
//! nothing is left to try, settles the call with its error. Whatever is
//! still in flight when a call settles is cancelled: a queued copy is
//! dropped before it is served.

use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::Time;

use super::kind::ServiceKind;
use super::policy::Admit;
use super::request::{Answer, Outcome, Owner, Req};
use super::site::Target;
use super::{Event, World};
use crate::ids::{AttemptId, CallId, PoolId, SiteId, StationId};
use crate::result::ErrorKind;
use crate::spec::FallbackSpec;

/// Events of calls and attempts.
#[derive(Copy, Clone, Debug)]
pub enum CallEvent {
    /// An answer reaches the caller after crossing the network.
    Reply { attempt: AttemptId, generation: u32, outcome: Outcome },
    /// An attempt's timeout fired.
    Timeout { attempt: AttemptId },
    /// A call's backoff is over: try again.
    Retry { call: CallId, generation: u32 },
    /// A call's hedge delay is over: send a second copy.
    Hedge { call: CallId, generation: u32 },
    /// An attempt waited too long for a pooled connection.
    AcquireTimeout { attempt: AttemptId, generation: u32 },
}

impl World {
    pub(super) fn on_call_event(&mut self, e: CallEvent, sched: &mut Scheduler<Event>) {
        match e {
            CallEvent::Reply { attempt, generation, outcome } => self.attempt_done(attempt, generation, outcome, sched),
            CallEvent::Timeout { attempt } => self.on_timeout(attempt, sched),
            CallEvent::Retry { call, generation } => {
                if self.requests[call].generation == generation {
                    self.start_attempt(call, None, true, sched);
                }
            }
            CallEvent::Hedge { call, generation } => self.on_hedge(call, generation, sched),
            CallEvent::AcquireTimeout { attempt, generation } => self.on_acquire_timeout(attempt, generation, sched),
        }
    }

    /// Creates a call from `site`; [`start_attempt`](Self::start_attempt) sends it.
    pub(super) fn new_call(
        &mut self,
        site: SiteId,
        owner: Owner,
        mut req: Req,
        sched: &mut Scheduler<Event>,
    ) -> CallId {
        let s = &mut self.sites[site];
        if let Some(op) = s.op {
            req.op = op;
        }
        if self.meter.measuring {
            s.stats.calls += 1;
        }
        self.requests.new_call(owner, site, req, sched.now())
    }

    /// Fire and forget: a call nobody waits for.
    pub(super) fn start_detached(&mut self, site: SiteId, owner: Owner, req: Req, sched: &mut Scheduler<Event>) {
        let call = self.new_call(site, owner, req, sched);
        self.start_attempt(call, None, false, sched);
    }

    /// The calling station of a call made by a job, for pools and bulkheads.
    fn caller_station(&self, call: CallId) -> Option<StationId> {
        match self.requests[call].owner {
            Owner::Job { job, .. } => Some(self.requests[job].station),
            _ => None,
        }
    }

    /// The calling station's place among its service's replicas.
    fn caller_local(&self, call: CallId) -> Option<u32> {
        let station = self.caller_station(call)?;
        Some(self.services[self.stations[station].service].local(station))
    }

    /// Sends one attempt of `call`: through the breaker and bulkhead, with
    /// its timeout armed. `station` names the target for probes and
    /// replication. With `now_ok`, a zero-latency request is admitted at once.
    pub(super) fn start_attempt(
        &mut self,
        call: CallId,
        station: Option<StationId>,
        now_ok: bool,
        sched: &mut Scheduler<Event>,
    ) {
        let now = sched.now();
        let site_id = self.requests[call].site;
        let measuring = self.meter.measuring;
        let caller = if self.sites[site_id].bulkhead.is_some() { self.caller_station(call) } else { None };
        let caller_local = caller.map(|s| self.services[self.stations[s].service].local(s));
        let site = &mut self.sites[site_id];
        let mut probe = false;
        if let Some(b) = &mut site.breaker {
            match b.admit(now) {
                Admit::Yes => {}
                Admit::Probe => probe = true,
                Admit::No => {
                    let outcome = match b.fallback {
                        FallbackSpec::Fail => Err(ErrorKind::CircuitOpen),
                        FallbackSpec::Default => Ok(Answer::Fallback),
                        FallbackSpec::Stale => Ok(Answer::Stale),
                    };
                    if outcome.is_ok() && measuring {
                        site.stats.fallbacks += 1;
                    }
                    return self.fail_without_attempt(call, outcome, sched);
                }
            }
        }
        if let Some((limit, used)) = &mut site.bulkhead {
            let i = caller_local.expect("bulkheads are on calls made by jobs") as usize;
            if used[i] >= *limit {
                return self.fail_without_attempt(call, Err(ErrorKind::BulkheadFull), sched);
            }
            used[i] += 1;
        }
        let c = &mut self.requests[call];
        let timeout = match (site.timeout, c.req.deadline) {
            (t, Time::MAX) => t,
            (Some(t), d) => Some(t.min(d.saturating_sub(now))),
            (None, d) => Some(d.saturating_sub(now)),
        };
        c.attempts += 1;
        if measuring {
            site.stats.attempts += 1;
        }
        let call_generation = c.generation;
        let attempt = self.requests.new_attempt(call, call_generation, now, caller, probe);
        let c = &mut self.requests[call];
        let slot = if c.live[0].is_none() { 0 } else { 1 };
        c.live[slot] = Some(attempt);
        let first_attempt = c.attempts == 1;
        if let Some(t) = timeout {
            let timer = sched.schedule_timer_in(t, Event::Call(CallEvent::Timeout { attempt }));
            self.requests[attempt].timer = Some(timer);
        }
        // A hedged call's first attempt schedules its second copy.
        if first_attempt
            && let Some(h) = &self.sites[site_id].hedge
            && let Some(delay) = h.delay()
        {
            let c = &mut self.requests[call];
            let generation = c.generation;
            c.hedge_timer = Some(sched.schedule_timer_in(delay, Event::Call(CallEvent::Hedge { call, generation })));
        }
        self.dispatch(attempt, station, now_ok, sched);
    }

    /// Settles a call that never got an attempt out (breaker, bulkhead).
    fn fail_without_attempt(&mut self, call: CallId, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let c = &mut self.requests[call];
        if let Err(e) = outcome {
            c.last_error = e;
        }
        if c.in_flight() {
            return; // another copy is still in flight
        }
        self.finish_call(call, outcome, sched);
    }

    /// Routes an attempt, takes a pooled connection if its site has a pool
    /// (or waits for one), and sends it.
    fn dispatch(&mut self, attempt: AttemptId, station: Option<StationId>, now_ok: bool, sched: &mut Scheduler<Event>) {
        let call = self.requests[attempt].call;
        let station = match station {
            Some(s) => s,
            None => self.route(attempt, sched.now()),
        };
        if let Some(pools) = self.sites[self.requests[call].site].pools {
            let target_local = self.services[self.stations[station].service].local(station);
            let caller_local = self.caller_local(call).unwrap_or(0);
            let pool = pools.first.offset(caller_local * pools.per_caller + target_local);
            let now = sched.now();
            let a = &mut self.requests[attempt];
            a.pool = Some(pool);
            let p = &mut self.pools[pool];
            if !p.try_acquire(now, self.meter.measuring) {
                a.waiting_for = Some(station);
                let generation = a.generation;
                p.wait(attempt, generation, now);
                let at = now + p.acquire_timeout;
                sched.schedule(at, Event::Call(CallEvent::AcquireTimeout { attempt, generation }));
                return;
            }
        }
        self.send(attempt, station, now_ok, sched);
    }

    /// The station an attempt goes to.
    fn route(&mut self, attempt: AttemptId, now: Time) -> StationId {
        let call = self.requests[attempt].call;
        let c = &self.requests[call];
        let site = &self.sites[c.site];
        let (target, pull) = (site.target, site.pull);
        let req = c.req;
        match target {
            Target::Station => unreachable!("station targets name their station"),
            Target::Balancer(b) => {
                let bal = &mut self.balancers[b];
                let r = bal.pick(req.key, req.origin);
                bal.sent(r);
                self.requests[attempt].balancer = Some((b, r));
                self.services[bal.service].station(r)
            }
            Target::Service(s) => {
                let svc = &mut self.services[s];
                match svc.kind {
                    ServiceKind::Plain if pull => {
                        // The first idle-most instance after a rotating start.
                        let n = svc.active;
                        let start = svc.cursor;
                        svc.cursor = if start + 1 >= n { 0 } else { start + 1 };
                        let svc = &self.services[s];
                        let load = |r: u32| self.stations[svc.station((start + r) % n)].present.len();
                        let best = (0..n).min_by_key(|&r| load(r)).unwrap_or(0);
                        svc.station((start + best) % n)
                    }
                    ServiceKind::Plain | ServiceKind::Queue(_) => {
                        let r = svc.cursor;
                        svc.cursor = if r + 1 >= svc.active { 0 } else { r + 1 };
                        svc.station(r)
                    }
                    ServiceKind::Cache(k) => svc.station(self.caches[k].node_of(req.key)),
                    ServiceKind::Datastore(d) => self.datastore_route(d, s, call, now),
                }
            }
        }
    }

    /// An attempt ended with `outcome` (answered, failed, timed out).
    pub(super) fn attempt_done(
        &mut self,
        attempt: AttemptId,
        generation: u32,
        outcome: Outcome,
        sched: &mut Scheduler<Event>,
    ) {
        let now = sched.now();
        let a = &self.requests[attempt];
        if a.generation != generation {
            return; // cancelled, or already ended
        }
        let (call, call_generation, sent, net, probe) = (a.call, a.call_generation, a.sent, a.net, a.probe);
        self.end_attempt(attempt, Some(outcome.is_err()), sched);
        if self.requests[call].generation != call_generation {
            return; // the call settled without this attempt
        }
        let s = &mut self.sites[self.requests[call].site];
        if let Some(b) = &mut s.breaker {
            b.record(now, outcome.is_ok(), probe);
        }
        let c = &mut self.requests[call];
        match outcome {
            Ok(_) => {
                if let Some(h) = &mut s.hedge {
                    h.observe(now - sent);
                }
                c.net = net;
                self.finish_call(call, outcome, sched)
            }
            Err(e) => {
                c.last_error = e;
                if c.in_flight() {
                    return; // the other copy may still succeed
                }
                let retry =
                    s.retry.as_mut().filter(|r| c.attempts < r.attempts && r.retries(e) && now < c.req.deadline);
                if let Some(r) = retry {
                    if r.take_token() {
                        let wait = r.backoff(c.attempts, c.backoff, &mut self.rng);
                        c.backoff = wait;
                        if self.meter.measuring {
                            s.stats.retries += 1;
                        }
                        let generation = c.generation;
                        sched.schedule_in(wait, Event::Call(CallEvent::Retry { call, generation }));
                        return;
                    }
                    if self.meter.measuring {
                        s.stats.budget_denied += 1;
                    }
                }
                self.finish_call(call, Err(e), sched)
            }
        }
    }

    /// Frees an attempt and what it held: its timer, its balancer slot
    /// (`failed` feeds outlier detection; `None` for a cancellation), its
    /// connection or place in a pool's queue, its bulkhead slot.
    fn end_attempt(&mut self, attempt: AttemptId, failed: Option<bool>, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let a = &mut self.requests[attempt];
        a.generation = a.generation.wrapping_add(1);
        if let Some(timer) = a.timer.take() {
            sched.cancel(timer);
        }
        let (call, balancer, pool, waiting_for, bulkhead, job) =
            (a.call, a.balancer, a.pool, a.waiting_for, a.bulkhead, a.job);
        self.requests.remove_attempt(attempt);
        if failed.is_none()
            && let Some((job, generation)) = job
            && self.requests.job_is(job, generation)
        {
            // A cancellation reaches the job (a timeout does not).
            self.requests[job].cancelled = true;
        }
        let c = &mut self.requests[call];
        for slot in &mut c.live {
            if *slot == Some(attempt) {
                *slot = None;
            }
        }
        let site = c.site;
        if let Some((b, replica)) = balancer
            && let Some(until) = self.balancers[b].settled(replica, failed, now)
        {
            sched.schedule(until, Event::Balancer(super::BalancerEvent::Readmit { balancer: b, replica }));
        }
        if let Some(pool) = pool {
            if waiting_for.is_some() {
                // Still waiting for a connection: it leaves the queue.
                self.pools[pool].left_queue(now);
            } else {
                self.release_connection(pool, sched);
            }
        }
        if let Some(caller) = bulkhead {
            let i = self.services[self.stations[caller].service].local(caller) as usize;
            if let Some((_, used)) = &mut self.sites[site].bulkhead {
                used[i] -= 1;
            }
        }
    }

    /// Settles a call: cancels its other copies and hands the outcome to
    /// its owner.
    fn finish_call(&mut self, call: CallId, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let c = &mut self.requests[call];
        c.generation = c.generation.wrapping_add(1);
        if let Some(t) = c.hedge_timer.take() {
            sched.cancel(t);
        }
        for a in c.live.into_iter().flatten() {
            self.end_attempt(a, None, sched);
        }
        let c = &self.requests[call];
        let (owner, born, net, site) = (c.owner, c.born, c.net, c.site);
        if outcome.is_ok()
            && let Some(r) = &mut self.sites[site].retry
        {
            r.success();
        }
        self.requests.remove_call(call);
        match owner {
            Owner::Client { client, user } => self.client_answered(client, user, born, net, outcome, sched),
            Owner::Job { job, generation } => self.call_settled(job, generation, outcome, sched),
            Owner::Probe { balancer, replica } => self.balancers[balancer].probe_result(replica, outcome.is_ok()),
            Owner::Refresh { station, key } => self.refreshed(station, key, outcome.is_ok(), now - born, now),
            Owner::Consumer { queue, slot } => self.delivery_done(queue, slot, outcome, sched),
            Owner::Detached => {}
        }
    }

    /// Cancels the copies of `call` other than `keep` (tied requests: one
    /// copy started service).
    pub(super) fn cancel_other_copies(&mut self, call: CallId, keep: AttemptId, sched: &mut Scheduler<Event>) {
        for a in self.requests[call].live.into_iter().flatten() {
            if a != keep {
                self.end_attempt(a, None, sched);
            }
        }
        if let Some(t) = self.requests[call].hedge_timer.take() {
            sched.cancel(t);
        }
    }

    fn on_timeout(&mut self, attempt: AttemptId, sched: &mut Scheduler<Event>) {
        let a = &mut self.requests[attempt];
        a.timer = None;
        let error = if a.lost { ErrorKind::Lost } else { ErrorKind::Timeout };
        let generation = a.generation;
        self.attempt_done(attempt, generation, Err(error), sched);
    }

    fn on_acquire_timeout(&mut self, attempt: AttemptId, generation: u32, sched: &mut Scheduler<Event>) {
        let a = &self.requests[attempt];
        if a.generation != generation || a.waiting_for.is_none() {
            return; // ended, or got its connection
        }
        if self.meter.measuring
            && let Some(pool) = a.pool
        {
            self.pools[pool].stats.timeouts += 1;
        }
        self.attempt_done(attempt, generation, Err(ErrorKind::PoolTimeout), sched);
    }

    fn on_hedge(&mut self, call: CallId, generation: u32, sched: &mut Scheduler<Event>) {
        let c = &mut self.requests[call];
        if c.generation != generation {
            return;
        }
        c.hedge_timer = None;
        // Hedge only a call still waiting on its single first attempt.
        if c.attempts == 1 && c.live.iter().filter(|a| a.is_some()).count() == 1 {
            if self.meter.measuring {
                self.sites[c.site].stats.hedges += 1;
            }
            self.start_attempt(call, None, false, sched);
        }
    }

    /// Gives a connection back and hands it to the next live waiter.
    fn release_connection(&mut self, pool: PoolId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.pools[pool].release(now);
        while let Some((attempt, generation, since)) = self.pools[pool].waiting.pop_front() {
            let a = &mut self.requests[attempt];
            if a.generation != generation || a.waiting_for.is_none() {
                continue; // ended while waiting; already counted out
            }
            let station = a.waiting_for.take().expect("checked above");
            let p = &mut self.pools[pool];
            p.left_queue(now);
            p.grant(since, now, self.meter.measuring);
            return self.send(attempt, station, false, sched);
        }
    }
}
