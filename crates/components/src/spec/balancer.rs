//! Load balancers: policies, active health checks and passive outlier
//! ejection.

use serde::Deserialize;

use super::Duration;

/// A load balancer in front of a service's replicas.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalancerSpec {
    /// The service whose replicas receive the traffic.
    pub target: String,
    /// How a replica is chosen.
    #[serde(default)]
    pub policy: BalancerPolicySpec,
    /// Weighted round robin: one weight per replica.
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
    /// Power of d choices: replicas sampled per request.
    #[serde(default = "two")]
    pub choices: u32,
    /// Consistent hashing: points on the ring per replica.
    #[serde(default = "hundred")]
    pub virtual_nodes: u32,
    /// Consistent hashing with bounded loads: a replica takes a request only
    /// while its outstanding requests are at most `load_factor` times the
    /// average (at least 1).
    #[serde(default)]
    pub load_factor: Option<f64>,
    /// Active health checks.
    #[serde(default)]
    pub health_check: Option<HealthCheckSpec>,
    /// Passive outlier ejection.
    #[serde(default)]
    pub outlier: Option<OutlierSpec>,
    /// The region it runs in; by default its target's.
    #[serde(default)]
    pub region: Option<String>,
}

fn two() -> u32 {
    2
}
fn hundred() -> u32 {
    100
}

impl BalancerSpec {
    pub fn new(target: &str, policy: BalancerPolicySpec) -> Self {
        Self {
            target: target.into(),
            policy,
            weights: None,
            choices: 2,
            virtual_nodes: 100,
            load_factor: None,
            health_check: None,
            outlier: None,
            region: None,
        }
    }
}

/// How a balancer picks a replica.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalancerPolicySpec {
    /// Each replica in turn.
    #[default]
    RoundRobin,
    /// In turn, in proportion to `weights` (smooth weighted round robin).
    WeightedRoundRobin,
    /// A uniformly random replica.
    Random,
    /// The replica with the fewest requests outstanding from this balancer.
    LeastOutstanding,
    /// The least outstanding of `choices` replicas sampled at random.
    PowerOfD,
    /// A hash ring on the request key, with `virtual_nodes` per replica.
    ConsistentHash,
    /// The same replica for every request of a client (or closed-loop user).
    Sticky,
}

/// Probes each replica every `interval`; a probe unanswered within
/// `timeout` fails. A replica is ejected after `unhealthy_threshold`
/// consecutive failures and readmitted after `healthy_threshold` successes.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckSpec {
    pub interval: Duration,
    pub timeout: Duration,
    #[serde(default = "three")]
    pub unhealthy_threshold: u32,
    #[serde(default = "two")]
    pub healthy_threshold: u32,
}

fn three() -> u32 {
    3
}

/// Ejects a replica for `eject_time` after `consecutive_errors` failed
/// requests in a row, never more than `max_ejected_fraction` of them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlierSpec {
    pub consecutive_errors: u32,
    pub eject_time: Duration,
    #[serde(default = "half")]
    pub max_ejected_fraction: f64,
}

fn half() -> f64 {
    0.5
}
