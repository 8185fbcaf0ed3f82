//! Connection pools: a fixed number of connections from one calling replica
//! to one target node. A call holds a connection from when it is sent until
//! it settles; a call that finds none free waits, FIFO, up to the acquire
//! timeout.

use std::collections::VecDeque;

use tailsim_engine::stats::TimeWeighted;
use tailsim_engine::time::Time;

use crate::ids::{AttemptId, IdVec, PoolId};
use crate::result::PoolResult;

/// The pools of one pooled call site: one per (calling replica, target
/// node), reported together.
pub struct PoolGroup {
    pub caller: String,
    pub target: String,
    pub first: PoolId,
    pub count: u32,
}

/// Every connection pool, and how they group by call site.
#[derive(Default)]
pub struct Pools {
    pools: IdVec<PoolId, Pool>,
    groups: Vec<PoolGroup>,
}

impl Pools {
    /// Adds `count` pools of `size` connections for one call site; returns
    /// the first.
    pub fn add_group(&mut self, caller: &str, target: &str, count: u32, size: u32, acquire_timeout: Time) -> PoolId {
        let first = self.pools.next_id();
        self.groups.push(PoolGroup { caller: caller.to_string(), target: target.to_string(), first, count });
        for _ in 0..count {
            self.pools.push(Pool::new(size, acquire_timeout));
        }
        first
    }

    pub fn reset(&mut self, now: Time) {
        for p in &mut self.pools {
            p.reset(now);
        }
    }

    /// One result per pooled call site.
    pub fn results(&self, end: Time) -> Vec<PoolResult> {
        self.groups
            .iter()
            .map(|g| {
                let pools = self.pools.slice(g.first, g.count);
                let size = pools.first().map_or(0, |p| p.size);
                let in_use: f64 = pools.iter().map(|p| p.stats.busy.mean(end)).sum();
                PoolResult {
                    caller: g.caller.clone(),
                    target: g.target.clone(),
                    pools: g.count,
                    size,
                    in_use_mean: in_use,
                    utilisation: in_use / (size as f64 * g.count as f64).max(1.0),
                    waiting_mean: pools.iter().map(|p| p.stats.waiting.mean(end)).sum(),
                    max_waiting: pools.iter().map(|p| p.stats.waiting.max()).max().unwrap_or(0),
                    acquired: pools.iter().map(|p| p.stats.acquired).sum(),
                    waited: pools.iter().map(|p| p.stats.waited).sum(),
                    wait_sum_ns: pools.iter().map(|p| p.stats.wait_sum).sum(),
                    timeouts: pools.iter().map(|p| p.stats.timeouts).sum(),
                }
            })
            .collect()
    }
}

impl std::ops::Index<PoolId> for Pools {
    type Output = Pool;
    #[inline]
    fn index(&self, i: PoolId) -> &Pool {
        &self.pools[i]
    }
}

impl std::ops::IndexMut<PoolId> for Pools {
    #[inline]
    fn index_mut(&mut self, i: PoolId) -> &mut Pool {
        &mut self.pools[i]
    }
}

pub struct Pool {
    pub size: u32,
    pub in_use: u32,
    pub acquire_timeout: Time,
    /// Attempts waiting: (attempt, generation, since). Stale entries (the
    /// attempt ended meanwhile) are skipped when a connection frees up.
    pub waiting: VecDeque<(AttemptId, u32, Time)>,
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

    /// Queues an attempt for the next free connection.
    pub fn wait(&mut self, attempt: AttemptId, generation: u32, now: Time) {
        self.waiting.push_back((attempt, generation, now));
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
