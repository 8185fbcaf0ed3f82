//! The progress bar on stderr: replications done, simulated events per
//! second, and an ETA. indicatif draws nothing when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tailsim_runner::execute::Progress;

pub struct Bar {
    bar: ProgressBar,
    events: std::sync::atomic::AtomicU64,
    points_done: std::sync::atomic::AtomicU64,
    points_total: std::sync::atomic::AtomicU64,
    started: std::time::Instant,
}

impl Bar {
    pub fn new(total: u64, unit: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let template = format!("{{bar:30}} {{pos}}/{{len}} {unit} · {{msg}} · ETA {{eta}}");
        bar.set_style(ProgressStyle::with_template(&template).expect("valid template"));
        Self {
            bar,
            events: Default::default(),
            points_done: Default::default(),
            points_total: Default::default(),
            started: std::time::Instant::now(),
        }
    }

    /// Simulated events per second of wall time so far.
    pub fn events_per_second(&self) -> f64 {
        let events = self.events.load(std::sync::atomic::Ordering::Relaxed) as f64;
        events / self.started.elapsed().as_secs_f64().max(1e-9)
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Bar {
    /// Shows points done alongside replications.
    pub fn set_points(&self, total: u64) {
        self.points_total.store(total, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Progress for Bar {
    fn add_work(&self, replications: u64) {
        self.bar.inc_length(replications);
    }

    fn point_done(&self) {
        self.points_done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn replication_done(&self, events: u64) {
        self.events.fetch_add(events, std::sync::atomic::Ordering::Relaxed);
        self.bar.set_message(format!("{:.2}M events/s", self.events_per_second() / 1e6));
        self.bar.inc(1);
    }
}
