//! Every distribution in a model, with the path of its field: how the
//! config layer finds the `dist = "file"` references it must load.
//!
//! Paths are written like validation's (`service.api.steps.2.compute`,
//! `...parts.1` inside a mixture), so they locate a field in the model file
//! the same way.

use super::{DistSpec, ModelSpec, StepSpec, TtlSpec};

impl ModelSpec {
    /// Calls `f` on every distribution in the model, mixture parts
    /// included (a mixture first, then its parts), with its field path.
    pub fn for_each_dist_mut(&mut self, f: &mut dyn FnMut(&[String], &mut DistSpec)) {
        let mut at = Walker { path: Vec::new(), f };
        for (name, c) in &mut self.client {
            if let Some(d) = &mut c.think_time {
                at.visit(&["client", name, "think_time"], d);
            }
        }
        for (name, s) in &mut self.service {
            if let Some(d) = &mut s.service_time {
                at.visit(&["service", name, "service_time"], d);
            }
            at.steps(&["service", name, "steps"], &mut s.steps);
            if let Some(w) = &mut s.write_steps {
                at.steps(&["service", name, "write_steps"], w);
            }
        }
        for (name, c) in &mut self.cache {
            at.visit(&["cache", name, "service_time"], &mut c.service_time);
            if let Some(TtlSpec::Drawn(d)) = &mut c.ttl {
                at.visit(&["cache", name, "ttl"], d);
            }
        }
        for (name, d) in &mut self.datastore {
            at.visit(&["datastore", name, "read_time"], &mut d.read_time);
            at.visit(&["datastore", name, "write_time"], &mut d.write_time);
            if let Some(l) = &mut d.replication_lag {
                at.visit(&["datastore", name, "replication_lag"], l);
            }
        }
        if let Some(d) = &mut self.network.latency {
            at.visit(&["network", "latency"], d);
        }
        if let Some(d) = &mut self.network.cross_region {
            at.visit(&["network", "cross_region"], d);
        }
        for (i, l) in self.network.link.iter_mut().enumerate() {
            if let Some(d) = &mut l.latency {
                at.visit(&["network", "link", &i.to_string(), "latency"], d);
            }
        }
        for (i, fault) in self.fault.iter_mut().enumerate() {
            if let Some(d) = &mut fault.delay {
                at.visit(&["fault", &i.to_string(), "delay"], d);
            }
        }
    }
}

struct Walker<'f> {
    path: Vec<String>,
    f: &'f mut dyn FnMut(&[String], &mut DistSpec),
}

impl Walker<'_> {
    fn visit(&mut self, path: &[&str], d: &mut DistSpec) {
        self.path = path.iter().map(|s| s.to_string()).collect();
        self.walk(d);
    }

    fn walk(&mut self, d: &mut DistSpec) {
        (self.f)(&self.path, d);
        if let DistSpec::Mixture(parts) = d {
            for (i, (_, part)) in parts.iter_mut().enumerate() {
                self.path.push("parts".into());
                self.path.push(i.to_string());
                self.walk(part);
                self.path.truncate(self.path.len() - 2);
            }
        }
    }

    fn steps(&mut self, path: &[&str], steps: &mut [StepSpec]) {
        for (i, step) in steps.iter_mut().enumerate() {
            if let StepSpec::Compute(d) = step {
                let idx = i.to_string();
                let mut p = path.to_vec();
                p.extend([idx.as_str(), "compute"]);
                self.visit(&p, d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ClientSpec, Duration, ServiceSpec};

    #[test]
    fn visits_every_distribution_with_its_path() {
        let ms = Duration::from_millis;
        let mut m = ModelSpec::default();
        m.client.insert("web".into(), ClientSpec::poisson("app", 1.0));
        let mut app = ServiceSpec::new(
            1,
            1,
            DistSpec::Mixture(vec![(1.0, DistSpec::exponential(ms(1))), (1.0, DistSpec::constant(ms(2)))]),
        );
        app.steps = vec![StepSpec::Call(crate::spec::CallSpec::new("x")), StepSpec::Compute(DistSpec::constant(ms(3)))];
        m.service.insert("app".into(), app);
        m.network.latency = Some(DistSpec::constant(ms(1)));
        let mut seen = Vec::new();
        m.for_each_dist_mut(&mut |path, d| {
            seen.push(path.join("."));
            if let DistSpec::Constant { value } = d {
                *value = ms(9);
            }
        });
        assert_eq!(
            seen,
            [
                "service.app.service_time",
                "service.app.service_time.parts.0",
                "service.app.service_time.parts.1",
                "service.app.steps.1.compute",
                "network.latency"
            ]
        );
        assert_eq!(m.network.latency, Some(DistSpec::constant(ms(9))));
    }
}
