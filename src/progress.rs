//! The progress bar on stderr: replications done of those planned, points
//! done, simulated events per second and an ETA. The bar moves while a
//! replication runs (by simulated time), not only when one finishes.
//! indicatif draws nothing when stderr is not a terminal.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tailsim_runner::execute::Progress;

/// Thousandths of a replication: the bar's unit of length.
const PER_REPLICATION: u64 = 1000;

pub struct Bar {
    bar: ProgressBar,
    replications: AtomicU64,
    done: AtomicU64,
    events: AtomicU64,
    points_done: AtomicU64,
    points_total: AtomicU64,
    started: Instant,
}

impl Bar {
    /// A bar with no work yet: the run or sweep adds what it plans.
    pub fn start() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template("{bar:30} {msg}").expect("valid template"));
        Self {
            bar,
            replications: AtomicU64::new(0),
            done: AtomicU64::new(0),
            events: AtomicU64::new(0),
            points_done: AtomicU64::new(0),
            points_total: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// The bar itself, to clear from another thread (on Ctrl-C).
    pub fn handle(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// Shows points done alongside replications (for a sweep of several).
    pub fn set_points(&self, total: u64) {
        self.points_total.store(total, Relaxed);
    }

    /// Simulated events per second of wall time so far.
    fn events_per_second(&self) -> f64 {
        self.events.load(Relaxed) as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn redraw(&self) {
        let (position, length) = (self.bar.position(), self.bar.length().unwrap_or(0));
        if length == 0 {
            return; // nothing planned yet: a bar of no work would draw as full
        }
        self.bar.set_message(status_line(&Status {
            done: self.done.load(Relaxed),
            replications: self.replications.load(Relaxed),
            points: (self.points_done.load(Relaxed), self.points_total.load(Relaxed)),
            events_per_second: self.events_per_second(),
            eta_s: eta(self.started.elapsed().as_secs_f64(), position, length),
        }));
    }
}

impl Progress for Bar {
    fn add_work(&self, replications: u64) {
        self.replications.fetch_add(replications, Relaxed);
        self.bar.inc_length(replications * PER_REPLICATION);
        self.redraw();
    }

    fn advanced(&self, thousandths: u64, events: u64) {
        self.events.fetch_add(events, Relaxed);
        self.bar.inc(thousandths);
        self.redraw();
    }

    fn replication_done(&self) {
        self.done.fetch_add(1, Relaxed);
        self.redraw();
    }

    fn point_done(&self) {
        self.points_done.fetch_add(1, Relaxed);
        self.redraw();
    }
}

/// What the line beside the bar shows.
struct Status {
    done: u64,
    replications: u64,
    /// Points done and planned; the planned count is 0 for `run`.
    points: (u64, u64),
    events_per_second: f64,
    /// Seconds left, once there is a rate to estimate it from.
    eta_s: Option<f64>,
}

fn status_line(s: &Status) -> String {
    let mut line = format!("{}/{} replications", s.done, s.replications);
    if s.points.1 > 1 {
        line.push_str(&format!(" · {}/{} points", s.points.0, s.points.1));
    }
    line.push_str(&format!(" · {:.2}M events/s", s.events_per_second / 1e6));
    match s.eta_s {
        Some(eta) => line.push_str(&format!(" · ETA {}", clock(eta))),
        None => line.push_str(" · ETA estimating"),
    }
    line
}

/// The time left at the rate so far; none before any progress.
fn eta(elapsed_s: f64, position: u64, length: u64) -> Option<f64> {
    (position > 0).then(|| elapsed_s * length.saturating_sub(position) as f64 / position as f64)
}

/// `42s`, `3m 05s` or `2h 07m`.
fn clock(seconds: f64) -> String {
    let s = seconds.round().max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_replications_once_and_estimates_only_after_progress() {
        let s = Status { done: 0, replications: 4, points: (0, 0), events_per_second: 0.0, eta_s: None };
        assert_eq!(status_line(&s), "0/4 replications · 0.00M events/s · ETA estimating");
        let s = Status { done: 2, replications: 4, points: (1, 3), events_per_second: 2.5e6, eta_s: Some(125.0) };
        assert_eq!(status_line(&s), "2/4 replications · 1/3 points · 2.50M events/s · ETA 2m 05s");
    }

    #[test]
    fn eta_scales_elapsed_time_by_the_work_left() {
        assert_eq!(eta(10.0, 0, 4000), None);
        assert_eq!(eta(10.0, 1000, 4000), Some(30.0));
        assert_eq!(eta(10.0, 4000, 4000), Some(0.0));
        assert_eq!((clock(59.4), clock(61.0), clock(7260.0)), ("59s".into(), "1m 01s".into(), "2h 01m".into()));
    }
}
