//! Links: the latency and loss a message sees between two components.
//!
//! Every call site resolves its link when the model is built, so sending a
//! message is an index lookup, one draw for loss and one for latency.

use tailsim_engine::rng::{SimRng, stream};
use tailsim_engine::time::Time;

use crate::dist::{Dist, unit};
use crate::ids::FaultId;

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
    /// Latency faults on, each with its delay (overlapping faults add up).
    pub extra_delays: Vec<(FaultId, Dist)>,
    /// The components at its ends, for partitions.
    pub from: String,
    pub to: String,
    rng: SimRng,
}

impl Link {
    /// The link from `from` to `to` with its latency (none: instant) and
    /// loss probability, and its own random stream.
    pub fn new(latency: Option<Dist>, loss: f64, from: &str, to: &str, seed: u64) -> Self {
        Self {
            latency,
            loss,
            instant_answers: false,
            cut: 0,
            extra_loss: 0.0,
            extra_delays: Vec::new(),
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
        let mut delay = base;
        for (_, d) in &self.extra_delays {
            delay += d.sample(&mut self.rng);
        }
        Some(delay)
    }
}

impl Link {
    /// The link a datastore replicates over: its latency is the replication
    /// lag, and it loses nothing.
    pub fn replication(lag: Option<Dist>, name: &str, seed: u64) -> Self {
        Self {
            latency: lag,
            loss: 0.0,
            instant_answers: true,
            cut: 0,
            extra_loss: 0.0,
            extra_delays: Vec::new(),
            from: String::new(),
            to: String::new(),
            rng: stream(seed, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Link;
    use crate::dist::Dist;
    use crate::ids::{FaultId, Id};

    #[test]
    fn overlapping_latency_faults_add_up_and_end_one_at_a_time() {
        let mut link = Link::new(Some(Dist::Constant(1_000)), 0.0, "a", "b", 1);
        assert_eq!(link.transit(), Some(1_000));
        link.extra_delays.push((FaultId::new(0), Dist::Constant(20)));
        link.extra_delays.push((FaultId::new(1), Dist::Constant(300)));
        assert_eq!(link.transit(), Some(1_320));
        link.extra_delays.retain(|&(f, _)| f != FaultId::new(0));
        assert_eq!(link.transit(), Some(1_300), "the other fault is still on");
        link.cut = 1;
        assert_eq!(link.transit(), None, "a partition loses every message");
    }
}
