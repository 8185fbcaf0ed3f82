//! Autoscaling: a service's fleet grows and shrinks between `min` and
//! `max` instances under one or more policies. A new instance takes
//! `provisioning` to start, then serves slowly for a cold period, then at
//! full speed.
//!
//! ```toml
//! [service.api.autoscale]
//! min = 2
//! max = 40
//! provisioning = "120s"
//! cold = { duration = "30s", slowdown = 2.0 }
//! interval = "10s"
//! policy = [
//!   { kind = "threshold", metric = "utilisation", above = 0.7, below = 0.3,
//!     above_for = "60s", below_for = "300s", add = 2, remove = 1 },
//!   { kind = "schedule", steps = [{ at = "600s", size = 20 }] },
//! ]
//! ```
//!
//! Each policy proposes a fleet size; the largest proposal wins (and never
//! leaves the range `min..=max`).

use serde::Deserialize;

use super::Duration;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscaleSpec {
    pub min: u32,
    pub max: u32,
    /// From the decision to add an instance until it takes traffic.
    #[serde(default)]
    pub provisioning: Duration,
    /// A new instance's first period: service times multiplied by
    /// `slowdown` (JIT, empty local caches, cold connections).
    #[serde(default)]
    pub cold: Option<ColdSpec>,
    /// How often the policies are evaluated.
    #[serde(default = "ten_s")]
    pub interval: Duration,
    pub policy: Vec<ScalePolicySpec>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColdSpec {
    pub duration: Duration,
    pub slowdown: f64,
    /// `step`: slow for the whole period; `linear`: the slowdown fades to
    /// none over the period.
    #[serde(default)]
    pub shape: ColdShapeSpec,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColdShapeSpec {
    #[default]
    Step,
    Linear,
}

/// What a reactive policy watches, averaged over the last `interval`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleMetricSpec {
    /// Busy workers over the serving fleet's workers (CPU).
    #[default]
    Utilisation,
    /// Arrivals per second per serving instance.
    RequestsPerInstance,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScalePolicySpec {
    /// Add `add` instances once the metric has stayed above `above` for
    /// `above_for`; remove `remove` once it has stayed below `below` for
    /// `below_for`. No action within `cooldown` of the last one.
    Threshold {
        #[serde(default)]
        metric: ScaleMetricSpec,
        above: f64,
        #[serde(default)]
        below: Option<f64>,
        #[serde(default)]
        above_for: Duration,
        #[serde(default)]
        below_for: Duration,
        #[serde(default = "one")]
        add: u32,
        #[serde(default = "one")]
        remove: u32,
        #[serde(default = "sixty_s")]
        cooldown: Duration,
    },
    /// Keep the metric near `target`: size = ceil(size x metric / target).
    /// Scales out at once; scales in no sooner than `scale_in_cooldown`
    /// after the last change.
    Target {
        #[serde(default)]
        metric: ScaleMetricSpec,
        target: f64,
        #[serde(default = "three_hundred_s")]
        scale_in_cooldown: Duration,
    },
    /// Queue-based: size = ceil(backlog / (workers x per_worker)), where the
    /// backlog is every request at the service (queued and in service) plus
    /// the messages waiting in queues it consumes. `per_worker` is the
    /// backlog each worker should carry: below 1 leaves headroom (0.7 keeps
    /// about 70% of workers busy); above 1 plans for waiting, and a fleet
    /// sized that way cannot keep up, so it oscillates.
    Queue {
        per_worker: f64,
        #[serde(default = "three_hundred_s")]
        scale_in_cooldown: Duration,
    },
    /// At least `size` instances from each `at` on (pre-scaling).
    Schedule { steps: Vec<ScheduleStepSpec> },
    /// Sizes the fleet, at `target` utilisation, for the highest load the
    /// clients' known rate profiles offer between now and `lead` from now
    /// (set `lead` to at least the provisioning time).
    Predictive {
        target: f64,
        #[serde(default)]
        lead: Duration,
    },
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleStepSpec {
    pub at: Duration,
    pub size: u32,
}

fn one() -> u32 {
    1
}
fn ten_s() -> Duration {
    Duration::from_secs(10)
}
fn sixty_s() -> Duration {
    Duration::from_secs(60)
}
fn three_hundred_s() -> Duration {
    Duration::from_secs(300)
}
