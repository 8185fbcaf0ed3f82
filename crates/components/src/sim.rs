//! The simulation: builds runtime state from a [`ModelSpec`] and handles
//! events until the run ends.
//!
//! A request is born at a client as a *call* to the client's target. The call
//! picks a station (a replica) through a balancer or the service's own round
//! robin, and becomes a *job* there: admitted to the queue or rejected, served
//! by a worker, and answered. The answer completes the call, and the client
//! records the latency.
//!
//! Calls carry a generation so that late answers, after a timeout has already
//! settled the call, are recognised and dropped in O(1).

mod balancer;
mod client;
mod slab;
mod station;

use std::ops::ControlFlow;

use tailsim_engine::rng::stream;
use tailsim_engine::scheduler::{self, Model, Scheduler, StopRule, TimerId};
use tailsim_engine::stats::{LatencyHistogram, TimeWeighted, WindowClock};
use tailsim_engine::time::{Time, as_secs_f64};

use crate::dist::Dist;
use crate::result::{ClientResult, ErrorKind, RunResult, ServiceResult, WindowRow};
use crate::spec::ModelSpec;
use crate::validate::{SpecError, validate};
use balancer::Balancer;
use client::Client;
use slab::Slab;
use station::{Station, StationStats};

/// Where a call goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Balancer(u32),
    Service(u32),
}

/// Everything that can happen.
#[derive(Copy, Clone, Debug)]
pub enum Event {
    /// A client's next open-loop arrival.
    Arrival { client: u32 },
    /// A job's service time has elapsed.
    ServiceDone { job: u32 },
    /// A call's timeout fired.
    Timeout { call: u32 },
    /// Measurement starts.
    WarmupEnd,
    /// A time-series window closes.
    WindowEnd,
}

/// Who waits for a call's answer.
#[derive(Copy, Clone, Debug)]
enum Owner {
    Client { client: u32, born: Time },
}

struct Call {
    owner: Owner,
    generation: u32,
    timer: Option<TimerId>,
}

struct Job {
    station: u32,
    call: u32,
    call_generation: u32,
    arrived: Time,
    started: Time,
}

struct Service {
    name: String,
    first_station: u32,
    replicas: u32,
    workers: u32,
    cursor: u32,
    response: LatencyHistogram,
}

/// The whole runtime state of one replication.
struct World {
    measure_from: Time,
    measuring: bool,
    clients: Vec<Client>,
    balancers: Vec<Balancer>,
    services: Vec<Service>,
    stations: Vec<Station>,
    jobs: Slab<Job>,
    calls: Slab<Call>,
    max_in_flight: usize,
    runaway: Option<String>,
    born: u64,
    settled: u64,
    // Time series.
    window: WindowClock,
    window_latency: LatencyHistogram,
    window_ok: u64,
    window_errors: u64,
    queued_total: TimeWeighted,
    series: Vec<WindowRow>,
}

/// One replication, ready to run.
pub struct Simulation {
    sched: Scheduler<Event>,
    world: World,
    stop: StopRule,
    seed: u64,
}

impl Simulation {
    /// Builds a replication of `spec` with master seed `seed`. The warm-up is
    /// the model's fixed warm-up, or zero when it is to be detected (see
    /// [`with_warmup`](Self::with_warmup)).
    pub fn new(spec: &ModelSpec, seed: u64) -> Result<Self, Vec<SpecError>> {
        validate(spec)?;
        let warmup = spec.sim.fixed_warmup().map_or(0, |d| d.0);
        Ok(Self::build(spec, seed, warmup))
    }

    /// Overrides the warm-up, for example with one detected by a pilot run.
    pub fn with_warmup(mut self, warmup: Time) -> Self {
        self.world.measure_from = warmup;
        self.world.window = WindowClock::new(warmup, self.world.window.width());
        self
    }

    fn build(spec: &ModelSpec, seed: u64, warmup: Time) -> Self {
        let names: Vec<&String> = spec.service.keys().collect();
        let service_index = |name: &str| names.iter().position(|n| *n == name).unwrap() as u32;
        let balancer_names: Vec<&String> = spec.balancer.keys().collect();

        let mut services = Vec::new();
        let mut stations = Vec::new();
        for (name, s) in &spec.service {
            let dist = Dist::new(&s.service_time).expect("validated");
            let index = services.len() as u32;
            services.push(Service {
                name: name.clone(),
                first_station: stations.len() as u32,
                replicas: s.replicas,
                workers: s.workers,
                cursor: 0,
                response: LatencyHistogram::new(),
            });
            for r in 0..s.replicas {
                stations.push(Station {
                    service: index,
                    workers: s.workers,
                    busy: 0,
                    queue: Default::default(),
                    capacity: s.queue_capacity.unwrap_or(u32::MAX),
                    service_time: dist.clone(),
                    rng: stream(seed, &format!("service.{name}[{r}]")),
                    stats: StationStats::new(0),
                });
            }
        }
        let balancers = spec
            .balancer
            .iter()
            .map(|(name, b)| {
                Balancer::new(service_index(&b.target), b.policy, stream(seed, &format!("balancer.{name}")))
            })
            .collect();
        let target = |name: &str| {
            if let Some(i) = balancer_names.iter().position(|n| *n == name) {
                Target::Balancer(i as u32)
            } else {
                Target::Service(service_index(name))
            }
        };
        let clients: Vec<Client> = spec
            .client
            .iter()
            .map(|(name, c)| {
                Client::new(
                    name.clone(),
                    target(&c.target),
                    c.rate,
                    c.arrival,
                    c.timeout.map(|d| d.0),
                    stream(seed, &format!("client.{name}")),
                )
            })
            .collect();

        let mut world = World {
            measure_from: warmup,
            measuring: warmup == 0,
            clients,
            balancers,
            services,
            stations,
            jobs: Slab::default(),
            calls: Slab::default(),
            max_in_flight: spec.sim.max_in_flight.min(usize::MAX as u64) as usize,
            runaway: None,
            born: 0,
            settled: 0,
            window: WindowClock::new(warmup, spec.sim.window.0),
            window_latency: LatencyHistogram::with_precision(2),
            window_ok: 0,
            window_errors: 0,
            queued_total: TimeWeighted::new(0, 0),
            series: Vec::new(),
        };
        // Each client's first arrival comes one gap after time zero, like
        // every later one.
        let mut sched = Scheduler::new();
        for (i, c) in world.clients.iter_mut().enumerate() {
            sched.schedule(c.next_gap(), Event::Arrival { client: i as u32 });
        }
        let stop = StopRule { until: spec.sim.duration.0, max_events: spec.sim.max_events };
        Self { sched, world, stop, seed }
    }

    /// Runs the replication to the end and returns what it measured.
    pub fn run(mut self) -> RunResult {
        if self.world.measure_from > 0 {
            self.sched.schedule(self.world.measure_from, Event::WarmupEnd);
        }
        let first_window = self.world.window.next_end();
        self.sched.schedule(first_window, Event::WindowEnd);
        let outcome = scheduler::run(&mut self.world, &mut self.sched, self.stop);
        self.world.finish(self.seed, outcome)
    }
}

impl Model for World {
    type Event = Event;

    #[inline]
    fn handle(&mut self, event: Event, sched: &mut Scheduler<Event>) -> ControlFlow<()> {
        match event {
            Event::Arrival { client } => self.on_arrival(client, sched),
            Event::ServiceDone { job } => self.on_service_done(job, sched),
            Event::Timeout { call } => self.on_timeout(call, sched),
            Event::WarmupEnd => self.on_warmup_end(sched.now()),
            Event::WindowEnd => self.on_window_end(sched),
        }
        if self.jobs.live() > self.max_in_flight {
            self.runaway = Some(self.runaway_message(sched.now()));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

impl World {
    fn on_arrival(&mut self, client: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let c = &mut self.clients[client as usize];
        let gap = c.next_gap();
        sched.schedule_in(gap, Event::Arrival { client });
        if now >= self.measure_from {
            c.sent += 1;
        }
        self.born += 1;
        let target = c.target;
        let timeout = c.timeout;
        let call = self.calls.insert_with(|previous| Call {
            owner: Owner::Client { client, born: now },
            // Generations survive slot reuse, so stale answers stay stale.
            generation: previous.map_or(0, |p| p.generation),
            timer: None,
        });
        let generation = self.calls[call].generation;
        if let Some(t) = timeout {
            self.calls[call].timer = Some(sched.schedule_timer_in(t, Event::Timeout { call }));
        }
        self.send(call, generation, target, sched);
    }

    /// Routes a call to a station and admits it there.
    #[inline]
    fn send(&mut self, call: u32, call_generation: u32, target: Target, sched: &mut Scheduler<Event>) {
        let station = match target {
            Target::Balancer(b) => {
                let bal = &mut self.balancers[b as usize];
                let svc = &self.services[bal.service as usize];
                svc.first_station + bal.pick(svc.replicas)
            }
            Target::Service(s) => {
                let svc = &mut self.services[s as usize];
                let r = svc.cursor;
                svc.cursor = if r + 1 >= svc.replicas { 0 } else { r + 1 };
                svc.first_station + r
            }
        };
        self.admit(station, call, call_generation, sched);
    }

    fn admit(&mut self, station: u32, call: u32, call_generation: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let measuring = self.measuring;
        let st = &mut self.stations[station as usize];
        if st.has_free_worker() {
            if measuring {
                st.stats.arrivals += 1;
            }
            st.stats.present.increment(now);
            let job = self.jobs.insert(Job { station, call, call_generation, arrived: now, started: now });
            self.start(job, sched);
        } else if st.has_queue_room() {
            if measuring {
                st.stats.arrivals += 1;
                st.stats.waited += 1;
            }
            st.stats.present.increment(now);
            st.stats.queued.increment(now);
            self.queued_total.increment(now);
            let job = self.jobs.insert(Job { station, call, call_generation, arrived: now, started: now });
            self.stations[station as usize].queue.push_back(job);
        } else {
            if measuring {
                st.stats.rejected += 1;
            }
            self.answer(call, call_generation, Err(ErrorKind::Rejected), sched);
        }
    }

    /// Gives `job` a worker and starts its service time.
    #[inline]
    fn start(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.jobs[job];
        j.started = now;
        let arrived = j.arrived;
        let st = &mut self.stations[j.station as usize];
        st.busy += 1;
        st.stats.busy.increment(now);
        let t = st.service_time.sample(&mut st.rng);
        if arrived >= self.measure_from {
            st.stats.started += 1;
            st.stats.wait_sum += (now - arrived) as u128;
        }
        sched.schedule_in(t, Event::ServiceDone { job });
    }

    fn on_service_done(&mut self, job: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let Job { station, call, call_generation, arrived, started } = self.jobs[job];
        self.jobs.remove(job);
        let measuring = self.measuring;
        let st = &mut self.stations[station as usize];
        st.busy -= 1;
        st.stats.busy.decrement(now);
        st.stats.present.decrement(now);
        if measuring {
            st.stats.completions += 1;
            st.stats.service_sum += (now - started) as u128;
        }
        if arrived >= self.measure_from {
            self.services[st.service as usize].response.record(now - arrived);
        }
        if let Some(next) = st.queue.pop_front() {
            st.stats.queued.decrement(now);
            self.queued_total.decrement(now);
            self.start(next, sched);
        }
        self.answer(call, call_generation, Ok(()), sched);
    }

    fn on_timeout(&mut self, call: u32, sched: &mut Scheduler<Event>) {
        let generation = self.calls[call].generation;
        self.calls[call].timer = None;
        self.answer(call, generation, Err(ErrorKind::Timeout), sched);
    }

    /// Settles a call, unless it was already settled (a late answer).
    #[inline]
    fn answer(&mut self, call: u32, generation: u32, outcome: Result<(), ErrorKind>, sched: &mut Scheduler<Event>) {
        let c = &mut self.calls[call];
        if c.generation != generation {
            return; // answered already; this is a late duplicate
        }
        c.generation = c.generation.wrapping_add(1);
        if let Some(timer) = c.timer.take() {
            sched.cancel(timer);
        }
        let owner = c.owner;
        self.calls.remove(call);
        self.settled += 1;
        let now = sched.now();
        match owner {
            Owner::Client { client, born } => {
                if born < self.measure_from {
                    return;
                }
                let latency = now - born;
                let cl = &mut self.clients[client as usize];
                match outcome {
                    Ok(()) => {
                        cl.ok += 1;
                        cl.latency_ok.record(latency);
                        self.window_ok += 1;
                        self.window_latency.record(latency);
                    }
                    Err(kind) => {
                        cl.errors.add(kind);
                        cl.latency_err.record(latency);
                        self.window_errors += 1;
                    }
                }
            }
        }
    }

    fn on_warmup_end(&mut self, now: Time) {
        self.measuring = true;
        for st in &mut self.stations {
            st.stats.reset(now);
        }
        self.queued_total.reset(now);
    }

    fn on_window_end(&mut self, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.series.push(WindowRow {
            start: self.window.current_start(),
            ok: self.window_ok,
            errors: self.window_errors,
            mean: self.window_latency.mean(),
            p50: self.window_latency.quantile(0.5),
            p99: self.window_latency.quantile(0.99),
            queue_mean: self.queued_total.take_window_mean(now),
        });
        self.window_ok = 0;
        self.window_errors = 0;
        self.window_latency.reset();
        self.window.advance();
        sched.schedule(self.window.next_end(), Event::WindowEnd);
    }

    fn runaway_message(&self, now: Time) -> String {
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
             service `{worst}` holds {queued} of them in its queues. The offered load exceeds \
             what the model can serve and the queues are unbounded: set `queue_capacity`, \
             lower the load, or add replicas or workers",
            as_secs_f64(now),
            self.jobs.live(),
            self.max_in_flight
        )
    }

    fn finish(mut self, seed: u64, outcome: scheduler::RunOutcome) -> RunResult {
        let end = outcome.end;
        let clients = self
            .clients
            .drain(..)
            .map(|c| ClientResult {
                name: c.name,
                sent: c.sent,
                ok: c.ok,
                errors: c.errors,
                latency_ok: c.latency_ok,
                latency_err: c.latency_err,
            })
            .collect();
        let services = self
            .services
            .drain(..)
            .map(|s| {
                let range = s.first_station as usize..(s.first_station + s.replicas) as usize;
                let sts = &self.stations[range];
                ServiceResult {
                    name: s.name,
                    replicas: s.replicas,
                    workers: s.workers,
                    arrivals: sts.iter().map(|st| st.stats.arrivals).sum(),
                    rejected: sts.iter().map(|st| st.stats.rejected).sum(),
                    completions: sts.iter().map(|st| st.stats.completions).sum(),
                    waited: sts.iter().map(|st| st.stats.waited).sum(),
                    busy_mean: sts.iter().map(|st| st.stats.busy.mean(end)).sum(),
                    queue_mean: sts.iter().map(|st| st.stats.queued.mean(end)).sum(),
                    queue_max: sts.iter().map(|st| st.stats.queued.max()).max().unwrap_or(0),
                    in_system_mean: sts.iter().map(|st| st.stats.present.mean(end)).sum(),
                    response: s.response,
                    wait_sum_ns: sts.iter().map(|st| st.stats.wait_sum).sum(),
                    wait_count: sts.iter().map(|st| st.stats.started).sum(),
                    service_sum_ns: sts.iter().map(|st| st.stats.service_sum).sum(),
                }
            })
            .collect();
        let conservation = crate::result::Conservation {
            born: self.born,
            settled: self.settled,
            calls_in_flight: self.calls.live() as u64,
            jobs_in_system: self.jobs.live() as u64,
        };
        RunResult {
            conservation,
            seed,
            warmup: self.measure_from.min(end),
            end,
            events: outcome.events,
            stop: outcome.reason,
            runaway: self.runaway,
            clients,
            services,
            series: self.series,
            window: self.window.width(),
            faults: Vec::new(),
        }
    }
}

/// Builds and runs one replication of `spec` with `seed`.
pub fn run(spec: &ModelSpec, seed: u64) -> Result<RunResult, Vec<SpecError>> {
    Ok(Simulation::new(spec, seed)?.run())
}
