//! Static capacity analysis: offered load and utilisation per component,
//! derived from the model before any simulation ("derive, don't guess").
//!
//! Offered load flows from each client's mean rate through balancers to
//! services. A service's capacity is `replicas x workers / E[service time]`
//! requests per second, so its utilisation is offered / capacity. A component
//! at utilisation 1 or more with an unbounded queue is unstable: its queue
//! grows for as long as the run lasts.

use std::collections::BTreeMap;

use crate::dist::Dist;
use crate::spec::ModelSpec;
use crate::validate::SpecError;

/// The load on one service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceLoad {
    pub name: String,
    /// Requests per second offered to the service, all replicas together.
    pub offered_rps: f64,
    /// Requests per second the service can complete when saturated.
    pub capacity_rps: f64,
    /// Mean service time in seconds.
    pub mean_service_s: f64,
    pub replicas: u32,
    pub workers: u32,
    /// Whether waiting requests are unbounded.
    pub unbounded_queue: bool,
}

impl ServiceLoad {
    /// Offered load over capacity.
    pub fn utilisation(&self) -> f64 {
        if self.capacity_rps > 0.0 { self.offered_rps / self.capacity_rps } else { f64::INFINITY }
    }

    /// Whether the queue would grow without bound.
    pub fn unstable(&self) -> bool {
        self.unbounded_queue && self.utilisation() >= 1.0
    }
}

/// The analysis of a whole model.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub services: Vec<ServiceLoad>,
}

/// Computes offered load and utilisation for every service. The model must
/// have passed [`validate`](crate::validate::validate).
pub fn analyse(spec: &ModelSpec) -> Analysis {
    let mut offered: BTreeMap<&str, f64> = BTreeMap::new();
    for c in spec.client.values() {
        let service = match spec.balancer.get(&c.target) {
            Some(b) => b.target.as_str(),
            None => c.target.as_str(),
        };
        *offered.entry(service).or_default() += c.rate;
    }
    let services = spec
        .service
        .iter()
        .map(|(name, s)| {
            let mean_s = Dist::new(&s.service_time).map(|d| d.mean() / 1e9).unwrap_or(f64::NAN);
            ServiceLoad {
                name: name.clone(),
                offered_rps: offered.get(name.as_str()).copied().unwrap_or(0.0),
                capacity_rps: s.replicas as f64 * s.workers as f64 / mean_s,
                mean_service_s: mean_s,
                replicas: s.replicas,
                workers: s.workers,
                unbounded_queue: s.queue_capacity.is_none(),
            }
        })
        .collect();
    Analysis { services }
}

/// Refuses a model in which an unbounded queue is offered more than its
/// service can complete.
pub fn check_stable(spec: &ModelSpec) -> Result<(), Vec<SpecError>> {
    let errors: Vec<SpecError> = analyse(spec)
        .services
        .iter()
        .filter(|s| s.unstable())
        .map(|s| {
            SpecError::new(
                &["service", &s.name],
                format!(
                    "unstable: offered {:.1} req/s but {} replica(s) x {} worker(s) at a mean service time of {:.4} ms \
                     complete at most {:.1} req/s (utilisation {:.2}), and its queue is unbounded, so it would grow \
                     for the whole run. Set `queue_capacity`, lower the offered rate, or add replicas or workers",
                    s.offered_rps,
                    s.replicas,
                    s.workers,
                    s.mean_service_s * 1e3,
                    s.capacity_rps,
                    s.utilisation()
                ),
            )
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{BalancerSpec, ClientSpec, DistSpec, Duration, ServiceSpec};

    #[test]
    fn utilisation_follows_rates_through_balancers() {
        let mut m = ModelSpec::default();
        m.client.insert("a".into(), ClientSpec::poisson("lb", 300.0));
        m.client.insert("b".into(), ClientSpec::poisson("app", 100.0));
        m.balancer.insert("lb".into(), BalancerSpec { target: "app".into(), policy: Default::default() });
        m.service.insert("app".into(), ServiceSpec::new(2, 2, DistSpec::exponential(Duration::from_millis(4))));
        let a = analyse(&m);
        let app = &a.services[0];
        assert_eq!(app.offered_rps, 400.0);
        assert!((app.capacity_rps - 1000.0).abs() < 1e-9);
        assert!((app.utilisation() - 0.4).abs() < 1e-12);
        assert!(check_stable(&m).is_ok());

        m.client.get_mut("b").unwrap().rate = 800.0;
        let errs = check_stable(&m).unwrap_err();
        assert_eq!(errs[0].path_string(), "service.app");
        // A bounded queue makes the same load safe to run.
        m.service.get_mut("app").unwrap().queue_capacity = Some(50);
        assert!(check_stable(&m).is_ok());
    }
}
