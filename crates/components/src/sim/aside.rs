//! Cache-aside from a calling service: look the key up in the cache; on a
//! miss, read the origin and fill the cache (once per key in flight with
//! single flight, which stands for a distributed lock); on a write, write
//! the origin and invalidate the cache.
//!
//! A cache-aside step is one step in several phases, each one call:
//! lookup, then (on a miss) origin read, then a fill nobody waits for.

use tailsim_engine::scheduler::Scheduler;

use super::{Answer, Event, Next, Op, Outcome, Owner, World};

/// The call sites of a cache-aside step.
#[derive(Copy, Clone, Debug)]
pub struct AsideSites {
    pub cache: u32,
    pub origin: u32,
    pub fill: u32,
    pub invalidate: u32,
    pub single_flight: bool,
}

const LOOKUP: u8 = 0;
const ORIGIN_READ: u8 = 1;
const ORIGIN_WRITE: u8 = 2;

impl World {
    pub(super) fn aside_start(&mut self, job: u32, sites: AsideSites, sched: &mut Scheduler<Event>) -> Next {
        self.block(job, 1, 1, sched);
        let write = self.jobs[job].req.op == Op::Write;
        self.jobs[job].phase = if write { ORIGIN_WRITE } else { LOOKUP };
        self.call_for(job, if write { sites.origin } else { sites.cache }, sched);
        Next::Wait
    }

    pub(super) fn aside_settled(
        &mut self,
        job: u32,
        sites: AsideSites,
        outcome: Outcome,
        sched: &mut Scheduler<Event>,
    ) {
        let phase = self.jobs[job].phase;
        match (phase, outcome) {
            // A hit (fresh or stale) ends the step.
            (LOOKUP, Ok(Answer::Done | Answer::Stale)) => self.aside_done(job, Ok(()), sched),
            // A miss, or a cache that failed to answer: read the origin.
            (LOOKUP, _) => {
                let key = self.jobs[job].req.key;
                let service = self.stations[self.jobs[job].station as usize].service;
                if sites.single_flight {
                    if let Some(waiters) = self.aside_inflight.get_mut(&(service, key)) {
                        waiters.push((job, self.jobs[job].generation));
                        self.jobs[job].phase = ORIGIN_READ;
                        return;
                    }
                    self.aside_inflight.insert((service, key), Vec::new());
                    self.jobs[job].leads_fetch = true;
                }
                self.jobs[job].phase = ORIGIN_READ;
                self.call_for(job, sites.origin, sched);
            }
            (ORIGIN_READ, Ok(_)) => {
                self.aside_release(job, Ok(()), sched);
                self.follow_up(job, sites.fill, sched);
                self.aside_done(job, Ok(()), sched);
            }
            (ORIGIN_WRITE, Ok(_)) => {
                self.follow_up(job, sites.invalidate, sched);
                self.aside_done(job, Ok(()), sched);
            }
            (_, Err(e)) => {
                self.aside_release(job, Err(e), sched);
                self.aside_done(job, Err(e), sched);
            }
            (_, Ok(_)) => unreachable!("cache-aside phase {phase}"),
        }
    }

    /// A call nobody waits for (fill or invalidate), on the job's behalf.
    fn follow_up(&mut self, job: u32, site: u32, sched: &mut Scheduler<Event>) {
        let req = self.jobs[job].req;
        self.start_detached(site, Owner::Detached, req, sched);
    }

    /// Answers the jobs that waited on this job's origin read.
    pub(super) fn aside_release(
        &mut self,
        job: u32,
        outcome: Result<(), crate::result::ErrorKind>,
        sched: &mut Scheduler<Event>,
    ) {
        if !std::mem::take(&mut self.jobs[job].leads_fetch) {
            return;
        }
        let key = self.jobs[job].req.key;
        let service = self.stations[self.jobs[job].station as usize].service;
        let waiters = self.aside_inflight.remove(&(service, key)).unwrap_or_default();
        for (w, generation) in waiters {
            if self.jobs[w].generation == generation {
                self.aside_done(w, outcome, sched);
            }
        }
    }

    /// Ends the cache-aside step of `job`.
    fn aside_done(&mut self, job: u32, outcome: Result<(), crate::result::ErrorKind>, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.jobs[job];
        j.generation = j.generation.wrapping_add(1);
        j.downstream_ns += now - j.mark;
        match outcome {
            Ok(()) => {
                j.pc += 1;
                self.resume(job, sched);
            }
            Err(e) => self.finish_job(job, Err(e), sched),
        }
    }
}
