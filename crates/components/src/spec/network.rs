//! Links between components: latency distributions and loss.
//!
//! Every call crosses the link from its caller to the component it names
//! (a balancer is a proxy with no latency of its own), once each way. The
//! `[network]` table gives a model-wide default; `[[network.link]]` entries
//! override it for one direction of one pair.

use serde::Deserialize;

use super::DistSpec;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency of every link without its own; zero by default.
    #[serde(default)]
    pub latency: Option<DistSpec>,
    /// Probability that a message on a link is lost; a lost request or
    /// answer looks to the caller like a timeout.
    #[serde(default)]
    pub loss: f64,
    /// One-way latency between components in different regions, unless a
    /// link says otherwise; lognormal with a median of 50 ms and a 99th
    /// percentile of 75 ms by default.
    #[serde(default)]
    pub cross_region: Option<DistSpec>,
    /// Per-link overrides.
    #[serde(default)]
    pub link: Vec<LinkSpec>,
}

/// The link from `from` to `to` (and back, for answers).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub latency: Option<DistSpec>,
    #[serde(default)]
    pub loss: Option<f64>,
}
