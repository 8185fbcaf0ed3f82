//! The simulation: runtime state built from a model, and the handling of
//! events until the run ends.
//!
//! A request is born at a client as a *call* to the client's target. A call
//! picks a station (one replica) through a balancer or the service's own
//! routing, crosses its network link, and becomes a *job* there: queued or
//! rejected, then run by a worker through the service's steps. A `call`
//! step makes a child call and waits; a `parallel` step makes several and
//! waits for all, the first, or k of them. When the steps are done the job
//! answers its call over the link, and the call's owner (a client, a
//! waiting job, a health probe) carries on.
//!
//! The state is split along the model into parts with one owner each:
//! [`request::Requests`] (the slabs of calls, attempts and jobs),
//! stations and their services, call sites, links and pools, one part per
//! component kind (clients, balancers, caches, datastores, queues),
//! [`Control`] (faults, autoscalers, routers) and the [`meter::Meter`]
//! (warm-up, windows, the time series). Each kind's module owns its
//! build, its events, its handler steps and its results. Events are one
//! plain enum of per-kind enums, handled by one loop; nothing on the
//! per-event path is a trait object.

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
mod flight;
mod flow;
mod key_map;
mod kind;

mod limits;
mod meter;
mod network;
mod policy;
mod pool;
mod queue;
mod request;
mod router;
mod service;
mod site;
mod slab;
mod station;
mod store;
mod top_keys;

use std::ops::ControlFlow;

use tailsim_engine::scheduler::{self, Scheduler, StopRule};
use tailsim_engine::time::Time;

use crate::ids::{
    BalancerId, CacheId, ClientId, DatastoreId, FaultId, IdVec, LinkId, RouterId, ScalerId, ServiceId, SiteId,
    StationId,
};
use crate::model::Model;
use crate::result::RunResult;
use crate::spec::ModelSpec;
use crate::validate::SpecError;
use autoscale::{AutoscaleEvent, Autoscaler};
use balancer::{Balancer, BalancerEvent};
use cache::{Cache, CacheEvent};
use client::{Client, ClientEvent};
use datastore::{Datastore, DatastoreEvent};
use fault::{Fault, FaultEvent};
use flight::SingleFlight;
use flow::JobEvent;
use limits::Limits;
use meter::{Meter, MeterEvent};
use network::Link;
use pool::Pools;
use queue::{QueueEvent, Queues};
use request::Requests;
use router::{Router, RouterEvent};
use service::Service;
use site::Site;
use station::Station;

/// Everything that can happen, by the part that handles it.
#[derive(Copy, Clone, Debug)]
pub enum Event {
    Client(ClientEvent),
    Job(JobEvent),
    Call(call::CallEvent),
    Balancer(BalancerEvent),
    Fault(FaultEvent),
    Datastore(DatastoreEvent),
    Cache(CacheEvent),
    Autoscale(AutoscaleEvent),
    Queue(QueueEvent),
    Router(RouterEvent),
    Meter(MeterEvent),
}

/// Faults, autoscalers and routers: the parts that change the system
/// while it runs.
#[derive(Default)]
struct Control {
    faults: IdVec<FaultId, Fault>,
    autoscalers: IdVec<ScalerId, Autoscaler>,
    routers: IdVec<RouterId, Router>,
}

/// The whole runtime state of one replication.
struct World {
    /// The time of the event being handled.
    now: Time,
    end: Time,
    meter: Meter,
    limits: Limits,
    requests: Requests,
    clients: IdVec<ClientId, Client>,
    balancers: IdVec<BalancerId, Balancer>,
    services: IdVec<ServiceId, Service>,
    stations: IdVec<StationId, Station>,
    sites: IdVec<SiteId, Site>,
    links: IdVec<LinkId, Link>,
    pools: Pools,
    caches: IdVec<CacheId, Cache>,
    flights: SingleFlight,
    datastores: IdVec<DatastoreId, Datastore>,
    queues: Queues,
    control: Control,
    /// For shared random choices on the request path (retry jitter).
    rng: tailsim_engine::rng::SimRng,
}

/// One replication, ready to run.
pub struct Simulation {
    sched: Scheduler<Event>,
    world: World,
    stop: StopRule,
    seed: u64,
}

impl Simulation {
    /// Builds a replication of `model` with master seed `seed`. The warm-up
    /// is the model's fixed warm-up, or zero when it is to be detected (see
    /// [`with_warmup`](Self::with_warmup)).
    pub fn new(model: &Model, seed: u64) -> Self {
        let sim = &model.spec().sim;
        let warmup = sim.fixed_warmup().map_or(0, |d| d.0);
        let (world, sched) = World::build(model, seed, warmup);
        let stop = StopRule { until: sim.duration.0, max_events: sim.max_events };
        Self { sched, world, stop, seed }
    }

    /// Overrides the warm-up, for example with one detected by a pilot run.
    pub fn with_warmup(mut self, warmup: Time) -> Self {
        self.world.meter.set_warmup(warmup);
        self
    }

    /// Runs the replication to the end and returns what it measured.
    pub fn run(self) -> RunResult {
        self.run_reporting(u64::MAX, &mut |_| ControlFlow::Continue(()))
    }

    /// Like [`run`](Self::run), and calls `progress(now)` with the
    /// simulated time after every `every` events (for a progress bar).
    /// The result is the same as `run`'s, unless `progress` breaks, which
    /// stops the run there ([`StopReason::Halted`](tailsim_engine::StopReason::Halted)).
    ///
    /// One function, never inlined, not generic: the event loop exists
    /// once in the binary, so each handler has a single call site and the
    /// compiler inlines it there. (Measured: with the loop generic over
    /// the callback there were two copies, two handlers fell out of line,
    /// and M/M/1 ran 1.9% more instructions.)
    #[inline(never)]
    pub fn run_reporting(mut self, every: u64, progress: &mut dyn FnMut(Time) -> ControlFlow<()>) -> RunResult {
        self.world.end = self.stop.until;
        let meter = &self.world.meter;
        if meter.measure_from() > 0 {
            self.sched.schedule(meter.measure_from(), Event::Meter(MeterEvent::WarmupEnd));
        }
        self.sched.schedule(meter.next_window_end(), Event::Meter(MeterEvent::WindowEnd));
        let outcome =
            scheduler::run_reporting(&mut self.world, &mut self.sched, self.stop, every, |now, _| progress(now));
        self.world.finish(self.seed, outcome)
    }
}

impl scheduler::Model for World {
    type Event = Event;

    #[inline]
    fn handle(&mut self, event: Event, sched: &mut Scheduler<Event>) -> ControlFlow<()> {
        self.now = sched.now();
        match event {
            Event::Client(e) => self.on_client_event(e, sched),
            Event::Job(e) => self.on_job_event(e, sched),
            Event::Call(e) => self.on_call_event(e, sched),
            Event::Balancer(e) => self.on_balancer_event(e, sched),
            Event::Fault(e) => self.on_fault_event(e, sched),
            Event::Datastore(e) => self.on_datastore_event(e),
            Event::Cache(e) => self.on_cache_event(e, sched),
            Event::Autoscale(e) => self.on_autoscale_event(e, sched),
            Event::Queue(e) => self.on_queue_event(e, sched),
            Event::Router(e) => self.on_router_event(e, sched),
            Event::Meter(e) => self.on_meter_event(e, sched),
        }
        if self.limits.exceeded(&self.requests, self.queues.backlog) {
            let message = self.runaway_message(sched.now());
            self.limits.runaway = Some(message);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

/// Resolves `spec`, then builds and runs one replication with `seed`.
pub fn run(spec: &ModelSpec, seed: u64) -> Result<RunResult, Vec<SpecError>> {
    Ok(Simulation::new(&Model::resolve(spec)?, seed).run())
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        // The event set holds one per pending event: size is speed.
        assert!(std::mem::size_of::<super::Event>() <= 24, "{}", std::mem::size_of::<super::Event>());
    }
}
