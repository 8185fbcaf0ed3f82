//! Cache-aside from a calling service: look the key up in the cache; on a
//! miss, read the origin and fill the cache (once per key in flight with
//! single flight, which stands for a distributed lock); on a write, write
//! the origin and invalidate the cache.
//!
//! A cache-aside step is one step in several phases, each one call:
//! lookup, then (on a miss) origin read, then a fill nobody waits for.

use tailsim_engine::scheduler::Scheduler;

use super::flight::Join;
use super::kind::Next;
use super::request::{Answer, Op, Outcome, Owner};
use super::{Event, World};
use crate::ids::{FlightId, JobId, SiteId};
use crate::result::ErrorKind;

/// The call sites of a cache-aside step, and its single-flight scope (one
/// per calling service) if it coalesces origin reads.
#[derive(Copy, Clone, Debug)]
pub struct AsideSites {
    pub cache: SiteId,
    pub origin: SiteId,
    pub fill: SiteId,
    pub invalidate: SiteId,
    pub flight: Option<FlightId>,
}

const LOOKUP: u8 = 0;
const ORIGIN_READ: u8 = 1;
const ORIGIN_WRITE: u8 = 2;

impl World {
    pub(super) fn aside_start(&mut self, job: JobId, sites: AsideSites, sched: &mut Scheduler<Event>) -> Next {
        self.block(job, 1, 1, sched);
        let write = self.requests[job].req.op == Op::Write;
        self.requests[job].phase = if write { ORIGIN_WRITE } else { LOOKUP };
        self.call_for(job, if write { sites.origin } else { sites.cache }, sched);
        Next::Wait
    }

    pub(super) fn aside_settled(
        &mut self,
        job: JobId,
        sites: AsideSites,
        outcome: Outcome,
        sched: &mut Scheduler<Event>,
    ) {
        let phase = self.requests[job].phase;
        match (phase, outcome) {
            // A hit (fresh or stale) ends the step.
            (LOOKUP, Ok(Answer::Done | Answer::Stale)) => self.aside_done(job, Ok(()), sched),
            // A miss, or a cache that failed to answer: read the origin.
            (LOOKUP, _) => {
                if let Some(scope) = sites.flight {
                    let j = &self.requests[job];
                    match self.flights.join(scope, j.req.key, job, j.generation) {
                        Join::Wait => {
                            self.requests[job].phase = ORIGIN_READ;
                            return;
                        }
                        Join::Lead => self.requests[job].leads = Some(scope),
                    }
                }
                self.requests[job].phase = ORIGIN_READ;
                self.call_for(job, sites.origin, sched);
            }
            (ORIGIN_READ, Ok(_)) => {
                self.release_flight(job, Ok(Answer::Done), sched);
                self.follow_up(job, sites.fill, sched);
                self.aside_done(job, Ok(()), sched);
            }
            (ORIGIN_WRITE, Ok(_)) => {
                self.follow_up(job, sites.invalidate, sched);
                self.aside_done(job, Ok(()), sched);
            }
            (_, Err(e)) => {
                self.release_flight(job, Err(e), sched);
                self.aside_done(job, Err(e), sched);
            }
            (_, Ok(_)) => unreachable!("cache-aside phase {phase}"),
        }
    }

    /// A call nobody waits for (fill or invalidate), on the job's behalf.
    fn follow_up(&mut self, job: JobId, site: SiteId, sched: &mut Scheduler<Event>) {
        let req = self.requests[job].req;
        self.start_detached(site, Owner::Detached, req, sched);
    }

    /// Ends the cache-aside step of `job`.
    pub(super) fn aside_done(&mut self, job: JobId, outcome: Result<(), ErrorKind>, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let j = &mut self.requests[job];
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
