//! Faults: what breaks, where, and when.
//!
//! ```toml
//! [[fault]]
//! kind = "crash"            # crash, slowdown, latency, error, partition, loss
//! target = "app[2]"         # a component, one replica of it, or `zone = "a"`
//! at = "60s"                # scheduled: at a time for a duration ...
//! duration = "30s"
//! # ... or random: up for an MTBF, down for an MTTR, again and again
//! # mtbf = "10m", mttr = "1m", distribution = "weibull", shape = 1.5
//! ```

use serde::Deserialize;

use super::{DistSpec, Duration};

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub kind: FaultKindSpec,
    /// A component (`"app"`), or one replica (`"app[2]"`); or use `zone`.
    #[serde(default)]
    pub target: Option<String>,
    /// Every station in a zone (see components' `zones`).
    #[serde(default)]
    pub zone: Option<String>,
    /// Every station of every component in a region (a region outage).
    #[serde(default)]
    pub region: Option<String>,
    /// Scheduled: start time and length.
    #[serde(default)]
    pub at: Option<Duration>,
    #[serde(default)]
    pub duration: Option<Duration>,
    /// Random: mean time between failures and to repair.
    #[serde(default)]
    pub mtbf: Option<Duration>,
    #[serde(default)]
    pub mttr: Option<Duration>,
    #[serde(default)]
    pub distribution: FaultTimingSpec,
    /// Weibull shape (1 is exponential).
    #[serde(default)]
    pub shape: Option<f64>,
    /// Slowdown: service times multiplied by this.
    #[serde(default)]
    pub factor: Option<f64>,
    /// Latency: extra delay per request at the target (or per message on
    /// `link`).
    #[serde(default)]
    pub delay: Option<DistSpec>,
    /// Error and loss: the probability of an error or a lost message.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Latency and loss on a link rather than a node.
    #[serde(default)]
    pub link: Option<FaultLinkSpec>,
    /// Partition: groups of components that cannot reach each other.
    #[serde(default)]
    pub groups: Vec<Vec<String>>,
    /// Crash: callers see a fast connection error (`refuse`) or nothing
    /// until they time out (`blackhole`).
    #[serde(default)]
    pub on_crash: CrashModeSpec,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKindSpec {
    /// Down: in-flight work is lost and nothing is served.
    Crash,
    /// Service times multiplied by `factor`.
    Slowdown,
    /// Extra `delay` per request at a node, or per message on a `link`.
    Latency,
    /// Requests fail with a server error with `probability`.
    Error,
    /// Messages between `groups` are lost.
    Partition,
    /// Messages on a `link` are lost with `probability`.
    Loss,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultTimingSpec {
    #[default]
    Exponential,
    Weibull,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashModeSpec {
    #[default]
    Refuse,
    Blackhole,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultLinkSpec {
    pub from: String,
    pub to: String,
}
