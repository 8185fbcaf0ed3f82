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

use super::policy::Admit;
use super::{Answer, Attempt, Call, Event, Job, NONE, Op, Outcome, Owner, Req, ServiceKind, Target, World};
use crate::result::ErrorKind;
use crate::spec::FallbackSpec;

impl World {
    /// Creates a call from `site`; [`start_attempt`] sends it.
    pub(super) fn new_call(&mut self, site: u32, owner: Owner, mut req: Req, sched: &mut Scheduler<Event>) -> u32 {
        let now = sched.now();
        let s = &mut self.sites[site as usize];
        if let Some(op) = s.op {
            req.op = op;
        }
        if self.measuring {
            s.stats.calls += 1;
        }
        self.calls.insert_with(|prev| Call {
            // Generations survive slot reuse, so stale answers stay stale.
            generation: prev.map_or(0, |p| p.generation),
            owner,
            site,
            req,
            born: now,
            net: 0,
            attempts: 0,
            live: [NONE; 2],
            last_error: ErrorKind::Timeout,
            backoff: 0,
            hedge_timer: None,
        })
    }

    /// The calling station of a call made by a job, for pools and bulkheads.
    fn caller_station(&self, call: u32) -> u32 {
        match self.calls[call].owner {
            Owner::Job { job, .. } => self.jobs[job].station,
            _ => NONE,
        }
    }

    /// Sends one attempt of `call`: through the breaker and bulkhead, with
    /// its timeout armed. `station` names the target for probes and
    /// replication. With `now_ok`, a zero-latency request is admitted at once.
    pub(super) fn start_attempt(&mut self, call: u32, station: u32, now_ok: bool, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let site_index = self.calls[call].site;
        let caller = self.caller_station(call);
        let site = &mut self.sites[site_index as usize];
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
                    if outcome.is_ok() && self.measuring {
                        site.stats.fallbacks += 1;
                    }
                    return self.fail_without_attempt(call, outcome, sched);
                }
            }
        }
        let mut bulkhead = NONE;
        if let Some((limit, used)) = &mut site.bulkhead {
            let i = caller as usize;
            if used[i] >= *limit {
                return self.fail_without_attempt(call, Err(ErrorKind::BulkheadFull), sched);
            }
            used[i] += 1;
            bulkhead = caller;
        }
        let c = &mut self.calls[call];
        let timeout = match (site.timeout, c.req.deadline) {
            (t, Time::MAX) => t,
            (Some(t), d) => Some(t.min(d.saturating_sub(now))),
            (None, d) => Some(d.saturating_sub(now)),
        };
        c.attempts += 1;
        if self.measuring {
            site.stats.attempts += 1;
        }
        let call_generation = c.generation;
        let attempt = self.attempts.insert_with(|prev| Attempt {
            generation: prev.map_or(0, |p| p.generation),
            call,
            call_generation,
            timer: None,
            sent: now,
            net: 0,
            balancer: NONE,
            replica: NONE,
            pool: NONE,
            station: NONE,
            bulkhead,
            probe,
            lost: false,
            job: NONE,
            job_generation: 0,
        });
        let c = &mut self.calls[call];
        let slot = if c.live[0] == NONE { 0 } else { 1 };
        c.live[slot] = attempt;
        if let Some(t) = timeout {
            self.attempts[attempt].timer = Some(sched.schedule_timer_in(t, Event::Timeout { attempt }));
        }
        // A hedged call's first attempt schedules its second copy.
        if c.attempts == 1
            && let Some(h) = &site.hedge
            && let Some(delay) = h.delay()
        {
            let generation = c.generation;
            c.hedge_timer = Some(sched.schedule_timer_in(delay, Event::Hedge { call, generation }));
        }
        self.dispatch(attempt, station, now_ok, sched);
    }

    /// Settles a call that never got an attempt out (breaker, bulkhead).
    fn fail_without_attempt(&mut self, call: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let c = &mut self.calls[call];
        if let Err(e) = outcome {
            c.last_error = e;
        }
        if c.live.iter().any(|&a| a != NONE) {
            return; // another copy is still in flight
        }
        self.finish_call(call, outcome, sched);
    }

    /// Routes an attempt, takes a pooled connection if its site has a pool
    /// (or waits for one), and sends it.
    fn dispatch(&mut self, attempt: u32, station: u32, now_ok: bool, sched: &mut Scheduler<Event>) {
        let call = self.attempts[attempt].call;
        let station = if station == NONE { self.route(attempt, sched.now()) } else { station };
        let site = &self.sites[self.calls[call].site as usize];
        if site.pool_first != NONE {
            let target_svc = &self.services[self.stations[station as usize].service as usize];
            let target_local = station - target_svc.first_station;
            let caller = self.caller_station(call);
            let caller_local = if caller == NONE {
                0
            } else {
                caller - self.services[self.stations[caller as usize].service as usize].first_station
            };
            let pool = site.pool_first + caller_local * site.pool_per_caller + target_local;
            let now = sched.now();
            let a = &mut self.attempts[attempt];
            a.pool = pool;
            let p = &mut self.pools[pool as usize];
            if !p.try_acquire(now, self.measuring) {
                a.station = station;
                let generation = a.generation;
                p.wait(attempt, generation, now);
                let at = now + p.acquire_timeout;
                sched.schedule(at, Event::AcquireTimeout { attempt, generation });
                return;
            }
        }
        self.send(attempt, station, now_ok, sched);
    }

    /// The station an attempt goes to.
    fn route(&mut self, attempt: u32, now: Time) -> u32 {
        let call = self.attempts[attempt].call;
        let c = &self.calls[call];
        let site = &self.sites[c.site as usize];
        let (target, pull) = (site.target, site.pull);
        let req = c.req;
        match target {
            Target::Station => unreachable!("station targets name their station"),
            Target::Balancer(b) => {
                let bal = &mut self.balancers[b as usize];
                let r = bal.pick(req.key, req.origin);
                bal.sent(r);
                let a = &mut self.attempts[attempt];
                a.balancer = b;
                a.replica = r;
                self.services[bal.service as usize].first_station + r
            }
            Target::Service(s) => {
                let svc = &mut self.services[s as usize];
                match svc.kind {
                    ServiceKind::Plain if pull => {
                        // The first idle-most instance after a rotating start.
                        let (first, n) = (svc.first_station, svc.active);
                        let start = svc.cursor;
                        svc.cursor = if start + 1 >= n { 0 } else { start + 1 };
                        let load = |r: u32| self.stations[(first + (start + r) % n) as usize].present.len();
                        let best = (0..n).min_by_key(|&r| load(r)).unwrap_or(0);
                        first + (start + best) % n
                    }
                    ServiceKind::Plain | ServiceKind::Queue(_) => {
                        let r = svc.cursor;
                        svc.cursor = if r + 1 >= svc.active { 0 } else { r + 1 };
                        svc.first_station + r
                    }
                    ServiceKind::Cache(k) => svc.first_station + self.caches[k as usize].node_of(req.key),
                    ServiceKind::Datastore(d) => {
                        let first = svc.first_station;
                        let ds = &mut self.datastores[d as usize];
                        let key = if req.op == Op::Replicate { req.key } else { ds.effective_key(req.key) };
                        self.calls[call].req.key = key;
                        let shard = ds.shard_of(key);
                        let base = first + shard * ds.nodes;
                        let stations = &self.stations;
                        let node =
                            ds.node_for(shard, &req, now, |n| stations[(base + n) as usize].stats.present.value());
                        base + node
                    }
                }
            }
        }
    }

    /// An attempt ended with `outcome` (answered, failed, timed out).
    pub(super) fn attempt_done(
        &mut self,
        attempt: u32,
        generation: u32,
        outcome: Outcome,
        sched: &mut Scheduler<Event>,
    ) {
        let now = sched.now();
        let a = &self.attempts[attempt];
        if a.generation != generation {
            return; // cancelled, or already ended
        }
        let (call, call_generation, sent, net, probe) = (a.call, a.call_generation, a.sent, a.net, a.probe);
        self.end_attempt(attempt, Some(outcome.is_err()), sched);
        if self.calls[call].generation != call_generation {
            return; // the call settled without this attempt
        }
        let site = self.calls[call].site as usize;
        let s = &mut self.sites[site];
        if let Some(b) = &mut s.breaker {
            b.record(now, outcome.is_ok(), probe);
        }
        let c = &mut self.calls[call];
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
                if c.live.iter().any(|&x| x != NONE) {
                    return; // the other copy may still succeed
                }
                let retry =
                    s.retry.as_mut().filter(|r| c.attempts < r.attempts && r.retries(e) && now < c.req.deadline);
                if let Some(r) = retry {
                    if r.take_token() {
                        let wait = r.backoff(c.attempts, c.backoff, &mut self.rng);
                        c.backoff = wait;
                        if self.measuring {
                            s.stats.retries += 1;
                        }
                        let generation = c.generation;
                        sched.schedule_in(wait, Event::Retry { call, generation });
                        return;
                    }
                    if self.measuring {
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
    fn end_attempt(&mut self, attempt: u32, failed: Option<bool>, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let a = &mut self.attempts[attempt];
        a.generation = a.generation.wrapping_add(1);
        if let Some(timer) = a.timer.take() {
            sched.cancel(timer);
        }
        let Attempt { call, balancer, replica, pool, station, bulkhead, job, job_generation, .. } = *a;
        self.attempts.remove(attempt);
        if failed.is_none() && job != NONE && self.jobs[job].generation == job_generation {
            // A cancellation reaches the job (a timeout does not).
            self.jobs[job].cancelled = true;
        }
        let c = &mut self.calls[call];
        for slot in &mut c.live {
            if *slot == attempt {
                *slot = NONE;
            }
        }
        let site = c.site;
        if balancer != NONE
            && let Some(until) = self.balancers[balancer as usize].settled(replica, failed, now)
        {
            sched.schedule(until, Event::Readmit { balancer, replica });
        }
        if pool != NONE {
            if station != NONE {
                // Still waiting for a connection: it leaves the queue.
                self.pools[pool as usize].left_queue(now);
            } else {
                self.release_connection(pool, sched);
            }
        }
        if bulkhead != NONE
            && let Some((_, used)) = &mut self.sites[site as usize].bulkhead
        {
            used[bulkhead as usize] -= 1;
        }
    }

    /// Settles a call: cancels its other copies and hands the outcome to
    /// its owner.
    fn finish_call(&mut self, call: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let c = &mut self.calls[call];
        c.generation = c.generation.wrapping_add(1);
        if let Some(t) = c.hedge_timer.take() {
            sched.cancel(t);
        }
        let live = c.live;
        for a in live {
            if a != NONE {
                self.end_attempt(a, None, sched);
            }
        }
        let Call { owner, born, net, site, .. } = self.calls[call];
        if outcome.is_ok()
            && let Some(r) = &mut self.sites[site as usize].retry
        {
            r.success();
        }
        self.calls.remove(call);
        match owner {
            Owner::Client { client, user } => {
                self.settled += 1;
                if born >= self.measure_from {
                    self.record_client(client, now - born, net, outcome);
                }
                if user != NONE {
                    let think = self.clients[client as usize].think();
                    sched.schedule_in(think, Event::UserSend { client, user });
                }
            }
            Owner::Job { job, generation } => self.call_settled(job, generation, outcome, sched),
            Owner::Probe { balancer, replica } => {
                self.balancers[balancer as usize].probe_result(replica, outcome.is_ok())
            }
            Owner::Refresh { station, key } => self.refreshed(station, key, outcome.is_ok(), now - born, now),
            Owner::Consumer { queue, slot } => self.delivery_done(queue, slot, outcome, sched),
            Owner::Detached => {}
        }
    }

    /// Cancels the copies of `call` other than `keep` (tied requests: one
    /// copy started service).
    pub(super) fn cancel_other_copies(&mut self, call: u32, keep: u32, sched: &mut Scheduler<Event>) {
        let live = self.calls[call].live;
        for a in live {
            if a != NONE && a != keep {
                self.end_attempt(a, None, sched);
            }
        }
        if let Some(t) = self.calls[call].hedge_timer.take() {
            sched.cancel(t);
        }
    }

    pub(super) fn on_timeout(&mut self, attempt: u32, sched: &mut Scheduler<Event>) {
        let a = &mut self.attempts[attempt];
        a.timer = None;
        let error = if a.lost { ErrorKind::Lost } else { ErrorKind::Timeout };
        let generation = a.generation;
        self.attempt_done(attempt, generation, Err(error), sched);
    }

    pub(super) fn on_acquire_timeout(&mut self, attempt: u32, generation: u32, sched: &mut Scheduler<Event>) {
        let a = &self.attempts[attempt];
        if a.generation != generation || a.station == NONE {
            return; // ended, or got its connection
        }
        if self.measuring {
            self.pools[a.pool as usize].stats.timeouts += 1;
        }
        self.attempt_done(attempt, generation, Err(ErrorKind::PoolTimeout), sched);
    }

    pub(super) fn on_retry(&mut self, call: u32, generation: u32, sched: &mut Scheduler<Event>) {
        if self.calls[call].generation == generation {
            self.start_attempt(call, NONE, true, sched);
        }
    }

    pub(super) fn on_hedge(&mut self, call: u32, generation: u32, sched: &mut Scheduler<Event>) {
        let c = &mut self.calls[call];
        if c.generation != generation {
            return;
        }
        c.hedge_timer = None;
        // Hedge only a call still waiting on its single first attempt.
        if c.attempts == 1 && c.live.iter().filter(|&&a| a != NONE).count() == 1 {
            if self.measuring {
                self.sites[c.site as usize].stats.hedges += 1;
            }
            self.start_attempt(call, NONE, false, sched);
        }
    }

    /// Gives a connection back and hands it to the next live waiter.
    fn release_connection(&mut self, pool: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.pools[pool as usize].release(now);
        while let Some((attempt, generation, since)) = self.pools[pool as usize].waiting.pop_front() {
            let a = &mut self.attempts[attempt];
            if a.generation != generation || a.station == NONE {
                continue; // ended while waiting; already counted out
            }
            let station = std::mem::replace(&mut a.station, NONE);
            let p = &mut self.pools[pool as usize];
            p.left_queue(now);
            p.grant(since, now, self.measuring);
            return self.send(attempt, station, false, sched);
        }
    }

    /// Sends a routed attempt over its link.
    pub(super) fn send(&mut self, attempt: u32, station: u32, now_ok: bool, sched: &mut Scheduler<Event>) {
        let a = &self.attempts[attempt];
        let c = &self.calls[a.call];
        let link = self.sites[c.site as usize].link;
        let (generation, req) = (a.generation, c.req);
        let probe = matches!(c.owner, Owner::Probe { .. });
        let Some(delay) = self.links[link as usize].transit() else {
            // Lost: only the attempt's timeout will notice.
            self.attempts[attempt].lost = true;
            return;
        };
        self.attempts[attempt].net += delay;
        let job = self.jobs.insert_with(|prev| Job {
            generation: prev.map_or(0, |p| p.generation),
            station,
            attempt,
            attempt_generation: generation,
            req,
            arrived: 0,
            epoch: 0,
            slot: NONE,
            limited: false,
            cancelled: false,
            mark: 0,
            pc: 0,
            phase: 0,
            holds_worker: false,
            probe,
            leads_fetch: false,
            outstanding: 0,
            successes: 0,
            failures: 0,
            needed: 0,
            last_error: ErrorKind::Timeout,
            wait_ns: 0,
            compute_ns: 0,
            downstream_ns: 0,
        });
        let a = &mut self.attempts[attempt];
        a.job = job;
        a.job_generation = self.jobs[job].generation;
        if delay == 0 && now_ok {
            self.admit(job, sched);
        } else {
            let generation = self.jobs[job].generation;
            sched.schedule_in(delay, Event::Deliver { job, generation });
        }
    }
}
