//! Checks of balancers and services.

use super::{CALLABLE, Checker, Kind};
use crate::spec::{
    BalancerPolicySpec, BalancerSpec, CacheModeSpec, DisciplineSpec, ModelSpec, ServiceSpec, StepSpec, WaitSpec,
};
use crate::spec::{DistAt, Handler};

impl Checker<'_> {
    pub(super) fn balancer(&mut self, spec: &ModelSpec, name: &str, b: &BalancerSpec) {
        let at = |field: &'static str| ["balancer", name, field];
        self.reference(&at("target"), &b.target, &[Kind::Service]);
        let replicas = spec.service.get(&b.target).map(|s| s.replicas);
        match (&b.weights, b.policy) {
            (None, BalancerPolicySpec::WeightedRoundRobin) => {
                self.err(&at("weights"), "weighted_round_robin needs `weights`, one per replica")
            }
            (Some(_), p) if p != BalancerPolicySpec::WeightedRoundRobin => {
                self.err(&at("weights"), "applies to `policy = \"weighted_round_robin\"`")
            }
            (Some(w), _) => {
                if let Some(r) = replicas
                    && w.len() != r as usize
                {
                    self.err(&at("weights"), format!("has {} weights but `{}` has {r} replicas", w.len(), b.target));
                }
                if w.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || !w.iter().any(|x| *x > 0.0) {
                    self.err(&at("weights"), "weights must be zero or positive, and not all zero");
                }
            }
            (None, _) => {}
        }
        if b.policy == BalancerPolicySpec::PowerOfD {
            if b.choices == 0 {
                self.err(&at("choices"), "must be at least 1");
            } else if let Some(r) = replicas
                && b.choices > r
            {
                self.err(&at("choices"), format!("cannot sample {} of {r} replicas", b.choices));
            }
        }
        if b.virtual_nodes == 0 {
            self.err(&at("virtual_nodes"), "must be at least 1");
        }
        if let Some(f) = b.load_factor
            && !(f.is_finite() && f >= 1.0)
        {
            self.err(&at("load_factor"), format!("must be at least 1 (1.25 is typical), got {f}"));
        }
        if b.load_factor.is_some() && b.policy != BalancerPolicySpec::ConsistentHash {
            self.err(&at("load_factor"), "applies to `policy = \"consistent_hash\"`");
        }
        if let Some(h) = &b.health_check {
            self.nonzero(&["balancer", name, "health_check", "interval"], h.interval);
            self.nonzero(&["balancer", name, "health_check", "timeout"], h.timeout);
            self.at_least_one(&["balancer", name, "health_check", "unhealthy_threshold"], h.unhealthy_threshold);
            self.at_least_one(&["balancer", name, "health_check", "healthy_threshold"], h.healthy_threshold);
        }
        if let Some(o) = &b.outlier {
            self.at_least_one(&["balancer", name, "outlier", "consecutive_errors"], o.consecutive_errors);
            self.nonzero(&["balancer", name, "outlier", "eject_time"], o.eject_time);
            self.probability(&["balancer", name, "outlier", "max_ejected_fraction"], o.max_ejected_fraction);
        }
    }

    pub(super) fn service(&mut self, name: &str, s: &ServiceSpec) {
        let at = |field: &'static str| ["service", name, field];
        self.at_least_one(&at("replicas"), s.replicas);
        self.at_least_one(&at("workers"), s.workers);
        if let Some(d) = &s.service_time {
            self.dist(&at("service_time"), DistAt::ServiceTime(name.to_string()), d);
        }
        if s.service_time.is_none() && s.steps.is_empty() {
            self.err(&["service", name], "needs `service_time` or `steps`");
        }
        if s.write_steps.as_ref().is_some_and(|w| w.is_empty()) {
            self.err(&at("write_steps"), "needs at least one step; leave it out to handle writes like reads");
        }
        let handlers = [("steps", s.steps.as_slice()), ("write_steps", s.write_steps.as_deref().unwrap_or(&[]))];
        for (field, step, i) in
            handlers.iter().flat_map(|(f, steps)| steps.iter().enumerate().map(move |(i, st)| (*f, st, i)))
        {
            let idx = i.to_string();
            let path = ["service", name, field, &idx];
            let handler = if field == "steps" { Handler::Steps } else { Handler::WriteSteps };
            self.step(&path, step, DistAt::Step { service: name.to_string(), handler, index: i });
        }
        if let Some(speeds) = &s.replica_speed {
            if speeds.len() != s.replicas as usize {
                self.err(
                    &at("replica_speed"),
                    format!("has {} entries but there are {} replicas", speeds.len(), s.replicas),
                );
            }
            if speeds.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                self.err(&at("replica_speed"), "speeds must be positive");
            }
        }
        if let Some(l) = &s.rate_limit {
            self.rate_limit(&at("rate_limit"), l);
        }
        if let Some(sh) = &s.shed {
            self.shed(&at("shed"), sh);
        }
        self.probability(&at("failure_probability"), s.failure_probability);
        if !s.priorities.is_empty() && s.discipline != DisciplineSpec::Priority {
            self.err(&at("priorities"), "applies to `discipline = \"priority\"`");
        }
    }

    /// Checks one handler step.
    fn step(&mut self, path: &[&str], step: &StepSpec, at: DistAt) {
        if let StepSpec::Compute(d) = step {
            return self.dist(path, at, d);
        }
        for call in step.calls() {
            self.call_policies(path, call);
            self.reference(path, &call.target, CALLABLE);
            if call.timeout.is_some_and(|t| t.0 == 0) {
                self.err(path, "a call `timeout` must be longer than zero");
            }
            if let Some(p) = &call.pool {
                if p.size == 0 {
                    self.err(path, "a `pool` needs a `size` of at least 1");
                }
                if p.acquire_timeout.0 == 0 {
                    self.err(path, "a pool's `acquire_timeout` must be longer than zero");
                }
            }
        }
        match step {
            StepSpec::Parallel { calls, wait: WaitSpec::Some(k) } if *k == 0 || *k as usize > calls.len() => {
                self.err(path, format!("`k` must be between 1 and {}", calls.len()));
            }
            StepSpec::CacheAside { cache, .. } => {
                self.reference(path, cache, &[Kind::Cache]);
                if let Some(c) = self.spec_caches.get(cache.as_str())
                    && *c != CacheModeSpec::CacheAside
                {
                    self.err(
                        path,
                        format!("cache `{cache}` is read-through (it fetches misses itself); set its `mode = \"cache_aside\"` to use it from a `cache` step, or `call` it"),
                    );
                }
            }
            _ => {}
        }
    }
}
