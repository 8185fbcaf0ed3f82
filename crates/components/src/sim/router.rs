//! Global routers: which regional entry point a client's request goes to.
//!
//! A router checks each target every `check_interval`. A target fails a
//! check when none of its serving instances is up; after `unhealthy_after`
//! failures in a row it is declared down, after `healthy_after` successes
//! up again. Clients learn of a change through DNS: over the following
//! `propagation`, a growing share of them (uniformly, as cached answers
//! expire) acts on it, so a failover completes detection plus propagation
//! after the outage starts.
//!
//! `failover` prefers the targets in the order given; `nearest` prefers the
//! targets in the client's region, then the rest in order, and passes over
//! a target whose utilisation at the last check was at least
//! `spill_above`.

use rand::RngExt;
use tailsim_engine::rng::SimRng;
use tailsim_engine::scheduler::Scheduler;
use tailsim_engine::time::Time;

use super::{Event, World};
use crate::ids::{RegionId, RouterId, ServiceId};
use crate::result::{RouterResult, RoutingChange};

/// Events of routers.
#[derive(Copy, Clone, Debug)]
pub enum RouterEvent {
    /// A router health-checks its targets.
    Check { router: RouterId },
}
use crate::spec::{RouterModeSpec, RouterSpec};

pub struct Router {
    pub name: String,
    /// Per target: its runtime service (the one behind a balancer), its
    /// region and name.
    pub services: Vec<ServiceId>,
    pub regions: Vec<Option<RegionId>>,
    names: Vec<String>,
    nearest: bool,
    interval: Time,
    unhealthy_after: u32,
    healthy_after: u32,
    propagation: Time,
    spill_above: Option<f64>,
    /// Per target: declared healthy, when that last changed, consecutive
    /// check results against the declared state, utilisation at the last
    /// check and the busy area then.
    healthy: Vec<bool>,
    changed_at: Vec<Time>,
    streak: Vec<u32>,
    saturated: Vec<bool>,
    last_busy: Vec<(Time, u128)>,
    rng: SimRng,
    /// Requests sent to each target, after warm-up.
    pub picks: Vec<u64>,
    pub changes: Vec<RoutingChange>,
}

impl Router {
    pub fn new(
        name: String,
        spec: &RouterSpec,
        services: Vec<ServiceId>,
        regions: Vec<Option<RegionId>>,
        rng: SimRng,
    ) -> Self {
        let n = services.len();
        Self {
            name,
            services,
            regions,
            names: spec.targets.clone(),
            nearest: spec.mode == RouterModeSpec::Nearest,
            interval: spec.check_interval.0,
            unhealthy_after: spec.unhealthy_after,
            healthy_after: spec.healthy_after,
            propagation: spec.propagation.0,
            spill_above: spec.spill_above,
            healthy: vec![true; n],
            changed_at: vec![0; n],
            streak: vec![0; n],
            saturated: vec![false; n],
            last_busy: vec![(0, 0); n],
            rng,
            picks: vec![0; n],
            changes: Vec::new(),
        }
    }

    /// Whether a client acts on target `t` being healthy at `now`: during
    /// propagation some clients still hold the previous answer.
    fn believed_healthy(&mut self, t: usize, now: Time) -> bool {
        let since = now.saturating_sub(self.changed_at[t]);
        if self.changed_at[t] == 0 || since >= self.propagation {
            return self.healthy[t];
        }
        let informed = self.rng.random::<f64>() * self.propagation as f64 <= since as f64;
        if informed { self.healthy[t] } else { !self.healthy[t] }
    }

    /// The target index for a request from a client in `region`.
    pub fn choose(&mut self, region: Option<RegionId>, now: Time, measuring: bool) -> u32 {
        let n = self.services.len();
        let mut order: [usize; 16] = [0; 16];
        let mut len = 0;
        if self.nearest {
            for pass in [true, false] {
                for t in 0..n.min(16) {
                    if (region.is_some() && self.regions[t] == region) == pass {
                        order[len] = t;
                        len += 1;
                    }
                }
            }
        } else {
            for (t, slot) in order.iter_mut().enumerate().take(n.min(16)) {
                *slot = t;
            }
            len = n.min(16);
        }
        let mut chosen = order[0];
        for &t in &order[..len] {
            if self.believed_healthy(t, now) && !self.saturated[t] {
                chosen = t;
                break;
            }
        }
        if measuring {
            self.picks[chosen] += 1;
        }
        chosen as u32
    }

    /// One health check's outcome for target `t`.
    fn checked(&mut self, t: usize, up: bool, now: Time, measuring: bool) {
        if up == self.healthy[t] {
            self.streak[t] = 0;
            return;
        }
        self.streak[t] += 1;
        let needed = if self.healthy[t] { self.unhealthy_after } else { self.healthy_after };
        if self.streak[t] >= needed {
            self.healthy[t] = up;
            self.changed_at[t] = now;
            self.streak[t] = 0;
            if measuring {
                self.changes.push(RoutingChange { at: now, target: self.names[t].clone(), healthy: up });
            }
        }
    }

    pub fn reset(&mut self) {
        self.picks.iter_mut().for_each(|p| *p = 0);
        self.changes.clear();
    }

    pub fn result(&self) -> RouterResult {
        RouterResult {
            name: self.name.clone(),
            targets: self.names.clone(),
            picks: self.picks.clone(),
            changes: self.changes.clone(),
        }
    }
}

impl World {
    pub(super) fn on_router_event(&mut self, e: RouterEvent, sched: &mut Scheduler<Event>) {
        match e {
            RouterEvent::Check { router } => self.on_router_check(router, sched),
        }
    }

    /// Checks every target of router `r`.
    fn on_router_check(&mut self, r: RouterId, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let measuring = self.meter.measuring;
        let n = self.control.routers[r].services.len();
        for t in 0..n {
            let svc = &self.services[self.control.routers[r].services[t]];
            let stations = self.stations.slice(svc.first_station, svc.active);
            let up = stations.iter().any(|st| !st.is_down());
            let busy: u128 = stations.iter().map(|st| st.stats.busy.area(now)).sum();
            let capacity = (svc.active * svc.workers) as f64;
            let router = &mut self.control.routers[r];
            let (at, before) = router.last_busy[t];
            let elapsed = now.saturating_sub(at);
            if let Some(limit) = router.spill_above
                && elapsed > 0
                && busy >= before
            {
                let utilisation = (busy - before) as f64 / (elapsed as f64 * capacity);
                router.saturated[t] = utilisation >= limit;
            }
            router.last_busy[t] = (now, busy);
            router.checked(t, up, now, measuring);
        }
        let interval = self.control.routers[r].interval;
        sched.schedule_in(interval, Event::Router(RouterEvent::Check { router: r }));
    }

    /// Warm-up reset the busy areas the utilisation is measured from.
    pub(super) fn rebase_routers(&mut self, now: Time) {
        for r in &mut self.control.routers {
            r.reset();
            r.last_busy.iter_mut().for_each(|b| *b = (now, 0));
        }
    }

    pub(super) fn first_router_checks(&self, sched: &mut Scheduler<Event>) {
        for (router, r) in self.control.routers.enumerate() {
            sched.schedule(r.interval, Event::Router(RouterEvent::Check { router }));
        }
    }
}
