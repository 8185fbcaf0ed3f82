//! Load balancers: choose a replica of their target service per request.

use rand::RngExt;
use tailsim_engine::rng::SimRng;

use crate::spec::BalancerPolicySpec;

/// A balancer's state.
pub struct Balancer {
    pub service: u32,
    pub policy: BalancerPolicySpec,
    cursor: u32,
    rng: SimRng,
}

impl Balancer {
    pub fn new(service: u32, policy: BalancerPolicySpec, rng: SimRng) -> Self {
        Self { service, policy, cursor: 0, rng }
    }

    /// The replica, in `0..replicas`, for the next request.
    #[inline]
    pub fn pick(&mut self, replicas: u32) -> u32 {
        match self.policy {
            BalancerPolicySpec::RoundRobin => {
                let r = if self.cursor >= replicas { 0 } else { self.cursor };
                self.cursor = r + 1;
                r
            }
            BalancerPolicySpec::Random => self.rng.random_range(0..replicas),
        }
    }
}
