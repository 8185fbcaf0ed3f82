//! Builds the runtime state of one replication from a validated model.
//!
//! Services, caches and datastores all become runtime services with
//! stations and handlers: a cache's handlers look up and fill, a
//! datastore's read, commit and replicate. Their order is services, then
//! caches, then datastores, each by name.

use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};

use tailsim_engine::rng::stream;
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::stats::{LatencyHistogram, TimeWeighted, WindowClock};
use tailsim_engine::time::Time;

use super::autoscale::Autoscaler;
use super::balancer::Balancer;
use super::cache::Cache;
use super::client::{Client, Loop};
use super::datastore::Datastore;
use super::fault::{Fault, blackhole, timing_of};
use super::network::Link;
use super::policy::{Breaker, Hedge, RateLimiter, Retry};
use super::pool::Pool;
use super::queue::MessageQueue;
use super::router::Router;
use super::station::{JobQueue, Shedding, Station, StationStats};
use super::{Event, NONE, Op, Service, ServiceKind, ServiceStats, Site, Slab, Step, Target, World};
use crate::dist::Dist;
use crate::spec::{
    CallSpec, DisciplineSpec, FaultKindSpec, ModelSpec, RateLimitSpec, ReplicationSpec, ShedSpec, StepSpec, WaitSpec,
    WritePolicySpec,
};

/// Interns links by (from, to) so each pair has one stream.
struct Links<'a> {
    spec: &'a ModelSpec,
    seed: u64,
    index: BTreeMap<(String, String), u32>,
    links: Vec<Link>,
}

/// The region a component is in, if it says (a balancer defaults to its
/// target's).
pub(crate) fn region_of<'a>(spec: &'a ModelSpec, name: &str) -> Option<&'a str> {
    if let Some(b) = spec.balancer.get(name) {
        return b.region.as_deref().or_else(|| region_of(spec, &b.target));
    }
    spec.service
        .get(name)
        .and_then(|s| s.region.as_deref())
        .or_else(|| spec.cache.get(name).and_then(|c| c.region.as_deref()))
        .or_else(|| spec.datastore.get(name).and_then(|d| d.region.as_deref()))
        .or_else(|| spec.client.get(name).and_then(|c| c.region.as_deref()))
        .or_else(|| spec.queue.get(name).and_then(|q| q.region.as_deref()))
}

impl Links<'_> {
    fn get(&mut self, from: &str, to: &str) -> u32 {
        let key = (from.to_string(), to.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let cross = match (region_of(self.spec, from), region_of(self.spec, to)) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        self.links.push(Link::new(&self.spec.network, from, to, cross, self.seed));
        let i = (self.links.len() - 1) as u32;
        self.index.insert(key, i);
        i
    }
}

/// Name resolution and the growing tables of call sites and pools.
struct Builder<'a> {
    /// Runtime service index and station count of every service, cache and
    /// datastore.
    services: BTreeMap<&'a str, (u32, u32)>,
    balancers: BTreeMap<&'a str, (u32, &'a str)>,
    links: Links<'a>,
    sites: Vec<Site>,
    pools: Vec<Pool>,
    pool_sites: Vec<(String, String, u32, u32)>,
}

impl<'a> Builder<'a> {
    fn target(&self, name: &str) -> Target {
        match self.balancers.get(name) {
            Some(&(b, _)) => Target::Balancer(b),
            None => Target::Service(self.services[name].0),
        }
    }

    /// Stations behind `name` (a balancer's service's).
    fn stations_behind(&self, name: &str) -> u32 {
        let name = self.balancers.get(name).map_or(name, |&(_, s)| s);
        self.services[name].1
    }

    /// A call site from `caller` (with `caller_stations` stations) for `call`.
    fn site(&mut self, caller: &str, caller_stations: u32, call: &CallSpec, op: Option<Op>) -> u32 {
        let mut site =
            Site::new(self.target(&call.target), self.links.get(caller, &call.target), call.timeout.map(|t| t.0));
        site.op = op;
        site.caller = caller.to_string();
        site.callee = call.target.clone();
        site.retry = call.retry.as_ref().map(Retry::new);
        site.hedge = call.hedge.as_ref().map(Hedge::new);
        site.breaker = call.breaker.as_ref().map(Breaker::new);
        site.bulkhead = call.bulkhead.as_ref().map(|b| (b.max_concurrent, vec![0; caller_stations as usize]));
        if let Some(p) = &call.pool {
            let per_caller = self.stations_behind(&call.target);
            site.pool_first = self.pools.len() as u32;
            site.pool_per_caller = per_caller;
            let count = caller_stations * per_caller;
            self.pool_sites.push((caller.to_string(), call.target.clone(), site.pool_first, count));
            for _ in 0..count {
                self.pools.push(Pool::new(p.size, p.acquire_timeout.0));
            }
        }
        self.sites.push(site);
        (self.sites.len() - 1) as u32
    }

    fn steps(&mut self, caller: &str, caller_stations: u32, specs: Vec<StepSpec>) -> Vec<Step> {
        specs
            .into_iter()
            .map(|step| {
                let (calls, wait) = match step {
                    StepSpec::Compute(d) => return Step::Compute(Dist::new(&d).expect("validated")),
                    StepSpec::CacheAside { cache, origin, single_flight } => {
                        let lookup = CallSpec { timeout: origin.timeout, ..CallSpec::new(&cache) };
                        return Step::CacheAside {
                            cache: self.site(caller, caller_stations, &lookup, Some(Op::Read)),
                            origin: self.site(caller, caller_stations, &origin, None),
                            fill: self.site(caller, caller_stations, &lookup, Some(Op::Fill)),
                            invalidate: self.site(caller, caller_stations, &lookup, Some(Op::Invalidate)),
                            single_flight,
                        };
                    }
                    StepSpec::Call(call) => (vec![call], WaitSpec::All),
                    StepSpec::Parallel { calls, wait } => (calls, wait),
                };
                let first = self.sites.len() as u32;
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

/// A station's options beyond its queue and workers.
#[derive(Default)]
struct StationOptions<'a> {
    limiter: Option<&'a RateLimitSpec>,
    shed: Option<&'a ShedSpec>,
    failure: f64,
    zone: u32,
}

fn station(
    service: u32,
    workers: u32,
    capacity: Option<u32>,
    discipline: DisciplineSpec,
    speed: f64,
    rng: tailsim_engine::rng::SimRng,
    options: StationOptions<'_>,
) -> Station {
    Station {
        present: Vec::new(),
        limiter: options.limiter.map(RateLimiter::new),
        shed: options.shed.map(|s| Shedding {
            queue_above: s.queue_above,
            target: s.sojourn_target.map(|t| t.0),
            interval: s.interval.0,
            lifo_above: s.lifo_above,
            above_since: None,
        }),
        failure: options.failure,
        down: false,
        blackhole: false,
        epoch: 0,
        slow: 1.0,
        delay_fault: NONE,
        zone: options.zone,
        cold_from: 0,
        cold_until: 0,
        cold_slowdown: 1.0,
        cold_fades: false,
        service,
        workers,
        busy: 0,
        queue: match discipline {
            DisciplineSpec::Fifo => JobQueue::Fifo(VecDeque::new()),
            DisciplineSpec::Lifo => JobQueue::Lifo(Vec::new()),
            DisciplineSpec::Priority => JobQueue::Priority(BinaryHeap::new(), 0),
        },
        capacity: capacity.unwrap_or(u32::MAX),
        speed,
        rng,
        stats: StationStats::new(0),
    }
}

fn service_stats() -> ServiceStats {
    ServiceStats {
        response: LatencyHistogram::new(),
        finished: 0,
        failed: 0,
        wait_sum: 0,
        compute_sum: 0,
        downstream_sum: 0,
        present_ns: 0,
        carried_ns: 0,
    }
}

impl World {
    pub(super) fn build(spec: &ModelSpec, seed: u64, warmup: Time) -> (World, Scheduler<Event>) {
        // Runtime service indices: services, caches, datastores, by name.
        let mut service_map = BTreeMap::new();
        let mut n = 0u32;
        for (name, s) in &spec.service {
            service_map.insert(name.as_str(), (n, stations_of(s)));
            n += 1;
        }
        for (name, c) in &spec.cache {
            service_map.insert(name.as_str(), (n, c.replicas));
            n += 1;
        }
        for (name, d) in &spec.datastore {
            service_map.insert(name.as_str(), (n, d.shards * (d.replicas + 1)));
            n += 1;
        }
        for name in spec.queue.keys() {
            service_map.insert(name.as_str(), (n, 1));
            n += 1;
        }
        let balancer_map = spec
            .balancer
            .iter()
            .enumerate()
            .map(|(i, (name, b))| (name.as_str(), (i as u32, b.target.as_str())))
            .collect();
        let mut b = Builder {
            services: service_map,
            balancers: balancer_map,
            links: Links { spec, seed, index: BTreeMap::new(), links: Vec::new() },
            sites: Vec::new(),
            pools: Vec::new(),
            pool_sites: Vec::new(),
        };
        // Zones, by name, in order of first mention.
        let mut zones: Vec<String> = Vec::new();
        let all_zones = spec
            .service
            .values()
            .flat_map(|s| s.zones.iter())
            .chain(spec.cache.values().flat_map(|c| c.zones.iter()))
            .chain(spec.datastore.values().flat_map(|d| d.zones.iter()));
        for z in all_zones {
            if !zones.contains(z) {
                zones.push(z.clone());
            }
        }
        let zone_of = |list: &[String], i: u32| -> u32 {
            if list.is_empty() {
                NONE
            } else {
                zones.iter().position(|z| *z == list[i as usize % list.len()]).expect("interned") as u32
            }
        };
        // Request classes, in client order.
        let mut classes: Vec<String> = Vec::new();
        for (name, c) in &spec.client {
            let class = c.class.clone().unwrap_or_else(|| name.clone());
            if !classes.contains(&class) {
                classes.push(class);
            }
        }

        let mut services = Vec::new();
        let mut stations = Vec::new();
        for (name, s) in &spec.service {
            let index = services.len() as u32;
            let count = stations_of(s);
            let mut handlers = vec![b.steps(name, count, s.all_steps())];
            let mut handler_of = [0u8; Op::COUNT];
            if s.write_steps.is_some() {
                handlers.push(b.steps(name, count, s.all_write_steps()));
                handler_of[Op::Write as usize] = 1;
            }
            services.push(Service {
                name: name.clone(),
                kind: ServiceKind::Plain,
                first_station: stations.len() as u32,
                replicas: count,
                active: s.replicas,
                workers: s.workers,
                cursor: 0,
                offered: 0,
                handlers,
                handler_of,
                hold_worker: s.hold_worker,
                continue_without_worker: false,
                deadline_aware: s.deadline_aware,
                priorities: classes.iter().map(|c| s.priorities.get(c).copied().unwrap_or(u32::MAX)).collect(),
                stats: service_stats(),
            });
            for r in 0..count {
                let speed = s.replica_speed.as_ref().map_or(1.0, |v| v[r as usize]);
                let rng = stream(seed, &format!("service.{name}[{r}]"));
                let options = StationOptions {
                    limiter: s.rate_limit.as_ref(),
                    shed: s.shed.as_ref(),
                    failure: s.failure_probability,
                    zone: zone_of(&s.zones, r),
                };
                stations.push(station(index, s.workers, s.queue_capacity, s.discipline, speed, rng, options));
            }
        }

        let mut caches = Vec::new();
        for (name, c) in &spec.cache {
            let index = services.len() as u32;
            let origin = CallSpec { timeout: c.origin_timeout, ..CallSpec::new(&c.origin) };
            let origin_site = b.site(name, c.replicas, &origin, None);
            let time = Dist::new(&c.service_time).expect("validated");
            let write_tail = match c.write_policy {
                WritePolicySpec::WriteThrough => vec![Step::CacheStore],
                WritePolicySpec::Invalidate => vec![Step::CacheRemove],
                WritePolicySpec::WriteBehind => vec![],
            };
            let mut write = vec![Step::Compute(time.clone()), Step::CacheWrite];
            write.extend(write_tail);
            let handlers = vec![
                vec![Step::Compute(time.clone()), Step::CacheRead, Step::CacheStore],
                write,
                vec![Step::Compute(time.clone()), Step::CacheStore],
                vec![Step::Compute(time), Step::CacheRemove],
            ];
            services.push(Service {
                name: name.clone(),
                kind: ServiceKind::Cache(caches.len() as u32),
                first_station: stations.len() as u32,
                replicas: c.replicas,
                active: c.replicas,
                workers: c.workers,
                cursor: 0,
                offered: 0,
                handlers,
                handler_of: [0, 1, 2, 3, 0],
                hold_worker: false,
                continue_without_worker: true,
                deadline_aware: false,
                priorities: Vec::new(),
                stats: service_stats(),
            });
            for r in 0..c.replicas {
                let rng = stream(seed, &format!("cache.{name}[{r}]"));
                let options = StationOptions { zone: zone_of(&c.zones, r), ..Default::default() };
                stations.push(station(index, c.workers, c.queue_capacity, DisciplineSpec::Fifo, 1.0, rng, options));
            }
            caches.push(Cache::new(name.clone(), c, origin_site, stream(seed, &format!("cache.{name}"))));
        }

        let mut datastores = Vec::new();
        for (name, d) in &spec.datastore {
            let index = services.len() as u32;
            let needed = match d.replication {
                ReplicationSpec::Async => 0,
                ReplicationSpec::Sync => d.replicas,
                ReplicationSpec::Quorum => d.quorum.unwrap_or(1).saturating_sub(1),
            };
            let read = Dist::new(&d.read_time).expect("validated");
            let write = Dist::new(&d.write_time).expect("validated");
            let handlers = vec![
                vec![Step::Compute(read)],
                vec![Step::Compute(write.clone()), Step::Commit, Step::Replicate { needed }],
                vec![Step::Compute(write), Step::Apply],
            ];
            b.links.links.push(Link::replication(d.replication_lag.as_ref(), &format!("replication.{name}"), seed));
            let mut site = Site::new(Target::Station, (b.links.links.len() - 1) as u32, None);
            site.op = Some(Op::Replicate);
            b.sites.push(site);
            let replication_site = (b.sites.len() - 1) as u32;
            let nodes = d.shards * (d.replicas + 1);
            services.push(Service {
                name: name.clone(),
                kind: ServiceKind::Datastore(datastores.len() as u32),
                first_station: stations.len() as u32,
                replicas: nodes,
                active: nodes,
                workers: d.workers,
                cursor: 0,
                offered: 0,
                handlers,
                handler_of: [0, 1, 0, 0, 2],
                hold_worker: true,
                continue_without_worker: false,
                deadline_aware: false,
                priorities: Vec::new(),
                stats: service_stats(),
            });
            for node in 0..nodes {
                let (shard, role) = (node / (d.replicas + 1), node % (d.replicas + 1));
                let rng = stream(seed, &format!("datastore.{name}[{shard}.{role}]"));
                let options = StationOptions { zone: zone_of(&d.zones, role), ..Default::default() };
                stations.push(station(index, d.workers, d.queue_capacity, DisciplineSpec::Fifo, 1.0, rng, options));
            }
            datastores.push(Datastore::new(
                name.clone(),
                index,
                d,
                replication_site,
                stream(seed, &format!("datastore.{name}")),
            ));
        }

        let mut queues = Vec::new();
        for (name, q) in &spec.queue {
            let index = services.len() as u32;
            services.push(Service {
                name: name.clone(),
                kind: ServiceKind::Queue(queues.len() as u32),
                first_station: stations.len() as u32,
                replicas: 1,
                active: 1,
                workers: 1,
                cursor: 0,
                offered: 0,
                handlers: vec![vec![Step::Enqueue]],
                handler_of: [0; Op::COUNT],
                hold_worker: true,
                continue_without_worker: false,
                deadline_aware: false,
                priorities: Vec::new(),
                stats: service_stats(),
            });
            let rng = stream(seed, &format!("queue.{name}"));
            stations.push(station(index, 1, None, DisciplineSpec::Fifo, 1.0, rng, StationOptions::default()));
            let groups = q
                .consumers
                .iter()
                .map(|(g, group)| {
                    let call = CallSpec { timeout: Some(q.visibility_timeout), ..CallSpec::new(&group.service) };
                    let site = b.site(name, 1, &call, None);
                    b.sites[site as usize].pull = true;
                    (g.clone(), b.services[group.service.as_str()].0, site)
                })
                .collect();
            queues.push(MessageQueue::new(name.clone(), q, groups));
        }

        let balancers: Vec<Balancer> = spec
            .balancer
            .iter()
            .map(|(name, bal)| {
                let (service, replicas) = b.services[bal.target.as_str()];
                let mut site = Site::new(Target::Station, b.links.get(name, &bal.target), None);
                site.timeout = bal.health_check.as_ref().map(|h| h.timeout.0);
                b.sites.push(site);
                let probe_site = (b.sites.len() - 1) as u32;
                let mut balancer = Balancer::new(
                    name.clone(),
                    service,
                    replicas,
                    bal,
                    probe_site,
                    stream(seed, &format!("balancer.{name}")),
                );
                balancer.set_active(services[service as usize].active);
                balancer
            })
            .collect();

        let regions: Vec<&str> = crate::validate::regions_of(spec);
        let region_index = |name: &str| -> u32 {
            region_of(spec, name).and_then(|r| regions.iter().position(|x| *x == r)).map_or(NONE, |i| i as u32)
        };
        let router_names: Vec<&str> = spec.router.keys().map(String::as_str).collect();
        let clients: Vec<Client> = spec
            .client
            .iter()
            .map(|(name, c)| {
                // A router's client gets one call site per router target.
                let targets: Vec<&str> = match spec.router.get(&c.target) {
                    Some(r) => r.targets.iter().map(String::as_str).collect(),
                    None => vec![c.target.as_str()],
                };
                let mut site = NONE;
                for target in targets {
                    let call = CallSpec {
                        timeout: c.timeout,
                        retry: c.retry.clone(),
                        hedge: c.hedge.clone(),
                        breaker: c.breaker.clone(),
                        ..CallSpec::new(target)
                    };
                    let s = b.site(name, 1, &call, None);
                    if site == NONE {
                        site = s;
                    }
                }
                let class_name = c.class.clone().unwrap_or_else(|| name.clone());
                let class = classes.iter().position(|k| *k == class_name).expect("interned") as u16;
                let mut client = Client::new(name.clone(), site, class, c, stream(seed, &format!("client.{name}")));
                client.router = router_names.iter().position(|r| *r == c.target).map_or(NONE, |i| i as u32);
                client.region = region_index(name);
                client
            })
            .collect();
        let routers: Vec<Router> = spec
            .router
            .iter()
            .map(|(name, r)| {
                let svcs =
                    r.targets.iter().map(|t| b.services[b.balancers.get(t.as_str()).map_or(t.as_str(), |x| x.1)].0);
                let regs = r.targets.iter().map(|t| region_index(t)).collect();
                Router::new(name.clone(), r, svcs.collect(), regs, stream(seed, &format!("router.{name}")))
            })
            .collect();
        let autoscalers: Vec<Autoscaler> = spec
            .service
            .iter()
            .filter_map(|(name, s)| {
                let a = s.autoscale.as_ref()?;
                let service = b.services[name.as_str()].0;
                let (shares, mean_s) = predictive_shares(spec, name);
                Some(Autoscaler::new(service, s.replicas, a, shares, mean_s))
            })
            .collect();

        let faults = build_faults(spec, &mut b, &stations, &zones, seed);
        let backlog = 0;
        let mut world = World {
            measure_from: warmup,
            measuring: warmup == 0,
            clients,
            balancers,
            services,
            stations,
            sites: b.sites,
            links: b.links.links,
            faults,
            caches,
            datastores,
            autoscalers,
            queues,
            backlog,
            routers,
            pools: b.pools,
            pool_sites: b.pool_sites,
            aside_inflight: HashMap::new(),
            jobs: Slab::default(),
            calls: Slab::default(),
            attempts: Slab::default(),
            rng: stream(seed, "requests"),
            max_in_flight: spec.sim.max_in_flight.min(usize::MAX as u64) as usize,
            runaway: None,
            born: 0,
            settled: 0,
            window: WindowClock::new(warmup, spec.sim.window.0),
            window_latency: LatencyHistogram::with_precision(2),
            window_ok: 0,
            window_errors: 0,
            window_hits: 0,
            window_misses: 0,
            queued_total: TimeWeighted::new(0, 0),
            series: Vec::new(),
            fault_windows: Vec::new(),
            window_slo: spec.sim.window_slo.is_some(),
            slo_p99: spec.sim.window_slo.as_ref().and_then(|w| w.p99.map(|d| d.0)),
            slo_error_rate: spec.sim.window_slo.as_ref().and_then(|w| w.error_rate).unwrap_or(0.01),
            end: spec.sim.duration.0,
            now: 0,
        };
        let sched = world.first_events();
        (world, sched)
    }

    /// Schedules what starts the run: first arrivals, users, state
    /// switches, health probes and cache prewarming.
    fn first_events(&mut self) -> Scheduler<Event> {
        let mut sched = Scheduler::new();
        for (i, c) in self.clients.iter_mut().enumerate() {
            let client = i as u32;
            match &c.looping {
                Loop::Open { .. } => {
                    if let Some(sojourn) = c.first_sojourn() {
                        sched.schedule(sojourn, Event::Modulate { client });
                    }
                    // The first arrival comes one gap after time zero.
                    if let Some(gap) = c.next_gap(0) {
                        sched.schedule(gap, Event::Arrival { client, epoch: c.epoch() });
                    }
                }
                Loop::Closed { users, .. } => {
                    for user in 0..*users {
                        let think = c.think();
                        sched.schedule(think, Event::UserSend { client, user });
                    }
                }
            }
        }
        for (b, bal) in self.balancers.iter().enumerate() {
            if let Some((interval, _)) = bal.health_timing() {
                let n = bal.replicas() as u64;
                for replica in 0..bal.replicas() {
                    // Staggered so probes of a balancer do not coincide.
                    sched.schedule(interval * (replica as u64 + 1) / n, Event::Probe { balancer: b as u32, replica });
                }
            }
        }
        for (c, cache) in self.caches.iter().enumerate() {
            for (e, (at, _)) in cache.prewarm.iter().enumerate() {
                sched.schedule(*at, Event::Prewarm { cache: c as u32, entry: e as u32 });
            }
        }
        for (f, fault) in self.faults.iter_mut().enumerate() {
            let at = fault.first_start();
            sched.schedule(at, Event::FaultStart { fault: f as u32 });
        }
        self.first_scale_ticks(&mut sched);
        self.first_router_checks(&mut sched);
        sched
    }
}

/// Resolves each fault's stations (a component, one replica, or a zone)
/// and links (a named link, or those a partition cuts).
fn build_faults(
    spec: &ModelSpec,
    b: &mut Builder<'_>,
    stations: &[Station],
    zones: &[String],
    seed: u64,
) -> Vec<Fault> {
    spec.fault
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut targets = Vec::new();
            let mut label = format!("{:?}", f.kind).to_lowercase();
            if let Some(t) = &f.target {
                let (name, replica) = match t.split_once('[') {
                    Some((n, r)) => (n, r.trim_end_matches(']').parse::<u32>().ok()),
                    None => (t.as_str(), None),
                };
                let name = b.balancers.get(name).map_or(name, |&(_, s)| s);
                let (svc, count) = b.services[name];
                let first = stations.iter().position(|st| st.service == svc).unwrap_or(0) as u32;
                match replica {
                    Some(r) => targets.push(first + r),
                    None => targets.extend(first..first + count),
                }
                label = format!("{label} {t}");
            }
            if let Some(r) = &f.region {
                for (name, &(svc, count)) in &b.services {
                    if region_of(spec, name) == Some(r.as_str()) {
                        let first = stations.iter().position(|st| st.service == svc).unwrap_or(0) as u32;
                        targets.extend(first..first + count);
                    }
                }
                label = format!("{label} region {r}");
            }
            if let Some(z) = &f.zone {
                let zi = zones.iter().position(|x| x == z).map_or(NONE, |p| p as u32);
                targets.extend((0..stations.len() as u32).filter(|&s| zi != NONE && stations[s as usize].zone == zi));
                label = format!("{label} zone {z}");
            }
            let mut links = Vec::new();
            if let Some(l) = &f.link {
                links.push(b.links.get(&l.from, &l.to));
                label = format!("{label} {}->{}", l.from, l.to);
            }
            if f.kind == FaultKindSpec::Partition {
                let group_of = |name: &str| f.groups.iter().position(|g| g.iter().any(|n| n == name));
                for (li, link) in b.links.links.iter().enumerate() {
                    if let (Some(a), Some(c)) = (group_of(&link.from), group_of(&link.to))
                        && a != c
                    {
                        links.push(li as u32);
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
                delay: f.delay.as_ref().map(|d| Dist::new(d).expect("validated")),
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
fn stations_of(s: &crate::spec::ServiceSpec) -> u32 {
    s.autoscale.as_ref().map_or(s.replicas, |a| a.max.max(s.replicas))
}

/// For a predictive autoscaler of `service`: per open-loop client, the
/// requests per second that reach the service per request per second the
/// client sends, from the static analysis; and the service's mean compute
/// time in seconds.
fn predictive_shares(spec: &ModelSpec, service: &str) -> (Vec<(u32, f64)>, f64) {
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
            let load = crate::analysis::analyse(&alone);
            let at = load.services.iter().find(|l| l.name == service).expect("analysed");
            mean_s = at.mean_service_s;
            let sent = super::RateProfileProbe::new(c).mean_rate(duration);
            (i as u32, if sent > 0.0 { at.offered_rps / sent } else { 0.0 })
        })
        .collect();
    (shares, mean_s)
}
