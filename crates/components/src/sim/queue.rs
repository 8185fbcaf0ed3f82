//! Message queues: a producer's call stores a message in every consumer
//! group and is answered at once; each group delivers its messages to its
//! consumer service, `concurrency` at a time, as calls whose timeout is the
//! visibility timeout.
//!
//! An acknowledged message (a successful call) is done: its end-to-end
//! delay, from produce to acknowledgement, is recorded. A failed or timed
//! out delivery makes the message visible again once the visibility timeout
//! has passed since it was delivered; after `max_deliveries` it goes to the
//! dead-letter queue. A consumer that was merely slow keeps working on its
//! copy, so a redelivery can be processed twice, as in real queues.
//!
//! Each group's waiting messages stay in order of production (a redelivered
//! message goes back to its place), so the head is always the oldest and
//! retention drops messages from the head.

use std::collections::VecDeque;

use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::stats::{LatencyHistogram, TimeWeighted};
use tailsim_engine::time::Time;

use super::kind::Next;
use super::request::{Answer, Outcome, Owner, Req};
use super::slab::Slab;
use super::{Event, World};
use crate::ids::{DeliveryId, IdVec, JobId, QueueId, ServiceId, SiteId};
use crate::result::{ErrorKind, GroupResult, QueueResult};
use crate::spec::QueueSpec;

/// A queue's own handler step.
#[derive(Copy, Clone, Debug)]
pub enum QueueStep {
    /// Store the message in every consumer group.
    Enqueue,
}

/// Events of queues.
#[derive(Copy, Clone, Debug)]
pub enum QueueEvent {
    /// A failed message's visibility timeout ran out.
    Redeliver { queue: QueueId, slot: DeliveryId },
}

/// Every message queue, and the messages waiting in all of them (for the
/// runaway guard).
#[derive(Default)]
pub struct Queues {
    queues: IdVec<QueueId, MessageQueue>,
    pub backlog: usize,
}

impl Queues {
    pub fn push(&mut self, q: MessageQueue) -> QueueId {
        self.queues.push(q)
    }

    pub fn next_id(&self) -> QueueId {
        self.queues.next_id()
    }

    pub fn reset(&mut self, now: Time) {
        for q in &mut self.queues {
            q.reset(now);
        }
    }

    /// The backlog columns of the time series: per group, mean depth and
    /// oldest age.
    pub fn window(&mut self, now: Time) -> Vec<(f64, f64)> {
        self.queues.iter_mut().flat_map(|q| q.window(now)).collect()
    }

    /// The names of the backlog columns.
    pub fn backlog_names(&self) -> Vec<String> {
        self.queues.iter().flat_map(|q| q.groups.iter().map(move |g| format!("{}/{}", q.name, g.name))).collect()
    }

    pub fn results(&self, end: Time) -> Vec<QueueResult> {
        self.queues.iter().map(|q| q.result(end)).collect()
    }
}

impl std::ops::Index<QueueId> for Queues {
    type Output = MessageQueue;
    fn index(&self, i: QueueId) -> &MessageQueue {
        &self.queues[i]
    }
}

impl std::ops::IndexMut<QueueId> for Queues {
    fn index_mut(&mut self, i: QueueId) -> &mut MessageQueue {
        &mut self.queues[i]
    }
}

#[derive(Copy, Clone, Debug)]
struct Message {
    produced: Time,
    deliveries: u32,
    req: Req,
}

/// A delivered message awaiting its acknowledgement.
struct InFlight {
    group: u32,
    msg: Message,
    delivered: Time,
}

pub struct Group {
    pub name: String,
    /// The consumer service, and the call site deliveries use.
    pub consumer: ServiceId,
    pub site: SiteId,
    concurrency: Option<u32>,
    waiting: VecDeque<Message>,
    in_flight: u32,
    stats: GroupStats,
}

#[derive(Default)]
struct GroupStats {
    produced: u64,
    delivered: u64,
    acked: u64,
    redeliveries: u64,
    dead_lettered: u64,
    expired: u64,
    depth: TimeWeighted,
    window_depth: TimeWeighted,
    oldest_max: Time,
    e2e: LatencyHistogram,
}

pub struct MessageQueue {
    pub name: String,
    visibility: Time,
    max_deliveries: u32,
    retention: Option<Time>,
    capacity: usize,
    pub groups: Vec<Group>,
    in_flight: Slab<DeliveryId, InFlight>,
    rejected: u64,
}

impl MessageQueue {
    /// `groups` gives each group's name, consumer service and call site.
    pub fn new(name: String, spec: &QueueSpec, groups: Vec<(String, ServiceId, SiteId)>) -> Self {
        let groups = groups
            .into_iter()
            .map(|(name, consumer, site)| Group {
                concurrency: spec.consumers[&name].concurrency,
                name,
                consumer,
                site,
                waiting: VecDeque::new(),
                in_flight: 0,
                stats: GroupStats { e2e: LatencyHistogram::new(), ..Default::default() },
            })
            .collect();
        Self {
            name,
            visibility: spec.visibility_timeout.0,
            max_deliveries: spec.max_deliveries,
            retention: spec.retention.map(|r| r.0),
            capacity: spec.capacity.map_or(usize::MAX, |c| c as usize),
            groups,
            in_flight: Slab::default(),
            rejected: 0,
        }
    }

    /// Messages waiting in the groups consumed by `service`.
    pub fn waiting_for(&self, service: ServiceId) -> u64 {
        self.groups.iter().filter(|g| g.consumer == service).map(|g| g.waiting.len() as u64).sum()
    }

    pub fn reset(&mut self, now: Time) {
        self.rejected = 0;
        for g in &mut self.groups {
            let s = &mut g.stats;
            *s = GroupStats {
                depth: TimeWeighted::new(now, g.waiting.len() as u64),
                window_depth: TimeWeighted::new(now, g.waiting.len() as u64),
                e2e: LatencyHistogram::new(),
                ..Default::default()
            };
        }
    }

    /// Per group: mean depth since the last window, and the age of the
    /// oldest waiting message now, in seconds.
    pub fn window(&mut self, now: Time) -> Vec<(f64, f64)> {
        self.groups
            .iter_mut()
            .map(|g| {
                let age = g.waiting.front().map_or(0, |m| now - m.produced);
                (g.stats.window_depth.take_window_mean(now), age as f64 / 1e9)
            })
            .collect()
    }

    pub fn result(&self, now: Time) -> QueueResult {
        QueueResult {
            name: self.name.clone(),
            rejected: self.rejected,
            groups: self
                .groups
                .iter()
                .map(|g| {
                    let s = &g.stats;
                    let oldest_now = g.waiting.front().map_or(0, |m| now - m.produced);
                    GroupResult {
                        name: g.name.clone(),
                        produced: s.produced,
                        delivered: s.delivered,
                        acked: s.acked,
                        redeliveries: s.redeliveries,
                        dead_lettered: s.dead_lettered,
                        expired: s.expired,
                        depth_mean: s.depth.mean(now),
                        depth_max: s.depth.max(),
                        depth_end: g.waiting.len() as u64,
                        oldest_age_max: s.oldest_max.max(oldest_now),
                        end_to_end: s.e2e.clone(),
                    }
                })
                .collect(),
        }
    }
}

fn set_depth(g: &mut Group, now: Time) {
    let n = g.waiting.len() as u64;
    g.stats.depth.set(now, n);
    g.stats.window_depth.set(now, n);
}

impl World {
    pub(super) fn queue_step(&mut self, job: JobId, q: QueueId, step: QueueStep, sched: &mut Scheduler<Event>) -> Next {
        match step {
            QueueStep::Enqueue => self.enqueue(job, q, sched),
        }
    }

    pub(super) fn on_queue_event(&mut self, e: QueueEvent, sched: &mut Scheduler<Event>) {
        match e {
            QueueEvent::Redeliver { queue, slot } => self.redeliver(queue, slot, sched),
        }
    }

    /// A producer's message reaches queue `q`: stored in every group, or
    /// refused if a group is full.
    fn enqueue(&mut self, job: JobId, q: QueueId, sched: &mut Scheduler<Event>) -> Next {
        let now = sched.now();
        let req = self.requests[job].req;
        let measuring = self.meter.measuring;
        let queue = &mut self.queues.queues[q];
        if queue.groups.iter().any(|g| g.waiting.len() >= queue.capacity) {
            if measuring {
                queue.rejected += 1;
            }
            return Next::Finish(Err(ErrorKind::Rejected));
        }
        let msg = Message { produced: now, deliveries: 0, req };
        for g in &mut queue.groups {
            g.waiting.push_back(msg);
            set_depth(g, now);
            if measuring {
                g.stats.produced += 1;
            }
        }
        self.queues.backlog += queue.groups.len();
        for g in 0..self.queues[q].groups.len() {
            self.pump(q, g as u32, sched);
        }
        Next::Finish(Ok(Answer::Done))
    }

    /// Delivers waiting messages of group `g` while it has room.
    fn pump(&mut self, q: QueueId, g: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let measuring = self.meter.measuring;
        loop {
            let queue = &mut self.queues.queues[q];
            let group = &mut queue.groups[g as usize];
            let svc = &self.services[group.consumer];
            let limit = group.concurrency.unwrap_or(svc.active * svc.workers);
            if group.in_flight >= limit {
                return;
            }
            let Some(msg) = group.waiting.pop_front() else { return };
            self.queues.backlog -= 1;
            set_depth(group, now);
            let age = now - msg.produced;
            if measuring {
                group.stats.oldest_max = group.stats.oldest_max.max(age);
            }
            if queue.retention.is_some_and(|r| age > r) {
                if measuring {
                    group.stats.expired += 1;
                }
                continue;
            }
            group.in_flight += 1;
            if measuring {
                group.stats.delivered += 1;
            }
            let site = group.site;
            let slot = queue.in_flight.insert_with(|_| InFlight { group: g, msg, delivered: now });
            let call = self.new_call(site, Owner::Consumer { queue: q, slot }, msg.req, sched);
            self.start_attempt(call, None, false, sched);
        }
    }

    /// A delivery settled: acknowledged, or to be delivered again.
    pub(super) fn delivery_done(
        &mut self,
        q: QueueId,
        slot: DeliveryId,
        outcome: Outcome,
        sched: &mut Scheduler<Event>,
    ) {
        let now = sched.now();
        let measuring = self.meter.measuring;
        let measure_from = self.meter.measure_from();
        let queue = &mut self.queues[q];
        let InFlight { group: g, mut msg, delivered } = queue.in_flight[slot];
        if outcome.is_ok() {
            queue.in_flight.remove(slot);
            let group = &mut queue.groups[g as usize];
            group.in_flight -= 1;
            if measuring && msg.produced >= measure_from {
                group.stats.acked += 1;
                group.stats.e2e.record(now - msg.produced);
            }
            return self.pump(q, g, sched);
        }
        msg.deliveries += 1;
        queue.in_flight[slot].msg = msg;
        // The consumer is free for other messages; this one stays invisible
        // until its visibility timeout runs out.
        queue.groups[g as usize].in_flight -= 1;
        let visible = delivered + queue.visibility;
        if visible > now {
            sched.schedule(visible, Event::Queue(QueueEvent::Redeliver { queue: q, slot }));
            self.pump(q, g, sched);
        } else {
            self.redeliver(q, slot, sched);
        }
    }

    /// A failed message becomes visible again (or dead-letters); its
    /// delivery slot was already given back.
    fn redeliver(&mut self, q: QueueId, slot: DeliveryId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let measuring = self.meter.measuring;
        let queue = &mut self.queues.queues[q];
        let InFlight { group: g, msg, .. } = queue.in_flight[slot];
        queue.in_flight.remove(slot);
        let max = queue.max_deliveries;
        let group = &mut queue.groups[g as usize];
        if msg.deliveries >= max {
            if measuring {
                group.stats.dead_lettered += 1;
            }
        } else {
            if measuring {
                group.stats.redeliveries += 1;
            }
            let at = group.waiting.partition_point(|m| m.produced <= msg.produced);
            group.waiting.insert(at, msg);
            self.queues.backlog += 1;
            set_depth(group, now);
        }
        self.pump(q, g, sched);
    }

    /// Messages waiting for consumer `service`, over all queues.
    pub(super) fn messages_waiting_for(&self, service: ServiceId) -> u64 {
        self.queues.queues.iter().map(|q| q.waiting_for(service)).sum()
    }

    /// The consumers' fleet grew: deliver to the new capacity.
    pub(super) fn pump_consumers_of(&mut self, service: ServiceId, sched: &mut Scheduler<Event>) {
        for q in self.queues.queues.ids() {
            for g in 0..self.queues[q].groups.len() {
                if self.queues[q].groups[g].consumer == service {
                    self.pump(q, g as u32, sched);
                }
            }
        }
    }
}
