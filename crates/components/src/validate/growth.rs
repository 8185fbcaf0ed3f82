//! Checks of the growth vocabulary: autoscaling, message queues, routers
//! and regions.

use super::{Checker, Kind};
use crate::spec::DistAt;
use crate::spec::{
    AutoscaleSpec, BalancerPolicySpec, ModelSpec, QueueSpec, RouterModeSpec, RouterSpec, ScalePolicySpec,
};
use crate::suggest::did_you_mean;

impl Checker<'_> {
    pub(super) fn autoscale(&mut self, spec: &ModelSpec, name: &str, a: &AutoscaleSpec) {
        let s = &spec.service[name];
        let at = |field: &'static str| ["service", name, "autoscale", field];
        self.at_least_one(&at("min"), a.min);
        if a.max < a.min {
            self.err(&at("max"), format!("must be at least `min` ({}), got {}", a.min, a.max));
        }
        if a.max > 10_000 {
            self.err(&at("max"), format!("at most 10000 instances, got {}", a.max));
        }
        if !(a.min..=a.max).contains(&s.replicas) {
            self.err(
                &["service", name, "replicas"],
                format!(
                    "is the fleet size at the start, so it must lie between `autoscale.min` ({}) and `autoscale.max` ({}), got {}",
                    a.min, a.max, s.replicas
                ),
            );
        }
        self.nonzero(&at("interval"), a.interval);
        if let Some(c) = &a.cold {
            self.nonzero(&["service", name, "autoscale", "cold", "duration"], c.duration);
            if !(c.slowdown.is_finite() && c.slowdown >= 1.0) {
                self.err(
                    &["service", name, "autoscale", "cold", "slowdown"],
                    format!("must be at least 1 (2.0 = twice as slow while cold), got {}", c.slowdown),
                );
            }
        }
        if s.replica_speed.is_some() {
            self.err(&["service", name, "replica_speed"], "does not combine with `autoscale`: new instances are alike");
        }
        if a.policy.is_empty() {
            self.err(&at("policy"), "needs at least one policy (threshold, target, queue, schedule or predictive)");
        }
        for (i, p) in a.policy.iter().enumerate() {
            let idx = i.to_string();
            let path = |field: &'static str| ["service", name, "autoscale", "policy", &idx, field].map(String::from);
            let mut check = |field: &'static str, ok: bool, msg: String| {
                if !ok {
                    let p = path(field);
                    let refs: Vec<&str> = p.iter().map(String::as_str).collect();
                    self.err(&refs, msg);
                }
            };
            match p {
                ScalePolicySpec::Threshold { above, below, add, remove, .. } => {
                    check("above", above.is_finite() && *above > 0.0, format!("must be positive, got {above}"));
                    if let Some(b) = below {
                        check(
                            "below",
                            b.is_finite() && *b >= 0.0 && b < above,
                            format!("must be at least 0 and below `above` ({above}), got {b}"),
                        );
                    }
                    check("add", *add >= 1, "must be at least 1".into());
                    check("remove", *remove >= 1, "must be at least 1".into());
                }
                ScalePolicySpec::Target { target, .. } => {
                    check("target", target.is_finite() && *target > 0.0, format!("must be positive, got {target}"));
                }
                ScalePolicySpec::Queue { per_worker, .. } => {
                    check(
                        "per_worker",
                        per_worker.is_finite() && *per_worker > 0.0,
                        format!("must be positive, got {per_worker}"),
                    );
                }
                ScalePolicySpec::Schedule { steps } => {
                    check("steps", !steps.is_empty(), "needs at least one `{ at, size }`".into());
                    for w in steps.windows(2) {
                        check("steps", w[0].at < w[1].at, "steps must be in time order".into());
                    }
                    for st in steps {
                        check(
                            "steps",
                            st.size <= a.max,
                            format!("a step's size ({}) exceeds `max` ({})", st.size, a.max),
                        );
                    }
                }
                ScalePolicySpec::Predictive { target, .. } => {
                    check(
                        "target",
                        target.is_finite() && *target > 0.0 && *target <= 1.0,
                        format!("is a utilisation: above 0, at most 1, got {target}"),
                    );
                }
            }
        }
        for (bname, b) in &spec.balancer {
            if b.target == name && b.policy == BalancerPolicySpec::WeightedRoundRobin {
                self.err(
                    &["balancer", bname, "policy"],
                    format!("weighted round robin needs a fixed fleet, but `{name}` autoscales"),
                );
            }
        }
    }

    pub(super) fn queue(&mut self, spec: &ModelSpec, name: &str, q: &QueueSpec) {
        let at = |field: &'static str| ["queue", name, field];
        self.nonzero(&at("visibility_timeout"), q.visibility_timeout);
        self.at_least_one(&at("max_deliveries"), q.max_deliveries);
        if let Some(r) = q.retention {
            self.nonzero(&at("retention"), r);
        }
        if let Some(c) = q.capacity {
            self.at_least_one(&at("capacity"), c);
        }
        if q.consumers.is_empty() {
            self.err(&at("consumers"), "needs at least one consumer group: [queue.<name>.consumers.<group>]");
        }
        for (g, group) in &q.consumers {
            self.reference(&["queue", name, "consumers", g, "service"], &group.service, &[Kind::Service]);
            if group.concurrency == Some(0) {
                self.err(&["queue", name, "consumers", g, "concurrency"], "must be at least 1");
            }
        }
        for (b, bal) in &spec.balancer {
            if bal.target == name {
                self.err(&["balancer", b, "target"], "a balancer fronts a service, not a queue");
            }
        }
    }

    pub(super) fn router(&mut self, spec: &ModelSpec, name: &str, r: &RouterSpec) {
        let at = |field: &'static str| ["router", name, field];
        if r.targets.is_empty() || r.targets.len() > 16 {
            self.err(&at("targets"), "needs between 1 and 16 targets (a balancer or service per region)");
        }
        for (i, t) in r.targets.iter().enumerate() {
            let idx = i.to_string();
            self.reference(&["router", name, "targets", &idx], t, &[Kind::Balancer, Kind::Service]);
        }
        self.nonzero(&at("check_interval"), r.check_interval);
        self.at_least_one(&at("unhealthy_after"), r.unhealthy_after);
        self.at_least_one(&at("healthy_after"), r.healthy_after);
        if let Some(s) = r.spill_above {
            if r.mode != RouterModeSpec::Nearest {
                self.err(&at("spill_above"), "applies to `mode = \"nearest\"`");
            }
            if !(s.is_finite() && s > 0.0 && s <= 1.0) {
                self.err(&at("spill_above"), format!("is a utilisation: above 0, at most 1, got {s}"));
            }
        }
        // Only clients call routers: a DNS answer is cached by the caller.
        for (sname, s) in &spec.service {
            for step in s.steps.iter().chain(s.write_steps.iter().flatten()) {
                if step.targets().contains(&name) {
                    self.err(
                        &["service", sname, "steps"],
                        format!("`{name}` is a router; only clients may call routers (call a regional balancer)"),
                    );
                }
            }
        }
    }

    /// Region names must be used consistently: a fault or a router's
    /// nearest mode names a region some component is in.
    pub(super) fn regions(&mut self, spec: &ModelSpec) {
        for (name, s) in &spec.service {
            if let Some(a) = &s.autoscale {
                self.autoscale(spec, name, a);
            }
        }
        if let Some(d) = &spec.network.cross_region {
            self.dist(&["network", "cross_region"], DistAt::CrossRegion, d);
        }
        let known = regions_of(spec);
        // A client's region means something only if some component is there.
        let served: Vec<&str> = known
            .iter()
            .copied()
            .filter(|r| {
                spec.client.values().all(|c| c.region.as_deref() != Some(r)) || {
                    spec.service.values().any(|s| s.region.as_deref() == Some(r))
                        || spec.balancer.values().any(|b| b.region.as_deref() == Some(r))
                        || spec.cache.values().any(|c| c.region.as_deref() == Some(r))
                        || spec.datastore.values().any(|d| d.region.as_deref() == Some(r))
                        || spec.queue.values().any(|q| q.region.as_deref() == Some(r))
                }
            })
            .collect();
        for (name, c) in &spec.client {
            if let Some(r) = &c.region
                && !served.contains(&r.as_str())
                && !served.is_empty()
            {
                let hint = did_you_mean(r, served.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; components are in {}", served.join(", ")));
                self.err(&["client", name, "region"], format!("no component is in region `{r}`{hint}"));
            }
        }
        for (i, f) in spec.fault.iter().enumerate() {
            if let Some(r) = &f.region
                && !known.contains(&r.as_str())
            {
                let idx = i.to_string();
                let hint = did_you_mean(r, known.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| "; no component sets `region`".into());
                self.err(&["fault", &idx, "region"], format!("no component is in region `{r}`{hint}"));
            }
        }
    }
}

/// Every region some component names.
pub(crate) fn regions_of(spec: &ModelSpec) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let all = spec
        .service
        .values()
        .filter_map(|s| s.region.as_deref())
        .chain(spec.cache.values().filter_map(|c| c.region.as_deref()))
        .chain(spec.datastore.values().filter_map(|d| d.region.as_deref()))
        .chain(spec.client.values().filter_map(|c| c.region.as_deref()))
        .chain(spec.balancer.values().filter_map(|b| b.region.as_deref()))
        .chain(spec.queue.values().filter_map(|q| q.region.as_deref()));
    for r in all {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}
