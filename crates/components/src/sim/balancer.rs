//! Load balancers: choose a replica per request by policy, skip replicas
//! that health checks or outlier detection have ejected, and count what
//! each replica has outstanding.
//!
//! When every replica is ejected the balancer uses them all anyway, as
//! Envoy does in "panic mode": sending somewhere beats failing everything.

use rand::RngExt;
use tailsim_engine::rng::{SimRng, splitmix64};
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::Time;

use super::request::{Owner, Req};
use super::{Event, World};
use crate::ids::{BalancerId, ServiceId, SiteId};
use crate::spec::{BalancerPolicySpec, BalancerSpec};

/// Events of balancers.
#[derive(Copy, Clone, Debug)]
pub enum BalancerEvent {
    /// Time to health-check a replica.
    Probe { balancer: BalancerId, replica: u32 },
    /// An outlier ejection ends.
    Readmit { balancer: BalancerId, replica: u32 },
}

enum Policy {
    RoundRobin {
        cursor: u32,
    },
    /// Smooth weighted round robin (as in nginx).
    Weighted {
        weights: Vec<f64>,
        current: Vec<f64>,
    },
    Random,
    LeastOutstanding {
        cursor: u32,
    },
    PowerOfD {
        d: u32,
        perm: Vec<u32>,
    },
    ConsistentHash {
        ring: Vec<(u64, u32)>,
        load_factor: Option<f64>,
    },
    Sticky,
}

struct Health {
    timeout: Time,
    interval: Time,
    unhealthy: u32,
    healthy: u32,
}

struct Outlier {
    consecutive: u32,
    eject_time: Time,
    max_fraction: f64,
}

/// Counters a balancer reports.
#[derive(Clone, Debug, Default)]
pub struct BalancerStats {
    pub health_ejections: u64,
    pub outlier_ejections: u64,
    pub readmissions: u64,
    /// Requests sent to each replica.
    pub picks: Vec<u64>,
}

pub struct Balancer {
    pub name: String,
    pub service: ServiceId,
    replicas: u32,
    /// Replicas taking requests: the first `active` (autoscaling).
    active: u32,
    policy: Policy,
    outstanding: Vec<u32>,
    total_outstanding: u64,
    health_down: Vec<bool>,
    outlier_ejected: Vec<bool>,
    /// Active replicas currently ejected by either mechanism.
    unavailable: u32,
    consecutive_errors: Vec<u32>,
    probe_failures: Vec<u32>,
    probe_successes: Vec<u32>,
    health: Option<Health>,
    outlier: Option<Outlier>,
    /// The call site health probes use.
    pub probe_site: SiteId,
    rng: SimRng,
    pub stats: BalancerStats,
}

fn hash(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

impl Balancer {
    pub fn new(
        name: String,
        service: ServiceId,
        replicas: u32,
        spec: &BalancerSpec,
        probe_site: SiteId,
        rng: SimRng,
    ) -> Self {
        let n = replicas as usize;
        let policy = match spec.policy {
            BalancerPolicySpec::RoundRobin => Policy::RoundRobin { cursor: 0 },
            BalancerPolicySpec::WeightedRoundRobin => Policy::Weighted {
                weights: spec.weights.clone().unwrap_or_else(|| vec![1.0; n]),
                current: vec![0.0; n],
            },
            BalancerPolicySpec::Random => Policy::Random,
            BalancerPolicySpec::LeastOutstanding => Policy::LeastOutstanding { cursor: 0 },
            BalancerPolicySpec::PowerOfD => Policy::PowerOfD { d: spec.choices, perm: (0..replicas).collect() },
            BalancerPolicySpec::ConsistentHash => {
                let mut ring: Vec<(u64, u32)> = (0..replicas)
                    .flat_map(|r| (0..spec.virtual_nodes).map(move |v| (hash(((r as u64) << 32) | v as u64), r)))
                    .collect();
                ring.sort_unstable();
                Policy::ConsistentHash { ring, load_factor: spec.load_factor }
            }
            BalancerPolicySpec::Sticky => Policy::Sticky,
        };
        Self {
            name,
            service,
            replicas,
            active: replicas,
            policy,
            outstanding: vec![0; n],
            total_outstanding: 0,
            health_down: vec![false; n],
            outlier_ejected: vec![false; n],
            unavailable: 0,
            consecutive_errors: vec![0; n],
            probe_failures: vec![0; n],
            probe_successes: vec![0; n],
            health: spec.health_check.as_ref().map(|h| Health {
                timeout: h.timeout.0,
                interval: h.interval.0,
                unhealthy: h.unhealthy_threshold,
                healthy: h.healthy_threshold,
            }),
            outlier: spec.outlier.as_ref().map(|o| Outlier {
                consecutive: o.consecutive_errors,
                eject_time: o.eject_time.0,
                max_fraction: o.max_ejected_fraction,
            }),
            probe_site,
            rng,
            stats: BalancerStats { picks: vec![0; n], ..Default::default() },
        }
    }

    #[inline]
    fn available(&self, r: u32) -> bool {
        !self.health_down[r as usize] && !self.outlier_ejected[r as usize]
    }

    /// Whether ejections leave no replica: then every replica is eligible.
    #[inline]
    fn panic_mode(&self) -> bool {
        self.unavailable == self.active
    }

    /// The fleet behind the balancer changed: the first `active` replicas
    /// take requests.
    pub fn set_active(&mut self, active: u32) {
        self.active = active.min(self.replicas);
        self.unavailable = (0..self.active).filter(|&r| !self.available(r)).count() as u32;
        if let Policy::PowerOfD { perm, .. } = &mut self.policy {
            *perm = (0..self.active).collect();
        }
    }

    /// Applies a change to replica `r`'s ejection flags, keeping the count
    /// of unavailable replicas.
    fn set_ejected(&mut self, r: u32, health_down: Option<bool>, outlier: Option<bool>) {
        let before = self.available(r);
        if let Some(h) = health_down {
            self.health_down[r as usize] = h;
        }
        if let Some(o) = outlier {
            self.outlier_ejected[r as usize] = o;
        }
        if r >= self.active {
            return;
        }
        match (before, self.available(r)) {
            (true, false) => self.unavailable += 1,
            (false, true) => self.unavailable -= 1,
            _ => {}
        }
    }

    /// The replica (in `0..replicas`) for a request with `key`, from the
    /// client identity `sticky`.
    pub fn pick(&mut self, key: u64, sticky: u64) -> u32 {
        let panic = self.panic_mode();
        let r = match self.policy {
            Policy::RoundRobin { .. } => self.pick_round_robin(panic),
            Policy::Weighted { .. } => self.pick_weighted(panic),
            Policy::Random => self.pick_random(panic),
            Policy::LeastOutstanding { .. } => self.pick_least_outstanding(panic),
            Policy::PowerOfD { .. } => self.pick_power_of_d(panic),
            Policy::ConsistentHash { .. } => self.pick_hashed(key, panic),
            Policy::Sticky => {
                let n = self.active;
                let home = (hash(sticky) % n as u64) as u32;
                (0..n).map(|i| (home + i) % n).find(|&r| panic || self.available(r)).unwrap_or(home)
            }
        };
        self.stats.picks[r as usize] += 1;
        r
    }

    fn pick_round_robin(&mut self, panic: bool) -> u32 {
        let n = self.active;
        let Policy::RoundRobin { cursor } = self.policy else { unreachable!() };
        let mut next = cursor;
        let mut chosen = 0;
        for _ in 0..n {
            chosen = if next >= n { 0 } else { next };
            next = chosen + 1;
            if panic || self.available(chosen) {
                break;
            }
        }
        self.policy = Policy::RoundRobin { cursor: next };
        chosen
    }

    fn pick_random(&mut self, panic: bool) -> u32 {
        let n = self.active;
        let mut r = self.rng.random_range(0..n);
        for _ in 0..n {
            if panic || self.available(r) {
                break;
            }
            r = self.rng.random_range(0..n);
        }
        r
    }

    fn pick_least_outstanding(&mut self, panic: bool) -> u32 {
        let n = self.active;
        let Policy::LeastOutstanding { cursor: start } = self.policy else { unreachable!() };
        // Ties go to the first candidate after a rotating start, so equal
        // replicas share the load.
        self.policy = Policy::LeastOutstanding { cursor: if start + 1 >= n { 0 } else { start + 1 } };
        let start = (start % n) as usize;
        let n = n as usize;
        let (outstanding, down, ejected) = (&self.outstanding[..n], &self.health_down[..n], &self.outlier_ejected[..n]);
        // Two plain scans (start..n, then 0..start) rather than a chained
        // iterator, over pre-sliced tables with `available`'s test written
        // out: this loop runs once per balanced request.
        let (mut best, mut least) = (start, u32::MAX);
        let mut scan = |range: std::ops::Range<usize>| {
            for r in range {
                if (panic || !(down[r] | ejected[r])) && outstanding[r] < least {
                    (best, least) = (r, outstanding[r]);
                }
            }
        };
        scan(start..n);
        scan(0..start);
        best as u32
    }

    fn pick_weighted(&mut self, panic: bool) -> u32 {
        let Self { policy, health_down, outlier_ejected, .. } = self;
        let Policy::Weighted { weights, current } = policy else { unreachable!() };
        let mut total = 0.0;
        let mut best: Option<usize> = None;
        for i in 0..weights.len() {
            let eligible = panic || (!health_down[i] && !outlier_ejected[i]);
            if !eligible || weights[i] <= 0.0 {
                continue;
            }
            current[i] += weights[i];
            total += weights[i];
            if best.is_none_or(|b| current[i] > current[b]) {
                best = Some(i);
            }
        }
        let b = best.unwrap_or(0);
        current[b] -= total;
        b as u32
    }

    fn pick_power_of_d(&mut self, panic: bool) -> u32 {
        let n = self.active as usize;
        let Policy::PowerOfD { d, perm } = &mut self.policy else { unreachable!() };
        // Partial Fisher-Yates: the first `taken` entries are a uniform
        // random sample without replacement.
        let mut best: Option<u32> = None;
        let mut taken = 0;
        for i in 0..n {
            if taken == *d {
                break;
            }
            let j = self.rng.random_range(i..n);
            perm.swap(i, j);
            let r = perm[i];
            if panic || (!self.health_down[r as usize] && !self.outlier_ejected[r as usize]) {
                taken += 1;
                if best.is_none_or(|b| self.outstanding[r as usize] < self.outstanding[b as usize]) {
                    best = Some(r);
                }
            }
        }
        best.unwrap_or(perm[0])
    }

    fn pick_hashed(&self, key: u64, panic: bool) -> u32 {
        let Policy::ConsistentHash { ring, load_factor } = &self.policy else { unreachable!() };
        let h = hash(key ^ 0x5bd1_e995);
        let start = ring.partition_point(|&(p, _)| p < h);
        let eligible = (0..self.active).filter(|&r| panic || self.available(r)).count().max(1) as f64;
        // Bounded loads (Mirrokni, Thorup, Zadimoghaddam): a replica takes a
        // request only while below ceil(c * (m + 1) / n).
        let cap = load_factor.map(|c| (c * (self.total_outstanding + 1) as f64 / eligible).ceil() as u32);
        let mut first_ok = None;
        for i in 0..ring.len() {
            let r = ring[(start + i) % ring.len()].1;
            if r >= self.active || !(panic || self.available(r)) {
                continue;
            }
            first_ok.get_or_insert(r);
            if cap.is_none_or(|c| self.outstanding[r as usize] < c) {
                return r;
            }
        }
        first_ok.unwrap_or(0)
    }

    /// A request was sent to replica `r`.
    #[inline]
    pub fn sent(&mut self, r: u32) {
        self.outstanding[r as usize] += 1;
        self.total_outstanding += 1;
    }

    /// A request to replica `r` settled (answered, failed, or abandoned).
    /// Returns the time until which `r` is ejected, if this error ejects it.
    pub fn settled(&mut self, r: u32, failed: Option<bool>, now: Time) -> Option<Time> {
        let i = r as usize;
        self.outstanding[i] -= 1;
        self.total_outstanding -= 1;
        let (threshold, eject_time, max_fraction) =
            self.outlier.as_ref().map(|o| (o.consecutive, o.eject_time, o.max_fraction))?;
        match failed? {
            false => {
                self.consecutive_errors[i] = 0;
                None
            }
            true => {
                self.consecutive_errors[i] += 1;
                let ejected = self.outlier_ejected.iter().filter(|&&e| e).count();
                let room = ((ejected + 1) as f64) <= max_fraction * self.active as f64;
                if self.consecutive_errors[i] >= threshold && !self.outlier_ejected[i] && room {
                    self.consecutive_errors[i] = 0;
                    self.set_ejected(r, None, Some(true));
                    self.stats.outlier_ejections += 1;
                    Some(now + eject_time)
                } else {
                    None
                }
            }
        }
    }

    /// The ejection of `r` by outlier detection has run its time.
    pub fn readmit(&mut self, r: u32) {
        if self.outlier_ejected[r as usize] {
            self.set_ejected(r, None, Some(false));
            self.stats.readmissions += 1;
        }
    }

    /// Health checks: (interval, timeout), if configured.
    pub fn health_timing(&self) -> Option<(Time, Time)> {
        self.health.as_ref().map(|h| (h.interval, h.timeout))
    }

    /// A health probe of `r` succeeded or failed.
    pub fn probe_result(&mut self, r: u32, ok: bool) {
        let Some((healthy, unhealthy)) = self.health.as_ref().map(|h| (h.healthy, h.unhealthy)) else { return };
        let i = r as usize;
        if ok {
            self.probe_failures[i] = 0;
            self.probe_successes[i] += 1;
            if self.health_down[i] && self.probe_successes[i] >= healthy {
                self.set_ejected(r, Some(false), None);
                self.stats.readmissions += 1;
            }
        } else {
            self.probe_successes[i] = 0;
            self.probe_failures[i] += 1;
            if !self.health_down[i] && self.probe_failures[i] >= unhealthy {
                self.set_ejected(r, Some(true), None);
                self.stats.health_ejections += 1;
            }
        }
    }

    pub fn replicas(&self) -> u32 {
        self.replicas
    }
}

impl World {
    pub(super) fn on_balancer_event(&mut self, e: BalancerEvent, sched: &mut Scheduler<Event>) {
        match e {
            BalancerEvent::Probe { balancer, replica } => self.on_probe(balancer, replica, sched),
            BalancerEvent::Readmit { balancer, replica } => self.balancers[balancer].readmit(replica),
        }
    }

    /// Health-checks one replica and schedules the next check.
    fn on_probe(&mut self, balancer: BalancerId, replica: u32, sched: &mut Scheduler<Event>) {
        let bal = &self.balancers[balancer];
        let Some((interval, _)) = bal.health_timing() else { return };
        sched.schedule_in(interval, Event::Balancer(BalancerEvent::Probe { balancer, replica }));
        let station = self.services[bal.service].station(replica);
        let site = bal.probe_site;
        let call = self.new_call(site, Owner::Probe { balancer, replica }, Req::default(), sched);
        self.start_attempt(call, Some(station), true, sched);
    }

    /// Schedules each balancer's first health checks, staggered so probes
    /// of one balancer do not coincide.
    pub(super) fn first_probes(&self, sched: &mut Scheduler<Event>) {
        for (balancer, bal) in self.balancers.enumerate() {
            if let Some((interval, _)) = bal.health_timing() {
                let n = bal.replicas() as u64;
                for replica in 0..bal.replicas() {
                    let at = interval * (replica as u64 + 1) / n;
                    sched.schedule(at, Event::Balancer(BalancerEvent::Probe { balancer, replica }));
                }
            }
        }
    }
}
