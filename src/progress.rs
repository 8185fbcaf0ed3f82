//! The progress bar on stderr: replications done, simulated events per
//! second, and an ETA. indicatif draws nothing when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tailsim_runner::execute::Progress;

pub struct Bar {
    bar: ProgressBar,
    events: std::sync::atomic::AtomicU64,
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

impl Progress for Bar {
    fn replication_done(&self, events: u64) {
        self.events
            .fetch_add(events, std::sync::atomic::Ordering::Relaxed);
        self.bar
            .set_message(format!("{:.2}M events/s", self.events_per_second() / 1e6));
        self.bar.inc(1);
    }
}
