//! A station: one replica of a service, with its workers, its queue (FIFO,
//! LIFO or by priority) and its counters.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use tailsim_engine::rng::SimRng;
use tailsim_engine::stats::TimeWeighted;
use tailsim_engine::time::Time;

/// Waiting jobs in service order.
pub enum JobQueue {
    Fifo(VecDeque<u32>),
    Lifo(Vec<u32>),
    /// (priority, arrival sequence, job): lowest priority value first,
    /// FIFO within a priority.
    Priority(BinaryHeap<Reverse<(u32, u64, u32)>>, u64),
}

impl JobQueue {
    #[inline]
    pub fn push(&mut self, job: u32, priority: u32) {
        match self {
            JobQueue::Fifo(q) => q.push_back(job),
            JobQueue::Lifo(q) => q.push(job),
            JobQueue::Priority(q, seq) => {
                *seq += 1;
                q.push(Reverse((priority, *seq, job)));
            }
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<u32> {
        match self {
            JobQueue::Fifo(q) => q.pop_front(),
            JobQueue::Lifo(q) => q.pop(),
            JobQueue::Priority(q, _) => q.pop().map(|Reverse((_, _, j))| j),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            JobQueue::Fifo(q) => q.len(),
            JobQueue::Lifo(q) => q.len(),
            JobQueue::Priority(q, _) => q.len(),
        }
    }
}

/// One replica: `workers` servers in front of one queue.
pub struct Station {
    pub service: u32,
    pub workers: u32,
    pub busy: u32,
    pub queue: JobQueue,
    /// Most jobs that may wait; `u32::MAX` for unbounded.
    pub capacity: u32,
    /// Service times are divided by this.
    pub speed: f64,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disciplines_order_jobs() {
        let mut f = JobQueue::Fifo(VecDeque::new());
        let mut l = JobQueue::Lifo(Vec::new());
        let mut p = JobQueue::Priority(BinaryHeap::new(), 0);
        for (job, prio) in [(1, 5), (2, 1), (3, 5), (4, 0)] {
            f.push(job, prio);
            l.push(job, prio);
            p.push(job, prio);
        }
        let drain = |q: &mut JobQueue| std::iter::from_fn(|| q.pop()).collect::<Vec<_>>();
        assert_eq!(drain(&mut f), [1, 2, 3, 4]);
        assert_eq!(drain(&mut l), [4, 3, 2, 1]);
        assert_eq!(drain(&mut p), [4, 2, 1, 3]);
    }
}
