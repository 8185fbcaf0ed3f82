//! Autoscaling: every `interval` each policy proposes a fleet size from what
//! it watches; the largest proposal, kept within `min..=max`, becomes the
//! desired size. New instances serve after `provisioning`, slowly while
//! cold; removed instances stop taking requests and finish what they hold.
//!
//! The serving fleet is always the first `serving` stations of the service
//! (instances are added at the end and removed from the end), so routing
//! only needs the count.

use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::stats::TimeWeighted;
use tailsim_engine::time::Time;

use super::{Event, World};
use crate::ids::{ClientId, Id, ScalerId, ServiceId, StationId};
use crate::result::ScaleEvent;

/// Events of autoscalers.
#[derive(Copy, Clone, Debug)]
pub enum AutoscaleEvent {
    /// An autoscaler evaluates its policies.
    Tick { scaler: ScalerId },
    /// An ordered instance has started (unless the order was cancelled).
    InstanceReady { scaler: ScalerId, station: StationId, epoch: u32 },
}
use crate::spec::{AutoscaleSpec, ColdShapeSpec, ScaleMetricSpec, ScalePolicySpec};

/// One policy's runtime state.
enum Policy {
    Threshold {
        metric: ScaleMetricSpec,
        above: f64,
        below: Option<f64>,
        above_for: Time,
        below_for: Time,
        add: u32,
        remove: u32,
        cooldown: Time,
        /// Start of the current run of evaluations above (below) the bound.
        above_since: Option<Time>,
        below_since: Option<Time>,
    },
    Target {
        metric: ScaleMetricSpec,
        target: f64,
        scale_in_cooldown: Time,
    },
    Queue {
        per_worker: f64,
        scale_in_cooldown: Time,
    },
    Schedule(Vec<(Time, u32)>),
    /// Offered requests per second `lead` ahead, from the clients' known
    /// rate profiles: per client, its share reaching this service.
    Predictive {
        target: f64,
        lead: Time,
        mean_service_s: f64,
        clients: Vec<(ClientId, f64)>,
    },
}

/// What the policies see at an evaluation.
pub struct Observation {
    pub now: Time,
    /// The mean serving fleet over the last interval (the metrics' base).
    pub fleet: f64,
    pub desired: u32,
    pub workers: u32,
    /// Over the last interval: busy workers over serving workers, and
    /// arrivals per second per serving instance.
    pub utilisation: f64,
    pub per_instance_rps: f64,
    /// Requests at the service (mean over the last interval) plus messages
    /// waiting for it in queues now.
    pub backlog: f64,
    /// For predictive policies: each client's highest scheduled rate from
    /// now until the lead time.
    pub rate_of: Vec<f64>,
}

pub struct Autoscaler {
    pub service: ServiceId,
    pub min: u32,
    pub max: u32,
    provisioning: Time,
    cold: Option<(Time, f64, bool)>,
    pub interval: Time,
    policies: Vec<Policy>,
    /// Instances taking requests, and instances ordered but not yet up.
    pub serving: u32,
    pub pending: u32,
    /// Bumped per station when an order is cancelled, so its readiness
    /// event is ignored.
    pub order_epoch: Vec<u32>,
    last_change: Time,
    /// The previous evaluation: when, total busy area, total arrivals,
    /// serving-instance area (never reset, for control).
    last_busy: u128,
    last_arrivals: u64,
    last_fleet_area: u128,
    last_present: (Time, u128),
    control_fleet: TimeWeighted,
    /// For results: the serving fleet since warm-up, and every change.
    pub fleet: TimeWeighted,
    pub fleet_min: u64,
    pub window_fleet: TimeWeighted,
    pub events: Vec<ScaleEvent>,
}

impl Autoscaler {
    pub fn new(
        service: ServiceId,
        initial: u32,
        spec: &AutoscaleSpec,
        predictive: Vec<(ClientId, f64)>,
        mean_s: f64,
    ) -> Self {
        let policies = spec
            .policy
            .iter()
            .map(|p| match *p {
                ScalePolicySpec::Threshold { metric, above, below, above_for, below_for, add, remove, cooldown } => {
                    Policy::Threshold {
                        metric,
                        above,
                        below,
                        above_for: above_for.0,
                        below_for: below_for.0,
                        add,
                        remove,
                        cooldown: cooldown.0,
                        above_since: None,
                        below_since: None,
                    }
                }
                ScalePolicySpec::Target { metric, target, scale_in_cooldown } => {
                    Policy::Target { metric, target, scale_in_cooldown: scale_in_cooldown.0 }
                }
                ScalePolicySpec::Queue { per_worker, scale_in_cooldown } => {
                    Policy::Queue { per_worker, scale_in_cooldown: scale_in_cooldown.0 }
                }
                ScalePolicySpec::Schedule { ref steps } => {
                    Policy::Schedule(steps.iter().map(|s| (s.at.0, s.size)).collect())
                }
                ScalePolicySpec::Predictive { target, lead } => {
                    Policy::Predictive { target, lead: lead.0, mean_service_s: mean_s, clients: predictive.clone() }
                }
            })
            .collect();
        Self {
            service,
            min: spec.min,
            max: spec.max.max(initial),
            provisioning: spec.provisioning.0,
            cold: spec.cold.as_ref().map(|c| (c.duration.0, c.slowdown, c.shape == ColdShapeSpec::Linear)),
            interval: spec.interval.0,
            policies,
            serving: initial,
            pending: 0,
            order_epoch: vec![0; spec.max.max(initial) as usize],
            last_change: 0,
            last_busy: 0,
            last_arrivals: 0,
            last_fleet_area: 0,
            last_present: (0, 0),
            control_fleet: TimeWeighted::new(0, initial as u64),
            fleet: TimeWeighted::new(0, initial as u64),
            fleet_min: initial as u64,
            window_fleet: TimeWeighted::new(0, initial as u64),
            events: Vec::new(),
        }
    }

    /// The lead time of predictive policies (they read rates this far ahead).
    pub fn lead(&self) -> Option<Time> {
        self.policies.iter().find_map(|p| if let Policy::Predictive { lead, .. } = p { Some(*lead) } else { None })
    }

    /// Turns the busy area and arrivals since the last evaluation into the
    /// reactive metrics, and remembers this evaluation.
    pub fn sample(&mut self, now: Time, busy_area: u128, arrivals: u64, workers: u32) -> (f64, f64, f64) {
        let fleet_area = self.control_fleet.area(now) - self.last_fleet_area;
        let busy = busy_area.saturating_sub(self.last_busy);
        let arrived = arrivals.saturating_sub(self.last_arrivals);
        let utilisation = if fleet_area > 0 { busy as f64 / (fleet_area as f64 * workers as f64) } else { 0.0 };
        let instance_secs = fleet_area as f64 / 1e9;
        let rps = if instance_secs > 0.0 { arrived as f64 / instance_secs } else { 0.0 };
        let fleet = fleet_area as f64 / self.interval.max(1) as f64;
        self.last_busy = busy_area;
        self.last_arrivals = arrivals;
        self.last_fleet_area = self.control_fleet.area(now);
        (utilisation, rps, fleet)
    }

    /// The mean number of requests present at the service since the last
    /// evaluation, from the total present area.
    pub fn mean_present(&mut self, area: u128, now: Time) -> f64 {
        let (at, before) = std::mem::replace(&mut self.last_present, (now, area));
        let elapsed = now.saturating_sub(at);
        if elapsed == 0 { 0.0 } else { area.saturating_sub(before) as f64 / elapsed as f64 }
    }

    /// Counters were reset at the end of warm-up: start afresh.
    pub fn rebase(&mut self, now: Time) {
        self.last_busy = 0;
        self.last_present = (now, 0);
        self.last_fleet_area = self.control_fleet.area(now);
        self.fleet.reset(now);
        self.fleet_min = self.serving as u64;
        self.window_fleet.reset(now);
    }

    /// The size every policy together asks for, within `min..=max`.
    pub fn desired(&mut self, o: &Observation) -> (u32, &'static str) {
        let mut best: (u32, &'static str) = (0, "minimum");
        let interval = self.interval;
        let since_change = o.now.saturating_sub(self.last_change);
        for p in &mut self.policies {
            let proposal = match p {
                Policy::Threshold {
                    metric,
                    above,
                    below,
                    above_for,
                    below_for,
                    add,
                    remove,
                    cooldown,
                    above_since,
                    below_since,
                } => {
                    let m = value(*metric, o);
                    // The metric covers the last interval: a crossing seen
                    // now began at its start.
                    let start = o.now.saturating_sub(interval);
                    if m > *above {
                        *below_since = None;
                        let since = *above_since.get_or_insert(start);
                        if o.now - since >= *above_for && since_change >= *cooldown {
                            (o.desired + *add, "threshold: above")
                        } else {
                            (o.desired, "threshold")
                        }
                    } else if below.is_some_and(|b| m < b) {
                        *above_since = None;
                        let since = *below_since.get_or_insert(start);
                        if o.now - since >= *below_for && since_change >= *cooldown {
                            (o.desired.saturating_sub(*remove), "threshold: below")
                        } else {
                            (o.desired, "threshold")
                        }
                    } else {
                        *above_since = None;
                        *below_since = None;
                        (o.desired, "threshold")
                    }
                }
                Policy::Target { metric, target, scale_in_cooldown } => {
                    let want = (o.fleet * value(*metric, o) / *target).ceil() as u32;
                    hold_in(want, o.desired, since_change, *scale_in_cooldown, "target tracking")
                }
                Policy::Queue { per_worker, scale_in_cooldown } => {
                    let want = (o.backlog / (o.workers as f64 * *per_worker)).ceil() as u32;
                    hold_in(want, o.desired, since_change, *scale_in_cooldown, "queue depth")
                }
                Policy::Schedule(steps) => {
                    let size = steps.iter().rev().find(|(at, _)| *at <= o.now).map_or(0, |s| s.1);
                    (size, "schedule")
                }
                Policy::Predictive { target, mean_service_s, clients, .. } => {
                    let rps: f64 = clients.iter().map(|&(c, share)| share * o.rate_of[c.index()]).sum();
                    let want = (rps * *mean_service_s / (o.workers as f64 * *target)).ceil() as u32;
                    (want, "predictive")
                }
            };
            if proposal.0 > best.0 {
                best = proposal;
            }
        }
        if best.0 < self.min {
            best = (self.min, "minimum");
        } else if best.0 > self.max {
            best = (self.max, "maximum");
        }
        best
    }

    /// Records a change of desired size.
    pub fn changed(&mut self, now: Time, from: u32, to: u32, reason: &'static str, measuring: bool) {
        self.last_change = now;
        if measuring {
            self.events.push(ScaleEvent { at: now, from, to, reason: reason.to_string() });
        }
    }

    /// The serving count changed.
    pub fn set_serving(&mut self, now: Time, serving: u32) {
        self.serving = serving;
        self.control_fleet.set(now, serving as u64);
        self.fleet.set(now, serving as u64);
        self.fleet_min = self.fleet_min.min(serving as u64);
        self.window_fleet.set(now, serving as u64);
    }

    /// When a new instance ordered now starts serving, and its cold period.
    pub fn provisioning(&self) -> Time {
        self.provisioning
    }

    pub fn cold(&self) -> Option<(Time, f64, bool)> {
        self.cold
    }
}

fn value(metric: ScaleMetricSpec, o: &Observation) -> f64 {
    match metric {
        ScaleMetricSpec::Utilisation => o.utilisation,
        ScaleMetricSpec::RequestsPerInstance => o.per_instance_rps,
    }
}

/// Scale out at once; scale in only after the cooldown.
fn hold_in(want: u32, desired: u32, since_change: Time, cooldown: Time, why: &'static str) -> (u32, &'static str) {
    if want < desired && since_change < cooldown { (desired, why) } else { (want, why) }
}

impl World {
    pub(super) fn on_autoscale_event(&mut self, e: AutoscaleEvent, sched: &mut Scheduler<Event>) {
        match e {
            AutoscaleEvent::Tick { scaler } => self.on_scale_tick(scaler, sched),
            AutoscaleEvent::InstanceReady { scaler, station, epoch } => {
                self.on_instance_ready(scaler, station, epoch, sched)
            }
        }
    }

    /// Evaluates autoscaler `a` and orders or removes instances.
    fn on_scale_tick(&mut self, a: ScalerId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let scaler = &self.control.autoscalers[a];
        let svc = &self.services[scaler.service];
        let stations = self.stations.slice(svc.first_station, svc.replicas);
        let busy: u128 = stations.iter().map(|st| st.stats.busy.area(now)).sum();
        let arrivals = svc.offered;
        let present_area: u128 = stations.iter().map(|st| st.stats.present.area(now)).sum();
        let waiting = self.messages_waiting_for(scaler.service);
        let workers = svc.workers;
        let lead = scaler.lead();
        // The highest rate each client's known profile gives from now until
        // `lead` ahead (instances ordered now serve then; removing them
        // takes effect at once).
        let step = scaler.interval.max(1);
        let rate_of = match lead {
            Some(lead) => self
                .clients
                .iter()
                .map(|c| {
                    let samples = (0..=lead / step).map(|k| now + k * step).chain([now + lead]);
                    samples.map(|t| c.rate_at(t)).fold(0.0, f64::max)
                })
                .collect(),
            None => Vec::new(),
        };
        let scaler = &mut self.control.autoscalers[a];
        let (utilisation, per_instance_rps, fleet) = scaler.sample(now, busy, arrivals, workers);
        let present = scaler.mean_present(present_area, now);
        let current = scaler.serving + scaler.pending;
        let o = Observation {
            now,
            fleet,
            desired: current,
            workers,
            utilisation,
            per_instance_rps,
            backlog: present + waiting as f64,
            rate_of,
        };
        let (want, reason) = scaler.desired(&o);
        let interval = scaler.interval;
        if want != current {
            scaler.changed(now, current, want, reason, self.meter.measuring);
            self.resize(a, want, sched);
        }
        sched.schedule_in(interval, Event::Autoscale(AutoscaleEvent::Tick { scaler: a }));
    }

    /// Orders instances up to `want`, or cancels orders and removes serving
    /// instances down to it.
    fn resize(&mut self, a: ScalerId, want: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let scaler = &mut self.control.autoscalers[a];
        let first = self.services[scaler.service].first_station;
        while scaler.serving + scaler.pending < want {
            let station = scaler.serving + scaler.pending;
            scaler.pending += 1;
            let epoch = scaler.order_epoch[station as usize];
            let ready = AutoscaleEvent::InstanceReady { scaler: a, station: first.offset(station), epoch };
            sched.schedule(now + scaler.provisioning(), Event::Autoscale(ready));
        }
        while scaler.serving + scaler.pending > want && scaler.pending > 0 {
            scaler.pending -= 1;
            let station = (scaler.serving + scaler.pending) as usize;
            scaler.order_epoch[station] = scaler.order_epoch[station].wrapping_add(1);
        }
        if scaler.serving > want {
            scaler.set_serving(now, want);
            self.fleet_changed(a, sched);
        }
    }

    /// An ordered instance is up: it joins the serving fleet, cold.
    fn on_instance_ready(&mut self, a: ScalerId, station: StationId, epoch: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let scaler = &mut self.control.autoscalers[a];
        let local = self.services[scaler.service].local(station);
        if scaler.order_epoch[local as usize] != epoch || local != scaler.serving {
            return; // cancelled
        }
        scaler.pending -= 1;
        let serving = scaler.serving + 1;
        scaler.set_serving(now, serving);
        if let Some((length, slowdown, fades)) = scaler.cold() {
            let st = &mut self.stations[station];
            st.cold_from = now;
            st.cold_until = now + length;
            st.cold_slowdown = slowdown;
            st.cold_fades = fades;
        }
        self.fleet_changed(a, sched);
    }

    /// Tells routing (the service's own round robin, its balancers, queue
    /// consumers) how many instances serve.
    fn fleet_changed(&mut self, a: ScalerId, sched: &mut Scheduler<Event>) {
        let scaler = &self.control.autoscalers[a];
        let (service, serving) = (scaler.service, scaler.serving);
        let svc = &mut self.services[service];
        svc.active = serving;
        if svc.cursor >= serving {
            svc.cursor = 0;
        }
        for b in &mut self.balancers {
            if b.service == service {
                b.set_active(serving);
            }
        }
        self.pump_consumers_of(service, sched);
    }

    /// The time of the first evaluation of each autoscaler.
    pub(super) fn first_scale_ticks(&self, sched: &mut Scheduler<Event>) {
        for (scaler, s) in self.control.autoscalers.enumerate() {
            sched.schedule(s.interval, Event::Autoscale(AutoscaleEvent::Tick { scaler }));
        }
    }

    /// The mean serving fleet per autoscaled service since the last window.
    pub(super) fn window_fleets(&mut self, now: Time) -> Vec<f64> {
        self.control.autoscalers.iter_mut().map(|s| s.window_fleet.take_window_mean(now)).collect()
    }
}
