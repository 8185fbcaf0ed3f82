//! Checks a [`ModelSpec`] before it is built: names resolve, numbers are in
//! range. Every error carries the path of the offending field, so the config
//! layer can point at its line and column.

use std::collections::BTreeMap;
use std::fmt;

mod client;
mod data;
mod graph;
mod growth;
mod limits;
mod resilience;
mod service;

pub(crate) use growth::regions_of;
pub use limits::{MAX_KEYS, MAX_NODES, MAX_RATE, MAX_REPLICAS, plain_number};

use crate::spec::{DistAt, DistSpec, Duration, ModelSpec};
use crate::suggest::did_you_mean;

/// A problem with a model, located by the path of the field at fault, such as
/// `service.app.workers`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    pub path: Vec<String>,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path.join("."), self.message)
        }
    }
}

impl SpecError {
    pub fn new(path: &[&str], message: impl Into<String>) -> Self {
        Self { path: path.iter().map(|s| s.to_string()).collect(), message: message.into() }
    }

    /// The dotted path, such as `service.app.workers`.
    pub fn path_string(&self) -> String {
        self.path.join(".")
    }
}

/// What a name refers to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Client,
    Balancer,
    Service,
    Cache,
    Datastore,
    Queue,
    Router,
}

/// What a call may target.
pub(crate) const CALLABLE: &[Kind] = &[Kind::Balancer, Kind::Service, Kind::Cache, Kind::Datastore, Kind::Queue];

/// What a client may target: what a call may, and routers.
pub(crate) const CLIENT_TARGETS: &[Kind] =
    &[Kind::Balancer, Kind::Service, Kind::Cache, Kind::Datastore, Kind::Queue, Kind::Router];

impl Kind {
    pub fn table(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Balancer => "balancer",
            Kind::Service => "service",
            Kind::Cache => "cache",
            Kind::Datastore => "datastore",
            Kind::Queue => "queue",
            Kind::Router => "router",
        }
    }
}

/// All names in the model and their kinds.
pub fn names(spec: &ModelSpec) -> BTreeMap<&str, Kind> {
    let mut map = BTreeMap::new();
    for n in spec.client.keys() {
        map.insert(n.as_str(), Kind::Client);
    }
    for n in spec.balancer.keys() {
        map.insert(n.as_str(), Kind::Balancer);
    }
    for n in spec.service.keys() {
        map.insert(n.as_str(), Kind::Service);
    }
    for n in spec.cache.keys() {
        map.insert(n.as_str(), Kind::Cache);
    }
    for n in spec.datastore.keys() {
        map.insert(n.as_str(), Kind::Datastore);
    }
    for n in spec.queue.keys() {
        map.insert(n.as_str(), Kind::Queue);
    }
    for n in spec.router.keys() {
        map.insert(n.as_str(), Kind::Router);
    }
    map
}

pub(crate) struct Checker<'a> {
    names: BTreeMap<&'a str, Kind>,
    /// Each cache's mode, for checking cache-aside steps.
    spec_caches: BTreeMap<&'a str, crate::spec::CacheModeSpec>,
    errors: Vec<SpecError>,
    /// The distributions built while checking them.
    dists: BTreeMap<DistAt, crate::dist::Dist>,
}

impl<'a> Checker<'a> {
    fn err(&mut self, path: &[&str], message: impl Into<String>) {
        self.errors.push(SpecError::new(path, message));
    }

    /// Checks that `name` exists and has one of the `allowed` kinds.
    fn reference(&mut self, path: &[&str], name: &str, allowed: &[Kind]) {
        let kinds: Vec<&str> = allowed.iter().map(|k| k.table()).collect();
        let what = match kinds.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => kinds.join(""),
        };
        match self.names.get(name) {
            Some(kind) if allowed.contains(kind) => {}
            Some(kind) => {
                let msg = format!("`{name}` is a {}, but this must name a {what}", kind.table());
                self.err(path, msg);
            }
            None => {
                let candidates = self.names.iter().filter(|(_, k)| allowed.contains(k)).map(|(n, _)| *n);
                let hint =
                    did_you_mean(name, candidates).map(|s| format!("; did you mean `{s}`?")).unwrap_or_else(|| {
                        let all: Vec<String> = self
                            .names
                            .iter()
                            .filter(|(_, k)| allowed.contains(k))
                            .map(|(n, _)| format!("`{n}`"))
                            .collect();
                        if all.is_empty() {
                            format!("; the model defines no {what}")
                        } else {
                            format!("; the model defines {}", all.join(", "))
                        }
                    });
                self.err(path, format!("there is no {what} named `{name}`{hint}"));
            }
        }
    }

    fn positive(&mut self, path: &[&str], value: f64) {
        if !(value.is_finite() && value > 0.0) {
            self.err(path, format!("must be a positive number, got {value}"));
        }
    }

    fn probability(&mut self, path: &[&str], value: f64) {
        if !(0.0..=1.0).contains(&value) {
            self.err(path, format!("must be a probability between 0 and 1, got {value}"));
        }
    }

    fn nonzero(&mut self, path: &[&str], d: Duration) {
        if d.0 == 0 {
            self.err(path, "must be longer than zero");
        }
    }

    fn at_least_one(&mut self, path: &[&str], value: u32) {
        if value == 0 {
            self.err(path, "must be at least 1, got 0");
        }
    }

    /// Builds the distribution written at `path`, keeping it under `at`
    /// for the resolved model.
    fn dist(&mut self, path: &[&str], at: DistAt, d: &DistSpec) {
        match crate::dist::Dist::new(d) {
            Ok(built) => {
                self.dists.insert(at, built);
            }
            Err(e) => self.err(path, e),
        }
    }
}

/// Checks the whole model; returns every problem found, or the
/// distributions built while checking them (by where they are written),
/// which [`Model::resolve`](crate::model::Model::resolve) keeps.
pub(crate) fn check(spec: &ModelSpec) -> Result<BTreeMap<DistAt, crate::dist::Dist>, Vec<SpecError>> {
    let mut c = Checker {
        names: BTreeMap::new(),
        spec_caches: spec.cache.iter().map(|(n, c)| (n.as_str(), c.mode)).collect(),
        errors: Vec::new(),
        dists: BTreeMap::new(),
    };

    // One namespace across kinds.
    let mut seen: BTreeMap<&str, Kind> = BTreeMap::new();
    let tables = [
        (Kind::Client, spec.client.keys().collect::<Vec<_>>()),
        (Kind::Balancer, spec.balancer.keys().collect()),
        (Kind::Service, spec.service.keys().collect()),
        (Kind::Cache, spec.cache.keys().collect()),
        (Kind::Datastore, spec.datastore.keys().collect()),
        (Kind::Queue, spec.queue.keys().collect()),
        (Kind::Router, spec.router.keys().collect()),
    ];
    for (kind, keys) in &tables {
        for name in keys {
            if let Some(first) = seen.get(name.as_str()) {
                c.err(
                    &[kind.table(), name],
                    format!(
                        "the name `{name}` is already used by a {}; names must be unique across kinds",
                        first.table()
                    ),
                );
            } else {
                seen.insert(name, *kind);
            }
        }
    }
    c.names = names(spec);

    let sim = &spec.sim;
    if sim.duration.0 == 0 {
        c.err(&["sim", "duration"], "must be longer than zero");
    }
    if let Some(w) = sim.fixed_warmup()
        && w >= sim.duration
        && sim.duration.0 > 0
    {
        c.err(&["sim", "warmup"], format!("must be shorter than `sim.duration` ({}), got {w}", sim.duration));
    }
    if sim.replications == 0 {
        c.err(&["sim", "replications"], "must be at least 1");
    }
    if sim.window.0 == 0 {
        c.err(&["sim", "window"], "must be longer than zero");
    } else if sim.duration.0.div_ceil(sim.window.0) > MAX_WINDOWS {
        c.err(
            &["sim", "window"],
            format!(
                "gives {} windows over `sim.duration` ({}); at most {MAX_WINDOWS} are kept, because every window \
                 holds a histogram and a row of the time series: use a window of at least {}, such as `window = \"{}\"`",
                sim.duration.0.div_ceil(sim.window.0),
                sim.duration,
                Duration(sim.duration.0.div_ceil(MAX_WINDOWS)),
                Duration(round_up_to_nice(sim.duration.0.div_ceil(200))),
            ),
        );
    }
    if sim.max_in_flight == 0 {
        c.err(&["sim", "max_in_flight"], "must be at least 1");
    }
    if sim.max_events == Some(0) {
        c.err(&["sim", "max_events"], "must be at least 1");
    }
    if sim.max_wall.0 == 0 {
        c.err(&["sim", "max_wall"], "must be longer than zero");
    }
    if sim.max_memory.is_some_and(|m| m.0 == 0) {
        c.err(&["sim", "max_memory"], "must be more than zero");
    }
    if let Some(w) = &sim.window_slo {
        if let Some(e) = w.error_rate {
            c.probability(&["sim", "window_slo", "error_rate"], e);
        }
        if w.p99.is_some_and(|d| d.0 == 0) {
            c.err(&["sim", "window_slo", "p99"], "must be longer than zero");
        }
        if w.p99.is_none() && w.error_rate.is_none() {
            c.err(&["sim", "window_slo"], "needs `p99`, `error_rate` or both");
        }
    }

    if spec.client.is_empty() {
        c.err(&[], "the model has no clients: add a [client.<name>] table with a `target` and a `rate`");
    }
    for (name, cl) in &spec.client {
        c.client(spec, name, cl);
    }
    for (name, b) in &spec.balancer {
        c.balancer(spec, name, b);
    }
    for (name, s) in &spec.service {
        c.service(name, s);
    }
    for (name, cache) in &spec.cache {
        c.cache(name, cache);
    }
    for (name, d) in &spec.datastore {
        c.datastore(name, d);
    }
    for (name, q) in &spec.queue {
        c.queue(spec, name, q);
    }
    for (name, r) in &spec.router {
        c.router(spec, name, r);
    }
    c.limits(spec);
    c.regions(spec);
    c.network(spec);
    c.faults(spec);
    if c.errors.is_empty() {
        c.cycles(spec);
    }

    if c.errors.is_empty() { Ok(c.dists) } else { Err(c.errors) }
}

/// The most time-series windows a run keeps: each holds a latency
/// histogram while it is open and a row of `timeseries.csv` after.
pub const MAX_WINDOWS: u64 = 20_000;

/// The smallest 1, 2 or 5 times a power of ten nanoseconds at or above `ns`.
fn round_up_to_nice(ns: u64) -> u64 {
    let mut scale = 1u64;
    loop {
        for step in [1, 2, 5] {
            if step * scale >= ns {
                return step * scale;
            }
        }
        scale = scale.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ClientSpec, Duration, ServiceSpec};

    /// One client at 100 req/s and one service: a valid model to vary.
    pub(super) fn model() -> ModelSpec {
        let mut m = ModelSpec::default();
        m.client.insert("web".into(), ClientSpec::poisson("app", 100.0));
        m.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))));
        m
    }

    #[test]
    fn a_good_model_passes() {
        assert!(check(&model()).is_ok());
    }

    #[test]
    fn misspelled_target_gets_a_suggestion() {
        let mut m = model();
        m.client.get_mut("web").unwrap().target = "apq".into();
        let errs = check(&m).unwrap_err();
        assert_eq!(errs[0].path_string(), "client.web.target");
        assert!(errs[0].message.contains("did you mean `app`?"), "{}", errs[0].message);
    }

    #[test]
    fn impossible_values_are_named() {
        let mut m = model();
        m.client.get_mut("web").unwrap().rate = Some(-5.0);
        m.service.get_mut("app").unwrap().workers = 0;
        let errs = check(&m).unwrap_err();
        let paths: Vec<String> = errs.iter().map(|e| e.path_string()).collect();
        assert_eq!(paths, ["client.web.rate", "service.app.workers"]);
    }

    #[test]
    fn the_window_count_is_bounded_with_a_suggested_window() {
        let mut m = model();
        m.sim.duration = Duration::from_secs(5);
        m.sim.window = Duration(10_000); // 10 us: 500,000 windows
        let errs = check(&m).unwrap_err();
        assert_eq!(errs[0].path_string(), "sim.window");
        assert!(errs[0].message.contains("gives 500000 windows"), "{}", errs[0].message);
        assert!(errs[0].message.contains("at least 250us, such as `window = \"50ms\"`"), "{}", errs[0].message);
        m.sim.window = Duration(250_000); // exactly 20,000 windows
        assert!(check(&m).is_ok());
        assert_eq!(
            (round_up_to_nice(1), round_up_to_nice(3), round_up_to_nice(6), round_up_to_nice(11)),
            (1, 5, 10, 20)
        );
    }

    #[test]
    fn names_are_unique_across_kinds() {
        let mut m = model();
        m.balancer.insert("app".into(), crate::spec::BalancerSpec::new("app", Default::default()));
        let errs = check(&m).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("already used")), "{errs:?}");
    }
}

#[cfg(test)]
mod graph_tests {
    use super::*;
    use crate::spec::{CallSpec, ClientSpec, DistSpec, Duration, LinkSpec, ServiceSpec, StepSpec};

    fn two_tier() -> ModelSpec {
        let mut m = ModelSpec::default();
        m.client.insert("web".into(), ClientSpec::poisson("api", 10.0));
        let mut api = ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1)));
        api.steps.push(StepSpec::Call(CallSpec::new("db")));
        m.service.insert("api".into(), api);
        m.service.insert("db".into(), ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))));
        m
    }

    #[test]
    fn call_cycles_are_refused() {
        let mut m = two_tier();
        m.service.get_mut("db").unwrap().steps.push(StepSpec::Call(CallSpec::new("api")));
        let errs = check(&m).unwrap_err();
        assert!(errs[0].message.contains("cycle: api -> db -> api"), "{errs:?}");
    }

    #[test]
    fn lossy_links_need_timeouts() {
        let mut m = two_tier();
        m.network.link.push(LinkSpec { from: "api".into(), to: "db".into(), latency: None, loss: Some(0.01) });
        let errs = check(&m).unwrap_err();
        assert_eq!(errs[0].path_string(), "service.api.steps.0");
        assert!(errs[0].message.contains("needs a `timeout`"));
        m.network.link[0].to = "dbb".into();
        let errs = check(&m).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("did you mean `db`?")), "{errs:?}");
    }

    #[test]
    fn clients_are_open_or_closed_loop() {
        let mut m = two_tier();
        m.client.get_mut("web").unwrap().users = Some(5);
        let errs = check(&m).unwrap_err();
        assert!(errs[0].message.contains("not both"));
        m.client.get_mut("web").unwrap().rate = None;
        m.client.get_mut("web").unwrap().users = None;
        let errs = check(&m).unwrap_err();
        assert!(errs[0].message.contains("needs `rate`"));
    }
}
