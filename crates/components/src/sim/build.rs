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

use super::balancer::Balancer;
use super::cache::Cache;
use super::client::{Client, Loop};
use super::datastore::Datastore;
use super::fault::{Fault, blackhole, timing_of};
use super::network::Link;
use super::policy::{Breaker, Hedge, RateLimiter, Retry};
use super::pool::Pool;
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

impl Links<'_> {
    fn get(&mut self, from: &str, to: &str) -> u32 {
        let key = (from.to_string(), to.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.links.push(Link::new(&self.spec.network, from, to, self.seed));
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
    }
}

impl World {
    pub(super) fn build(spec: &ModelSpec, seed: u64, warmup: Time) -> (World, Scheduler<Event>) {
        // Runtime service indices: services, caches, datastores, by name.
        let mut service_map = BTreeMap::new();
        let mut n = 0u32;
        for (name, s) in &spec.service {
            service_map.insert(name.as_str(), (n, s.replicas));
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
            let mut handlers = vec![b.steps(name, s.replicas, s.all_steps())];
            let mut handler_of = [0u8; Op::COUNT];
            if s.write_steps.is_some() {
                handlers.push(b.steps(name, s.replicas, s.all_write_steps()));
                handler_of[Op::Write as usize] = 1;
            }
            services.push(Service {
                name: name.clone(),
                kind: ServiceKind::Plain,
                first_station: stations.len() as u32,
                replicas: s.replicas,
                workers: s.workers,
                cursor: 0,
                handlers,
                handler_of,
                hold_worker: s.hold_worker,
                continue_without_worker: false,
                deadline_aware: s.deadline_aware,
                priorities: classes.iter().map(|c| s.priorities.get(c).copied().unwrap_or(u32::MAX)).collect(),
                stats: service_stats(),
            });
            for r in 0..s.replicas {
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
                workers: c.workers,
                cursor: 0,
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
                workers: d.workers,
                cursor: 0,
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

        let balancers: Vec<Balancer> = spec
            .balancer
            .iter()
            .map(|(name, bal)| {
                let (service, replicas) = b.services[bal.target.as_str()];
                let mut site = Site::new(Target::Station, b.links.get(name, &bal.target), None);
                site.timeout = bal.health_check.as_ref().map(|h| h.timeout.0);
                b.sites.push(site);
                let probe_site = (b.sites.len() - 1) as u32;
                Balancer::new(
                    name.clone(),
                    service,
                    replicas,
                    bal,
                    probe_site,
                    stream(seed, &format!("balancer.{name}")),
                )
            })
            .collect();

        let clients: Vec<Client> = spec
            .client
            .iter()
            .map(|(name, c)| {
                let call = CallSpec {
                    timeout: c.timeout,
                    retry: c.retry.clone(),
                    hedge: c.hedge.clone(),
                    breaker: c.breaker.clone(),
                    ..CallSpec::new(&c.target)
                };
                let site = b.site(name, 1, &call, None);
                let class_name = c.class.clone().unwrap_or_else(|| name.clone());
                let class = classes.iter().position(|k| *k == class_name).expect("interned") as u16;
                Client::new(name.clone(), site, class, c, stream(seed, &format!("client.{name}")))
            })
            .collect();

        let faults = build_faults(spec, &mut b, &stations, &zones, seed);
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
