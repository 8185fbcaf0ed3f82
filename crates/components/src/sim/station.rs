//! A station: one replica of a service, with its workers, its queue and its
//! counters.

use std::collections::VecDeque;

use tailsim_engine::rng::SimRng;
use tailsim_engine::stats::TimeWeighted;
use tailsim_engine::time::Time;

use crate::dist::Dist;

/// One replica: `workers` servers in front of one queue.
pub struct Station {
    pub service: u32,
    pub workers: u32,
    pub busy: u32,
    /// Waiting job ids, oldest first.
    pub queue: VecDeque<u32>,
    /// Most jobs that may wait; `u32::MAX` for unbounded.
    pub capacity: u32,
    pub service_time: Dist,
    pub rng: SimRng,
    pub stats: StationStats,
}

/// Counters and integrals, reset when warm-up ends.
pub struct StationStats {
    pub busy: TimeWeighted,
    pub queued: TimeWeighted,
    pub present: TimeWeighted,
    pub arrivals: u64,
    pub rejected: u64,
    pub completions: u64,
    pub waited: u64,
    pub service_sum: u128,
    /// Jobs that arrived after warm-up and started service, and their
    /// summed waits.
    pub started: u64,
    pub wait_sum: u128,
}

impl StationStats {
    pub fn new(now: Time) -> Self {
        Self {
            busy: TimeWeighted::new(now, 0),
            queued: TimeWeighted::new(now, 0),
            present: TimeWeighted::new(now, 0),
            arrivals: 0,
            rejected: 0,
            completions: 0,
            waited: 0,
            service_sum: 0,
            started: 0,
            wait_sum: 0,
        }
    }

    /// Forgets everything measured so far; levels carry on.
    pub fn reset(&mut self, now: Time) {
        self.busy.reset(now);
        self.queued.reset(now);
        self.present.reset(now);
        self.arrivals = 0;
        self.rejected = 0;
        self.completions = 0;
        self.waited = 0;
        self.service_sum = 0;
        self.started = 0;
        self.wait_sum = 0;
    }
}

impl Station {
    /// Whether a worker is free.
    #[inline]
    pub fn has_free_worker(&self) -> bool {
        self.busy < self.workers
    }

    /// Whether the queue has room for one more.
    #[inline]
    pub fn has_queue_room(&self) -> bool {
        (self.queue.len() as u64) < self.capacity as u64
    }
}
