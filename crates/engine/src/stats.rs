//! Measurement primitives: latency histograms, time-weighted averages and
//! fixed-width windows.
//!
//! None of these know about warm-up by themselves; the model decides when to
//! record, and [`reset`](LatencyHistogram::reset) at the end of warm-up makes
//! "nothing is recorded during warm-up" hold by construction.

mod histogram;
mod time_weighted;
mod window;

pub use histogram::LatencyHistogram;
pub use time_weighted::TimeWeighted;
pub use window::WindowClock;
