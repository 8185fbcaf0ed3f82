//! The resolved model: what validation returns, and what the simulation and
//! the static analysis consume ("resolve, then run").
//!
//! A [`Model`] can only be made by [`Model::resolve`], so holding one
//! means the spec passed every check. Resolution interns what the runtime would otherwise look up by
//! name: every component's kind and typed id, the runtime services (services,
//! caches, datastores and queues, in that order, each by name), zones,
//! regions and request classes. Every distribution is built once, here;
//! building a simulation from a model cannot fail, and nothing is validated
//! twice.

use std::collections::BTreeMap;

use crate::dist::Dist;
use crate::ids::{BalancerId, ClientId, Id, RegionId, RouterId, ServiceId, ZoneId};
use crate::spec::{DistAt, DistSpec, Duration, Handler, ModelSpec};
use crate::validate::SpecError;

/// What a name refers to, with its typed id. Caches, datastores and queues
/// are runtime services too.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Component {
    Client(ClientId),
    Balancer(BalancerId),
    Service(ServiceId),
    Cache(ServiceId),
    Datastore(ServiceId),
    Queue(ServiceId),
    Router(RouterId),
}

/// A validated model with its names resolved and its distributions built.
#[derive(Clone, Debug)]
pub struct Model {
    spec: ModelSpec,
    components: BTreeMap<String, Component>,
    /// Runtime services by id: their names.
    services: Vec<String>,
    zones: Vec<String>,
    regions: Vec<String>,
    classes: Vec<String>,
    dists: BTreeMap<DistAt, Dist>,
}

impl Model {
    /// Checks `spec` and resolves it; every problem found is returned.
    pub fn resolve(spec: &ModelSpec) -> Result<Model, Vec<SpecError>> {
        let dists = crate::validate::check(spec)?;
        Ok(Model::assemble(spec, dists))
    }

    /// Assembles a model from a spec that passed every check, and the
    /// distributions built while checking it.
    fn assemble(spec: &ModelSpec, dists: BTreeMap<DistAt, Dist>) -> Model {
        let mut components = BTreeMap::new();
        let mut services = Vec::new();
        for (i, name) in spec.client.keys().enumerate() {
            components.insert(name.clone(), Component::Client(ClientId::new(i)));
        }
        for (i, name) in spec.balancer.keys().enumerate() {
            components.insert(name.clone(), Component::Balancer(BalancerId::new(i)));
        }
        // Runtime services: services, caches, datastores, queues, each by name.
        let kinds = spec
            .service
            .keys()
            .map(|n| (n, Component::Service as fn(ServiceId) -> Component))
            .chain(spec.cache.keys().map(|n| (n, Component::Cache as fn(ServiceId) -> Component)))
            .chain(spec.datastore.keys().map(|n| (n, Component::Datastore as fn(ServiceId) -> Component)))
            .chain(spec.queue.keys().map(|n| (n, Component::Queue as fn(ServiceId) -> Component)));
        for (name, kind) in kinds {
            components.insert(name.clone(), kind(ServiceId::new(services.len())));
            services.push(name.clone());
        }
        for (i, name) in spec.router.keys().enumerate() {
            components.insert(name.clone(), Component::Router(RouterId::new(i)));
        }
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
        let mut classes: Vec<String> = Vec::new();
        for (name, c) in &spec.client {
            let class = c.class.clone().unwrap_or_else(|| name.clone());
            if !classes.contains(&class) {
                classes.push(class);
            }
        }
        let regions = crate::validate::regions_of(spec).into_iter().map(str::to_string).collect();
        let mut dists = dists;
        // Links between regions take this latency unless the model gives one.
        dists.entry(DistAt::CrossRegion).or_insert_with(|| {
            let default =
                DistSpec::LogNormalQuantiles { p50: Duration::from_millis(50), p99: Duration::from_millis(75) };
            Dist::new(&default).expect("the default cross-region latency is a valid lognormal")
        });
        Model { spec: spec.clone(), components, services, zones, regions, classes, dists }
    }

    /// The plain data the model was resolved from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// Gives the spec back (to change it and resolve it again).
    pub fn into_spec(self) -> ModelSpec {
        self.spec
    }

    /// What `name` refers to.
    pub fn component(&self, name: &str) -> Option<Component> {
        self.components.get(name).copied()
    }

    /// The runtime service `name` is, or stands for: a balancer stands for
    /// its target.
    pub fn service_behind(&self, name: &str) -> Option<ServiceId> {
        match self.component(name)? {
            Component::Service(s) | Component::Cache(s) | Component::Datastore(s) | Component::Queue(s) => Some(s),
            Component::Balancer(_) => self.service_behind(&self.spec.balancer[name].target),
            Component::Client(_) | Component::Router(_) => None,
        }
    }

    /// The number of runtime services.
    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    /// A runtime service's name.
    pub fn service_name(&self, s: ServiceId) -> &str {
        &self.services[s.index()]
    }

    /// The region `name` is in, if it says (a balancer defaults to its
    /// target's).
    pub fn region_name(&self, name: &str) -> Option<&str> {
        let spec = &self.spec;
        if let Some(b) = spec.balancer.get(name) {
            return b.region.as_deref().or_else(|| self.region_name(&b.target));
        }
        spec.service
            .get(name)
            .and_then(|s| s.region.as_deref())
            .or_else(|| spec.cache.get(name).and_then(|c| c.region.as_deref()))
            .or_else(|| spec.datastore.get(name).and_then(|d| d.region.as_deref()))
            .or_else(|| spec.client.get(name).and_then(|c| c.region.as_deref()))
            .or_else(|| spec.queue.get(name).and_then(|q| q.region.as_deref()))
    }

    /// The region `name` is in, as an id.
    pub fn region_of(&self, name: &str) -> Option<RegionId> {
        let r = self.region_name(name)?;
        self.regions.iter().position(|x| x == r).map(RegionId::new)
    }

    /// Zones in order of first mention.
    pub fn zones(&self) -> &[String] {
        &self.zones
    }

    /// The zone named `name`.
    pub fn zone(&self, name: &str) -> Option<ZoneId> {
        self.zones.iter().position(|z| z == name).map(ZoneId::new)
    }

    /// The zone of replica `i` of a component placed round-robin over
    /// `list`.
    pub fn zone_of_replica(&self, list: &[String], i: u32) -> Option<ZoneId> {
        if list.is_empty() {
            return None;
        }
        self.zone(&list[i as usize % list.len()])
    }

    /// Request classes, in client order (a client's class defaults to its
    /// name).
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The class of client `name`'s requests.
    pub fn class_of(&self, client: &str) -> u16 {
        let c = &self.spec.client[client];
        let class = c.class.as_deref().unwrap_or(client);
        self.classes.iter().position(|k| k == class).unwrap_or(0) as u16
    }

    /// A distribution, built when the model was resolved.
    pub(crate) fn dist(&self, at: &DistAt) -> &Dist {
        self.dists.get(at).unwrap_or_else(|| panic!("resolution builds every distribution; {at:?} is missing"))
    }

    /// The compute distributions of a service's handler, aligned with
    /// [`ServiceSpec::all_steps`](crate::spec::ServiceSpec::all_steps) (or
    /// `all_write_steps`): `None` for steps that are not computes.
    pub(crate) fn handler_dists(&self, service: &str, write: bool) -> Vec<Option<&Dist>> {
        let s = &self.spec.service[service];
        match (&s.write_steps, write) {
            (Some(w), true) => (0..w.len())
                .map(|index| {
                    let at = DistAt::Step { service: service.to_string(), handler: Handler::WriteSteps, index };
                    self.dists.get(&at)
                })
                .collect(),
            _ => {
                let first = s.service_time.as_ref().map(|_| self.dist(&DistAt::ServiceTime(service.to_string())));
                let steps = (0..s.steps.len()).map(|index| {
                    let at = DistAt::Step { service: service.to_string(), handler: Handler::Steps, index };
                    self.dists.get(&at)
                });
                first.into_iter().map(Some).chain(steps).collect()
            }
        }
    }
}
