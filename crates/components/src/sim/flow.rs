//! How requests move at stations: clients send, stations admit (or refuse,
//! shed, rate-limit, reject), workers run handlers step by step, jobs finish
//! and answer over their link.
//!
//! Zero-latency hops are handled at once rather than as events: a request
//! reaches its station, and an answer its caller, in the same instant. To
//! keep that safe, a function that hands a request on does so as its last
//! action, and the calls of a parallel step are delivered as events.

use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::{Time, as_secs_f64, from_nanos_f64};

use super::policy::Limit;
use super::{Answer, Event, Job, NONE, Next, Op, Outcome, Owner, Req, ServiceKind, Step, World};
use crate::dist::unit;
use crate::result::{ErrorKind, WindowRow};

impl World {
    pub(super) fn on_arrival(&mut self, client: u32, epoch: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let c = &mut self.clients[client as usize];
        if epoch != c.epoch() {
            return; // superseded by a state switch
        }
        if let Some(gap) = c.next_gap(now) {
            sched.schedule_in(gap, Event::Arrival { client, epoch });
        }
        if c.accept(now) {
            self.send_request(client, NONE, sched);
        }
    }

    pub(super) fn on_modulate(&mut self, client: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let c = &mut self.clients[client as usize];
        if let Some(sojourn) = c.switch_state() {
            sched.schedule_in(sojourn, Event::Modulate { client });
        }
        // Arrivals are memoryless: restart them in the new state.
        if let Some(gap) = c.next_gap(now) {
            sched.schedule_in(gap, Event::Arrival { client, epoch: c.epoch() });
        }
    }

    /// A client (or closed-loop user) sends a request.
    pub(super) fn send_request(&mut self, client: u32, user: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let measuring = now >= self.measure_from;
        let c = &mut self.clients[client as usize];
        if measuring {
            c.stats.sent += 1;
        }
        self.born += 1;
        if let Some(l) = &mut c.limiter
            && l.check(now) != Limit::Pass
        {
            // Refused before it left: it fails at once.
            self.settled += 1;
            if measuring {
                self.record_client(client, 0, 0, Err(ErrorKind::RateLimited));
            }
            if user != NONE {
                let think = self.clients[client as usize].think();
                sched.schedule_in(think.max(1), Event::UserSend { client, user });
            }
            return;
        }
        let mut req = c.new_request(now);
        req.origin = ((client as u64) << 32) | user as u64;
        if let Some(d) = c.deadline {
            req.deadline = now.saturating_add(d);
        }
        let mut site = c.site;
        if c.router != NONE {
            site += self.routers[c.router as usize].choose(c.region, now, measuring);
        }
        let call = self.new_call(site, Owner::Client { client, user }, req, sched);
        self.start_attempt(call, NONE, true, sched);
    }

    /// Fire and forget: a call nobody waits for.
    pub(super) fn start_detached(&mut self, site: u32, owner: Owner, req: Req, sched: &mut Scheduler<Event>) {
        let call = self.new_call(site, owner, req, sched);
        self.start_attempt(call, NONE, false, sched);
    }

    /// Whether the job's caller cancelled it.
    #[inline]
    fn orphaned(&self, job: u32) -> bool {
        self.jobs[job].cancelled
    }

    /// A request reaches its station: served, queued, or turned away.
    pub(super) fn admit(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        if self.orphaned(job) {
            return self.free_job(job); // its caller cancelled it on the way
        }
        let j = &self.jobs[job];
        let (station, class, deadline) = (j.station, j.req.class, j.req.deadline);
        let svc_index = self.stations[station as usize].service as usize;
        self.services[svc_index].offered += 1;
        if j.req.op == Op::Replicate
            && let ServiceKind::Datastore(d) = self.services[svc_index].kind
        {
            let ds = &self.datastores[d as usize];
            let shard = (station - self.services[svc_index].first_station) / ds.nodes;
            if !ds.still_shipping(shard, j.req.origin as u32) {
                return self.free_job(job); // its primary crashed before shipping it
            }
        }
        let st = &mut self.stations[station as usize];
        let refuse = |st: &super::station::Station| if st.blackhole { None } else { Some(ErrorKind::Crashed) };
        let turned_away = if st.down {
            if self.measuring {
                st.stats.crashed += 1;
            }
            Some(refuse(st))
        } else if self.services[svc_index].deadline_aware && now >= deadline {
            if self.measuring {
                st.stats.expired += 1;
            }
            Some(Some(ErrorKind::DeadlineExceeded))
        } else if st.shed.as_ref().and_then(|s| s.queue_above).is_some_and(|n| st.queue.len() >= n as usize) {
            if self.measuring {
                st.stats.shed += 1;
            }
            Some(Some(ErrorKind::Shed))
        } else {
            None
        };
        if let Some(error) = turned_away {
            return self.turn_away(job, error, sched);
        }
        if !self.jobs[job].limited
            && let Some(l) = &mut st.limiter
        {
            match l.check(now) {
                Limit::Pass => {}
                Limit::Delay(d) => {
                    let j = &mut self.jobs[job];
                    j.limited = true;
                    let generation = j.generation;
                    sched.schedule_in(d, Event::Deliver { job, generation });
                    return;
                }
                Limit::Reject => {
                    if self.measuring {
                        st.stats.rate_limited += 1;
                    }
                    return self.turn_away(job, Some(ErrorKind::RateLimited), sched);
                }
            }
        }
        let measuring = self.measuring;
        let j = &mut self.jobs[job];
        j.arrived = now;
        j.mark = now;
        j.epoch = st.epoch;
        if st.has_free_worker() || st.has_queue_room() {
            j.slot = st.present.len() as u32;
            st.present.push(job);
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
            self.queued_total.increment(now);
            let priority = self.services[svc_index].priorities.get(class as usize).copied().unwrap_or(0);
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
    fn turn_away(&mut self, job: u32, error: Option<ErrorKind>, sched: &mut Scheduler<Event>) {
        let Job { attempt, attempt_generation, station, .. } = self.jobs[job];
        self.free_job(job);
        if let Some(e) = error {
            self.reply(attempt, attempt_generation, station, Err(e), sched);
        }
    }

    /// Gives `job` a worker and runs its handler from where it stands.
    fn start(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.jobs[job];
        j.wait_ns += now - j.mark;
        j.holds_worker = true;
        let (station, attempt, probe) = (j.station, j.attempt, j.probe);
        let st = &mut self.stations[station as usize];
        st.busy += 1;
        st.stats.busy.increment(now);
        // Tied requests: the copy that starts first cancels the others.
        let call = self.attempts[attempt].call;
        if self.sites[self.calls[call].site as usize].hedge.as_ref().is_some_and(|h| h.tied) {
            self.cancel_other_copies(call, attempt, sched);
        }
        if probe {
            self.finish_job(job, Ok(Answer::Done), sched);
        } else {
            self.run_job(job, sched);
        }
    }

    /// Runs steps until one has to wait or the handler ends.
    fn run_job(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        loop {
            match self.step(job, sched) {
                Next::Wait => return,
                Next::Continue => self.jobs[job].pc += 1,
                Next::Finish(outcome) => return self.finish_job(job, outcome, sched),
            }
        }
    }

    /// Executes the job's current step.
    fn step(&mut self, job: u32, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let j = &mut self.jobs[job];
        let st = &mut self.stations[j.station as usize];
        let svc = &self.services[st.service as usize];
        let handler = &svc.handlers[svc.handler_of[j.req.op as usize] as usize];
        let Some(step) = handler.get(j.pc as usize) else {
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
                sched.schedule_in(t, Event::ComputeDone { job, generation });
                Next::Wait
            }
            Step::Calls { first, count, needed } => self.wait_on_calls(job, first, count, needed, None, sched),
            Step::CacheAside { cache, origin, fill, invalidate, single_flight } => {
                let sites = super::aside::AsideSites { cache, origin, fill, invalidate, single_flight };
                self.aside_start(job, sites, sched)
            }
            Step::CacheRead => self.cache_read(job, sched),
            Step::CacheStore => self.cache_store(job, sched),
            Step::CacheWrite => self.cache_write(job, sched),
            Step::CacheRemove => self.cache_remove(job),
            Step::Commit => self.commit(job, now),
            Step::Replicate { needed } => self.replicate(job, needed, sched),
            Step::Apply => self.apply(job),
            Step::Enqueue => {
                let ServiceKind::Queue(q) = svc.kind else { unreachable!("an enqueue step at a queue") };
                self.enqueue(job, q, sched)
            }
        }
    }

    /// Makes `count` calls and waits for `needed` of them (none: goes on at
    /// once). The calls come from sites `first..first + count`, or all from
    /// site `first` to the stations `stations..stations + count`. The worker
    /// is given back first when the service does not hold workers.
    pub(super) fn wait_on_calls(
        &mut self,
        job: u32,
        first: u32,
        count: u32,
        needed: u32,
        stations: Option<u32>,
        sched: &mut Scheduler<Event>,
    ) -> Next {
        self.block(job, count, needed, sched);
        let j = &mut self.jobs[job];
        let owner = Owner::Job { job, generation: j.generation };
        let req = j.req;
        if needed == 0 {
            // Fire and forget: answers to these calls will be ignored.
            j.generation = j.generation.wrapping_add(1);
        }
        for i in 0..count {
            let (site, station) = match stations {
                Some(s) => (first, s + i),
                None => (first + i, NONE),
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
    pub(super) fn block(&mut self, job: u32, count: u32, needed: u32, sched: &mut Scheduler<Event>) {
        let j = &mut self.jobs[job];
        j.outstanding = count;
        j.needed = needed;
        j.successes = 0;
        j.failures = 0;
        j.mark = sched.now();
        let station = j.station;
        let svc = &self.services[self.stations[station as usize].service as usize];
        if !svc.hold_worker && needed > 0 && j.holds_worker {
            j.holds_worker = false;
            self.release_worker(station, sched);
        }
    }

    /// Sends one awaited call for a job already blocked.
    pub(super) fn call_for(&mut self, job: u32, site: u32, sched: &mut Scheduler<Event>) {
        let j = &self.jobs[job];
        let owner = Owner::Job { job, generation: j.generation };
        let req = j.req;
        let call = self.new_call(site, owner, req, sched);
        self.start_attempt(call, NONE, true, sched);
    }

    pub(super) fn on_compute_done(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let j = &mut self.jobs[job];
        j.compute_ns += sched.now() - j.mark;
        j.pc += 1;
        self.run_job(job, sched);
    }

    /// One of a job's calls settled.
    pub(super) fn call_settled(&mut self, job: u32, generation: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let j = &self.jobs[job];
        if j.generation != generation {
            return; // the step already finished without this answer
        }
        let svc = &self.services[self.stations[j.station as usize].service as usize];
        let handler = &svc.handlers[svc.handler_of[j.req.op as usize] as usize];
        if let Some(&Step::CacheAside { cache, origin, fill, invalidate, single_flight }) = handler.get(j.pc as usize) {
            let sites = super::aside::AsideSites { cache, origin, fill, invalidate, single_flight };
            return self.aside_settled(job, sites, outcome, sched);
        }
        let now = sched.now();
        let j = &mut self.jobs[job];
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
    pub(super) fn resume(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.jobs[job];
        let station = j.station;
        let st = &mut self.stations[station as usize];
        let svc = &self.services[st.service as usize];
        if j.holds_worker || svc.continue_without_worker {
            return self.run_job(job, sched);
        }
        j.mark = now;
        if st.has_free_worker() {
            self.start(job, sched);
        } else {
            st.stats.queued.increment(now);
            self.queued_total.increment(now);
            let class = j.req.class as usize;
            let priority = svc.priorities.get(class).copied().unwrap_or(0);
            st.queue.push(job, priority);
        }
    }

    /// A worker of `station` is free: count it and serve the next in line,
    /// dropping queued jobs that were cancelled, have outlived their
    /// caller's deadline, or (CoDel) waited too long.
    pub(super) fn release_worker(&mut self, station: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let st = &mut self.stations[station as usize];
        st.busy -= 1;
        st.stats.busy.decrement(now);
        while let Some(next) = self.stations[station as usize].next_job() {
            let st = &mut self.stations[station as usize];
            st.stats.queued.decrement(now);
            self.queued_total.decrement(now);
            if self.orphaned(next) {
                self.drop_job(next);
                continue;
            }
            let j = &self.jobs[next];
            let waited = now - j.mark;
            let st = &mut self.stations[station as usize];
            if self.services[st.service as usize].deadline_aware && now >= j.req.deadline && j.pc == 0 {
                if self.measuring {
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
                        if self.measuring {
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
    fn finish_unserved(&mut self, job: u32, error: ErrorKind, sched: &mut Scheduler<Event>) {
        let Job { attempt, attempt_generation, station, .. } = self.jobs[job];
        self.drop_job(job);
        self.reply(attempt, attempt_generation, station, Err(error), sched);
    }

    /// Removes a job that was present at its station, unanswered.
    pub(super) fn drop_job(&mut self, job: u32) {
        let j = &self.jobs[job];
        let station = j.station;
        if j.slot != NONE {
            let now = self.now;
            self.stations[station as usize].stats.present.decrement(now);
            self.account_presence(job, now);
            self.leave_station(job);
        }
        self.free_job(job);
    }

    /// Counts the time a departing job was present after warm-up, for
    /// Little's law.
    #[inline]
    pub(super) fn account_presence(&mut self, job: u32, now: Time) {
        if !self.measuring {
            return;
        }
        let j = &self.jobs[job];
        let from = j.arrived.max(self.measure_from);
        let s = &mut self.services[self.stations[j.station as usize].service as usize].stats;
        if j.arrived >= self.measure_from {
            s.present_ns += (now - from) as u128;
        } else {
            s.carried_ns += (now - from) as u128;
        }
    }

    /// Takes a job off its station's present list.
    fn leave_station(&mut self, job: u32) {
        let j = &mut self.jobs[job];
        let slot = std::mem::replace(&mut j.slot, NONE) as usize;
        let st = &mut self.stations[j.station as usize];
        st.present.swap_remove(slot);
        if let Some(&moved) = st.present.get(slot) {
            self.jobs[moved].slot = slot as u32;
        }
    }

    fn free_job(&mut self, job: u32) {
        let j = &mut self.jobs[job];
        j.generation = j.generation.wrapping_add(1);
        self.jobs.remove(job);
    }

    /// The handler is done: record, free the worker, answer the caller.
    pub(super) fn finish_job(&mut self, job: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        if self.jobs[job].leads_fetch {
            let service = self.stations[self.jobs[job].station as usize].service;
            if let ServiceKind::Cache(_) = self.services[service as usize].kind {
                self.jobs[job].leads_fetch = false;
                self.cache_release_waiters(job, outcome, sched);
            } else {
                self.aside_release(job, outcome.map(|_| ()), sched);
            }
        }
        self.account_presence(job, now);
        let j = &self.jobs[job];
        let (station, attempt, attempt_generation, holds) =
            (j.station, j.attempt, j.attempt_generation, j.holds_worker);
        let st = &mut self.stations[station as usize];
        st.stats.present.decrement(now);
        if self.measuring {
            st.stats.completions += 1;
        }
        let svc = &mut self.services[st.service as usize];
        if j.arrived >= self.measure_from && !j.probe {
            let s = &mut svc.stats;
            s.response.record(now - j.arrived);
            match outcome {
                Ok(_) => s.finished += 1,
                Err(_) => s.failed += 1,
            }
            s.wait_sum += j.wait_ns as u128;
            s.compute_sum += j.compute_ns as u128;
            s.downstream_sum += j.downstream_ns as u128;
            if let ServiceKind::Datastore(d) = svc.kind
                && j.req.op != Op::Replicate
            {
                let ds = &mut self.datastores[d as usize];
                let local = station - svc.first_station;
                ds.stats.shard_response[(local / ds.nodes) as usize].record(now - j.arrived);
                if j.req.op == Op::Read && outcome.is_ok() {
                    ds.read_served(j.req.key, local, now, self.measuring, j.req.origin);
                }
            }
        }
        self.leave_station(job);
        self.free_job(job);
        if holds {
            self.release_worker(station, sched);
        }
        self.reply(attempt, attempt_generation, station, outcome, sched);
    }

    /// Sends an answer back over the attempt's link, after any injected
    /// delay at `station`, unless the caller has already given up.
    fn reply(&mut self, attempt: u32, generation: u32, station: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let a = &self.attempts[attempt];
        if a.generation != generation {
            return;
        }
        let link = self.sites[self.calls[a.call].site as usize].link;
        let Some(delay) = self.links[link as usize].transit_back() else {
            self.attempts[attempt].lost = true;
            return; // lost on the way back
        };
        let injected = self.injected_delay(station);
        self.attempts[attempt].net += delay;
        if delay + injected == 0 {
            self.attempt_done(attempt, generation, outcome, sched);
        } else {
            sched.schedule_in(delay + injected, Event::Reply { attempt, generation, outcome });
        }
    }

    pub(super) fn record_client(&mut self, client: u32, latency: Time, net: Time, outcome: Outcome) {
        let s = &mut self.clients[client as usize].stats;
        match outcome {
            Ok(answer) => {
                s.ok += 1;
                match answer {
                    Answer::Stale => s.stale += 1,
                    Answer::Fallback => s.fallback += 1,
                    Answer::Done | Answer::Miss => {}
                }
                s.latency_ok.record(latency);
                s.network_sum += net as u128;
                self.window_ok += 1;
                self.window_latency.record(latency);
            }
            Err(kind) => {
                s.errors.add(kind);
                s.latency_err.record(latency);
                self.window_errors += 1;
            }
        }
    }

    /// Health-checks one replica and schedules the next check.
    pub(super) fn on_probe(&mut self, balancer: u32, replica: u32, sched: &mut Scheduler<Event>) {
        let bal = &self.balancers[balancer as usize];
        let Some((interval, _)) = bal.health_timing() else { return };
        sched.schedule_in(interval, Event::Probe { balancer, replica });
        let station = self.services[bal.service as usize].first_station + replica;
        let site = bal.probe_site;
        let call = self.new_call(site, Owner::Probe { balancer, replica }, Req::default(), sched);
        self.start_attempt(call, station, true, sched);
    }

    pub(super) fn on_warmup_end(&mut self, now: Time) {
        self.measuring = true;
        for st in &mut self.stations {
            st.stats.reset(now);
        }
        for p in &mut self.pools {
            p.reset(now);
        }
        for c in &mut self.caches {
            c.reset();
        }
        for d in &mut self.datastores {
            d.reset();
        }
        for s in &mut self.sites {
            s.stats = Default::default();
        }
        self.queued_total.reset(now);
        for a in &mut self.autoscalers {
            a.rebase(now);
        }
        for q in &mut self.queues {
            q.reset(now);
        }
        self.rebase_routers(now);
    }

    pub(super) fn on_window_end(&mut self, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let lookups = self.window_hits + self.window_misses;
        let fleet = self.window_fleets(now);
        let backlog = self.queues.iter_mut().flat_map(|q| q.window(now)).collect();
        self.series.push(WindowRow {
            start: self.window.current_start(),
            ok: self.window_ok,
            errors: self.window_errors,
            mean: self.window_latency.mean(),
            p50: self.window_latency.quantile(0.5),
            p99: self.window_latency.quantile(0.99),
            queue_mean: self.queued_total.take_window_mean(now),
            cache_hit_ratio: (lookups > 0).then(|| self.window_hits as f64 / lookups as f64),
            fleet,
            backlog,
        });
        self.window_ok = 0;
        self.window_errors = 0;
        self.window_hits = 0;
        self.window_misses = 0;
        self.window_latency.reset();
        self.window.advance();
        sched.schedule(self.window.next_end(), Event::WindowEnd);
    }

    pub(super) fn runaway_message(&self, now: Time) -> String {
        let (worst, queued) = self
            .services
            .iter()
            .map(|s| {
                let q: usize = (s.first_station..s.first_station + s.replicas)
                    .map(|i| self.stations[i as usize].queue.len())
                    .sum();
                (s.name.as_str(), q)
            })
            .max_by_key(|&(_, q)| q)
            .unwrap_or(("?", 0));
        format!(
            "stopped at t = {:.3} s: {} requests in flight exceeds `sim.max_in_flight` ({}); \
             `{worst}` holds {queued} of them in its queues. The offered load exceeds \
             what the model can serve and the queues are unbounded: set `queue_capacity`, \
             lower the load, or add replicas or workers",
            as_secs_f64(now),
            self.attempts.live().max(self.jobs.live()),
            self.max_in_flight
        )
    }
}
