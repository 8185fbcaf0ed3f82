//! Measurement: when it starts (the warm-up), the time-series windows, the
//! fault windows for the plots, and the window SLO.
//!
//! Every part counts only while [`Meter::measuring`] is true; at the end of
//! the warm-up each part forgets what it counted (`on_warmup_end`).

use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::stats::{LatencyHistogram, TimeWeighted, WindowClock};
use tailsim_engine::time::Time;

use super::{Event, World};
use crate::result::{FaultWindow, WindowRow};
use crate::spec::WindowSloSpec;

/// Meter events: measurement starts, a window closes.
#[derive(Copy, Clone, Debug)]
pub enum MeterEvent {
    WarmupEnd,
    WindowEnd,
}

pub struct Meter {
    measure_from: Time,
    /// Whether the warm-up is over.
    pub measuring: bool,
    window: WindowClock,
    window_latency: LatencyHistogram,
    window_ok: u64,
    window_errors: u64,
    window_hits: u64,
    window_misses: u64,
    /// Requests queued for a worker, over all stations.
    pub queued_total: TimeWeighted,
    pub series: Vec<WindowRow>,
    pub fault_windows: Vec<FaultWindow>,
    /// The window SLO, if any: its p99 bound, and the error-rate bound
    /// (1% unless it says).
    pub window_slo: bool,
    pub slo_p99: Option<Time>,
    pub slo_error_rate: f64,
}

impl Meter {
    pub fn new(warmup: Time, window: Time, slo: Option<&WindowSloSpec>) -> Self {
        Self {
            measure_from: warmup,
            measuring: warmup == 0,
            window: WindowClock::new(warmup, window),
            window_latency: LatencyHistogram::with_precision(2),
            window_ok: 0,
            window_errors: 0,
            window_hits: 0,
            window_misses: 0,
            queued_total: TimeWeighted::new(0, 0),
            series: Vec::new(),
            fault_windows: Vec::new(),
            window_slo: slo.is_some(),
            slo_p99: slo.and_then(|w| w.p99.map(|d| d.0)),
            slo_error_rate: slo.and_then(|w| w.error_rate).unwrap_or(0.01),
        }
    }

    /// Moves the end of the warm-up (before the run starts).
    pub fn set_warmup(&mut self, warmup: Time) {
        self.measure_from = warmup;
        self.measuring = warmup == 0;
        self.window = WindowClock::new(warmup, self.window.width());
    }

    pub fn measure_from(&self) -> Time {
        self.measure_from
    }

    /// Whether something that started at `t` is measured.
    #[inline]
    pub fn counts(&self, t: Time) -> bool {
        t >= self.measure_from
    }

    pub fn next_window_end(&self) -> Time {
        self.window.next_end()
    }

    pub fn window_width(&self) -> Time {
        self.window.width()
    }

    /// A client request succeeded with `latency`, in this window.
    #[inline]
    pub fn window_ok(&mut self, latency: Time) {
        self.window_ok += 1;
        self.window_latency.record(latency);
    }

    #[inline]
    pub fn window_error(&mut self) {
        self.window_errors += 1;
    }

    /// A cache lookup hit (fresh or stale) or missed, in this window.
    #[inline]
    pub fn window_lookup(&mut self, hit: bool) {
        if hit {
            self.window_hits += 1;
        } else {
            self.window_misses += 1;
        }
    }

    /// Closes the current window with the fleet and backlog columns given.
    fn close_window(&mut self, now: Time, fleet: Vec<f64>, backlog: Vec<(f64, f64)>) {
        let lookups = self.window_hits + self.window_misses;
        self.series.push(WindowRow {
            start: self.window.current_start(),
            ok: self.window_ok,
            errors: self.window_errors,
            mean: self.window_latency.mean(),
            p50: self.window_latency.quantile(0.5),
            p99: self.window_latency.quantile(0.99),
            queue_mean: self.queued_total.take_window_mean(now),
            cache_hit_ratio: (lookups > 0).then(|| self.window_hits as f64 / lookups as f64),
            fleet,
            backlog,
        });
        self.window_ok = 0;
        self.window_errors = 0;
        self.window_hits = 0;
        self.window_misses = 0;
        self.window_latency.reset();
        self.window.advance();
    }
}

impl World {
    pub(super) fn on_meter_event(&mut self, e: MeterEvent, sched: &mut Scheduler<Event>) {
        match e {
            MeterEvent::WarmupEnd => self.on_warmup_end(sched.now()),
            MeterEvent::WindowEnd => {
                let now = sched.now();
                let fleet = self.window_fleets(now);
                let backlog = self.queues.window(now);
                self.meter.close_window(now, fleet, backlog);
                sched.schedule(self.meter.next_window_end(), Event::Meter(MeterEvent::WindowEnd));
            }
        }
    }

    /// Measurement starts: every part forgets what it counted; levels
    /// (queue lengths, fleets) carry on.
    fn on_warmup_end(&mut self, now: Time) {
        self.meter.measuring = true;
        for st in &mut self.stations {
            st.stats.reset(now);
        }
        self.pools.reset(now);
        for c in &mut self.caches {
            c.reset();
        }
        for d in &mut self.datastores {
            d.reset();
        }
        for s in &mut self.sites {
            s.stats = Default::default();
        }
        self.meter.queued_total.reset(now);
        for a in &mut self.control.autoscalers {
            a.rebase(now);
        }
        self.queues.reset(now);
        self.rebase_routers(now);
    }
}
