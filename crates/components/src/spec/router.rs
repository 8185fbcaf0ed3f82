//! Global routers: DNS-style traffic management across regions.
//!
//! ```toml
//! [router.global]
//! targets = ["east", "west"]   # balancers or services, one per region
//! mode = "failover"            # or "nearest"
//! check_interval = "10s"       # health checks of each target
//! unhealthy_after = 3          # failed checks before it is declared down
//! healthy_after = 2
//! propagation = "60s"          # DNS TTL: clients move over this long
//! ```
//!
//! `failover` (active-passive) sends everything to the first healthy
//! target in order. `nearest` (active-active) sends each client to the
//! first healthy target in its own region, then to the others in order,
//! and spills over while a target's utilisation is at least `spill_above`.
//! Only clients may call a router.

use serde::Deserialize;

use super::Duration;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterSpec {
    pub targets: Vec<String>,
    #[serde(default)]
    pub mode: RouterModeSpec,
    #[serde(default = "ten_s")]
    pub check_interval: Duration,
    #[serde(default = "three")]
    pub unhealthy_after: u32,
    #[serde(default = "two")]
    pub healthy_after: u32,
    #[serde(default = "sixty_s")]
    pub propagation: Duration,
    /// Nearest: spill over while the target's utilisation (at the last
    /// check) is at least this.
    #[serde(default)]
    pub spill_above: Option<f64>,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouterModeSpec {
    #[default]
    Failover,
    Nearest,
}

fn ten_s() -> Duration {
    Duration::from_secs(10)
}
fn sixty_s() -> Duration {
    Duration::from_secs(60)
}
fn three() -> u32 {
    3
}
fn two() -> u32 {
    2
}
