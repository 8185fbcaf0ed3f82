//! A station: one replica of a service, with its workers, its queue (FIFO,
//! LIFO or by priority) and its counters.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use tailsim_engine::rng::SimRng;
use tailsim_engine::stats::TimeWeighted;
use tailsim_engine::time::Time;

use super::policy::RateLimiter;
use crate::ids::{FaultId, Id, JobId, ServiceId, SlotId, ZoneId};
use crate::spec::{DisciplineSpec, RateLimitSpec, ShedSpec};

/// Waiting jobs in service order.
pub enum JobQueue {
    Fifo(VecDeque<JobId>),
    Lifo(Vec<JobId>),
    /// (priority, arrival sequence, job): lowest priority value first,
    /// FIFO within a priority.
    Priority(BinaryHeap<Reverse<(u32, u64, JobId)>>, u64),
}

impl JobQueue {
    #[inline]
    pub fn push(&mut self, job: JobId, priority: u32) {
        match self {
            JobQueue::Fifo(q) => q.push_back(job),
            JobQueue::Lifo(q) => q.push(job),
            JobQueue::Priority(q, seq) => {
                *seq += 1;
                q.push(Reverse((priority, *seq, job)));
            }
        }
    }

    /// The most recently queued job, whatever the discipline (adaptive
    /// LIFO under overload).
    pub fn pop_newest(&mut self) -> Option<JobId> {
        match self {
            JobQueue::Fifo(q) => q.pop_back(),
            JobQueue::Lifo(q) => q.pop(),
            JobQueue::Priority(..) => self.pop(),
        }
    }

    /// Removes every queued job.
    pub fn drain(&mut self) -> Vec<JobId> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(j) = self.pop() {
            out.push(j);
        }
        out
    }

    #[inline]
    pub fn pop(&mut self) -> Option<JobId> {
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
    pub service: ServiceId,
    pub workers: u32,
    pub busy: u32,
    pub queue: JobQueue,
    /// Most jobs that may wait; `u32::MAX` for unbounded.
    pub capacity: u32,
    /// Service times are divided by this.
    pub speed: f64,
    pub rng: SimRng,
    pub stats: StationStats,
    /// Every job present (crossing the network excluded): queued, served,
    /// or waiting on calls. A crash drops them all.
    pub present: Vec<JobId>,
    pub limiter: Option<RateLimiter>,
    pub shed: Option<Shedding>,
    /// Injected failure probability (static plus active error faults).
    pub failure: f64,
    /// Faults: the crash faults holding it down (overlapping crashes keep
    /// it down until the last ends) and whether callers are refused or
    /// ignored, the crash count (jobs from before a crash are dropped), the
    /// slowdown factor, and the latency faults adding a per-request delay.
    pub crashes: u32,
    pub blackhole: bool,
    pub epoch: u32,
    pub slow: f64,
    pub delay_faults: Vec<FaultId>,
    pub zone: Option<ZoneId>,
    /// Autoscaling: a new instance is cold (slower) from `cold_from` until
    /// `cold_until`, by `cold_slowdown`, fading out if `cold_fades`.
    pub cold_from: Time,
    pub cold_until: Time,
    pub cold_slowdown: f64,
    pub cold_fades: bool,
}

/// A station's options beyond its queue and workers.
#[derive(Default)]
pub struct StationOptions<'a> {
    pub limiter: Option<&'a RateLimitSpec>,
    pub shed: Option<&'a ShedSpec>,
    pub failure: f64,
    pub zone: Option<ZoneId>,
}

impl Station {
    /// Whether a crash fault holds it down.
    #[inline]
    pub fn is_down(&self) -> bool {
        self.crashes > 0
    }

    pub fn new(
        service: ServiceId,
        workers: u32,
        capacity: Option<u32>,
        discipline: DisciplineSpec,
        speed: f64,
        rng: SimRng,
        options: StationOptions<'_>,
    ) -> Station {
        Station {
            present: Vec::new(),
            limiter: options.limiter.map(RateLimiter::new),
            shed: options.shed.map(|s| Shedding {
                queue_above: s.queue_above,
                target: s.sojourn_target.map(|t| t.0),
                interval: s.interval.0,
                lifo_above: s.lifo_above,
                above_since: None,
            }),
            failure: options.failure,
            crashes: 0,
            blackhole: false,
            epoch: 0,
            slow: 1.0,
            delay_faults: Vec::new(),
            zone: options.zone,
            cold_from: 0,
            cold_until: 0,
            cold_slowdown: 1.0,
            cold_fades: false,
            service,
            workers,
            busy: 0,
            queue: match discipline {
                DisciplineSpec::Fifo => JobQueue::Fifo(VecDeque::new()),
                DisciplineSpec::Lifo => JobQueue::Lifo(Vec::new()),
                DisciplineSpec::Priority => JobQueue::Priority(BinaryHeap::new(), 0),
            },
            capacity: capacity.unwrap_or(u32::MAX),
            speed,
            rng,
            stats: StationStats::new(0),
        }
    }

    /// How much slower than normal a new instance still is at `now`.
    #[inline]
    pub fn cold_factor(&self, now: Time) -> f64 {
        if now >= self.cold_until {
            1.0
        } else if self.cold_fades {
            let left = (self.cold_until - now) as f64 / (self.cold_until - self.cold_from).max(1) as f64;
            1.0 + (self.cold_slowdown - 1.0) * left
        } else {
            self.cold_slowdown
        }
    }
}

/// Load shedding state of one replica.
pub struct Shedding {
    pub queue_above: Option<u32>,
    pub target: Option<Time>,
    pub interval: Time,
    pub lifo_above: Option<u32>,
    /// CoDel: when waits first exceeded the target, plus the interval.
    pub above_since: Option<Time>,
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
    pub shed: u64,
    pub rate_limited: u64,
    pub expired: u64,
    pub crashed: u64,
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
            shed: 0,
            rate_limited: 0,
            expired: 0,
            crashed: 0,
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
        self.shed = 0;
        self.rate_limited = 0;
        self.expired = 0;
        self.crashed = 0;
    }
}

impl Station {
    /// Adds `job` to the jobs present; returns its place.
    #[inline]
    pub fn enter(&mut self, job: JobId) -> SlotId {
        self.present.push(job);
        SlotId::new(self.present.len() - 1)
    }

    /// Removes the job at `slot` from the jobs present; returns the job
    /// moved into that place, if any.
    #[inline]
    pub fn leave(&mut self, slot: SlotId) -> Option<JobId> {
        self.present.swap_remove(slot.index());
        self.present.get(slot.index()).copied()
    }

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

    /// The next job to serve: oldest first normally, newest first while the
    /// queue is longer than the adaptive-LIFO threshold.
    #[inline]
    pub fn next_job(&mut self) -> Option<JobId> {
        match &self.shed {
            Some(Shedding { lifo_above: Some(n), .. }) if self.queue.len() > *n as usize => self.queue.pop_newest(),
            _ => self.queue.pop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ids::Id;

    #[test]
    fn disciplines_order_jobs() {
        let mut f = JobQueue::Fifo(VecDeque::new());
        let mut l = JobQueue::Lifo(Vec::new());
        let mut p = JobQueue::Priority(BinaryHeap::new(), 0);
        for (job, prio) in [(1, 5), (2, 1), (3, 5), (4, 0)] {
            f.push(JobId::new(job), prio);
            l.push(JobId::new(job), prio);
            p.push(JobId::new(job), prio);
        }
        let drain = |q: &mut JobQueue| std::iter::from_fn(|| q.pop().map(JobId::index)).collect::<Vec<_>>();
        assert_eq!(drain(&mut f), [1, 2, 3, 4]);
        assert_eq!(drain(&mut l), [4, 3, 2, 1]);
        assert_eq!(drain(&mut p), [4, 2, 1, 3]);
    }
}
