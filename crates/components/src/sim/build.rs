//! Builds the runtime state of one replication from a validated model.
//!
//! Services, caches, datastores and queues all become runtime services
//! with stations and handlers: a cache's handlers look up and fill, a
//! datastore's read, commit and replicate. Their order is services, then
//! caches, then datastores, then queues, each by name.

use std::collections::BTreeMap;

use tailsim_engine::rng::stream;
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::Time;

use super::aside::AsideSites;
use super::autoscale::Autoscaler;
use super::balancer::Balancer;
use super::cache::{Cache, CacheStep};
use super::client::{Client, ClientEvent, Loop};
use super::datastore::{Datastore, DatastoreStep};
use super::fault::{Fault, blackhole, timing_of};
use super::flight::{FlightKind, SingleFlight};
use super::limits::Limits;
use super::meter::Meter;
use super::network::Link;
use super::policy::{Breaker, Hedge, Retry};
use super::pool::Pools;
use super::queue::{MessageQueue, QueueStep, Queues};
use super::request::{Op, Requests};
use super::router::Router;
use super::service::{Service, ServiceKind, ServiceStats, Step};
use super::site::{Site, SitePools, Target};
use super::station::{Station, StationOptions};
use super::{Control, Event, World};
use crate::dist::Dist;
use crate::ids::{BalancerId, ClientId, FlightId, Id, IdVec, LinkId, ServiceId, SiteId, StationId};
use crate::model::{Component, Model};
use crate::spec::{
    CallSpec, DisciplineSpec, DistAt, FaultKindSpec, ReplicationSpec, ServiceSpec, StepSpec, TtlSpec, WaitSpec,
    WritePolicySpec,
};

/// Interns links by (from, to) so each pair has one stream.
struct Links<'a> {
    model: &'a Model,
    seed: u64,
    index: BTreeMap<(String, String), LinkId>,
    links: IdVec<LinkId, Link>,
}

impl Links<'_> {
    fn get(&mut self, from: &str, to: &str) -> LinkId {
        let key = (from.to_string(), to.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let m = self.model;
        let cross = match (m.region_name(from), m.region_name(to)) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        // The last link entry for this pair wins: its latency, or else the
        // model's (cross-region) latency.
        let net = &m.spec().network;
        let over = net.link.iter().enumerate().rev().find(|(_, l)| l.from == from && l.to == to);
        let latency = match over {
            Some((i, l)) if l.latency.is_some() => Some(m.dist(&DistAt::LinkLatency(i))),
            _ if cross => Some(m.dist(&DistAt::CrossRegion)),
            _ => net.latency.as_ref().map(|_| m.dist(&DistAt::NetworkLatency)),
        };
        let loss = over.and_then(|(_, l)| l.loss).unwrap_or(net.loss);
        let id = self.links.push(Link::new(latency.cloned(), loss, from, to, self.seed));
        self.index.insert(key, id);
        id
    }
}

/// The growing tables of call sites, pools and single-flight scopes.
struct Builder<'a> {
    model: &'a Model,
    /// Stations of each runtime service.
    stations: Vec<u32>,
    links: Links<'a>,
    sites: IdVec<SiteId, Site>,
    pools: Pools,
    flights: SingleFlight,
}

impl Builder<'_> {
    fn target(&self, name: &str) -> Target {
        match self.model.component(name) {
            Some(Component::Balancer(b)) => Target::Balancer(b),
            _ => Target::Service(self.service(name)),
        }
    }

    /// The runtime service `name` is or stands for (a balancer's target).
    fn service(&self, name: &str) -> ServiceId {
        self.model.service_behind(name).expect("resolved names")
    }

    /// Stations behind `name` (a balancer's service's).
    fn stations_behind(&self, name: &str) -> u32 {
        self.stations[self.service(name).index()]
    }

    /// A call site from `caller` (with `caller_stations` stations) for `call`.
    fn site(&mut self, caller: &str, caller_stations: u32, call: &CallSpec, op: Option<Op>) -> SiteId {
        let link = self.links.get(caller, &call.target);
        let mut site = Site::new(self.target(&call.target), link, call.timeout.map(|t| t.0));
        site.op = op;
        site.caller = caller.to_string();
        site.callee = call.target.clone();
        site.retry = call.retry.as_ref().map(Retry::new);
        site.hedge = call.hedge.as_ref().map(Hedge::new);
        site.breaker = call.breaker.as_ref().map(Breaker::new);
        site.bulkhead = call.bulkhead.as_ref().map(|b| (b.max_concurrent, vec![0; caller_stations as usize]));
        if let Some(p) = &call.pool {
            let per_caller = self.stations_behind(&call.target);
            let count = caller_stations * per_caller;
            let first = self.pools.add_group(caller, &call.target, count, p.size, p.acquire_timeout.0);
            site.pools = Some(SitePools { first, per_caller });
        }
        self.sites.push(site)
    }

    /// The runtime steps of a handler (`dists` holds the compute steps'
    /// distributions, aligned with `specs`), with `flight` the caller's
    /// cache-aside single-flight scope (made on first use).
    fn steps(
        &mut self,
        caller: &str,
        caller_stations: u32,
        specs: Vec<StepSpec>,
        dists: Vec<Option<&Dist>>,
        flight: &mut Option<FlightId>,
    ) -> Vec<Step> {
        specs
            .into_iter()
            .zip(dists)
            .map(|(step, dist)| {
                let (calls, wait) = match step {
                    StepSpec::Compute(_) => return Step::Compute(dist.expect("resolved").clone()),
                    StepSpec::CacheAside { cache, origin, single_flight } => {
                        let lookup = CallSpec { timeout: origin.timeout, ..CallSpec::new(&cache) };
                        let sites = AsideSites {
                            cache: self.site(caller, caller_stations, &lookup, Some(Op::Read)),
                            origin: self.site(caller, caller_stations, &origin, None),
                            fill: self.site(caller, caller_stations, &lookup, Some(Op::Fill)),
                            invalidate: self.site(caller, caller_stations, &lookup, Some(Op::Invalidate)),
                            flight: single_flight
                                .then(|| *flight.get_or_insert_with(|| self.flights.add_scope(FlightKind::Aside))),
                        };
                        return Step::CacheAside(sites);
                    }
                    StepSpec::Call(call) => (vec![call], WaitSpec::All),
                    StepSpec::Parallel { calls, wait } => (calls, wait),
                };
                let first = self.sites.next_id();
                for call in &calls {
                    self.site(caller, caller_stations, call, None);
                }
                let count = calls.len() as u32;
                let needed = match wait {
                    WaitSpec::All => count,
                    WaitSpec::First => 1,
                    WaitSpec::Some(k) => k,
                    WaitSpec::None => 0,
                };
                Step::Calls { first, count, needed }
            })
            .collect()
    }
}

/// A runtime service with the defaults every kind but plain services uses.
fn runtime_service(name: &str, kind: ServiceKind, first: StationId, stations: u32, workers: u32) -> Service {
    Service {
        name: name.to_string(),
        kind,
        first_station: first,
        replicas: stations,
        active: stations,
        workers,
        cursor: 0,
        offered: 0,
        handlers: Vec::new(),
        handler_of: [0; Op::COUNT],
        hold_worker: true,
        continue_without_worker: false,
        deadline_aware: false,
        priorities: Vec::new(),
        stats: ServiceStats::new(),
    }
}

impl World {
    pub(super) fn build(model: &Model, seed: u64, warmup: Time) -> (World, Scheduler<Event>) {
        let spec = model.spec();
        // Stations of each runtime service, in the model's service order
        // (services, caches, datastores, queues, each by name).
        let stations_per_service = spec
            .service
            .values()
            .map(stations_of)
            .chain(spec.cache.values().map(|c| c.replicas))
            .chain(spec.datastore.values().map(|d| d.shards * (d.replicas + 1)))
            .chain(spec.queue.values().map(|_| 1))
            .collect();
        let mut b = Builder {
            model,
            stations: stations_per_service,
            links: Links { model, seed, index: BTreeMap::new(), links: IdVec::default() },
            sites: IdVec::default(),
            pools: Pools::default(),
            flights: SingleFlight::default(),
        };

        let mut services: IdVec<ServiceId, Service> = IdVec::default();
        let mut stations: IdVec<StationId, Station> = IdVec::default();
        for (name, s) in &spec.service {
            let index = services.next_id();
            let count = stations_of(s);
            let mut flight = None;
            let mut handlers = vec![b.steps(name, count, s.all_steps(), model.handler_dists(name, false), &mut flight)];
            let mut handler_of = [0u8; Op::COUNT];
            if s.write_steps.is_some() {
                let dists = model.handler_dists(name, true);
                handlers.push(b.steps(name, count, s.all_write_steps(), dists, &mut flight));
                handler_of[Op::Write as usize] = 1;
            }
            let mut svc = runtime_service(name, ServiceKind::Plain, stations.next_id(), count, s.workers);
            svc.active = s.replicas;
            svc.handlers = handlers;
            svc.handler_of = handler_of;
            svc.hold_worker = s.hold_worker;
            svc.deadline_aware = s.deadline_aware;
            svc.priorities = model.classes().iter().map(|c| s.priorities.get(c).copied().unwrap_or(u32::MAX)).collect();
            services.push(svc);
            for r in 0..count {
                let speed = s.replica_speed.as_ref().map_or(1.0, |v| v[r as usize]);
                let rng = stream(seed, &format!("service.{name}[{r}]"));
                let options = StationOptions {
                    limiter: s.rate_limit.as_ref(),
                    shed: s.shed.as_ref(),
                    failure: s.failure_probability,
                    zone: model.zone_of_replica(&s.zones, r),
                };
                stations.push(Station::new(index, s.workers, s.queue_capacity, s.discipline, speed, rng, options));
            }
        }

        let mut caches = IdVec::default();
        for (name, c) in &spec.cache {
            let index = services.next_id();
            let origin = CallSpec { timeout: c.origin_timeout, ..CallSpec::new(&c.origin) };
            let origin_site = b.site(name, c.replicas, &origin, None);
            let time = model.dist(&DistAt::CacheTime(name.clone())).clone();
            let write_tail = match c.write_policy {
                WritePolicySpec::WriteThrough => vec![Step::Cache(CacheStep::Store)],
                WritePolicySpec::Invalidate => vec![Step::Cache(CacheStep::Remove)],
                WritePolicySpec::WriteBehind => vec![],
            };
            let mut write = vec![Step::Compute(time.clone()), Step::Cache(CacheStep::Write)];
            write.extend(write_tail);
            let cache_id = caches.next_id();
            let mut svc =
                runtime_service(name, ServiceKind::Cache(cache_id), stations.next_id(), c.replicas, c.workers);
            svc.handlers = vec![
                vec![Step::Compute(time.clone()), Step::Cache(CacheStep::Read), Step::Cache(CacheStep::Store)],
                write,
                vec![Step::Compute(time.clone()), Step::Cache(CacheStep::Store)],
                vec![Step::Compute(time), Step::Cache(CacheStep::Remove)],
            ];
            svc.handler_of = [0, 1, 2, 3, 0];
            svc.hold_worker = false;
            svc.continue_without_worker = true;
            services.push(svc);
            for r in 0..c.replicas {
                let rng = stream(seed, &format!("cache.{name}[{r}]"));
                let options = StationOptions { zone: model.zone_of_replica(&c.zones, r), ..Default::default() };
                stations.push(Station::new(
                    index,
                    c.workers,
                    c.queue_capacity,
                    DisciplineSpec::Fifo,
                    1.0,
                    rng,
                    options,
                ));
            }
            let flights = c.single_flight.then(|| {
                let first = b.flights.add_scope(FlightKind::CacheNode);
                for _ in 1..c.replicas {
                    b.flights.add_scope(FlightKind::CacheNode);
                }
                first
            });
            let ttl = c.ttl.as_ref().map(|t| match t {
                TtlSpec::Fixed(d) => Dist::Constant(d.0),
                TtlSpec::Drawn(_) => model.dist(&DistAt::CacheTtl(name.clone())).clone(),
            });
            let rng = stream(seed, &format!("cache.{name}"));
            caches.push(Cache::new(name.clone(), c, ttl, origin_site, flights, rng));
        }

        let mut datastores = IdVec::default();
        for (name, d) in &spec.datastore {
            let index = services.next_id();
            let needed = match d.replication {
                ReplicationSpec::Async => 0,
                ReplicationSpec::Sync => d.replicas,
                ReplicationSpec::Quorum => d.quorum.unwrap_or(1).saturating_sub(1),
            };
            let read = model.dist(&DistAt::ReadTime(name.clone())).clone();
            let write = model.dist(&DistAt::WriteTime(name.clone())).clone();
            let lag = d.replication_lag.as_ref().map(|_| model.dist(&DistAt::ReplicationLag(name.clone())).clone());
            let link = b.links.links.push(Link::replication(lag, &format!("replication.{name}"), seed));
            let mut site = Site::new(Target::Station, link, None);
            site.op = Some(Op::Replicate);
            let replication_site = b.sites.push(site);
            let nodes = d.shards * (d.replicas + 1);
            let mut svc = runtime_service(
                name,
                ServiceKind::Datastore(datastores.next_id()),
                stations.next_id(),
                nodes,
                d.workers,
            );
            svc.handlers = vec![
                vec![Step::Compute(read)],
                vec![
                    Step::Compute(write.clone()),
                    Step::Datastore(DatastoreStep::Commit),
                    Step::Datastore(DatastoreStep::Replicate { needed }),
                ],
                vec![Step::Compute(write), Step::Datastore(DatastoreStep::Apply)],
            ];
            svc.handler_of = [0, 1, 0, 0, 2];
            services.push(svc);
            for node in 0..nodes {
                let (shard, role) = (node / (d.replicas + 1), node % (d.replicas + 1));
                let rng = stream(seed, &format!("datastore.{name}[{shard}.{role}]"));
                let options = StationOptions { zone: model.zone_of_replica(&d.zones, role), ..Default::default() };
                stations.push(Station::new(
                    index,
                    d.workers,
                    d.queue_capacity,
                    DisciplineSpec::Fifo,
                    1.0,
                    rng,
                    options,
                ));
            }
            let rng = stream(seed, &format!("datastore.{name}"));
            datastores.push(Datastore::new(name.clone(), index, d, replication_site, rng));
        }

        let mut queues = Queues::default();
        for (name, q) in &spec.queue {
            let index = services.next_id();
            let mut svc = runtime_service(name, ServiceKind::Queue(queues.next_id()), stations.next_id(), 1, 1);
            svc.handlers = vec![vec![Step::Queue(QueueStep::Enqueue)]];
            services.push(svc);
            let rng = stream(seed, &format!("queue.{name}"));
            stations.push(Station::new(index, 1, None, DisciplineSpec::Fifo, 1.0, rng, StationOptions::default()));
            let groups = q
                .consumers
                .iter()
                .map(|(g, group)| {
                    let call = CallSpec { timeout: Some(q.visibility_timeout), ..CallSpec::new(&group.service) };
                    let site = b.site(name, 1, &call, None);
                    b.sites[site].pull = true;
                    (g.clone(), b.service(&group.service), site)
                })
                .collect();
            queues.push(MessageQueue::new(name.clone(), q, groups));
        }

        let balancers: IdVec<BalancerId, Balancer> = spec
            .balancer
            .iter()
            .map(|(name, bal)| {
                let service = b.service(&bal.target);
                let replicas = b.stations[service.index()];
                let link = b.links.get(name, &bal.target);
                let mut site = Site::new(Target::Station, link, None);
                site.timeout = bal.health_check.as_ref().map(|h| h.timeout.0);
                let probe_site = b.sites.push(site);
                let rng = stream(seed, &format!("balancer.{name}"));
                let mut balancer = Balancer::new(name.clone(), service, replicas, bal, probe_site, rng);
                balancer.set_active(services[service].active);
                balancer
            })
            .collect();

        let clients: IdVec<ClientId, Client> = spec
            .client
            .iter()
            .map(|(name, c)| {
                // A router's client gets one call site per router target.
                let targets: Vec<&str> = match spec.router.get(&c.target) {
                    Some(r) => r.targets.iter().map(String::as_str).collect(),
                    None => vec![c.target.as_str()],
                };
                let mut site = None;
                for target in targets {
                    let call = CallSpec {
                        timeout: c.timeout,
                        retry: c.retry.clone(),
                        hedge: c.hedge.clone(),
                        breaker: c.breaker.clone(),
                        ..CallSpec::new(target)
                    };
                    let s = b.site(name, 1, &call, None);
                    site.get_or_insert(s);
                }
                let site = site.expect("a client has a target");
                let think = c.think_time.as_ref().map(|_| model.dist(&DistAt::ThinkTime(name.clone())).clone());
                let rng = stream(seed, &format!("client.{name}"));
                let mut client = Client::new(name.clone(), site, model.class_of(name), c, think, rng);
                client.router = match model.component(&c.target) {
                    Some(Component::Router(r)) => Some(r),
                    _ => None,
                };
                client.region = model.region_of(name);
                client
            })
            .collect();
        let routers = spec
            .router
            .iter()
            .map(|(name, r)| {
                let svcs = r.targets.iter().map(|t| b.service(t));
                let regs = r.targets.iter().map(|t| model.region_of(t)).collect();
                Router::new(name.clone(), r, svcs.collect(), regs, stream(seed, &format!("router.{name}")))
            })
            .collect();
        let autoscalers = spec
            .service
            .iter()
            .filter_map(|(name, s)| {
                let a = s.autoscale.as_ref()?;
                let service = b.service(name);
                let (shares, mean_s) = predictive_shares(model, name);
                Some(Autoscaler::new(service, s.replicas, a, shares, mean_s))
            })
            .collect();

        let faults = build_faults(model, &mut b, &stations, seed);
        let mut world = World {
            now: 0,
            end: spec.sim.duration.0,
            meter: Meter::new(warmup, spec.sim.window.0, spec.sim.window_slo.as_ref()),
            limits: Limits::new(spec.sim.max_in_flight),
            requests: Requests::default(),
            clients,
            balancers,
            services,
            stations,
            sites: b.sites,
            links: b.links.links,
            pools: b.pools,
            caches,
            flights: b.flights,
            datastores,
            queues,
            control: Control { faults, autoscalers, routers },
            rng: stream(seed, "requests"),
        };
        let sched = world.first_events();
        (world, sched)
    }

    /// Schedules what starts the run: first arrivals, users, state
    /// switches, health probes, cache prewarming, faults, autoscaler and
    /// router checks.
    fn first_events(&mut self) -> Scheduler<Event> {
        let mut sched = Scheduler::new();
        for (i, c) in self.clients.iter_mut().enumerate() {
            let client = ClientId::new(i);
            match &c.looping {
                Loop::Open { .. } => {
                    if let Some(sojourn) = c.first_sojourn() {
                        sched.schedule(sojourn, Event::Client(ClientEvent::Modulate { client }));
                    }
                    // The first arrival comes one gap after time zero.
                    if let Some(gap) = c.next_gap(0) {
                        sched.schedule(gap, Event::Client(ClientEvent::Arrival { client, epoch: c.epoch() }));
                    }
                }
                Loop::Closed { users, .. } => {
                    for user in 0..*users {
                        let think = c.think();
                        sched.schedule(think, Event::Client(ClientEvent::UserSend { client, user }));
                    }
                }
            }
        }
        self.first_probes(&mut sched);
        self.first_prewarms(&mut sched);
        self.first_faults(&mut sched);
        self.first_scale_ticks(&mut sched);
        self.first_router_checks(&mut sched);
        sched
    }
}

/// Resolves each fault's stations (a component, one replica, or a zone)
/// and links (a named link, or those a partition cuts).
fn build_faults(
    model: &Model,
    b: &mut Builder<'_>,
    stations: &IdVec<StationId, Station>,
    seed: u64,
) -> IdVec<crate::ids::FaultId, Fault> {
    model
        .spec()
        .fault
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut targets = Vec::new();
            let mut label = format!("{:?}", f.kind).to_lowercase();
            let first_of = |svc: ServiceId| {
                stations.enumerate().find(|(_, st)| st.service == svc).map_or(StationId::new(0), |(id, _)| id)
            };
            if let Some(t) = &f.target {
                let (name, replica) = match t.split_once('[') {
                    Some((n, r)) => (n, r.trim_end_matches(']').parse::<u32>().ok()),
                    None => (t.as_str(), None),
                };
                let svc = b.service(name);
                let count = b.stations[svc.index()];
                let first = first_of(svc);
                match replica {
                    Some(r) => targets.push(first.offset(r)),
                    None => targets.extend((0..count).map(|r| first.offset(r))),
                }
                label = format!("{label} {t}");
            }
            if let Some(r) = &f.region {
                // Every runtime service in the region, in name order.
                let mut in_region: Vec<(&str, ServiceId)> = (0..model.service_count())
                    .map(ServiceId::new)
                    .map(|s| (model.service_name(s), s))
                    .filter(|(name, _)| model.region_name(name) == Some(r.as_str()))
                    .collect();
                in_region.sort();
                for (_, svc) in in_region {
                    let first = first_of(svc);
                    targets.extend((0..b.stations[svc.index()]).map(|r| first.offset(r)));
                }
                label = format!("{label} region {r}");
            }
            if let Some(z) = &f.zone {
                if let Some(zone) = model.zone(z) {
                    targets.extend(stations.enumerate().filter(|(_, st)| st.zone == Some(zone)).map(|(id, _)| id));
                }
                label = format!("{label} zone {z}");
            }
            let mut links = Vec::new();
            if let Some(l) = &f.link {
                links.push(b.links.get(&l.from, &l.to));
                label = format!("{label} {}->{}", l.from, l.to);
            }
            if f.kind == FaultKindSpec::Partition {
                let group_of = |name: &str| f.groups.iter().position(|g| g.iter().any(|n| n == name));
                for (li, link) in b.links.links.enumerate() {
                    if let (Some(a), Some(c)) = (group_of(&link.from), group_of(&link.to))
                        && a != c
                    {
                        links.push(li);
                    }
                }
                let groups: Vec<String> = f.groups.iter().map(|g| g.join("+")).collect();
                label = format!("partition {}", groups.join(" | "));
            }
            Fault {
                kind: f.kind,
                label,
                stations: targets,
                links,
                timing: timing_of(f),
                factor: f.factor.unwrap_or(1.0),
                delay: f.delay.as_ref().map(|_| model.dist(&DistAt::FaultDelay(i)).clone()),
                probability: f.probability.unwrap_or(0.0),
                blackhole: blackhole(f.on_crash),
                active: false,
                since: 0,
                rng: stream(seed, &format!("fault[{i}]")),
            }
        })
        .collect()
}

/// Stations a service needs: its largest fleet.
fn stations_of(s: &ServiceSpec) -> u32 {
    s.autoscale.as_ref().map_or(s.replicas, |a| a.max.max(s.replicas))
}

/// For a predictive autoscaler of `service`: per open-loop client, the
/// requests per second that reach the service per request per second the
/// client sends, from the static analysis; and the service's mean compute
/// time in seconds.
fn predictive_shares(model: &Model, service: &str) -> (Vec<(ClientId, f64)>, f64) {
    let spec = model.spec();
    let predictive = spec.service[service]
        .autoscale
        .as_ref()
        .is_some_and(|a| a.policy.iter().any(|p| matches!(p, crate::spec::ScalePolicySpec::Predictive { .. })));
    if !predictive {
        return (Vec::new(), 0.0);
    }
    let duration = spec.sim.duration.0;
    let mut mean_s = 0.0;
    let shares = spec
        .client
        .iter()
        .enumerate()
        .filter(|(_, (_, c))| c.users.is_none())
        .map(|(i, (name, c))| {
            let mut alone = spec.clone();
            alone.client.retain(|n, _| n == name);
            let alone = Model::resolve(&alone).expect("a model with fewer clients resolves");
            let load = crate::analysis::analyse(&alone);
            let at = load.services.iter().find(|l| l.name == service).expect("analysed");
            mean_s = at.mean_service_s;
            let sent = crate::traffic::RateProfileProbe::new(c).mean_rate(duration);
            (ClientId::new(i), if sent > 0.0 { at.offered_rps / sent } else { 0.0 })
        })
        .collect();
    (shares, mean_s)
}
