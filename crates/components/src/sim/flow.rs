//! How requests move: clients send, calls route (through balancers, caches'
//! key hashing, datastores' shards and read policies), wait for pooled
//! connections, cross links; stations admit and serve; handlers step
//! through their steps; answers come back.
//!
//! Zero-latency hops are handled at once rather than as events: a call
//! reaches its station, and an answer its caller, in the same instant. To
//! keep that safe, a function that hands a request on does so as its last
//! action, and the calls of a parallel step are delivered as events.

use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::{Time, as_secs_f64, from_nanos_f64};

use super::{Answer, Call, Event, Job, NONE, Next, Op, Outcome, Owner, Req, ServiceKind, Step, Target, World};
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
        let c = &mut self.clients[client as usize];
        if now >= self.measure_from {
            c.stats.sent += 1;
        }
        self.born += 1;
        let mut req = c.new_request(now);
        req.origin = ((client as u64) << 32) | user as u64;
        let site = c.site;
        let call = self.new_call(site, Owner::Client { client, user }, req, sched);
        self.dispatch(call, NONE, true, sched);
    }

    /// Fire and forget: a call nobody waits for.
    pub(super) fn start_detached(&mut self, site: u32, owner: Owner, req: Req, sched: &mut Scheduler<Event>) {
        let call = self.new_call(site, owner, req, sched);
        self.dispatch(call, NONE, false, sched);
    }

    /// Creates a call from `site` and arms its timeout; [`dispatch`] sends it.
    fn new_call(&mut self, site: u32, owner: Owner, mut req: Req, sched: &mut Scheduler<Event>) -> u32 {
        let now = sched.now();
        let s = &self.sites[site as usize];
        if let Some(op) = s.op {
            req.op = op;
        }
        let timeout = s.timeout;
        let call = self.calls.insert_with(|prev| Call {
            // Generations survive slot reuse, so stale answers stay stale.
            generation: prev.map_or(0, |p| p.generation),
            owner,
            site,
            timer: None,
            req,
            born: now,
            net: 0,
            balancer: NONE,
            replica: NONE,
            pool: NONE,
            station: NONE,
        });
        if let Some(t) = timeout {
            self.calls[call].timer = Some(sched.schedule_timer_in(t, Event::Timeout { call }));
        }
        call
    }

    /// Routes a call to a station, takes a pooled connection if its site has
    /// a pool (or waits for one), and sends it. `station` names the target
    /// for probes and replication. With `now_ok`, a zero-latency request is
    /// admitted at once; otherwise it arrives as an event.
    fn dispatch(&mut self, call: u32, station: u32, now_ok: bool, sched: &mut Scheduler<Event>) {
        let station = if station == NONE { self.route(call, sched.now()) } else { station };
        let site = &self.sites[self.calls[call].site as usize];
        if site.pool_first != NONE {
            let target_svc = &self.services[self.stations[station as usize].service as usize];
            let target_local = station - target_svc.first_station;
            let caller_local = match self.calls[call].owner {
                Owner::Job { job, .. } => {
                    let st = self.jobs[job].station;
                    st - self.services[self.stations[st as usize].service as usize].first_station
                }
                _ => 0,
            };
            let pool = site.pool_first + caller_local * site.pool_per_caller + target_local;
            let now = sched.now();
            let c = &mut self.calls[call];
            c.pool = pool;
            let p = &mut self.pools[pool as usize];
            if !p.try_acquire(now, self.measuring) {
                c.station = station;
                let generation = c.generation;
                p.wait(call, generation, now);
                let at = now + p.acquire_timeout;
                sched.schedule(at, Event::AcquireTimeout { call, generation });
                return;
            }
        }
        self.send(call, station, now_ok, sched);
    }

    /// The station a call goes to.
    fn route(&mut self, call: u32, now: Time) -> u32 {
        let c = &self.calls[call];
        let target = self.sites[c.site as usize].target;
        let req = c.req;
        match target {
            Target::Station => unreachable!("station targets name their station"),
            Target::Balancer(b) => {
                let bal = &mut self.balancers[b as usize];
                let r = bal.pick(req.key, req.origin);
                bal.sent(r);
                let c = &mut self.calls[call];
                c.balancer = b;
                c.replica = r;
                self.services[bal.service as usize].first_station + r
            }
            Target::Service(s) => {
                let svc = &mut self.services[s as usize];
                match svc.kind {
                    ServiceKind::Plain => {
                        let r = svc.cursor;
                        svc.cursor = if r + 1 >= svc.replicas { 0 } else { r + 1 };
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
                        let node = ds.node_for(&req, now, |n| stations[(base + n) as usize].stats.present.value());
                        base + node
                    }
                }
            }
        }
    }

    /// Sends a routed call over its link.
    fn send(&mut self, call: u32, station: u32, now_ok: bool, sched: &mut Scheduler<Event>) {
        let link = self.sites[self.calls[call].site as usize].link;
        let Some(delay) = self.links[link as usize].transit() else {
            return; // lost: only the caller's timeout will notice
        };
        let c = &mut self.calls[call];
        c.net += delay;
        let (generation, probe, req) = (c.generation, matches!(c.owner, Owner::Probe { .. }), c.req);
        let job = self.jobs.insert_with(|prev| Job {
            generation: prev.map_or(0, |p| p.generation),
            station,
            call,
            call_generation: generation,
            req,
            arrived: 0,
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
        if delay == 0 && now_ok {
            self.admit(job, sched);
        } else {
            sched.schedule_in(delay, Event::Deliver { job });
        }
    }

    /// A request reaches its station: served, queued, or rejected.
    pub(super) fn admit(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let measuring = self.measuring;
        let j = &mut self.jobs[job];
        j.arrived = now;
        j.mark = now;
        let (station, class) = (j.station, j.req.class);
        let st = &mut self.stations[station as usize];
        if st.has_free_worker() {
            if measuring {
                st.stats.arrivals += 1;
            }
            st.stats.present.increment(now);
            self.start(job, sched);
        } else if st.has_queue_room() {
            if measuring {
                st.stats.arrivals += 1;
                st.stats.waited += 1;
            }
            st.stats.present.increment(now);
            st.stats.queued.increment(now);
            self.queued_total.increment(now);
            let priority = self.services[st.service as usize].priorities.get(class as usize).copied().unwrap_or(0);
            st.queue.push(job, priority);
        } else {
            if measuring {
                st.stats.rejected += 1;
            }
            let Job { call, call_generation, .. } = self.jobs[job];
            self.free_job(job);
            self.reply(call, call_generation, Err(ErrorKind::Rejected), sched);
        }
    }

    /// Gives `job` a worker and runs its handler from where it stands.
    fn start(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.jobs[job];
        j.wait_ns += now - j.mark;
        j.holds_worker = true;
        let st = &mut self.stations[j.station as usize];
        st.busy += 1;
        st.stats.busy.increment(now);
        if j.probe {
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
            return Next::Finish(Ok(Answer::Done));
        };
        j.mark = now;
        match *step {
            Step::Compute(ref d) => {
                let t = d.sample(&mut st.rng);
                let t = if st.speed == 1.0 { t } else { from_nanos_f64(t as f64 / st.speed) };
                sched.schedule_in(t, Event::ComputeDone { job });
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
            self.dispatch(call, station, count == 1 && needed > 0, sched);
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
        self.dispatch(call, NONE, true, sched);
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

    /// A worker of `station` is free: count it and serve the next in line.
    pub(super) fn release_worker(&mut self, station: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let st = &mut self.stations[station as usize];
        st.busy -= 1;
        st.stats.busy.decrement(now);
        if let Some(next) = st.queue.pop() {
            st.stats.queued.decrement(now);
            self.queued_total.decrement(now);
            self.start(next, sched);
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
        let j = &self.jobs[job];
        let (station, call, call_generation, holds) = (j.station, j.call, j.call_generation, j.holds_worker);
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
                    ds.read_served(j.req.key, local % ds.nodes, now, self.measuring);
                }
            }
        }
        self.free_job(job);
        if holds {
            self.release_worker(station, sched);
        }
        self.reply(call, call_generation, outcome, sched);
    }

    /// Sends an answer back over the call's link, unless the caller has
    /// already given up.
    fn reply(&mut self, call: u32, generation: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let c = &self.calls[call];
        if c.generation != generation {
            return;
        }
        let link = self.sites[c.site as usize].link;
        let Some(delay) = self.links[link as usize].transit_back() else {
            return; // lost on the way back
        };
        self.calls[call].net += delay;
        if delay == 0 {
            self.answer(call, generation, outcome, sched);
        } else {
            sched.schedule_in(delay, Event::Reply { call, generation, outcome });
        }
    }

    pub(super) fn on_timeout(&mut self, call: u32, sched: &mut Scheduler<Event>) {
        let c = &mut self.calls[call];
        c.timer = None;
        let generation = c.generation;
        self.answer(call, generation, Err(ErrorKind::Timeout), sched);
    }

    pub(super) fn on_acquire_timeout(&mut self, call: u32, generation: u32, sched: &mut Scheduler<Event>) {
        let c = &self.calls[call];
        if c.generation != generation || c.station == NONE {
            return; // settled, or got its connection
        }
        if self.measuring {
            self.pools[c.pool as usize].stats.timeouts += 1;
        }
        self.answer(call, generation, Err(ErrorKind::PoolTimeout), sched);
    }

    /// Settles a call, unless it was already settled (a late answer), and
    /// hands the outcome to its owner.
    pub(super) fn answer(&mut self, call: u32, generation: u32, outcome: Outcome, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let c = &mut self.calls[call];
        if c.generation != generation {
            return;
        }
        c.generation = c.generation.wrapping_add(1);
        if let Some(timer) = c.timer.take() {
            sched.cancel(timer);
        }
        let Call { owner, balancer, replica, born, net, pool, station, .. } = *c;
        self.calls.remove(call);
        if balancer != NONE
            && let Some(until) = self.balancers[balancer as usize].settled(replica, Some(outcome.is_err()), now)
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
            Owner::Detached => {}
        }
    }

    /// Gives a connection back and hands it to the next live waiter.
    fn release_connection(&mut self, pool: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.pools[pool as usize].release(now);
        while let Some((call, generation, since)) = self.pools[pool as usize].waiting.pop_front() {
            let c = &mut self.calls[call];
            if c.generation != generation || c.station == NONE {
                continue; // settled while waiting; already counted out
            }
            let station = std::mem::replace(&mut c.station, NONE);
            let p = &mut self.pools[pool as usize];
            p.left_queue(now);
            p.grant(since, now, self.measuring);
            return self.send(call, station, false, sched);
        }
    }

    fn record_client(&mut self, client: u32, latency: Time, net: Time, outcome: Outcome) {
        let s = &mut self.clients[client as usize].stats;
        match outcome {
            Ok(answer) => {
                s.ok += 1;
                if answer == Answer::Stale {
                    s.stale += 1;
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
        self.dispatch(call, station, true, sched);
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
        self.queued_total.reset(now);
    }

    pub(super) fn on_window_end(&mut self, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let lookups = self.window_hits + self.window_misses;
        self.series.push(WindowRow {
            start: self.window.current_start(),
            ok: self.window_ok,
            errors: self.window_errors,
            mean: self.window_latency.mean(),
            p50: self.window_latency.quantile(0.5),
            p99: self.window_latency.quantile(0.99),
            queue_mean: self.queued_total.take_window_mean(now),
            cache_hit_ratio: (lookups > 0).then(|| self.window_hits as f64 / lookups as f64),
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
            self.calls.live().max(self.jobs.live()),
            self.max_in_flight
        )
    }
}
