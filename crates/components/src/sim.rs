//! The simulation: builds runtime state from a [`ModelSpec`] and handles
//! events until the run ends.
//!
//! A request is born at a client as a *call* to the client's target. A call
//! picks a station (one replica) through a balancer or the service's own
//! round robin, crosses its network link, and becomes a *job* there: queued
//! or rejected, then run by a worker through the service's steps. A `call`
//! step makes a child call and waits; a `parallel` step makes several and
//! waits for all, the first, or k of them. When the steps are done the job
//! answers its call over the link, and the call's owner (a client, a
//! waiting job, or a health probe) carries on.
//!
//! Calls and jobs carry generations, so a late answer to a call that a
//! timeout already settled, or to a job that has moved on, is recognised
//! and dropped in O(1).

mod alias;
mod aside;
mod autoscale;
mod balancer;
mod build;
mod cache;
mod call;
mod client;
mod datastore;
mod fault;
mod finish;
mod flow;
mod network;
mod policy;
mod pool;
mod queue;
mod router;
mod slab;
mod station;
mod store;
mod traffic;

use std::ops::ControlFlow;

use tailsim_engine::scheduler::{self, Model, Scheduler, StopRule, TimerId};
use tailsim_engine::stats::{LatencyHistogram, TimeWeighted, WindowClock};
use tailsim_engine::time::Time;

use crate::dist::Dist;
use crate::result::{ErrorKind, RunResult, WindowRow};
use crate::spec::ModelSpec;
use crate::validate::{SpecError, validate};
use autoscale::Autoscaler;
use balancer::Balancer;
pub(crate) use build::region_of;
use cache::Cache;
use client::Client;
use datastore::Datastore;
pub(crate) use datastore::Partitioner;
use network::Link;
use pool::Pool;
use queue::MessageQueue;
use router::Router;
use slab::Slab;
use station::Station;

/// "No index" in `u32` index fields.
const NONE: u32 = u32::MAX;

/// Where a call goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Balancer(u32),
    /// A service, cache or datastore (its runtime service index).
    Service(u32),
    /// One station, named at send time (probes, replication).
    Station,
}

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
    /// Who sent it: (client << 32 | user), for sticky balancing.
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

/// Everything that can happen.
#[derive(Copy, Clone, Debug)]
pub enum Event {
    /// An open-loop client's next candidate arrival (stale if the epoch moved).
    Arrival {
        client: u32,
        epoch: u32,
    },
    /// A closed-loop user finished thinking.
    UserSend {
        client: u32,
        user: u32,
    },
    /// An open-loop client switches burst or on/off state.
    Modulate {
        client: u32,
    },
    /// A request reaches its station after crossing the network (or a
    /// leaky-bucket limiter's delay).
    Deliver {
        job: u32,
        generation: u32,
    },
    /// A job's compute step has elapsed.
    ComputeDone {
        job: u32,
        generation: u32,
    },
    /// An answer reaches the caller after crossing the network.
    Reply {
        attempt: u32,
        generation: u32,
        outcome: Outcome,
    },
    /// An attempt's timeout fired.
    Timeout {
        attempt: u32,
    },
    /// A call's backoff is over: try again.
    Retry {
        call: u32,
        generation: u32,
    },
    /// A call's hedge delay is over: send a second copy.
    Hedge {
        call: u32,
        generation: u32,
    },
    /// Time to health-check a replica.
    Probe {
        balancer: u32,
        replica: u32,
    },
    /// An outlier ejection ends.
    Readmit {
        balancer: u32,
        replica: u32,
    },
    /// An attempt waited too long for a pooled connection.
    AcquireTimeout {
        attempt: u32,
        generation: u32,
    },
    /// A fault begins or ends.
    FaultStart {
        fault: u32,
    },
    FaultEnd {
        fault: u32,
    },
    /// A datastore promotes a replica after its primary crashed.
    Promote {
        datastore: u32,
        shard: u32,
    },
    /// A write-behind cache flushes one buffered write.
    Flush {
        station: u32,
        key: u64,
        epoch: u32,
    },
    /// Keys are loaded into a cache.
    Prewarm {
        cache: u32,
        entry: u32,
    },
    /// An autoscaler evaluates its policies.
    ScaleTick {
        scaler: u32,
    },
    /// An ordered instance has started (unless the order was cancelled).
    InstanceReady {
        scaler: u32,
        station: u32,
        epoch: u32,
    },
    /// A failed message's visibility timeout ran out.
    Redeliver {
        queue: u32,
        slot: u32,
    },
    /// A router health-checks its targets.
    RouterCheck {
        router: u32,
    },
    /// Measurement starts.
    WarmupEnd,
    /// A time-series window closes.
    WindowEnd,
}

/// Who waits for a call's answer.
#[derive(Copy, Clone, Debug)]
enum Owner {
    /// A client request; `user` is the closed-loop user, or `NONE`.
    Client { client: u32, user: u32 },
    /// A job blocked in a call or parallel step.
    Job { job: u32, generation: u32 },
    /// A balancer's health check of one replica.
    Probe { balancer: u32, replica: u32 },
    /// A cache's background refresh of one key.
    Refresh { station: u32, key: u64 },
    /// A queue's delivery of one message to a consumer.
    Consumer { queue: u32, slot: u32 },
    /// Nobody: fire-and-forget work not tied to a request (flushes).
    Detached,
}

/// A call site: where calls from one place go, over which link, with what
/// timeout.
struct Site {
    target: Target,
    link: u32,
    timeout: Option<Time>,
    retry: Option<policy::Retry>,
    hedge: Option<policy::Hedge>,
    breaker: Option<policy::Breaker>,
    /// Bulkhead: calls at once per calling station, and their counts.
    bulkhead: Option<(u32, Vec<u32>)>,
    stats: SiteStats,
    /// Connection pools of this site: `first + caller_local * per_caller +
    /// target_local`, or `NONE` for no pool.
    pool_first: u32,
    pool_per_caller: u32,
    /// The operation calls from here carry; `None` keeps the request's.
    op: Option<Op>,
    /// Queue deliveries: consumers pull, so a message goes to the serving
    /// instance with the fewest requests present.
    pull: bool,
    /// Names, for results.
    caller: String,
    callee: String,
}

impl Site {
    fn new(target: Target, link: u32, timeout: Option<Time>) -> Self {
        Self {
            target,
            link,
            timeout,
            retry: None,
            hedge: None,
            breaker: None,
            bulkhead: None,
            stats: SiteStats::default(),
            pool_first: NONE,
            pool_per_caller: 0,
            op: None,
            pull: false,
            caller: String::new(),
            callee: String::new(),
        }
    }
}

/// What a call site did, after warm-up: how much a call was amplified.
#[derive(Clone, Debug, Default)]
struct SiteStats {
    calls: u64,
    attempts: u64,
    retries: u64,
    hedges: u64,
    budget_denied: u64,
    fallbacks: u64,
}

/// A runtime handler step.
enum Step {
    Compute(Dist),
    /// `count` calls to the sites `first..first + count`, of which `needed`
    /// must succeed (zero: fire and forget).
    Calls {
        first: u32,
        count: u32,
        needed: u32,
    },
    /// Cache-aside from a service: look up, on a miss read the origin and
    /// fill; writes go to the origin and invalidate. Fields are call sites.
    CacheAside {
        cache: u32,
        origin: u32,
        fill: u32,
        invalidate: u32,
        single_flight: bool,
    },
    /// Cache node: look the key up; fetch from the origin on a miss
    /// (read-through), or answer `Miss` (cache-aside).
    CacheRead,
    /// Cache node: store the key just fetched or written.
    CacheStore,
    /// Cache node: apply the write policy.
    CacheWrite,
    /// Cache node: drop the key.
    CacheRemove,
    /// Datastore primary: record the write's version.
    Commit,
    /// Datastore primary: send the write to the shard's replicas; wait for
    /// `needed` of them.
    Replicate {
        needed: u32,
    },
    /// Datastore replica: record that the write is applied.
    Apply,
    /// Queue: store the message in every consumer group.
    Enqueue,
}

/// What a step asks the job to do next.
enum Next {
    /// Wait for an event (compute finished, calls answered).
    Wait,
    /// Go on to the next step now.
    Continue,
    /// Answer the caller now.
    Finish(Outcome),
}

/// What kind of component a runtime service is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum ServiceKind {
    Plain,
    Cache(u32),
    Datastore(u32),
    Queue(u32),
}

/// A logical call: one request from an owner to a target, made of one or
/// more attempts (retries, hedges).
struct Call {
    generation: u32,
    owner: Owner,
    site: u32,
    req: Req,
    born: Time,
    /// Network time of the answering attempt, in ns.
    net: Time,
    attempts: u32,
    /// Attempts in flight, at most two (a hedge).
    live: [u32; 2],
    last_error: ErrorKind,
    /// The previous backoff, for decorrelated jitter.
    backoff: Time,
    hedge_timer: Option<TimerId>,
}

/// One try of a call.
struct Attempt {
    generation: u32,
    call: u32,
    call_generation: u32,
    timer: Option<TimerId>,
    sent: Time,
    net: Time,
    /// The balancer it went through and the replica it picked, if any.
    balancer: u32,
    replica: u32,
    /// The pool whose connection it holds, or waits for.
    pool: u32,
    /// The station it is headed for, while it waits for a connection.
    station: u32,
    /// The calling station, for its bulkhead.
    bulkhead: u32,
    /// A half-open breaker's probe.
    probe: bool,
    /// Lost on the network: its timeout reports `Lost`.
    lost: bool,
    /// The job serving it, once sent, so a cancellation can reach it.
    job: u32,
    job_generation: u32,
}

struct Job {
    /// Bumped when a step's calls are settled and when the job ends, so
    /// answers to calls it no longer waits for are ignored.
    generation: u32,
    station: u32,
    attempt: u32,
    attempt_generation: u32,
    req: Req,
    arrived: Time,
    /// The station's crash epoch at admission: a crash drops the job.
    epoch: u32,
    /// Its index in the station's `present` list, or `NONE` before admission.
    slot: u32,
    /// It already passed the station's rate limiter (after a delay).
    limited: bool,
    /// Its caller cancelled it (a hedge or tied copy that lost): it is
    /// dropped before service. A caller that merely timed out does not
    /// cancel; the station cannot tell.
    cancelled: bool,
    /// Start of the current wait, compute or block segment.
    mark: Time,
    pc: u16,
    /// Progress within a multi-call step (cache-aside).
    phase: u8,
    holds_worker: bool,
    probe: bool,
    /// Single flight: this job's fetch is the one others wait for.
    leads_fetch: bool,
    /// Calls of the current step not yet settled, successes and failures.
    outstanding: u32,
    successes: u32,
    failures: u32,
    needed: u32,
    last_error: ErrorKind,
    wait_ns: Time,
    compute_ns: Time,
    downstream_ns: Time,
}

struct Service {
    name: String,
    kind: ServiceKind,
    first_station: u32,
    /// Stations (replicas; for a datastore, shards x nodes per shard; for
    /// an autoscaled service, its largest fleet).
    replicas: u32,
    /// Stations taking requests: the first `active` (all but for autoscaled
    /// services).
    active: u32,
    /// Requests that reached a station, admitted or not, warm-up included
    /// (what autoscaling reads).
    offered: u64,
    workers: u32,
    cursor: u32,
    /// Handlers, and which one each operation runs.
    handlers: Vec<Vec<Step>>,
    handler_of: [u8; Op::COUNT],
    hold_worker: bool,
    /// Drop requests whose deadline has passed instead of serving them.
    deadline_aware: bool,
    /// After its calls, a job goes on without a worker (event-driven
    /// cache nodes) instead of queueing for one.
    continue_without_worker: bool,
    /// Priority of each request class (by class index).
    priorities: Vec<u32>,
    stats: ServiceStats,
}

/// Per-service measurements of jobs that arrived after warm-up.
struct ServiceStats {
    response: LatencyHistogram,
    finished: u64,
    failed: u64,
    wait_sum: u128,
    compute_sum: u128,
    downstream_sum: u128,
    /// Time present after warm-up, summed over the jobs that arrived after
    /// it (`present_ns`) and over those that arrived before (`carried_ns`);
    /// jobs still present at the end count up to the end. Little's law in
    /// its sample-path form.
    present_ns: u128,
    carried_ns: u128,
}

/// The whole runtime state of one replication.
struct World {
    measure_from: Time,
    measuring: bool,
    clients: Vec<Client>,
    balancers: Vec<Balancer>,
    services: Vec<Service>,
    stations: Vec<Station>,
    sites: Vec<Site>,
    links: Vec<Link>,
    faults: Vec<fault::Fault>,
    caches: Vec<Cache>,
    datastores: Vec<Datastore>,
    autoscalers: Vec<Autoscaler>,
    queues: Vec<MessageQueue>,
    /// Messages waiting in all queues, for the runaway guard.
    backlog: usize,
    routers: Vec<Router>,
    pools: Vec<Pool>,
    /// For results: each pooled call site as (caller, target, first pool,
    /// pools).
    pool_sites: Vec<(String, String, u32, u32)>,
    /// Cache-aside single flight: (service, key) to the jobs waiting on the
    /// fetch in progress.
    aside_inflight: std::collections::HashMap<(u32, u64), Vec<(u32, u32)>>,
    jobs: Slab<Job>,
    calls: Slab<Call>,
    attempts: Slab<Attempt>,
    /// For shared random choices on the request path (failures, jitter).
    rng: tailsim_engine::rng::SimRng,
    max_in_flight: usize,
    runaway: Option<String>,
    born: u64,
    settled: u64,
    // Time series.
    window: WindowClock,
    window_latency: LatencyHistogram,
    window_ok: u64,
    window_errors: u64,
    window_hits: u64,
    window_misses: u64,
    queued_total: TimeWeighted,
    series: Vec<WindowRow>,
    fault_windows: Vec<crate::result::FaultWindow>,
    /// The window SLO, if any: its p99 bound; and the error-rate bound
    /// (1% unless it says).
    window_slo: bool,
    slo_p99: Option<Time>,
    slo_error_rate: f64,
    end: Time,
    /// The time of the event being handled.
    now: Time,
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
        let (world, sched) = World::build(spec, seed, warmup);
        let stop = StopRule { until: spec.sim.duration.0, max_events: spec.sim.max_events };
        Ok(Self { sched, world, stop, seed })
    }

    /// Overrides the warm-up, for example with one detected by a pilot run.
    pub fn with_warmup(mut self, warmup: Time) -> Self {
        self.world.measure_from = warmup;
        self.world.measuring = warmup == 0;
        self.world.window = WindowClock::new(warmup, self.world.window.width());
        self
    }

    /// Runs the replication to the end and returns what it measured.
    pub fn run(mut self) -> RunResult {
        self.world.end = self.stop.until;
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
        self.now = sched.now();
        match event {
            Event::Arrival { client, epoch } => self.on_arrival(client, epoch, sched),
            Event::UserSend { client, user } => self.send_request(client, user, sched),
            Event::Modulate { client } => self.on_modulate(client, sched),
            Event::Deliver { job, generation } => {
                if self.jobs[job].generation == generation {
                    self.admit(job, sched)
                }
            }
            Event::ComputeDone { job, generation } => {
                if self.jobs[job].generation == generation {
                    self.on_compute_done(job, sched)
                }
            }
            Event::Reply { attempt, generation, outcome } => self.attempt_done(attempt, generation, outcome, sched),
            Event::Timeout { attempt } => self.on_timeout(attempt, sched),
            Event::Retry { call, generation } => self.on_retry(call, generation, sched),
            Event::Hedge { call, generation } => self.on_hedge(call, generation, sched),
            Event::Probe { balancer, replica } => self.on_probe(balancer, replica, sched),
            Event::Readmit { balancer, replica } => self.balancers[balancer as usize].readmit(replica),
            Event::AcquireTimeout { attempt, generation } => self.on_acquire_timeout(attempt, generation, sched),
            Event::FaultStart { fault } => self.on_fault_start(fault, sched),
            Event::FaultEnd { fault } => self.on_fault_end(fault, sched),
            Event::Promote { datastore, shard } => self.on_promote(datastore, shard, sched),
            Event::Flush { station, key, epoch } => self.on_flush(station, key, epoch, sched),
            Event::Prewarm { cache, entry } => self.on_prewarm(cache, entry, sched.now()),
            Event::ScaleTick { scaler } => self.on_scale_tick(scaler, sched),
            Event::InstanceReady { scaler, station, epoch } => self.on_instance_ready(scaler, station, epoch, sched),
            Event::Redeliver { queue, slot } => self.redeliver(queue, slot, sched),
            Event::RouterCheck { router } => self.on_router_check(router, sched),
            Event::WarmupEnd => self.on_warmup_end(sched.now()),
            Event::WindowEnd => self.on_window_end(sched),
        }
        if self.attempts.live() > self.max_in_flight
            || self.jobs.live() > self.max_in_flight
            || self.backlog > self.max_in_flight
        {
            self.runaway = Some(self.runaway_message(sched.now()));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

/// A client's open-loop rate over time, for static analysis.
pub struct RateProfileProbe {
    profile: traffic::RateProfile,
    /// Long-run mean and peak of the burst or on/off multiplier.
    duty: (f64, f64),
}

impl RateProfileProbe {
    pub fn new(c: &crate::spec::ClientSpec) -> Self {
        let duty = if let Some(b) = &c.burst {
            let (between, burst) = (b.mean_between.0 as f64, b.mean_burst.0 as f64);
            ((between + b.factor * burst) / (between + burst), b.factor.max(1.0))
        } else if let Some(o) = &c.on_off {
            (o.mean_on.0 as f64 / (o.mean_on.0 + o.mean_off.0) as f64, 1.0)
        } else {
            (1.0, 1.0)
        };
        Self { profile: traffic::RateProfile::new(c), duty }
    }

    /// The mean rate over [0, `duration`): exact for steps, ramps and
    /// spikes (a schedule read from a rate file included); with a diurnal
    /// curve, by the midpoint rule on 10,000 steps.
    pub fn mean_rate(&self, duration: Time) -> f64 {
        if let Some(mean) = self.profile.exact_mean(duration) {
            return mean * self.duty.0;
        }
        const STEPS: u64 = 10_000;
        let dt = (duration / STEPS).max(1);
        let n = (duration / dt).max(1);
        let sum: f64 = (0..n).map(|i| self.profile.rate_at(i * dt + dt / 2)).sum();
        sum / n as f64 * self.duty.0
    }

    /// The highest instantaneous rate.
    pub fn peak_rate(&self) -> f64 {
        self.profile.max() * self.duty.1
    }
}

/// Builds and runs one replication of `spec` with `seed`.
pub fn run(spec: &ModelSpec, seed: u64) -> Result<RunResult, Vec<SpecError>> {
    Ok(Simulation::new(spec, seed)?.run())
}
