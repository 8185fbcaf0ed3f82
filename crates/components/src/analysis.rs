//! Static capacity analysis: offered load and utilisation per component,
//! derived from the model before any simulation ("derive, don't guess").
//!
//! Each open-loop client's long-run mean rate (its schedule, spike and
//! diurnal curve averaged over the run, times its burst or on/off duty
//! cycle) flows through balancers to services, and on through every call a
//! handler makes: a fan-out of n multiplies by n, and writes follow the
//! write handler. A cache passes on its misses, estimated from the client's
//! key popularity by Che's approximation (a hot key counts as always
//! cached); a datastore spreads requests over shards as the keys fall, a hot
//! key included, and over a shard's nodes by read policy, with every write
//! applied at every replica. Closed-loop clients cannot overload anything
//! (each user waits for its answer); their rate is bounded by users / think
//! time.
//!
//! A component's utilisation is offered work over capacity (workers x
//! speed over mean compute time). One at utilisation 1 or more with an
//! unbounded queue is unstable: its queue grows for as long as the run
//! lasts. Waiting on calls while holding a worker, and cache expiry, are not
//! counted, so real utilisations can only be higher.

mod keys;

use std::collections::BTreeMap;

use keys::Popularity;

use crate::dist::Dist;
use crate::model::Model;
use crate::spec::DistAt;
use crate::spec::{HedgeSpec, ModelSpec, ReadPolicySpec, RetrySpec, StepSpec};
use crate::traffic::RateProfileProbe;
use crate::validate::SpecError;

/// The load on one service, cache or datastore.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceLoad {
    pub name: String,
    /// "service", "cache" or "datastore".
    pub kind: &'static str,
    /// Long-run mean requests per second offered, all stations together.
    pub offered_rps: f64,
    /// The highest instantaneous rate offered (schedule peaks, spikes,
    /// bursts), in requests per second.
    pub peak_rps: f64,
    /// The peak rate if every attempt failed and every retry and hedge
    /// policy on the way made all the attempts it may (a retry budget caps
    /// retries at its ratio): the load a retry storm can offer.
    pub storm_rps: f64,
    /// Requests per second it can complete when saturated, at its mix.
    pub capacity_rps: f64,
    /// Mean compute time per request, in seconds, at speed 1.
    pub mean_service_s: f64,
    /// Stations (replicas, cache nodes, or datastore nodes) and workers each.
    pub replicas: u32,
    pub workers: u32,
    /// Whether waiting requests are unbounded.
    pub unbounded_queue: bool,
    /// Whether some of its load comes from closed-loop users.
    pub closed_loop: bool,
    /// Caches: the estimated hit ratio.
    pub hit_ratio: Option<f64>,
    /// Datastores: the busiest node's utilisation.
    pub busiest_node: Option<f64>,
    /// Autoscaled services: the fleet's range (capacity is at the largest).
    pub autoscale: Option<(u32, u32)>,
}

impl ServiceLoad {
    /// Long-run offered load over capacity.
    pub fn utilisation(&self) -> f64 {
        if self.capacity_rps > 0.0 { self.offered_rps / self.capacity_rps } else { f64::INFINITY }
    }

    /// Peak offered load over capacity.
    pub fn peak_utilisation(&self) -> f64 {
        if self.capacity_rps > 0.0 { self.peak_rps / self.capacity_rps } else { f64::INFINITY }
    }

    /// The utilisation that decides stability: the busiest node's for a
    /// datastore, the whole component's otherwise.
    pub fn limiting_utilisation(&self) -> f64 {
        self.busiest_node.unwrap_or_else(|| self.utilisation())
    }

    /// Whether a queue would grow without bound.
    pub fn unstable(&self) -> bool {
        self.unbounded_queue && !self.closed_loop && self.limiting_utilisation() >= 1.0
    }
}

/// The load on one shard of a datastore.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardLoad {
    pub datastore: String,
    pub shard: u32,
    pub reads_rps: f64,
    pub writes_rps: f64,
    pub primary_utilisation: f64,
    /// Each replica's utilisation (they share reads evenly).
    pub replica_utilisation: Option<f64>,
}

/// The analysis of a whole model.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub services: Vec<ServiceLoad>,
    pub shards: Vec<ShardLoad>,
}

/// Requests per second flowing from one client.
#[derive(Default, Clone, Copy)]
struct Flow {
    reads: f64,
    writes: f64,
    peak: f64,
    /// Attempts per request, at most, along the way here.
    amplification: f64,
    closed: bool,
    client: usize,
}

impl Flow {
    fn reads_only(self, factor: f64) -> Flow {
        let total = self.reads + self.writes;
        let reads = self.reads * factor;
        Flow { reads, writes: 0.0, peak: if total > 0.0 { self.peak * reads / total } else { 0.0 }, ..self }
    }
    fn writes_only(self) -> Flow {
        let total = self.reads + self.writes;
        Flow { reads: 0.0, peak: if total > 0.0 { self.peak * self.writes / total } else { 0.0 }, ..self }
    }
    fn total(self) -> f64 {
        self.reads + self.writes
    }
    fn amplified(self, retry: Option<&RetrySpec>, hedge: Option<&HedgeSpec>) -> Flow {
        Flow { amplification: self.amplification * attempts_at_most(retry, hedge), ..self }
    }
}

/// The most attempts one request can make under a retry and a hedge
/// policy: every attempt, or one plus the budget's ratio when a retry budget
/// is set (in the long run a budget allows that many retries per request);
/// a hedge doubles each attempt.
fn attempts_at_most(retry: Option<&RetrySpec>, hedge: Option<&HedgeSpec>) -> f64 {
    let retries = retry.map_or(1.0, |r| match &r.budget {
        Some(b) => (1.0 + b.ratio).min(r.attempts as f64),
        None => r.attempts as f64,
    });
    retries * if hedge.is_some() { 2.0 } else { 1.0 }
}

#[derive(Default, Clone, Copy)]
struct Acc {
    reads: f64,
    writes: f64,
    peak: f64,
    storm: f64,
    closed: bool,
    /// Caches: hits, for the weighted hit ratio.
    hits: f64,
}

impl Acc {
    fn add(&mut self, f: Flow) {
        self.reads += f.reads;
        self.writes += f.writes;
        self.peak += f.peak;
        self.storm += f.peak * f.amplification;
        self.closed |= f.closed;
    }
}

struct Context<'a> {
    model: &'a Model,
    spec: &'a ModelSpec,
    popularity: Vec<Popularity>,
    components: BTreeMap<String, Acc>,
    /// Per datastore, per shard: reads and writes per second.
    shards: BTreeMap<String, Vec<(f64, f64)>>,
}

impl Context<'_> {
    /// The hit ratio `client`'s reads (`reads` per second) see at `cache`.
    fn hit_ratio(&self, cache: &str, client: usize, reads: f64) -> f64 {
        let c = &self.spec.cache[cache];
        // The TTL in this client's requests: its mean, times the read rate.
        let ttl = c.ttl.as_ref().map(|t| {
            let mean = match t {
                crate::spec::TtlSpec::Fixed(d) => d.as_secs_f64(),
                crate::spec::TtlSpec::Drawn(_) => self.model.dist(&DistAt::CacheTtl(cache.to_string())).mean() / 1e9,
            };
            mean * reads
        });
        // A TTL without a finite mean (a heavy Pareto) is as good as none.
        let ttl = ttl.filter(|t| t.is_finite());
        self.popularity[client].hit_ratio(c.capacity as f64 * c.replicas as f64, c.eviction, ttl)
    }

    fn propagate(&mut self, name: &str, flow: Flow) {
        let spec = self.spec;
        if let Some(b) = spec.balancer.get(name) {
            return self.propagate(&b.target, flow);
        }
        if let Some(r) = spec.router.get(name) {
            // Healthy regions: failover sends all to the first target,
            // nearest to the client's own region's.
            let region = spec.client.values().nth(flow.client).and_then(|c| c.region.as_deref());
            let home = r.targets.iter().find(|t| {
                r.mode == crate::spec::RouterModeSpec::Nearest
                    && region.is_some()
                    && self.model.region_name(t) == region
            });
            return self.propagate(home.unwrap_or(&r.targets[0]), flow);
        }
        if let Some(q) = spec.queue.get(name) {
            self.components.entry(name.to_string()).or_default().add(flow);
            for g in q.consumers.values() {
                self.propagate(&g.service, flow);
            }
            return;
        }
        if let Some(c) = spec.cache.get(name) {
            let h = self.hit_ratio(name, flow.client, flow.reads);
            let acc = self.components.entry(name.to_string()).or_default();
            acc.add(flow);
            acc.hits += flow.reads * h;
            if c.mode == crate::spec::CacheModeSpec::ReadThrough {
                self.propagate(&c.origin, flow.reads_only(1.0 - h));
            }
            if flow.writes > 0.0 {
                self.propagate(&c.origin, flow.writes_only());
            }
            return;
        }
        if let Some(d) = spec.datastore.get(name) {
            self.components.entry(name.to_string()).or_default().add(flow);
            let shares = self.popularity[flow.client].shard_shares(d);
            let per = self.shards.entry(name.to_string()).or_insert_with(|| vec![(0.0, 0.0); d.shards as usize]);
            for (s, share) in shares.iter().enumerate() {
                per[s].0 += flow.reads * share;
                per[s].1 += flow.writes * share;
            }
            return;
        }
        let Some(s) = spec.service.get(name) else { return };
        self.components.entry(name.to_string()).or_default().add(flow);
        for (steps, part) in [(s.all_steps(), flow.reads_only(1.0)), (s.all_write_steps(), flow.writes_only())] {
            if part.total() <= 0.0 {
                continue;
            }
            for step in &steps {
                match step {
                    StepSpec::CacheAside { cache, origin, .. } => {
                        // Lookups and invalidations reach the cache; misses
                        // (and their fills) and writes reach the origin.
                        let h = self.hit_ratio(cache, part.client, part.reads);
                        self.propagate(cache, part);
                        if part.reads > 0.0 {
                            self.propagate(cache, part.reads_only(1.0 - h));
                            let part = part.amplified(origin.retry.as_ref(), origin.hedge.as_ref());
                            self.propagate(&origin.target, part.reads_only(1.0 - h));
                        }
                        if part.writes > 0.0 {
                            let part = part.amplified(origin.retry.as_ref(), origin.hedge.as_ref());
                            self.propagate(&origin.target, part.writes_only());
                        }
                    }
                    other => {
                        for call in other.calls() {
                            self.propagate(&call.target, part.amplified(call.retry.as_ref(), call.hedge.as_ref()));
                        }
                    }
                }
            }
        }
    }
}

/// A distribution's mean in seconds.
fn mean_s(d: &Dist) -> f64 {
    d.mean() / 1e9
}

/// The mean compute time of a service's handler, in seconds.
fn compute_seconds(model: &Model, service: &str, write: bool) -> f64 {
    model.handler_dists(service, write).into_iter().flatten().map(mean_s).sum()
}

/// Computes offered load and utilisation for every component. The model
/// is resolved, so it passed every check.
pub fn analyse(model: &Model) -> Analysis {
    let spec = model.spec();
    let duration = spec.sim.duration.0;
    let mut ctx = Context {
        model,
        spec,
        popularity: spec.client.values().map(|c| Popularity::of_client(c, duration)).collect(),
        components: BTreeMap::new(),
        shards: BTreeMap::new(),
    };
    for (i, (name, c)) in spec.client.iter().enumerate() {
        let (rate, peak, closed) = match c.users {
            Some(users) => {
                let think = c.think_time.as_ref().map_or(0.0, |_| mean_s(model.dist(&DistAt::ThinkTime(name.clone()))));
                let bound = if think > 0.0 { users as f64 / think } else { f64::INFINITY };
                (bound, bound, true)
            }
            None => {
                let probe = RateProfileProbe::new(c);
                (probe.mean_rate(duration), probe.peak_rate(), false)
            }
        };
        let w = c.write_fraction;
        let flow = Flow { reads: rate * (1.0 - w), writes: rate * w, peak, amplification: 1.0, closed, client: i };
        ctx.propagate(&c.target, flow.amplified(c.retry.as_ref(), c.hedge.as_ref()));
    }

    let mut services = Vec::new();
    for (name, s) in &spec.service {
        let acc = ctx.components.get(name).copied().unwrap_or_default();
        let total = acc.reads + acc.writes;
        let ws = if total > 0.0 { acc.writes / total } else { 0.0 };
        let mean = (1.0 - ws) * compute_seconds(model, name, false) + ws * compute_seconds(model, name, true);
        let speed: f64 = match (&s.replica_speed, &s.autoscale) {
            (_, Some(a)) => a.max as f64,
            (Some(v), None) => v.iter().sum(),
            (None, None) => s.replicas as f64,
        };
        let mut l = load(name, "service", acc, mean, speed * s.workers as f64, s.replicas, s.workers, s.queue_capacity);
        l.autoscale = s.autoscale.as_ref().map(|a| (a.min, a.max));
        services.push(l);
    }
    for (name, c) in &spec.cache {
        let acc = ctx.components.get(name).copied().unwrap_or_default();
        let mut l = load(
            name,
            "cache",
            acc,
            mean_s(model.dist(&DistAt::CacheTime(name.clone()))),
            (c.replicas * c.workers) as f64,
            c.replicas,
            c.workers,
            c.queue_capacity,
        );
        l.hit_ratio = (acc.reads > 0.0).then(|| acc.hits / acc.reads);
        services.push(l);
    }
    let mut shards = Vec::new();
    for (name, d) in &spec.datastore {
        let acc = ctx.components.get(name).copied().unwrap_or_default();
        let read = mean_s(model.dist(&DistAt::ReadTime(name.clone())));
        let write = mean_s(model.dist(&DistAt::WriteTime(name.clone())));
        let per = ctx.shards.get(name).cloned().unwrap_or_else(|| vec![(0.0, 0.0); d.shards as usize]);
        let workers = d.workers as f64;
        let mut busiest: f64 = 0.0;
        for (i, &(r, w)) in per.iter().enumerate() {
            let replica_reads = if d.read_policy == ReadPolicySpec::Primary || d.replicas == 0 { 0.0 } else { r };
            let primary = ((r - replica_reads) * read + w * write) / workers;
            let replica = (d.replicas > 0).then(|| (replica_reads / d.replicas as f64 * read + w * write) / workers);
            busiest = busiest.max(primary).max(replica.unwrap_or(0.0));
            shards.push(ShardLoad {
                datastore: name.clone(),
                shard: i as u32,
                reads_rps: r,
                writes_rps: w,
                primary_utilisation: primary,
                replica_utilisation: replica,
            });
        }
        let total = acc.reads + acc.writes;
        let ws = if total > 0.0 { acc.writes / total } else { 0.0 };
        let nodes = d.shards * (d.replicas + 1);
        let mut l = load(
            name,
            "datastore",
            acc,
            (1.0 - ws) * read + ws * write,
            (nodes * d.workers) as f64,
            nodes,
            d.workers,
            d.queue_capacity,
        );
        l.busiest_node = Some(busiest);
        services.push(l);
    }
    for (name, q) in &spec.queue {
        // A queue drains as fast as its slowest group: each takes every
        // message, at most `concurrency` at a time.
        let acc = ctx.components.get(name).copied().unwrap_or_default();
        let drain = q
            .consumers
            .values()
            .map(|g| {
                let consumer = services.iter().find(|l| l.name == g.service);
                let full = consumer.map_or(f64::INFINITY, |l| l.capacity_rps);
                let mean = consumer.map_or(0.0, |l| l.mean_service_s);
                match g.concurrency {
                    Some(c) if mean > 0.0 => full.min(c as f64 / mean),
                    _ => full,
                }
            })
            .fold(f64::INFINITY, f64::min);
        let bounded = q.capacity.is_some() || q.retention.is_some();
        let mut l = load(name, "queue", acc, 0.0, 0.0, 1, 1, if bounded { Some(0) } else { None });
        l.capacity_rps = drain;
        services.push(l);
    }
    Analysis { services, shards }
}

#[allow(clippy::too_many_arguments)]
fn load(
    name: &str,
    kind: &'static str,
    acc: Acc,
    mean_s: f64,
    workers_total: f64,
    replicas: u32,
    workers: u32,
    queue_capacity: Option<u32>,
) -> ServiceLoad {
    ServiceLoad {
        name: name.to_string(),
        kind,
        offered_rps: acc.reads + acc.writes,
        peak_rps: acc.peak,
        storm_rps: acc.storm,
        capacity_rps: if mean_s > 0.0 { workers_total / mean_s } else { f64::INFINITY },
        mean_service_s: mean_s,
        replicas,
        workers,
        unbounded_queue: queue_capacity.is_none(),
        closed_loop: acc.closed,
        hit_ratio: None,
        busiest_node: None,
        autoscale: None,
    }
}

/// Refuses a model in which an unbounded queue is offered more than its
/// component can complete in the long run.
pub fn check_stable(model: &Model) -> Result<(), Vec<SpecError>> {
    let analysis = analyse(model);
    let errors: Vec<SpecError> = analysis
        .services
        .iter()
        .filter(|s| s.unstable())
        .map(|s| {
            let message = match s.busiest_node {
                Some(u) => {
                    let hot = analysis
                        .shards
                        .iter()
                        .filter(|sh| sh.datastore == s.name)
                        .max_by(|a, b| a.primary_utilisation.total_cmp(&b.primary_utilisation))
                        .map(|sh| sh.shard)
                        .unwrap_or(0);
                    format!(
                        "unstable: its busiest node (around shard {hot}) is offered {u:.2} times what its {} worker(s) \
                         can serve, and its queue is unbounded, so it would grow for the whole run. Set \
                         `queue_capacity`, add shards, replicas or workers, or split the hot key (`hot_keys`)",
                        s.workers
                    )
                }
                None if s.kind == "queue" => format!(
                    "unstable: producers send {:.1} messages/s on average but its consumers take at most {:.1}/s, \
                     and nothing bounds the backlog, so it would grow for the whole run. Set `capacity` or \
                     `retention`, or give the consumers more concurrency, workers or instances",
                    s.offered_rps, s.capacity_rps
                ),
                None => format!(
                    "unstable: offered {:.1} req/s on average but {} replica(s) x {} worker(s) at a mean compute \
                     time of {:.4} ms complete at most {:.1} req/s (utilisation {:.2}), and its queue is unbounded, \
                     so it would grow for the whole run. Set `queue_capacity`, lower the offered rate, or add \
                     replicas or workers",
                    s.offered_rps,
                    s.replicas,
                    s.workers,
                    s.mean_service_s * 1e3,
                    s.capacity_rps,
                    s.utilisation()
                ),
            };
            SpecError::new(&[if s.kind == "service" { "service" } else { s.kind }, &s.name], message)
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Offered load at this many times a component's capacity draws a
/// warning from `tailsim check`: it is more often a slip of units than an
/// experiment.
pub const SUSPICIOUS_OVERLOAD: f64 = 10.0;
/// Offered load at this many times a component's capacity is refused
/// unless forced: such a run does nothing but reject requests.
pub const IMPLAUSIBLE_OVERLOAD: f64 = 1000.0;

impl ServiceLoad {
    /// How many times its capacity it is offered, when it is open to
    /// overload at all (closed-loop users wait for their answers).
    pub fn overload(&self) -> Option<f64> {
        (!self.closed_loop).then(|| self.limiting_utilisation()).filter(|u| *u >= 1.0)
    }
}

/// What is said of a component offered `u` times its capacity.
pub fn overload_message(s: &ServiceLoad, u: f64) -> String {
    let plain = crate::validate::plain_number;
    format!(
        "offered {} req/s against a capacity of {} req/s ({}x over)",
        plain(s.offered_rps.round()),
        plain(s.capacity_rps.round()),
        plain(u.round())
    )
}

/// The likely cause of a load far over capacity.
pub const UNIT_SLIP: &str = "is a rate per minute or per day written as per second?";

/// The likely cause of a run that spent a budget, from the analysis: the
/// component most over its capacity, when it is at least
/// [`SUSPICIOUS_OVERLOAD`] over; otherwise what to change.
pub fn budget_cause(model: &Model) -> String {
    let analysis = analyse(model);
    let worst = analysis
        .services
        .iter()
        .filter_map(|s| s.overload().map(|u| (s, u)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, u)| *u >= SUSPICIOUS_OVERLOAD);
    match worst {
        Some((s, u)) => format!("the likely cause: {} `{}` is {}; {UNIT_SLIP}", s.kind, s.name, overload_message(s, u)),
        None => "if the run is meant to be this long, raise the budget; otherwise shorten `sim.duration`".into(),
    }
}

/// Refuses what [`check_stable`] refuses, and, unless `force`, a model
/// whose load is [`IMPLAUSIBLE_OVERLOAD`] times a component's capacity or
/// more: it would spend its whole run rejecting requests.
pub fn check_runnable(model: &Model, force: bool) -> Result<(), Vec<SpecError>> {
    let mut errors = check_stable(model).err().unwrap_or_default();
    if !force {
        for s in analyse(model).services.iter().filter(|s| !s.unstable()) {
            if let Some(u) = s.overload().filter(|u| *u >= IMPLAUSIBLE_OVERLOAD) {
                errors.push(SpecError::new(
                    &[if s.kind == "service" { "service" } else { s.kind }, &s.name],
                    format!(
                        "{}: {UNIT_SLIP} Fix the rate or the capacity, or give `--force` to run it anyway",
                        overload_message(s, u)
                    ),
                ));
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{BalancerSpec, CallSpec, ClientSpec, DistSpec, Duration, ServiceSpec, SpikeSpec, WaitSpec};

    fn resolved(m: &ModelSpec) -> Model {
        Model::resolve(m).unwrap()
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn utilisation_follows_rates_through_balancers_and_fan_out() {
        let mut m = ModelSpec::default();
        m.client.insert("a".into(), ClientSpec::poisson("lb", 300.0));
        m.client.insert("b".into(), ClientSpec::poisson("app", 100.0));
        m.balancer.insert("lb".into(), BalancerSpec::new("app", Default::default()));
        let mut app = ServiceSpec::new(2, 2, DistSpec::exponential(ms(4)));
        app.steps.push(StepSpec::Parallel { calls: vec![CallSpec::new("leaf"); 3], wait: WaitSpec::All });
        m.service.insert("app".into(), app);
        m.service.insert("leaf".into(), ServiceSpec::new(4, 1, DistSpec::exponential(ms(2))));
        let a = analyse(&resolved(&m));
        let app = &a.services[0];
        assert_eq!(app.offered_rps, 400.0);
        assert!((app.capacity_rps - 1000.0).abs() < 1e-9);
        assert!((app.utilisation() - 0.4).abs() < 1e-12);
        let leaf = &a.services[1];
        assert_eq!(leaf.offered_rps, 1200.0, "fan-out of 3");
        assert!((leaf.utilisation() - 0.6).abs() < 1e-12);
        assert!(check_stable(&resolved(&m)).is_ok());

        m.client.get_mut("b").unwrap().rate = Some(800.0);
        let errs = check_stable(&resolved(&m)).unwrap_err();
        assert_eq!(errs[0].path_string(), "service.app");
        m.service.get_mut("app").unwrap().queue_capacity = Some(50);
        m.service.get_mut("leaf").unwrap().queue_capacity = Some(50);
        assert!(check_stable(&resolved(&m)).is_ok(), "bounded queues make the same load safe to run");
    }

    #[test]
    fn a_short_spike_is_a_peak_not_instability() {
        let mut m = ModelSpec::default();
        m.sim.duration = Duration::from_secs(100);
        let mut c = ClientSpec::poisson("app", 500.0);
        c.spike = Some(SpikeSpec { at: Duration::from_secs(50), duration: Duration::from_secs(10), factor: 4.0 });
        m.client.insert("c".into(), c);
        m.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(ms(1))));
        let s = &analyse(&resolved(&m)).services[0];
        assert!((s.offered_rps - 650.0).abs() < 1.0, "{}", s.offered_rps);
        assert_eq!(s.peak_rps, 2000.0);
        assert!(check_stable(&resolved(&m)).is_ok());
    }

    #[test]
    fn retries_and_hedges_multiply_the_storm_load_and_a_budget_caps_it() {
        use crate::spec::BudgetSpec;
        let retry = |attempts, budget| -> RetrySpec {
            RetrySpec {
                attempts,
                on: Vec::new(),
                backoff: Default::default(),
                base: ms(10),
                cap: ms(1000),
                jitter: Default::default(),
                budget,
            }
        };
        let mut m = ModelSpec::default();
        m.sim.duration = Duration::from_secs(100);
        let mut c = ClientSpec::poisson("front", 100.0);
        c.retry = Some(retry(3, None));
        m.client.insert("c".into(), c);
        let mut front = ServiceSpec::new(1, 1, DistSpec::exponential(ms(1)));
        let mut call = CallSpec::new("back");
        call.retry = Some(retry(4, Some(BudgetSpec { ratio: 0.2, capacity: 10.0 })));
        call.hedge = Some(HedgeSpec { after: Some(ms(5)), percentile: None, tied: false });
        front.steps = vec![StepSpec::Call(call)];
        m.service.insert("front".into(), front);
        m.service.insert("back".into(), ServiceSpec::new(1, 1, DistSpec::exponential(ms(1))));
        let a = analyse(&resolved(&m));
        let (front, back) = (&a.services[1], &a.services[0]);
        assert_eq!((front.name.as_str(), back.name.as_str()), ("front", "back"));
        assert_eq!(front.offered_rps, 100.0, "offered load stays the fault-free load");
        assert!((front.storm_rps - 300.0).abs() < 1e-9, "{}", front.storm_rps);
        assert!((back.storm_rps - 300.0 * 1.2 * 2.0).abs() < 1e-9, "{}", back.storm_rps);
    }
}
