//! Checks that span components: network links, lossy links without
//! timeouts, and call cycles.

use std::collections::BTreeMap;

use super::Checker;
use crate::spec::DistAt;
use crate::spec::ModelSpec;

impl Checker<'_> {
    pub(super) fn network(&mut self, spec: &ModelSpec) {
        let net = &spec.network;
        if let Some(d) = &net.latency {
            self.dist(&["network", "latency"], DistAt::NetworkLatency, d);
        }
        if !(0.0..1.0).contains(&net.loss) {
            self.err(&["network", "loss"], format!("must be at least 0 and below 1, got {}", net.loss));
        }
        for (i, l) in net.link.iter().enumerate() {
            let idx = i.to_string();
            for (field, name) in [("from", &l.from), ("to", &l.to)] {
                if !self.names.contains_key(name.as_str()) {
                    let hint = crate::suggest::did_you_mean(name, self.names.keys().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    self.err(&["network", "link", &idx, field], format!("there is no component named `{name}`{hint}"));
                }
            }
            if let Some(d) = &l.latency {
                self.dist(&["network", "link", &idx, "latency"], DistAt::LinkLatency(i), d);
            }
            if let Some(p) = l.loss
                && !(0.0..1.0).contains(&p)
            {
                self.err(&["network", "link", &idx, "loss"], format!("must be at least 0 and below 1, got {p}"));
            }
        }
        // A lost message is noticed only by a timeout.
        let loss = |from: &str, to: &str| {
            net.link.iter().rev().find(|l| l.from == from && l.to == to).and_then(|l| l.loss).unwrap_or(net.loss)
        };
        for (name, c) in &spec.client {
            if loss(name, &c.target) > 0.0 && c.timeout.is_none() {
                self.err(
                    &["client", name, "timeout"],
                    format!("the link to `{}` loses messages, so requests need a `timeout`", c.target),
                );
            }
        }
        for (name, c) in &spec.cache {
            if loss(name, &c.origin) > 0.0 && c.origin_timeout.is_none() {
                self.err(
                    &["cache", name, "origin_timeout"],
                    format!("the link to `{}` loses messages, so origin fetches need an `origin_timeout`", c.origin),
                );
            }
        }
        for (name, s) in &spec.service {
            let handlers = [("steps", s.steps.as_slice()), ("write_steps", s.write_steps.as_deref().unwrap_or(&[]))];
            for (field, i, step) in
                handlers.iter().flat_map(|(f, steps)| steps.iter().enumerate().map(move |(i, st)| (*f, i, st)))
            {
                for c in step.calls() {
                    if loss(name, &c.target) > 0.0 && c.timeout.is_none() {
                        let idx = i.to_string();
                        self.err(
                            &["service", name, field, &idx],
                            format!("the link to `{}` loses messages, so this call needs a `timeout`", c.target),
                        );
                    }
                }
            }
        }
    }

    /// Refuses call cycles (a service that ends up calling itself).
    pub(super) fn cycles(&mut self, spec: &ModelSpec) {
        let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, b) in &spec.balancer {
            edges.entry(name).or_default().push(&b.target);
        }
        for (name, c) in &spec.cache {
            edges.entry(name).or_default().push(&c.origin);
        }
        for (name, q) in &spec.queue {
            edges.entry(name).or_default().extend(q.consumers.values().map(|g| g.service.as_str()));
        }
        for (name, s) in &spec.service {
            for step in s.steps.iter().chain(s.write_steps.iter().flatten()) {
                edges.entry(name).or_default().extend(step.targets());
            }
        }
        // Depth-first search with an explicit path, in name order.
        fn visit<'a>(
            node: &'a str,
            edges: &BTreeMap<&'a str, Vec<&'a str>>,
            path: &mut Vec<&'a str>,
            done: &mut Vec<&'a str>,
        ) -> Option<Vec<&'a str>> {
            if let Some(pos) = path.iter().position(|n| *n == node) {
                let mut cycle = path[pos..].to_vec();
                cycle.push(node);
                return Some(cycle);
            }
            if done.contains(&node) {
                return None;
            }
            path.push(node);
            for next in edges.get(node).into_iter().flatten() {
                if let Some(c) = visit(next, edges, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.push(node);
            None
        }
        let mut done = Vec::new();
        for start in edges.keys() {
            if let Some(cycle) = visit(start, &edges, &mut Vec::new(), &mut done) {
                let first = cycle[0];
                let table = self.names.get(first).map_or("service", |k| k.table());
                self.err(
                    &[table, first],
                    format!("calls form a cycle: {}; requests would loop forever", cycle.join(" -> ")),
                );
                return;
            }
        }
    }
}
