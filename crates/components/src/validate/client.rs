//! Checks of clients: open or closed loop, rate shapes, keys.

use super::Checker;
use crate::spec::DistAt;
use crate::spec::{ClientSpec, ModelSpec};

impl Checker<'_> {
    pub(super) fn client(&mut self, spec: &ModelSpec, name: &str, c: &ClientSpec) {
        let at = |field: &'static str| ["client", name, field];
        self.reference(&at("target"), &c.target, super::CLIENT_TARGETS);
        match (c.rate, c.users) {
            (Some(_), Some(_)) => {
                self.err(&at("users"), "a client is open loop (`rate`) or closed loop (`users`), not both")
            }
            (None, None) => {
                self.err(&["client", name], "needs `rate` (open loop, requests per second) or `users` (closed loop)")
            }
            (Some(rate), None) => {
                if c.schedule.is_empty() || rate != 0.0 {
                    self.positive(&at("rate"), rate);
                }
            }
            (None, Some(users)) => {
                self.at_least_one(&at("users"), users);
                let open_only = [
                    ("schedule", !c.schedule.is_empty()),
                    ("spike", c.spike.is_some()),
                    ("diurnal", c.diurnal.is_some()),
                    ("burst", c.burst.is_some()),
                    ("on_off", c.on_off.is_some()),
                ];
                for (field, present) in open_only {
                    if present {
                        self.err(&at(field), "applies to open-loop clients (with `rate`), not closed-loop `users`");
                    }
                }
            }
        }
        if c.think_time.is_some() && c.users.is_none() {
            self.err(&at("think_time"), "applies to closed-loop clients (with `users`)");
        }
        if let Some(t) = &c.think_time {
            self.dist(&at("think_time"), DistAt::ThinkTime(name.to_string()), t);
        }
        if c.timeout.is_some_and(|t| t.0 == 0) {
            self.err(&at("timeout"), "must be longer than zero; leave it out for no timeout");
        }
        let mut last = None;
        for (i, p) in c.schedule.iter().enumerate() {
            let idx = i.to_string();
            let path = ["client", name, "schedule", &idx];
            if !(p.rate.is_finite() && p.rate >= 0.0) {
                self.err(&path, format!("a scheduled rate must be zero or positive, got {}", p.rate));
            }
            if last.is_some_and(|l| p.at <= l) {
                self.err(&path, "schedule points must be in increasing `at` order");
            }
            if p.ramp && i == 0 && c.rate.is_none() {
                self.err(&path, "the first point has nothing to ramp from; give `rate` or start with a step");
            }
            last = Some(p.at);
        }
        if let Some(s) = &c.spike {
            self.positive(&["client", name, "spike", "factor"], s.factor);
            self.nonzero(&["client", name, "spike", "duration"], s.duration);
        }
        if let Some(d) = &c.diurnal {
            self.nonzero(&["client", name, "diurnal", "period"], d.period);
            if !(d.trough >= 0.0 && d.peak >= d.trough && d.peak > 0.0 && d.peak.is_finite()) {
                self.err(
                    &["client", name, "diurnal"],
                    format!("needs 0 <= trough <= peak and peak > 0, got trough {} and peak {}", d.trough, d.peak),
                );
            }
        }
        // Each factor can be finite while their product is not: a peak
        // that overflows would make every rate test meaningless.
        let peak = crate::traffic::RateProfile::new(c).max() * c.burst.as_ref().map_or(1.0, |b| b.factor.max(1.0));
        if !peak.is_finite() {
            self.err(
                &["client", name],
                format!(
                    "its peak rate overflows ({peak} req/s: the rate or schedule, times the spike factor, the diurnal \
                     peak and the burst factor); is a rate or factor written in the wrong unit?"
                ),
            );
        }
        if c.burst.is_some() && c.on_off.is_some() {
            self.err(&at("on_off"), "a client has `burst` or `on_off`, not both");
        }
        if let Some(b) = &c.burst {
            self.positive(&["client", name, "burst", "factor"], b.factor);
            self.nonzero(&["client", name, "burst", "mean_burst"], b.mean_burst);
            self.nonzero(&["client", name, "burst", "mean_between"], b.mean_between);
        }
        if let Some(o) = &c.on_off {
            self.nonzero(&["client", name, "on_off", "mean_on"], o.mean_on);
            self.nonzero(&["client", name, "on_off", "mean_off"], o.mean_off);
        }
        if let Some(k) = &c.keys {
            if k.n == 0 {
                self.err(&["client", name, "keys", "n"], "must be at least 1");
            }
            self.positive(&["client", name, "keys", "s"], k.s);
            if k.dist == crate::spec::KeyDistSpec::Weights {
                let total: f64 = k.weights.iter().sum();
                if k.weights.len() as u64 != k.n
                    || k.weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
                    || !(total > 0.0 && total.is_finite())
                {
                    self.err(
                        &["client", name, "keys"],
                        format!(
                            "weighted keys need `n` = {} non-negative finite weights with a positive sum",
                            k.weights.len()
                        ),
                    );
                }
            }
        }
        for (i, h) in c.hotspots.iter().enumerate() {
            let idx = i.to_string();
            self.probability(&["client", name, "hotspots", &idx, "share"], h.share);
            if h.until.is_some_and(|u| u <= h.at) {
                self.err(&["client", name, "hotspots", &idx, "until"], "must be later than `at`");
            }
            let n = c.keys.as_ref().map_or(1, |k| k.n);
            if h.key >= n {
                self.err(
                    &["client", name, "hotspots", &idx, "key"],
                    format!("key {} is outside the key space 0..{n} (set `keys.n`)", h.key),
                );
            }
        }
        self.probability(&at("write_fraction"), c.write_fraction);
        if let Some(r) = &c.retry {
            self.retry(&at("retry"), r);
        }
        if let Some(h) = &c.hedge {
            self.hedge(&at("hedge"), h);
        }
        if let Some(b) = &c.breaker {
            self.breaker(&at("breaker"), b);
        }
        if let Some(l) = &c.rate_limit {
            self.rate_limit(&at("rate_limit"), l);
        }
        if c.deadline.is_some_and(|d| d.0 == 0) {
            self.err(&at("deadline"), "must be longer than zero");
        }
        // A hash ring on the key needs keys to spread.
        if let Some(b) = spec.balancer.get(&c.target)
            && b.policy == crate::spec::BalancerPolicySpec::ConsistentHash
            && c.keys.is_none()
        {
            self.err(
                &["client", name],
                format!(
                    "targets consistent-hash balancer `{}` but has no `keys`; every request would hash alike",
                    c.target
                ),
            );
        }
    }
}
