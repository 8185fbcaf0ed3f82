//! Checks of resilience policies and faults.

use super::Checker;
use crate::spec::DistAt;
use crate::spec::{
    BreakerSpec, CallSpec, FaultKindSpec, FaultSpec, HedgeSpec, ModelSpec, RateLimitSpec, RetrySpec, ShedSpec,
};

impl Checker<'_> {
    pub(super) fn call_policies(&mut self, path: &[&str], call: &CallSpec) {
        if let Some(r) = &call.retry {
            self.retry(path, r);
        }
        if let Some(h) = &call.hedge {
            self.hedge(path, h);
        }
        if let Some(b) = &call.breaker {
            self.breaker(path, b);
        }
        if call.bulkhead.as_ref().is_some_and(|b| b.max_concurrent == 0) {
            self.err(path, "a `bulkhead` needs `max_concurrent` of at least 1");
        }
    }

    pub(super) fn retry(&mut self, path: &[&str], r: &RetrySpec) {
        if r.attempts == 0 {
            self.err(path, "`retry.attempts` counts the first try too, so it must be at least 1");
        }
        if r.base.0 == 0 || r.cap < r.base {
            self.err(path, format!("`retry` needs 0 < base <= cap, got base {} and cap {}", r.base, r.cap));
        }
        if let Some(b) = &r.budget
            && !(b.ratio > 0.0 && b.ratio.is_finite() && b.capacity >= 1.0)
        {
            self.err(path, "`retry.budget` needs a positive `ratio` and a `capacity` of at least 1");
        }
    }

    pub(super) fn hedge(&mut self, path: &[&str], h: &HedgeSpec) {
        let given = [h.after.is_some(), h.percentile.is_some(), h.tied].iter().filter(|&&x| x).count();
        if given == 0 || (h.tied && given > 1) {
            self.err(path, "`hedge` needs `after` (a delay), `percentile` (with an optional `after` to use until enough answers are seen), or `tied = true`");
        }
        if let Some(p) = h.percentile
            && !(p > 0.0 && p < 100.0)
        {
            self.err(path, format!("`hedge.percentile` must be between 0 and 100, got {p}"));
        }
    }

    pub(super) fn breaker(&mut self, path: &[&str], b: &BreakerSpec) {
        if !(b.failure_rate > 0.0 && b.failure_rate <= 1.0) {
            self.err(path, format!("`breaker.failure_rate` must be in (0, 1], got {}", b.failure_rate));
        }
        if b.min_calls == 0 || b.window.0 == 0 || b.open_for.0 == 0 || b.half_open_probes == 0 {
            self.err(path, "`breaker` needs positive `window`, `open_for`, `min_calls` and `half_open_probes`");
        }
    }

    pub(super) fn rate_limit(&mut self, path: &[&str], l: &RateLimitSpec) {
        if !(l.rate > 0.0 && l.rate.is_finite()) || l.burst < 1.0 {
            self.err(path, "`rate_limit` needs a positive `rate` and a `burst` of at least 1");
        }
    }

    pub(super) fn shed(&mut self, path: &[&str], s: &ShedSpec) {
        if s.queue_above.is_none() && s.sojourn_target.is_none() && s.lifo_above.is_none() {
            self.err(path, "`shed` needs `queue_above`, `sojourn_target` or `lifo_above`");
        }
        if s.interval.0 == 0 {
            self.err(path, "`shed.interval` must be longer than zero");
        }
    }

    pub(super) fn faults(&mut self, spec: &ModelSpec) {
        let zones: Vec<&String> = spec
            .service
            .values()
            .flat_map(|s| &s.zones)
            .chain(spec.cache.values().flat_map(|c| &c.zones))
            .chain(spec.datastore.values().flat_map(|d| &d.zones))
            .collect();
        for (i, f) in spec.fault.iter().enumerate() {
            let idx = i.to_string();
            let at = |field: &'static str| ["fault", &idx, field];
            self.fault_timing(&idx, f);
            let on_nodes = matches!(f.kind, FaultKindSpec::Crash | FaultKindSpec::Slowdown | FaultKindSpec::Error)
                || (f.kind == FaultKindSpec::Latency && f.link.is_none());
            if on_nodes {
                match (&f.target, &f.zone) {
                    (None, None) if f.region.is_some() => {}
                    (None, None) => self.err(
                        &["fault", &idx],
                        "needs a `target` component (or `name[replica]`), a `zone` or a `region`",
                    ),
                    (Some(t), _) => self.fault_target(&at("target"), spec, t),
                    (None, Some(z)) => {
                        if !zones.contains(&z) {
                            self.err(&at("zone"), format!("no component lists zone `{z}` in its `zones`"));
                        }
                    }
                }
            }
            match f.kind {
                FaultKindSpec::Slowdown => match f.factor {
                    Some(x) if x > 0.0 && x.is_finite() => {}
                    _ => self.err(&at("factor"), "a slowdown needs a positive `factor` (2.0 = twice as slow)"),
                },
                FaultKindSpec::Latency => match &f.delay {
                    Some(d) => self.dist(&at("delay"), DistAt::FaultDelay(i), d),
                    None => self.err(&at("delay"), "a latency fault needs `delay`, a distribution"),
                },
                FaultKindSpec::Error | FaultKindSpec::Loss => match f.probability {
                    Some(p) if (0.0..=1.0).contains(&p) => {}
                    _ => self.err(&at("probability"), "needs a `probability` between 0 and 1"),
                },
                FaultKindSpec::Partition => {
                    if f.groups.len() < 2 {
                        self.err(&at("groups"), "a partition needs at least two `groups` of components");
                    }
                    for name in f.groups.iter().flatten() {
                        if !self.names.contains_key(name.as_str()) {
                            let hint = crate::suggest::did_you_mean(name, self.names.keys().copied())
                                .map(|s| format!("; did you mean `{s}`?"))
                                .unwrap_or_default();
                            self.err(&at("groups"), format!("there is no component named `{name}`{hint}"));
                        }
                    }
                }
                FaultKindSpec::Crash => {}
            }
            if f.kind == FaultKindSpec::Loss && f.link.is_none() {
                self.err(&at("link"), "a loss fault needs a `link = { from, to }`");
            }
            if let Some(l) = &f.link {
                for (field, name) in [("from", &l.from), ("to", &l.to)] {
                    if !self.names.contains_key(name.as_str()) {
                        self.err(&["fault", &idx, "link", field], format!("there is no component named `{name}`"));
                    }
                }
            }
        }
    }

    fn fault_timing(&mut self, idx: &str, f: &FaultSpec) {
        let scheduled = f.at.is_some() || f.duration.is_some();
        let random = f.mtbf.is_some() || f.mttr.is_some();
        match (scheduled, random) {
            (true, false) => {
                if f.at.is_none() || f.duration.is_none_or(|d| d.0 == 0) {
                    self.err(&["fault", idx], "a scheduled fault needs `at` and a positive `duration`");
                }
            }
            (false, true) => {
                if f.mtbf.is_none_or(|d| d.0 == 0) || f.mttr.is_none_or(|d| d.0 == 0) {
                    self.err(&["fault", idx], "a random fault needs a positive `mtbf` and `mttr`");
                }
                if let Some(k) = f.shape
                    && !(k > 0.0 && k.is_finite())
                {
                    self.err(&["fault", idx, "shape"], "a Weibull `shape` must be positive");
                }
            }
            _ => self.err(
                &["fault", idx],
                "a fault is scheduled (`at` and `duration`) or random (`mtbf` and `mttr`), one or the other",
            ),
        }
    }

    fn fault_target(&mut self, path: &[&str], spec: &ModelSpec, target: &str) {
        let (name, replica) = match target.split_once('[') {
            Some((n, r)) => match r.strip_suffix(']').and_then(|r| r.parse::<u32>().ok()) {
                Some(i) => (n, Some(i)),
                None => {
                    return self.err(path, format!("`{target}`: expected `name` or `name[replica]`, such as `app[2]`"));
                }
            },
            None => (target, None),
        };
        let stations = spec
            .service
            .get(name)
            .map(|s| s.replicas)
            .or_else(|| spec.cache.get(name).map(|c| c.replicas))
            .or_else(|| spec.datastore.get(name).map(|d| d.shards * (d.replicas + 1)))
            .or_else(|| spec.balancer.get(name).and_then(|b| spec.service.get(&b.target)).map(|s| s.replicas));
        match (stations, replica) {
            (None, _) => {
                self.reference(path, name, &[super::Kind::Service, super::Kind::Cache, super::Kind::Datastore]);
            }
            (Some(n), Some(r)) if r >= n => {
                self.err(path, format!("`{name}` has {n} station(s), numbered 0 to {}; there is no [{r}]", n - 1))
            }
            _ => {}
        }
    }
}
