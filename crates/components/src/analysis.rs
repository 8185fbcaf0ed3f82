//! Static capacity analysis: offered load and utilisation per service,
//! derived from the model before any simulation ("derive, don't guess").
//!
//! Each open-loop client's long-run mean rate (its schedule, spike and
//! diurnal curve averaged over the run, times its burst or on/off duty
//! cycle) flows through balancers to services, and on through every call a
//! service's handler makes: a fan-out of n multiplies by n. A service's
//! capacity is `sum over replicas of speed x workers / E[compute time]`
//! requests per second; its utilisation is offered / capacity. A service at
//! utilisation 1 or more with an unbounded queue is unstable: its queue
//! grows for as long as the run lasts. Closed-loop clients cannot overload
//! anything (each user waits for its answer), and their offered rate is
//! bounded by users / think time.

use std::collections::BTreeMap;

use crate::dist::Dist;
use crate::sim::RateProfileProbe;
use crate::spec::{ModelSpec, StepSpec};
use crate::validate::SpecError;

/// The load on one service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceLoad {
    pub name: String,
    /// Long-run mean requests per second offered, all replicas together.
    pub offered_rps: f64,
    /// The highest instantaneous rate offered (schedule peaks, spikes,
    /// bursts), in requests per second.
    pub peak_rps: f64,
    /// Requests per second the service can complete when saturated, counting
    /// only its compute steps (waiting on calls while holding a worker
    /// lowers it further).
    pub capacity_rps: f64,
    /// Mean compute time per request, in seconds, at speed 1.
    pub mean_service_s: f64,
    pub replicas: u32,
    pub workers: u32,
    /// Whether waiting requests are unbounded.
    pub unbounded_queue: bool,
    /// Whether some of its load comes from closed-loop users (counted at
    /// their upper bound, users / think time).
    pub closed_loop: bool,
}

impl ServiceLoad {
    /// Long-run offered load over capacity.
    pub fn utilisation(&self) -> f64 {
        if self.capacity_rps > 0.0 { self.offered_rps / self.capacity_rps } else { f64::INFINITY }
    }

    /// Peak offered load over capacity.
    pub fn peak_utilisation(&self) -> f64 {
        if self.capacity_rps > 0.0 { self.peak_rps / self.capacity_rps } else { f64::INFINITY }
    }

    /// Whether the queue would grow without bound.
    pub fn unstable(&self) -> bool {
        self.unbounded_queue && !self.closed_loop && self.utilisation() >= 1.0
    }
}

/// The analysis of a whole model.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub services: Vec<ServiceLoad>,
}

/// Requests per second flowing into a service, split by operation.
#[derive(Default, Clone, Copy)]
struct Flow {
    reads: f64,
    writes: f64,
    peak: f64,
    closed: bool,
}

impl Flow {
    fn scaled(self, reads: bool) -> Flow {
        let share = if reads { self.reads } else { self.writes };
        let total = self.reads + self.writes;
        Flow {
            reads: if reads { share } else { 0.0 },
            writes: if reads { 0.0 } else { share },
            peak: if total > 0.0 { self.peak * share / total } else { 0.0 },
            closed: self.closed,
        }
    }
}

fn calls_of(steps: &[StepSpec]) -> impl Iterator<Item = &str> {
    steps.iter().flat_map(|step| step.targets())
}

/// Adds `flow` to `name` and everything it calls; writes follow the write
/// handler.
fn propagate(spec: &ModelSpec, name: &str, flow: Flow, into: &mut BTreeMap<String, Flow>) {
    if let Some(b) = spec.balancer.get(name) {
        return propagate(spec, &b.target, flow, into);
    }
    let Some(s) = spec.service.get(name) else { return };
    let f = into.entry(name.to_string()).or_default();
    f.reads += flow.reads;
    f.writes += flow.writes;
    f.peak += flow.peak;
    f.closed |= flow.closed;
    let (read_steps, write_steps) = (s.all_steps(), s.all_write_steps());
    for target in calls_of(&read_steps) {
        propagate(spec, target, flow.scaled(true), into);
    }
    for target in calls_of(&write_steps) {
        propagate(spec, target, flow.scaled(false), into);
    }
}

/// The mean compute time of a handler, in seconds.
fn compute_seconds(steps: &[StepSpec]) -> f64 {
    steps
        .iter()
        .map(|step| match step {
            StepSpec::Compute(d) => Dist::new(d).map(|d| d.mean() / 1e9).unwrap_or(f64::NAN),
            _ => 0.0,
        })
        .sum()
}

/// Computes offered load and utilisation for every service. The model must
/// have passed [`validate`](crate::validate::validate).
pub fn analyse(spec: &ModelSpec) -> Analysis {
    let mut flows: BTreeMap<String, Flow> = BTreeMap::new();
    for c in spec.client.values() {
        let (rate, peak, closed) = match c.users {
            Some(users) => {
                let think = c.think_time.as_ref().and_then(|d| Dist::new(d).ok()).map_or(0.0, |d| d.mean() / 1e9);
                let bound = if think > 0.0 { users as f64 / think } else { f64::INFINITY };
                (bound, bound, true)
            }
            None => {
                let probe = RateProfileProbe::new(c);
                (probe.mean_rate(spec.sim.duration.0), probe.peak_rate(), false)
            }
        };
        let w = c.write_fraction;
        let flow = Flow { reads: rate * (1.0 - w), writes: rate * w, peak, closed };
        propagate(spec, &c.target, flow, &mut flows);
    }
    let services = spec
        .service
        .iter()
        .map(|(name, s)| {
            let flow = flows.get(name).copied().unwrap_or_default();
            let total = flow.reads + flow.writes;
            let write_share = if total > 0.0 { flow.writes / total } else { 0.0 };
            let mean_s = (1.0 - write_share) * compute_seconds(&s.all_steps())
                + write_share * compute_seconds(&s.all_write_steps());
            let speed: f64 = s.replica_speed.as_ref().map_or(s.replicas as f64, |v| v.iter().sum());
            ServiceLoad {
                name: name.clone(),
                offered_rps: total,
                peak_rps: flow.peak,
                capacity_rps: if mean_s > 0.0 { speed * s.workers as f64 / mean_s } else { f64::INFINITY },
                mean_service_s: mean_s,
                replicas: s.replicas,
                workers: s.workers,
                unbounded_queue: s.queue_capacity.is_none(),
                closed_loop: flow.closed,
            }
        })
        .collect();
    Analysis { services }
}

/// Refuses a model in which an unbounded queue is offered more than its
/// service can complete in the long run.
pub fn check_stable(spec: &ModelSpec) -> Result<(), Vec<SpecError>> {
    let errors: Vec<SpecError> = analyse(spec)
        .services
        .iter()
        .filter(|s| s.unstable())
        .map(|s| {
            SpecError::new(
                &["service", &s.name],
                format!(
                    "unstable: offered {:.1} req/s on average but {} replica(s) x {} worker(s) at a mean compute \
                     time of {:.4} ms complete at most {:.1} req/s (utilisation {:.2}), and its queue is unbounded, \
                     so it would grow for the whole run. Set `queue_capacity`, lower the offered rate, or add \
                     replicas or workers",
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
    use crate::spec::{BalancerSpec, CallSpec, ClientSpec, DistSpec, Duration, ServiceSpec, SpikeSpec, WaitSpec};

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn utilisation_follows_rates_through_balancers_and_fan_out() {
        let mut m = ModelSpec::default();
        m.client.insert("a".into(), ClientSpec::poisson("lb", 300.0));
        m.client.insert("b".into(), ClientSpec::poisson("app", 100.0));
        m.balancer.insert("lb".into(), BalancerSpec::new("app", Default::default()));
        let mut app = ServiceSpec::new(2, 2, DistSpec::exponential(ms(4)));
        app.steps.push(StepSpec::Parallel { calls: vec![CallSpec::new("leaf"); 3], wait: WaitSpec::All });
        m.service.insert("app".into(), app);
        m.service.insert("leaf".into(), ServiceSpec::new(4, 1, DistSpec::exponential(ms(2))));
        let a = analyse(&m);
        let app = &a.services[0];
        assert_eq!(app.offered_rps, 400.0);
        assert!((app.capacity_rps - 1000.0).abs() < 1e-9);
        assert!((app.utilisation() - 0.4).abs() < 1e-12);
        let leaf = &a.services[1];
        assert_eq!(leaf.offered_rps, 1200.0, "fan-out of 3");
        assert!((leaf.utilisation() - 0.6).abs() < 1e-12);
        assert!(check_stable(&m).is_ok());

        m.client.get_mut("b").unwrap().rate = Some(800.0);
        let errs = check_stable(&m).unwrap_err();
        assert_eq!(errs[0].path_string(), "service.app");
        m.service.get_mut("app").unwrap().queue_capacity = Some(50);
        m.service.get_mut("leaf").unwrap().queue_capacity = Some(50);
        assert!(check_stable(&m).is_ok(), "bounded queues make the same load safe to run");
    }

    #[test]
    fn a_short_spike_is_a_peak_not_instability() {
        let mut m = ModelSpec::default();
        m.sim.duration = Duration::from_secs(100);
        let mut c = ClientSpec::poisson("app", 500.0);
        c.spike = Some(SpikeSpec { at: Duration::from_secs(50), duration: Duration::from_secs(10), factor: 4.0 });
        m.client.insert("c".into(), c);
        m.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(ms(1))));
        let s = &analyse(&m).services[0];
        assert!((s.offered_rps - 650.0).abs() < 1.0, "{}", s.offered_rps);
        assert_eq!(s.peak_rps, 2000.0);
        assert!(check_stable(&m).is_ok());
    }
}
