//! Clients: where requests are born, and where their end-to-end latency is
//! recorded.

use rand::RngExt;
use rand_distr::Exp1;
use tailsim_engine::rng::SimRng;
use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::{SECOND, Time, from_nanos_f64};

use super::Target;
use crate::result::ErrorCounts;
use crate::spec::ArrivalSpec;

pub struct Client {
    pub name: String,
    pub target: Target,
    pub arrival: ArrivalSpec,
    /// Mean gap between arrivals, in ns.
    pub mean_gap: f64,
    pub timeout: Option<Time>,
    pub rng: SimRng,
    pub sent: u64,
    pub ok: u64,
    pub errors: ErrorCounts,
    pub latency_ok: LatencyHistogram,
    pub latency_err: LatencyHistogram,
}

impl Client {
    pub fn new(
        name: String,
        target: Target,
        rate: f64,
        arrival: ArrivalSpec,
        timeout: Option<Time>,
        rng: SimRng,
    ) -> Self {
        Self {
            name,
            target,
            arrival,
            mean_gap: SECOND as f64 / rate,
            timeout,
            rng,
            sent: 0,
            ok: 0,
            errors: ErrorCounts::default(),
            latency_ok: LatencyHistogram::new(),
            latency_err: LatencyHistogram::new(),
        }
    }

    /// The gap until the next arrival.
    #[inline]
    pub fn next_gap(&mut self) -> Time {
        match self.arrival {
            ArrivalSpec::Poisson => {
                let e: f64 = self.rng.sample(Exp1);
                from_nanos_f64(e * self.mean_gap)
            }
            ArrivalSpec::Constant => from_nanos_f64(self.mean_gap),
        }
    }
}
