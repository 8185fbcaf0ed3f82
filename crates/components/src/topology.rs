//! The shape of a model as data: its components, their kinds, regions and
//! zones, and who calls whom.
//!
//! [`topology`] derives it from a [`ModelSpec`] without building or running
//! anything. The runner stores it in a sweep's plan and draws it
//! (`tailsim graph`, the report's topology picture); each edge names the
//! call sites ([`Edge::sites`]) whose attempts travel along it, so a run's
//! per-site results ([`HopResult`](crate::result::HopResult)) give the
//! edge's calls per second.

use serde::{Deserialize, Serialize};

use crate::spec::{CacheModeSpec, ModelSpec};

/// Components and the calls between them, in a stable order: nodes by kind
/// (clients, routers, balancers, services, caches, datastores, queues),
/// then by name; edges by caller, then target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// One component of the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
    /// The region it runs in; a balancer without one is in its target's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The zones its stations are spread over, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

/// What a component is, in the order requests usually flow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Client,
    Router,
    Balancer,
    Service,
    Cache,
    Datastore,
    Queue,
}

impl NodeKind {
    /// The model table the kind is written in (`service`, `cache`, ...).
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Client => "client",
            NodeKind::Router => "router",
            NodeKind::Balancer => "balancer",
            NodeKind::Service => "service",
            NodeKind::Cache => "cache",
            NodeKind::Datastore => "datastore",
            NodeKind::Queue => "queue",
        }
    }
}

/// Requests from `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// The call sites, as (caller, target) pairs, whose attempts travel
    /// along this edge. A balancer forwards what its callers send it, and a
    /// router's clients call its targets directly, so those edges are
    /// measured at the sites that reach them.
    pub sites: Vec<(String, String)>,
}

/// How requests travel along an edge.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// A client's requests to its target.
    Request,
    /// A router sends a client's requests to one of its targets.
    Route,
    /// A balancer forwards to its service's replicas.
    Forward,
    /// A handler step calls another component.
    Call,
    /// A cache-aside step looks up, fills and invalidates a cache.
    Lookup,
    /// A read-through cache reads (and writes) its origin.
    Origin,
    /// A consumer group takes messages from a queue.
    Consume,
}

impl EdgeKind {
    /// The name it is serialised by (`request`, `call`, ...).
    pub fn id(self) -> &'static str {
        match self {
            EdgeKind::Request => "request",
            EdgeKind::Route => "route",
            EdgeKind::Forward => "forward",
            EdgeKind::Call => "call",
            EdgeKind::Lookup => "lookup",
            EdgeKind::Origin => "origin",
            EdgeKind::Consume => "consume",
        }
    }

    /// A short description, for pictures without measurements.
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Request => "requests",
            EdgeKind::Route => "routes",
            EdgeKind::Forward => "forwards",
            EdgeKind::Call => "calls",
            EdgeKind::Lookup => "cache-aside",
            EdgeKind::Origin => "on a miss",
            EdgeKind::Consume => "consumes",
        }
    }
}

/// The region of a component as the simulation places it: its own, or for
/// a balancer without one, its target's.
fn region_of(spec: &ModelSpec, name: &str) -> Option<String> {
    if let Some(b) = spec.balancer.get(name) {
        return b.region.clone().or_else(|| region_of(spec, &b.target));
    }
    let own = spec.service.get(name).and_then(|s| s.region.as_ref());
    own.or_else(|| spec.cache.get(name).and_then(|c| c.region.as_ref()))
        .or_else(|| spec.datastore.get(name).and_then(|d| d.region.as_ref()))
        .or_else(|| spec.client.get(name).and_then(|c| c.region.as_ref()))
        .or_else(|| spec.queue.get(name).and_then(|q| q.region.as_ref()))
        .cloned()
}

/// Adds an edge, merging it into an existing one with the same ends.
fn add(edges: &mut Vec<Edge>, from: &str, to: &str, kind: EdgeKind, sites: Vec<(String, String)>) {
    match edges.iter_mut().find(|e| e.from == from && e.to == to) {
        Some(e) => {
            for s in sites {
                if !e.sites.contains(&s) {
                    e.sites.push(s);
                }
            }
        }
        None => edges.push(Edge { from: from.into(), to: to.into(), kind, sites }),
    }
}

fn site(caller: &str, target: &str) -> (String, String) {
    (caller.to_string(), target.to_string())
}

/// The topology of a (validated) model.
pub fn topology(spec: &ModelSpec) -> Topology {
    let mut nodes = Vec::new();
    let node = |name: &String, kind: NodeKind, zones: &[String]| Node {
        name: name.clone(),
        kind,
        region: region_of(spec, name),
        zones: zones.to_vec(),
    };
    nodes.extend(spec.client.keys().map(|n| node(n, NodeKind::Client, &[])));
    nodes.extend(spec.router.keys().map(|n| node(n, NodeKind::Router, &[])));
    nodes.extend(spec.balancer.keys().map(|n| node(n, NodeKind::Balancer, &[])));
    nodes.extend(spec.service.iter().map(|(n, s)| node(n, NodeKind::Service, &s.zones)));
    nodes.extend(spec.cache.iter().map(|(n, c)| node(n, NodeKind::Cache, &c.zones)));
    nodes.extend(spec.datastore.iter().map(|(n, d)| node(n, NodeKind::Datastore, &d.zones)));
    nodes.extend(spec.queue.keys().map(|n| node(n, NodeKind::Queue, &[])));

    let mut edges = Vec::new();
    for (name, c) in &spec.client {
        match spec.router.get(&c.target) {
            // The client calls the router's targets; the router only picks.
            Some(r) => {
                let sites = r.targets.iter().map(|t| site(name, t)).collect();
                add(&mut edges, name, &c.target, EdgeKind::Request, sites);
            }
            None => add(&mut edges, name, &c.target, EdgeKind::Request, vec![site(name, &c.target)]),
        }
    }
    for (name, r) in &spec.router {
        let clients = spec.client.iter().filter(|(_, c)| c.target == *name);
        let clients: Vec<&String> = clients.map(|(n, _)| n).collect();
        for t in &r.targets {
            add(&mut edges, name, t, EdgeKind::Route, clients.iter().map(|c| site(c, t)).collect());
        }
    }
    for (name, s) in &spec.service {
        for step in s.all_steps().iter().chain(s.write_steps.iter().flatten()) {
            match step {
                crate::spec::StepSpec::CacheAside { cache, origin, .. } => {
                    add(&mut edges, name, cache, EdgeKind::Lookup, vec![site(name, cache)]);
                    add(&mut edges, name, &origin.target, EdgeKind::Call, vec![site(name, &origin.target)]);
                }
                other => {
                    for t in other.targets() {
                        add(&mut edges, name, t, EdgeKind::Call, vec![site(name, t)]);
                    }
                }
            }
        }
    }
    for (name, c) in &spec.cache {
        if c.mode == CacheModeSpec::ReadThrough {
            add(&mut edges, name, &c.origin, EdgeKind::Origin, vec![site(name, &c.origin)]);
        }
    }
    for (name, q) in &spec.queue {
        for g in q.consumers.values() {
            add(&mut edges, name, &g.service, EdgeKind::Consume, vec![site(name, &g.service)]);
        }
    }
    // A balancer forwards every attempt sent to it, by any caller
    // (clients behind a router included: they call it directly).
    for (name, b) in &spec.balancer {
        let mut sites = Vec::new();
        for e in edges.iter().filter(|e| e.to == *name) {
            sites.extend(e.sites.iter().filter(|s| s.1 == *name).cloned());
        }
        sites.sort();
        sites.dedup();
        add(&mut edges, name, &b.target, EdgeKind::Forward, sites);
    }
    edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    Topology { nodes, edges }
}

impl Topology {
    /// The node called `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The regions nodes are in, in node order, each once.
    pub fn regions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in self.nodes.iter().filter_map(|n| n.region.as_deref()) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{
        BalancerPolicySpec, BalancerSpec, CallSpec, ClientSpec, DistSpec, Duration, RouterSpec, ServiceSpec, StepSpec,
    };

    fn svc() -> ServiceSpec {
        ServiceSpec::new(2, 1, DistSpec::exponential(Duration::from_millis(1)))
    }

    #[test]
    fn balancers_forward_what_reaches_them() {
        let mut m = ModelSpec::default();
        m.client.insert("web".into(), ClientSpec::poisson("lb", 100.0));
        m.balancer.insert("lb".into(), BalancerSpec::new("app", BalancerPolicySpec::RoundRobin));
        let mut app = svc();
        app.steps = vec![
            StepSpec::Call(CallSpec::new("db")),
            StepSpec::Parallel { calls: vec![CallSpec::new("db"); 3], wait: crate::spec::WaitSpec::All },
        ];
        app.zones = vec!["a".into(), "b".into()];
        app.region = Some("east".into());
        m.service.insert("app".into(), app);
        m.service.insert("db".into(), svc());
        let t = topology(&m);
        let names: Vec<(&str, NodeKind)> = t.nodes.iter().map(|n| (n.name.as_str(), n.kind)).collect();
        assert_eq!(
            names,
            [
                ("web", NodeKind::Client),
                ("lb", NodeKind::Balancer),
                ("app", NodeKind::Service),
                ("db", NodeKind::Service)
            ]
        );
        assert_eq!(t.node("lb").unwrap().region.as_deref(), Some("east"), "a balancer is in its target's region");
        assert_eq!(t.node("app").unwrap().zones, ["a", "b"]);
        let edges: Vec<(&str, &str, EdgeKind, usize)> =
            t.edges.iter().map(|e| (e.from.as_str(), e.to.as_str(), e.kind, e.sites.len())).collect();
        assert_eq!(
            edges,
            [
                ("app", "db", EdgeKind::Call, 1),
                ("lb", "app", EdgeKind::Forward, 1),
                ("web", "lb", EdgeKind::Request, 1)
            ]
        );
        let forward = t.edges.iter().find(|e| e.from == "lb").unwrap();
        assert_eq!(forward.sites, [site("web", "lb")]);
        assert_eq!(t.regions(), ["east"]);
    }

    #[test]
    fn router_edges_are_measured_at_the_clients_sites() {
        let mut m = ModelSpec::default();
        m.client.insert("users".into(), ClientSpec::poisson("global", 10.0));
        let router = RouterSpec {
            targets: vec!["east".into(), "west".into()],
            mode: Default::default(),
            check_interval: Duration::from_secs(10),
            unhealthy_after: 3,
            healthy_after: 2,
            propagation: Duration::from_secs(60),
            spill_above: None,
        };
        m.router.insert("global".into(), router);
        m.service.insert("east".into(), svc());
        m.service.insert("west".into(), svc());
        let t = topology(&m);
        let request = t.edges.iter().find(|e| e.from == "users").unwrap();
        assert_eq!(request.to, "global");
        assert_eq!(request.sites, [site("users", "east"), site("users", "west")]);
        let route = t.edges.iter().find(|e| e.from == "global" && e.to == "west").unwrap();
        assert_eq!(route.sites, [site("users", "west")]);
    }
}
