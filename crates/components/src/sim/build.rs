//! Builds the runtime state of one replication from a validated model.

use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use tailsim_engine::rng::stream;
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::stats::{LatencyHistogram, TimeWeighted, WindowClock};
use tailsim_engine::time::Time;

use super::balancer::Balancer;
use super::client::{Client, Loop};
use super::network::Link;
use super::station::{JobQueue, Station, StationStats};
use super::{Event, NONE, Service, ServiceStats, Site, Slab, Step, Target, World};
use crate::dist::Dist;
use crate::spec::{DisciplineSpec, ModelSpec, StepSpec, WaitSpec};

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

impl World {
    pub(super) fn build(spec: &ModelSpec, seed: u64, warmup: Time) -> (World, Scheduler<Event>) {
        let service_names: Vec<&String> = spec.service.keys().collect();
        let balancer_names: Vec<&String> = spec.balancer.keys().collect();
        let service_index = |name: &str| service_names.iter().position(|n| *n == name).expect("validated") as u32;
        let target_of = |name: &str| match balancer_names.iter().position(|n| *n == name) {
            Some(b) => Target::Balancer(b as u32),
            None => Target::Service(service_index(name)),
        };
        // Request classes, in client order.
        let mut classes: Vec<String> = Vec::new();
        for (name, c) in &spec.client {
            let class = c.class.clone().unwrap_or_else(|| name.clone());
            if !classes.contains(&class) {
                classes.push(class);
            }
        }
        let mut links = Links { spec, seed, index: BTreeMap::new(), links: Vec::new() };
        let mut sites: Vec<Site> = Vec::new();

        let mut services = Vec::new();
        let mut stations = Vec::new();
        for (name, s) in &spec.service {
            let index = services.len() as u32;
            let mut build_steps = |specs: Vec<StepSpec>| -> Vec<Step> {
                specs
                    .into_iter()
                    .map(|step| {
                        let (calls, wait) = match step {
                            StepSpec::Compute(d) => return Step::Compute(Dist::new(&d).expect("validated")),
                            StepSpec::Call(call) => (vec![call], WaitSpec::All),
                            StepSpec::Parallel { calls, wait } => (calls, wait),
                        };
                        let first = sites.len() as u32;
                        for call in &calls {
                            sites.push(Site {
                                target: target_of(&call.target),
                                link: links.get(name, &call.target),
                                timeout: call.timeout.map(|t| t.0),
                            });
                        }
                        let count = calls.len() as u32;
                        let needed = match wait {
                            WaitSpec::All => count,
                            WaitSpec::First => 1,
                            WaitSpec::Some(k) => k,
                        };
                        Step::Calls { first, count, needed }
                    })
                    .collect()
            };
            let steps = build_steps(s.all_steps());
            let write_steps = s.write_steps.is_some().then(|| build_steps(s.all_write_steps()));
            let priorities =
                classes.iter().map(|c| s.priorities.get(c).copied().unwrap_or(u32::MAX)).collect::<Vec<_>>();
            services.push(Service {
                name: name.clone(),
                first_station: stations.len() as u32,
                replicas: s.replicas,
                workers: s.workers,
                cursor: 0,
                steps,
                write_steps,
                hold_worker: s.hold_worker,
                priorities,
                stats: ServiceStats {
                    response: LatencyHistogram::new(),
                    finished: 0,
                    failed: 0,
                    wait_sum: 0,
                    compute_sum: 0,
                    downstream_sum: 0,
                },
            });
            for r in 0..s.replicas {
                let queue = match s.discipline {
                    DisciplineSpec::Fifo => JobQueue::Fifo(VecDeque::new()),
                    DisciplineSpec::Lifo => JobQueue::Lifo(Vec::new()),
                    DisciplineSpec::Priority => JobQueue::Priority(BinaryHeap::new(), 0),
                };
                stations.push(Station {
                    service: index,
                    workers: s.workers,
                    busy: 0,
                    queue,
                    capacity: s.queue_capacity.unwrap_or(u32::MAX),
                    speed: s.replica_speed.as_ref().map_or(1.0, |v| v[r as usize]),
                    rng: stream(seed, &format!("service.{name}[{r}]")),
                    stats: StationStats::new(0),
                });
            }
        }

        let balancers: Vec<Balancer> = spec
            .balancer
            .iter()
            .map(|(name, b)| {
                let service = service_index(&b.target);
                let probe_site = sites.len() as u32;
                sites.push(Site {
                    target: Target::Station(NONE),
                    link: links.get(name, &b.target),
                    timeout: b.health_check.as_ref().map(|h| h.timeout.0),
                });
                let replicas = spec.service[&b.target].replicas;
                Balancer::new(name.clone(), service, replicas, b, probe_site, stream(seed, &format!("balancer.{name}")))
            })
            .collect();

        let clients: Vec<Client> = spec
            .client
            .iter()
            .map(|(name, c)| {
                let site = sites.len() as u32;
                sites.push(Site {
                    target: target_of(&c.target),
                    link: links.get(name, &c.target),
                    timeout: c.timeout.map(|d| d.0),
                });
                let class_name = c.class.clone().unwrap_or_else(|| name.clone());
                let class = classes.iter().position(|k| *k == class_name).expect("interned") as u16;
                Client::new(name.clone(), site, class, c, stream(seed, &format!("client.{name}")))
            })
            .collect();

        let mut world = World {
            measure_from: warmup,
            measuring: warmup == 0,
            clients,
            balancers,
            services,
            stations,
            sites,
            links: links.links,
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
        let sched = world.first_events();
        (world, sched)
    }

    /// Schedules what starts the run: first arrivals, users, state
    /// switches and health probes.
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
        sched
    }
}
