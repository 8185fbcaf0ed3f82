//! The deterministic discrete-event core of tailsim.
//!
//! This crate knows nothing about services, clients or file formats. It
//! provides the pieces every simulation needs and nothing else:
//!
//! - [`time`]: simulated time as a `u64` count of nanoseconds;
//! - [`event_set`]: priority queues ordered by (time, insertion sequence), so
//!   events at equal times pop in FIFO order;
//! - [`scheduler`]: the clock, the event set and cheaply cancellable timers,
//!   plus [`run`](scheduler::run), a loop that stops at a simulated duration or
//!   an event budget;
//! - [`rng`]: named, pinned random streams derived from a master seed and a
//!   component's stable name;
//! - [`stats`]: latency histograms, time-weighted averages and windows.
//!
//! A model is any type implementing [`scheduler::Model`]:
//!
//! ```
//! use std::ops::ControlFlow;
//! use tailsim_engine::scheduler::{run, Model, Scheduler, StopRule};
//! use tailsim_engine::time::SECOND;
//!
//! struct Ticker { ticks: u64 }
//! impl Model for Ticker {
//!     type Event = ();
//!     fn handle(&mut self, _: (), sched: &mut Scheduler<()>) -> ControlFlow<()> {
//!         self.ticks += 1;
//!         sched.schedule_in(SECOND, ());
//!         ControlFlow::Continue(())
//!     }
//! }
//!
//! let mut model = Ticker { ticks: 0 };
//! let mut sched = Scheduler::new();
//! sched.schedule(0, ());
//! let outcome = run(&mut model, &mut sched, StopRule::until(10 * SECOND));
//! assert_eq!(model.ticks, 11); // t = 0, 1, ..., 10 s
//! assert_eq!(outcome.events, 11);
//! ```

pub mod event_set;
pub mod rng;
pub mod scheduler;
pub mod stats;
pub mod time;

pub use scheduler::{Model, RunOutcome, Scheduler, StopReason, StopRule, TimerId};
pub use time::Time;
