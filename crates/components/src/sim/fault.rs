//! Faults: crashes (refusing or blackholing callers), slowdowns, injected
//! latency and errors, network partitions and packet loss; scheduled at a
//! time or drawn from MTBF and MTTR; on one replica, a component, or a
//! whole zone at once. Every active period is recorded for the plots.

use tailsim_engine::rng::SimRng;
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::{Time, from_nanos_f64};

use super::call::CallEvent;
use super::kind::ServiceKind;
use super::{Event, World};
use crate::dist::{Dist, unit};
use crate::ids::{AttemptId, FaultId, Id, LinkId, StationId};
use crate::result::{ErrorKind, FaultWindow};
use crate::spec::{CrashModeSpec, FaultKindSpec, FaultTimingSpec};

/// Events of faults.
#[derive(Copy, Clone, Debug)]
pub enum FaultEvent {
    Start { fault: FaultId },
    End { fault: FaultId },
}

/// When a fault is active.
pub enum Timing {
    Scheduled {
        at: Time,
        duration: Time,
    },
    /// Up for a draw of `mtbf`, down for a draw of `mttr`, repeatedly.
    Random {
        mtbf: f64,
        mttr: f64,
        weibull_shape: Option<f64>,
    },
}

pub struct Fault {
    pub kind: FaultKindSpec,
    pub label: String,
    pub stations: Vec<StationId>,
    pub links: Vec<LinkId>,
    pub timing: Timing,
    pub factor: f64,
    pub delay: Option<Dist>,
    pub probability: f64,
    pub blackhole: bool,
    pub active: bool,
    pub since: Time,
    pub rng: SimRng,
}

impl Fault {
    /// A random draw with mean `mean` from the fault's distribution.
    fn draw(&mut self, mean: f64) -> Time {
        let u = 1.0 - unit(&mut self.rng);
        let x = match self.timing {
            Timing::Random { weibull_shape: Some(k), .. } => {
                // Weibull with shape k and this mean: scale = mean / Γ(1 + 1/k).
                let scale = mean / gamma(1.0 + 1.0 / k);
                scale * (-u.ln()).powf(1.0 / k)
            }
            _ => -u.ln() * mean,
        };
        from_nanos_f64(x).max(1)
    }

    /// When the fault first starts.
    pub fn first_start(&mut self) -> Time {
        match self.timing {
            Timing::Scheduled { at, .. } => at,
            Timing::Random { mtbf, .. } => self.draw(mtbf),
        }
    }
}

/// Γ(x) for x in [1, 3] (Lanczos through the reflection-free branch).
fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

pub fn timing_of(spec: &crate::spec::FaultSpec) -> Timing {
    match (spec.at, spec.duration, spec.mtbf, spec.mttr) {
        (Some(at), Some(d), _, _) => Timing::Scheduled { at: at.0, duration: d.0 },
        (_, _, Some(mtbf), Some(mttr)) => Timing::Random {
            mtbf: mtbf.0 as f64,
            mttr: mttr.0 as f64,
            weibull_shape: (spec.distribution == FaultTimingSpec::Weibull).then(|| spec.shape.unwrap_or(1.0)),
        },
        _ => unreachable!("validated: a fault is scheduled or random"),
    }
}

pub fn blackhole(mode: CrashModeSpec) -> bool {
    mode == CrashModeSpec::Blackhole
}

impl World {
    pub(super) fn on_fault_event(&mut self, e: FaultEvent, sched: &mut Scheduler<Event>) {
        match e {
            FaultEvent::Start { fault } => self.on_fault_start(fault, sched),
            FaultEvent::End { fault } => self.on_fault_end(fault, sched),
        }
    }

    fn on_fault_start(&mut self, f: FaultId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let fault = &mut self.control.faults[f];
        if fault.active {
            return;
        }
        fault.active = true;
        fault.since = now;
        let down_for = match fault.timing {
            Timing::Scheduled { duration, .. } => duration,
            Timing::Random { mttr, .. } => fault.draw(mttr),
        };
        sched.schedule_in(down_for, Event::Fault(FaultEvent::End { fault: f }));
        let (kind, factor, probability, blackhole) = (fault.kind, fault.factor, fault.probability, fault.blackhole);
        let stations = fault.stations.clone();
        let links = fault.links.clone();
        for &st in &stations {
            let s = &mut self.stations[st];
            match kind {
                FaultKindSpec::Crash => {
                    s.crashes += 1;
                    s.blackhole = blackhole;
                    if s.crashes == 1 {
                        self.crash(st, sched);
                    }
                }
                FaultKindSpec::Slowdown => s.slow *= factor,
                FaultKindSpec::Latency => s.delay_faults.push(f),
                FaultKindSpec::Error => s.failure += probability,
                FaultKindSpec::Partition | FaultKindSpec::Loss => {}
            }
        }
        for &l in &links {
            let delay = self.control.faults[f].delay.clone();
            let link = &mut self.links[l];
            match kind {
                FaultKindSpec::Partition => link.cut += 1,
                FaultKindSpec::Loss => link.extra_loss += probability,
                FaultKindSpec::Latency => link.extra_delays.extend(delay.map(|d| (f, d))),
                _ => {}
            }
        }
    }

    fn on_fault_end(&mut self, f: FaultId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let fault = &mut self.control.faults[f];
        if !fault.active {
            return;
        }
        fault.active = false;
        self.meter.fault_windows.push(FaultWindow {
            start: fault.since,
            end: now,
            label: fault.label.clone(),
            rto: None,
        });
        if let Timing::Random { mtbf, .. } = fault.timing {
            let up = fault.draw(mtbf);
            sched.schedule_in(up, Event::Fault(FaultEvent::Start { fault: f }));
        }
        let (kind, factor, probability) = (fault.kind, fault.factor, fault.probability);
        let stations = fault.stations.clone();
        let links = fault.links.clone();
        for &st in &stations {
            let s = &mut self.stations[st];
            match kind {
                FaultKindSpec::Crash => {
                    s.crashes -= 1;
                    if s.crashes == 0 {
                        self.recovered(st);
                    }
                }
                FaultKindSpec::Slowdown => s.slow /= factor,
                FaultKindSpec::Latency => s.delay_faults.retain(|&d| d != f),
                FaultKindSpec::Error => s.failure = (s.failure - probability).max(0.0),
                FaultKindSpec::Partition | FaultKindSpec::Loss => {}
            }
        }
        for &l in &links {
            let link = &mut self.links[l];
            match kind {
                FaultKindSpec::Partition => link.cut -= 1,
                FaultKindSpec::Loss => link.extra_loss = (link.extra_loss - probability).max(0.0),
                FaultKindSpec::Latency => link.extra_delays.retain(|&(d, _)| d != f),
                _ => {}
            }
        }
    }

    /// A station goes down: everything present is lost; callers hear of it
    /// at once (refuse) or never (blackhole).
    fn crash(&mut self, station: StationId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let st = &mut self.stations[station];
        st.epoch = st.epoch.wrapping_add(1);
        let queued = st.queue.drain().len() as u64;
        for _ in 0..queued {
            st.stats.queued.decrement(now);
            self.meter.queued_total.decrement(now);
        }
        let st = &mut self.stations[station];
        st.busy = 0;
        st.stats.busy.set(now, 0);
        let lost = std::mem::take(&mut st.present);
        if self.meter.measuring {
            st.stats.crashed += lost.len() as u64;
        }
        let refuse = !st.blackhole;
        let mut orphaned = Vec::new();
        for job in lost {
            let j = &mut self.requests[job];
            j.slot = None;
            let (attempt, generation) = (j.attempt, j.attempt_generation);
            self.stations[station].stats.present.decrement(now);
            self.account_presence(job, now);
            // A job leading a fetch leaves its waiters without an answer:
            // they hear of the crash once every lost job is gone.
            if let Some(scope) = self.requests[job].leads.take() {
                orphaned.push((scope, self.requests[job].req.key));
            }
            self.requests.free_job(job);
            if refuse {
                self.reply_crashed(attempt, generation, sched);
            }
        }
        for (scope, key) in orphaned {
            self.answer_waiters(scope, key, Err(ErrorKind::Crashed), sched);
        }
        let svc = &self.services[self.stations[station].service];
        let local = svc.local(station);
        match svc.kind {
            ServiceKind::Plain | ServiceKind::Queue(_) => {}
            ServiceKind::Cache(c) => self.cache_crashed(c, local),
            ServiceKind::Datastore(d) => self.datastore_crashed(d, local, sched),
        }
    }

    /// Tells an attempt its station crashed, over the link (it may be lost).
    fn reply_crashed(&mut self, attempt: AttemptId, generation: u32, sched: &mut Scheduler<Event>) {
        let a = &self.requests[attempt];
        if a.generation != generation {
            return;
        }
        let link = self.sites[self.requests[a.call].site].link;
        match self.links[link].transit_back() {
            None => self.requests[attempt].lost = true,
            Some(0) => self.attempt_done(attempt, generation, Err(ErrorKind::Crashed), sched),
            Some(d) => {
                let outcome = Err(ErrorKind::Crashed);
                sched.schedule_in(d, Event::Call(CallEvent::Reply { attempt, generation, outcome }))
            }
        }
    }

    /// A crashed station is back, empty.
    fn recovered(&mut self, station: StationId) {
        let svc = &self.services[self.stations[station].service];
        if let ServiceKind::Datastore(d) = svc.kind {
            let local = svc.local(station);
            self.datastores[d].node_recovered(local);
        }
    }

    /// The extra reply delay injected at a station: one draw from each
    /// latency fault that is on.
    pub(super) fn injected_delay(&mut self, station: StationId) -> Time {
        let mut delay = 0;
        for &f in &self.stations[station].delay_faults {
            let fault = &mut self.control.faults[f];
            delay += fault.delay.as_ref().map_or(0, |d| d.sample(&mut fault.rng));
        }
        delay
    }

    /// Schedules each fault's first start.
    pub(super) fn first_faults(&mut self, sched: &mut Scheduler<Event>) {
        for (i, fault) in self.control.faults.iter_mut().enumerate() {
            let at = fault.first_start();
            sched.schedule(at, Event::Fault(FaultEvent::Start { fault: FaultId::new(i) }));
        }
    }

    /// Closes the windows of faults still active at the end of the run.
    pub(super) fn close_fault_windows(&mut self, end: Time) {
        for f in &mut self.control.faults {
            if f.active {
                self.meter.fault_windows.push(FaultWindow { start: f.since, end, label: f.label.clone(), rto: None });
            }
        }
        self.meter.fault_windows.sort_by_key(|w| (w.start, w.end));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gamma_values() {
        for (x, g) in [(1.0, 1.0), (1.5, 0.886_226_925_452_758), (2.0, 1.0), (3.0, 2.0), (1.25, 0.906_402_477_055_477)]
        {
            assert!((super::gamma(x) - g).abs() < 1e-9, "Γ({x}) = {}", super::gamma(x));
        }
    }
}
