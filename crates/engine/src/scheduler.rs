//! The clock, the pending events, cancellable timers and the run loop.
//!
//! [`Scheduler`] hands out insertion sequence numbers, so events scheduled for
//! the same instant are delivered in the order they were scheduled, and owns
//! the simulated clock, which only moves forward.
//!
//! Timers are events that may be cancelled. Cancelling is O(1): a timer slot's
//! generation is bumped, and the stale event is dropped when it reaches the
//! front of the queue. A timeout that is cancelled because the response
//! arrived first, the common case, therefore costs no search.

use std::ops::ControlFlow;

use crate::event_set::{EventSet, Key, RadixHeap};
use crate::time::Time;

const NO_TIMER: u32 = u32::MAX;

/// A handle to a cancellable event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TimerId {
    slot: u32,
    generation: u32,
}

/// What the event set stores: the event and, for timers, its slot.
pub struct Pending<E> {
    timer: u32,
    generation: u32,
    event: E,
}

/// The simulated clock and the set of pending events.
///
/// `S` is the event-set implementation; the default is the one the benchmarks
/// found fastest.
pub struct Scheduler<E, S = RadixHeap<Pending<E>>> {
    now: Time,
    next_seq: u64,
    set: S,
    /// Current generation of every timer slot.
    timer_generation: Vec<u32>,
    free_timers: Vec<u32>,
    live_timers: usize,
    _event: std::marker::PhantomData<E>,
}

impl<E> Scheduler<E> {
    /// An empty scheduler at time zero, using the default event set.
    pub fn new() -> Self {
        Self::with_event_set(RadixHeap::default())
    }
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E, S: EventSet<Pending<E>>> Scheduler<E, S> {
    /// An empty scheduler at time zero over the given event set.
    pub fn with_event_set(set: S) -> Self {
        Self {
            now: 0,
            next_seq: 0,
            set,
            timer_generation: Vec::new(),
            free_timers: Vec::new(),
            live_timers: 0,
            _event: std::marker::PhantomData,
        }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> Time {
        self.now
    }

    /// Pending events, counting cancelled timers not yet discarded.
    pub fn pending(&self) -> usize {
        self.set.len()
    }

    /// Timers scheduled and neither fired nor cancelled.
    pub fn live_timers(&self) -> usize {
        self.live_timers
    }

    #[inline]
    fn push(&mut self, at: Time, timer: u32, generation: u32, event: E) {
        // Time never runs backwards: an event in the past happens now.
        let time = at.max(self.now);
        let key = Key { time, seq: self.next_seq };
        self.next_seq += 1;
        self.set.push(key, Pending { timer, generation, event });
    }

    /// Schedules `event` at absolute time `at` (clamped to now).
    #[inline]
    pub fn schedule(&mut self, at: Time, event: E) {
        self.push(at, NO_TIMER, 0, event);
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: Time, event: E) {
        self.schedule(self.now.saturating_add(delay), event);
    }

    /// Schedules a cancellable `event` at `at` and returns its handle.
    pub fn schedule_timer(&mut self, at: Time, event: E) -> TimerId {
        let slot = match self.free_timers.pop() {
            Some(slot) => slot,
            None => {
                self.timer_generation.push(0);
                (self.timer_generation.len() - 1) as u32
            }
        };
        let generation = self.timer_generation[slot as usize];
        self.live_timers += 1;
        self.push(at, slot, generation, event);
        TimerId { slot, generation }
    }

    /// Schedules a cancellable `event` after `delay`.
    pub fn schedule_timer_in(&mut self, delay: Time, event: E) -> TimerId {
        self.schedule_timer(self.now.saturating_add(delay), event)
    }

    /// Cancels a timer. Returns `false` if it already fired or was cancelled.
    pub fn cancel(&mut self, id: TimerId) -> bool {
        let generation = &mut self.timer_generation[id.slot as usize];
        if *generation != id.generation {
            return false;
        }
        *generation = generation.wrapping_add(1);
        self.free_timers.push(id.slot);
        self.live_timers -= 1;
        true
    }

    /// Removes the next live event and advances the clock to its time.
    /// Cancelled timers are discarded on the way.
    #[inline]
    pub fn pop(&mut self) -> Option<E> {
        loop {
            let (key, pending) = self.set.pop()?;
            if pending.timer != NO_TIMER {
                let generation = &mut self.timer_generation[pending.timer as usize];
                if *generation != pending.generation {
                    continue; // cancelled
                }
                *generation = generation.wrapping_add(1);
                self.free_timers.push(pending.timer);
                self.live_timers -= 1;
            }
            self.now = key.time;
            return Some(pending.event);
        }
    }

    /// Like [`pop`](Self::pop), but leaves the clock at `limit` and returns
    /// `None` when the next live event lies beyond `limit`. That event is
    /// consumed: use this only to end a run.
    #[inline]
    pub fn pop_until(&mut self, limit: Time) -> Option<E> {
        loop {
            let (key, pending) = self.set.pop()?;
            if pending.timer != NO_TIMER && self.timer_generation[pending.timer as usize] != pending.generation {
                continue;
            }
            if key.time > limit {
                self.now = limit;
                return None;
            }
            if pending.timer != NO_TIMER {
                let generation = &mut self.timer_generation[pending.timer as usize];
                *generation = generation.wrapping_add(1);
                self.free_timers.push(pending.timer);
                self.live_timers -= 1;
            }
            self.now = key.time;
            return Some(pending.event);
        }
    }
}

/// A simulation driven by a [`Scheduler`].
pub trait Model {
    type Event;
    /// Handles one event. Returning `Break` ends the run early, for example
    /// when a model detects that it is running away.
    fn handle(&mut self, event: Self::Event, sched: &mut Scheduler<Self::Event>) -> ControlFlow<()>;
}

/// When a run ends.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct StopRule {
    /// Simulated time at which the run ends; events after it are not handled.
    pub until: Time,
    /// The most events to handle, if bounded.
    pub max_events: Option<u64>,
}

impl StopRule {
    /// Stop at simulated time `until`.
    pub fn until(until: Time) -> Self {
        Self { until, max_events: None }
    }

    /// Also stop after `max_events` events.
    pub fn with_event_budget(mut self, max_events: u64) -> Self {
        self.max_events = Some(max_events);
        self
    }
}

/// Why a run ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StopReason {
    /// The simulated duration elapsed.
    Duration,
    /// The event budget was spent.
    EventBudget,
    /// No events were left.
    Exhausted,
    /// The model asked to stop.
    Model,
    /// A checkpoint asked to stop (the runner's wall-time budget).
    Halted,
}

/// How a run went.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub reason: StopReason,
    /// Events handled.
    pub events: u64,
    /// The simulated time at the end.
    pub end: Time,
}

/// Runs `model` until the stop rule fires or events run out.
pub fn run<M: Model>(model: &mut M, sched: &mut Scheduler<M::Event>, stop: StopRule) -> RunOutcome {
    run_reporting(model, sched, stop, u64::MAX, |_, _| ControlFlow::Continue(()))
}

/// Like [`run`], and calls `checkpoint(now, events)` after every `every`
/// events, for a progress display or a wall-time budget. The next
/// checkpoint and the event budget share one comparison per event, so
/// checkpoints cost nothing between them. A checkpoint cannot change the
/// run, only stop it ([`StopReason::Halted`]).
pub fn run_reporting<M: Model>(
    model: &mut M,
    sched: &mut Scheduler<M::Event>,
    stop: StopRule,
    every: u64,
    mut checkpoint: impl FnMut(Time, u64) -> ControlFlow<()>,
) -> RunOutcome {
    let budget = stop.max_events.unwrap_or(u64::MAX);
    let every = every.max(1);
    let mut events = 0u64;
    // One loop, one comparison per event: `pause` is the next checkpoint
    // or the budget, whichever comes first.
    let mut pause = budget.min(every);
    let reason = loop {
        if events >= pause {
            if events >= budget {
                break StopReason::EventBudget;
            }
            if checkpoint(sched.now(), events).is_break() {
                break StopReason::Halted;
            }
            pause = budget.min(events.saturating_add(every));
        }
        let Some(event) = sched.pop_until(stop.until) else {
            break if sched.now() == stop.until { StopReason::Duration } else { StopReason::Exhausted };
        };
        events += 1;
        if model.handle(event, sched).is_break() {
            break StopReason::Model;
        }
    };
    RunOutcome { reason, events, end: sched.now() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_events_are_fifo_and_clock_advances() {
        let mut s: Scheduler<u32> = Scheduler::new();
        s.schedule(5, 1);
        s.schedule(3, 0);
        s.schedule(5, 2);
        s.schedule(5, 3);
        assert_eq!(s.pop(), Some(0));
        assert_eq!(s.now(), 3);
        assert_eq!((s.pop(), s.pop(), s.pop()), (Some(1), Some(2), Some(3)));
        assert_eq!(s.now(), 5);
        assert_eq!(s.pop(), None);
    }

    #[test]
    fn past_events_happen_now() {
        let mut s: Scheduler<u32> = Scheduler::new();
        s.schedule(10, 0);
        s.pop();
        s.schedule(4, 1);
        assert_eq!(s.pop(), Some(1));
        assert_eq!(s.now(), 10);
    }

    #[test]
    fn cancelled_timers_never_fire() {
        let mut s: Scheduler<u32> = Scheduler::new();
        let a = s.schedule_timer(10, 1);
        let b = s.schedule_timer(20, 2);
        s.schedule(15, 3);
        assert!(s.cancel(a));
        assert!(!s.cancel(a), "second cancel is a no-op");
        assert_eq!(s.live_timers(), 1);
        assert_eq!(s.pop(), Some(3));
        assert_eq!(s.pop(), Some(2));
        assert!(!s.cancel(b), "a fired timer cannot be cancelled");
        assert_eq!(s.pop(), None);
        assert_eq!(s.live_timers(), 0);
    }

    #[test]
    fn reused_timer_slot_does_not_revive_old_event() {
        let mut s: Scheduler<u32> = Scheduler::new();
        let a = s.schedule_timer(10, 1);
        s.cancel(a);
        let b = s.schedule_timer(30, 2); // reuses a's slot
        assert_ne!(a, b);
        assert_eq!(s.pop(), Some(2));
        assert_eq!(s.now(), 30);
    }

    struct Counter {
        seen: Vec<Time>,
        stop_at: Option<usize>,
    }

    impl Model for Counter {
        type Event = ();
        fn handle(&mut self, _: (), s: &mut Scheduler<()>) -> ControlFlow<()> {
            self.seen.push(s.now());
            s.schedule_in(10, ());
            if Some(self.seen.len()) == self.stop_at {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }

    #[test]
    fn run_stops_at_duration_budget_or_model_request() {
        let mut m = Counter { seen: vec![], stop_at: None };
        let mut s = Scheduler::new();
        s.schedule(0, ());
        let out = run(&mut m, &mut s, StopRule::until(95));
        assert_eq!(out.reason, StopReason::Duration);
        assert_eq!(out.events, 10);
        assert_eq!(out.end, 95);

        let mut m = Counter { seen: vec![], stop_at: None };
        let mut s = Scheduler::new();
        s.schedule(0, ());
        let out = run(&mut m, &mut s, StopRule::until(1_000).with_event_budget(7));
        assert_eq!(out.reason, StopReason::EventBudget);
        assert_eq!(m.seen.len(), 7);

        let mut m = Counter { seen: vec![], stop_at: Some(3) };
        let mut s = Scheduler::new();
        s.schedule(0, ());
        let out = run(&mut m, &mut s, StopRule::until(1_000));
        assert_eq!(out.reason, StopReason::Model);
        assert_eq!(out.events, 3);
    }

    #[test]
    fn checkpoints_come_every_n_events_and_change_nothing() {
        let mut plain = Counter { seen: vec![], stop_at: None };
        let mut s = Scheduler::new();
        s.schedule(0, ());
        let expected = run(&mut plain, &mut s, StopRule::until(95).with_event_budget(8));

        let mut m = Counter { seen: vec![], stop_at: None };
        let mut s = Scheduler::new();
        s.schedule(0, ());
        let mut calls = Vec::new();
        let out = run_reporting(&mut m, &mut s, StopRule::until(95).with_event_budget(8), 3, |now, n| {
            calls.push((now, n));
            ControlFlow::Continue(())
        });
        assert_eq!(out, expected);
        assert_eq!(m.seen, plain.seen);
        assert_eq!(calls, vec![(20, 3), (50, 6)], "no checkpoint at the budget itself");
    }

    #[test]
    fn a_checkpoint_can_stop_the_run() {
        let mut m = Counter { seen: vec![], stop_at: None };
        let mut s = Scheduler::new();
        s.schedule(0, ());
        let out = run_reporting(&mut m, &mut s, StopRule::until(1000), 4, |_, n| {
            if n >= 8 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        assert_eq!((out.reason, out.events), (StopReason::Halted, 8));
    }

    #[test]
    fn run_reports_exhaustion() {
        struct Once;
        impl Model for Once {
            type Event = ();
            fn handle(&mut self, _: (), _: &mut Scheduler<()>) -> ControlFlow<()> {
                ControlFlow::Continue(())
            }
        }
        let mut s = Scheduler::new();
        s.schedule(5, ());
        let out = run(&mut Once, &mut s, StopRule::until(100));
        assert_eq!(out.reason, StopReason::Exhausted);
        assert_eq!(out.events, 1);
    }
}
