//! Links: the latency and loss a message sees between two components.
//!
//! Every call site resolves its link when the model is built, so sending a
//! message is an index lookup, one draw for loss and one for latency.

use tailsim_engine::rng::{SimRng, stream};
use tailsim_engine::time::Time;

use crate::dist::{Dist, unit};
use crate::spec::{DistSpec, Duration, NetworkSpec};

/// One directed link (answers travel back over the same link).
pub struct Link {
    latency: Option<Dist>,
    loss: f64,
    /// Whether answers cross it instantly (replication: the lag delays the
    /// write, not the acknowledgement).
    instant_answers: bool,
    /// Faults: partitions cutting it, extra loss, extra latency.
    pub cut: u32,
    pub extra_loss: f64,
    pub extra_delay: Option<Dist>,
    /// The components at its ends, for partitions.
    pub from: String,
    pub to: String,
    rng: SimRng,
}

impl Link {
    /// The link from `from` to `to` under `spec`, with its own random stream.
    /// A link between regions (`cross_region`) takes the model's
    /// cross-region latency unless it has its own.
    pub fn new(spec: &NetworkSpec, from: &str, to: &str, cross_region: bool, seed: u64) -> Self {
        let over = spec.link.iter().rev().find(|l| l.from == from && l.to == to);
        let default_cross =
            DistSpec::LogNormalQuantiles { p50: Duration::from_millis(50), p99: Duration::from_millis(75) };
        let fallback = if cross_region {
            Some(spec.cross_region.as_ref().unwrap_or(&default_cross))
        } else {
            spec.latency.as_ref()
        };
        let latency = over.and_then(|l| l.latency.as_ref()).or(fallback);
        Self {
            latency: latency.map(|d| Dist::new(d).expect("validated")),
            loss: over.and_then(|l| l.loss).unwrap_or(spec.loss),
            instant_answers: false,
            cut: 0,
            extra_loss: 0.0,
            extra_delay: None,
            from: from.to_string(),
            to: to.to_string(),
            rng: stream(seed, &format!("link.{from}->{to}")),
        }
    }

    /// The delay of an answer, or `None` if it is lost.
    #[inline]
    pub fn transit_back(&mut self) -> Option<Time> {
        if self.instant_answers && self.cut == 0 { Some(0) } else { self.transit() }
    }

    /// The delay of one message, or `None` if it is lost.
    #[inline]
    pub fn transit(&mut self) -> Option<Time> {
        if self.cut > 0 {
            return None;
        }
        let loss = self.loss + self.extra_loss;
        if loss > 0.0 && unit(&mut self.rng) < loss {
            return None;
        }
        let base = match &self.latency {
            Some(d) => d.sample(&mut self.rng),
            None => 0,
        };
        Some(match &self.extra_delay {
            Some(d) => base + d.sample(&mut self.rng),
            None => base,
        })
    }
}

impl Link {
    /// The link a datastore replicates over: its latency is the replication
    /// lag, and it loses nothing.
    pub fn replication(lag: Option<&crate::spec::DistSpec>, name: &str, seed: u64) -> Self {
        Self {
            latency: lag.map(|d| Dist::new(d).expect("validated")),
            loss: 0.0,
            instant_answers: true,
            cut: 0,
            extra_loss: 0.0,
            extra_delay: None,
            from: String::new(),
            to: String::new(),
            rng: stream(seed, name),
        }
    }
}
