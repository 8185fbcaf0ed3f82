//! Connection pools: a fixed number of connections from one calling replica
//! to one target node. A call holds a connection from when it is sent until
//! it settles; a call that finds none free waits, FIFO, up to the acquire
//! timeout.

use std::collections::VecDeque;

use tailsim_engine::stats::TimeWeighted;
use tailsim_engine::time::Time;

pub struct Pool {
    pub size: u32,
    pub in_use: u32,
    pub acquire_timeout: Time,
    /// Calls waiting: (call, generation, since). Stale entries (the call
    /// settled meanwhile) are skipped when a connection frees up.
    pub waiting: VecDeque<(u32, u32, Time)>,
    pub stats: PoolStats,
}

/// After warm-up.
pub struct PoolStats {
    pub busy: TimeWeighted,
    pub waiting: TimeWeighted,
    pub acquired: u64,
    /// Of those, how many had to wait, and for how long in total.
    pub waited: u64,
    pub wait_sum: u128,
    pub timeouts: u64,
}

impl Pool {
    pub fn new(size: u32, acquire_timeout: Time) -> Self {
        Self {
            size,
            in_use: 0,
            acquire_timeout,
            waiting: VecDeque::new(),
            stats: PoolStats {
                busy: TimeWeighted::new(0, 0),
                waiting: TimeWeighted::new(0, 0),
                acquired: 0,
                waited: 0,
                wait_sum: 0,
                timeouts: 0,
            },
        }
    }

    /// Takes a connection if one is free.
    #[inline]
    pub fn try_acquire(&mut self, now: Time, measuring: bool) -> bool {
        if self.in_use < self.size {
            self.in_use += 1;
            self.stats.busy.increment(now);
            if measuring {
                self.stats.acquired += 1;
            }
            true
        } else {
            false
        }
    }

    /// Queues a call for the next free connection.
    pub fn wait(&mut self, call: u32, generation: u32, now: Time) {
        self.waiting.push_back((call, generation, now));
        self.stats.waiting.increment(now);
    }

    /// A waiting call left the queue (granted, timed out, or settled).
    pub fn left_queue(&mut self, now: Time) {
        self.stats.waiting.decrement(now);
    }

    /// A connection is given back.
    pub fn release(&mut self, now: Time) {
        self.in_use -= 1;
        self.stats.busy.decrement(now);
    }

    /// A waiting call gets the connection just released.
    pub fn grant(&mut self, since: Time, now: Time, measuring: bool) {
        self.in_use += 1;
        self.stats.busy.increment(now);
        if measuring {
            self.stats.acquired += 1;
            self.stats.waited += 1;
            self.stats.wait_sum += (now - since) as u128;
        }
    }

    pub fn reset(&mut self, now: Time) {
        self.stats.busy.reset(now);
        self.stats.waiting.reset(now);
        self.stats.acquired = 0;
        self.stats.waited = 0;
        self.stats.wait_sum = 0;
        self.stats.timeouts = 0;
    }
}
