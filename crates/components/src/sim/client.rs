//! Clients: where requests are born and where their end-to-end latency is
//! recorded. Open-loop clients follow a rate profile, optionally modulated
//! by bursts or on/off periods; closed-loop clients are users who think,
//! send, and wait.

use rand::RngExt;
use rand_distr::Exp1;
use tailsim_engine::rng::SimRng;
use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::{Time, from_nanos_f64};

use tailsim_engine::scheduler::Scheduler;

use super::policy::Limit;
use super::request::{Answer, Op, Outcome, Owner, Req};
use super::{Event, World};
use crate::dist::{Dist, unit};
use crate::ids::{ClientId, Id, RegionId, RouterId, SiteId};
use crate::result::{ErrorCounts, ErrorKind};
use crate::spec::{ArrivalSpec, ClientSpec};
use crate::traffic::{KeySampler, RateProfile};

/// Events of clients.
#[derive(Copy, Clone, Debug)]
pub enum ClientEvent {
    /// An open-loop client's next candidate arrival (stale if the epoch
    /// moved), or the end of its thinning segment ([`Thinning`]).
    Arrival { client: ClientId, epoch: u32 },
    /// A closed-loop user finished thinking.
    UserSend { client: ClientId, user: u32 },
    /// An open-loop client switches burst or on/off state.
    Modulate { client: ClientId },
}

/// Open-loop modulation: a two-state Markov chain.
#[derive(Clone, Debug)]
pub struct Modulation {
    /// Rate multiplier in the normal and the excited state.
    pub factor: [f64; 2],
    /// Mean sojourn in each state, in ns.
    pub mean: [f64; 2],
    pub state: usize,
}

/// Thinning of a varying Poisson rate: the segment in force, with its rate
/// bound and end ([`RateProfile::segment_bound`]), and whether the client's
/// pending arrival event is that end rather than a candidate. A client has
/// one pending arrival event per epoch, so one flag describes it.
#[derive(Clone, Debug)]
pub struct Thinning {
    bound: f64,
    end: Time,
    at_end: bool,
}

pub enum Loop {
    Open { profile: RateProfile, arrival: ArrivalSpec, modulation: Option<Modulation>, epoch: u32, thinning: Thinning },
    Closed { users: u32, think: Option<Dist> },
}

pub struct Client {
    pub name: String,
    /// A limiter on what it sends.
    pub limiter: Option<super::policy::RateLimiter>,
    /// Its requests' end-to-end deadline.
    pub deadline: Option<Time>,
    /// The call site (target, link, timeout) of its requests.
    pub site: SiteId,
    /// A router it sends through (its sites follow `site`, one per router
    /// target), and its region.
    pub router: Option<RouterId>,
    pub region: Option<RegionId>,
    pub class: u16,
    pub write_fraction: f64,
    pub keys: KeySampler,
    pub looping: Loop,
    pub rng: SimRng,
    pub stats: ClientStats,
}

/// Measured after warm-up, for requests born after warm-up.
pub struct ClientStats {
    pub sent: u64,
    pub ok: u64,
    pub errors: ErrorCounts,
    pub latency_ok: LatencyHistogram,
    pub latency_err: LatencyHistogram,
    /// Summed network time of answered requests, in ns.
    pub network_sum: u128,
    /// Successes served from expired cache entries or stale fallbacks.
    pub stale: u64,
    /// Successes answered by a breaker's default fallback.
    pub fallback: u64,
}

impl Client {
    pub fn new(name: String, site: SiteId, class: u16, spec: &ClientSpec, think: Option<Dist>, rng: SimRng) -> Self {
        let looping = match spec.users {
            Some(users) => Loop::Closed { users, think },
            None => {
                let modulation = spec
                    .burst
                    .as_ref()
                    .map(|b| Modulation {
                        factor: [1.0, b.factor],
                        mean: [b.mean_between.0 as f64, b.mean_burst.0 as f64],
                        state: 0,
                    })
                    .or_else(|| {
                        spec.on_off.as_ref().map(|o| Modulation {
                            factor: [0.0, 1.0],
                            mean: [o.mean_off.0 as f64, o.mean_on.0 as f64],
                            state: 1,
                        })
                    });
                Loop::Open {
                    profile: RateProfile::new(spec),
                    arrival: spec.arrival,
                    modulation,
                    epoch: 0,
                    thinning: Thinning { bound: 0.0, end: 0, at_end: false },
                }
            }
        };
        Self {
            name,
            limiter: spec.rate_limit.as_ref().map(super::policy::RateLimiter::new),
            deadline: spec.deadline.map(|d| d.0),
            site,
            router: None,
            region: None,
            class,
            write_fraction: spec.write_fraction,
            keys: KeySampler::new(spec),
            looping,
            rng,
            stats: ClientStats {
                sent: 0,
                ok: 0,
                errors: ErrorCounts::default(),
                latency_ok: LatencyHistogram::new(),
                latency_err: LatencyHistogram::new(),
                network_sum: 0,
                stale: 0,
                fallback: 0,
            },
        }
    }

    fn exp(&mut self, mean: f64) -> Time {
        let e: f64 = self.rng.sample(Exp1);
        from_nanos_f64(e * mean)
    }

    /// For open-loop clients: the delay to the next event of its arrival
    /// process (a candidate arrival, or the end of a thinning segment:
    /// [`pending_is_candidate`](Self::pending_is_candidate) tells which);
    /// `None` when nothing is sent until the state or schedule changes.
    ///
    /// A varying Poisson rate is thinned against a bound that holds until
    /// the profile's next change, not against its overall peak: the work
    /// is in proportion to the rate in force, and a spike after the end of
    /// the run costs nothing. Restarting the draw at a segment's end is
    /// exact, because exponential gaps are memoryless.
    #[inline]
    pub fn next_gap(&mut self, now: Time) -> Option<Time> {
        let Loop::Open { profile, arrival, modulation, thinning, .. } = &mut self.looping else { return None };
        let factor = modulation.as_ref().map_or(1.0, |m| m.factor[m.state]);
        match arrival {
            ArrivalSpec::Poisson if profile.is_constant() => {
                let rate = profile.max() * factor;
                if rate <= 0.0 {
                    return None;
                }
                let mean = RateProfile::gap(rate);
                Some(self.exp(mean))
            }
            ArrivalSpec::Poisson => {
                if factor <= 0.0 {
                    return None;
                }
                if now >= thinning.end {
                    (thinning.bound, thinning.end) = profile.segment_bound(now);
                }
                let (bound, end) = (thinning.bound, thinning.end);
                let to_end = (end != Time::MAX).then(|| end - now);
                if bound <= 0.0 {
                    thinning.at_end = true;
                    return to_end;
                }
                let gap = self.exp(RateProfile::gap(bound * factor));
                let at_end = to_end.is_some_and(|left| gap >= left);
                // The draw borrowed the client: reach the thinning state again.
                if let Loop::Open { thinning, .. } = &mut self.looping {
                    thinning.at_end = at_end;
                }
                if at_end { to_end } else { Some(gap) }
            }
            ArrivalSpec::Constant => {
                let rate = profile.rate_at(now) * factor;
                if rate > 0.0 {
                    Some(from_nanos_f64(RateProfile::gap(rate)).max(1))
                } else {
                    profile.next_change_after(now).map(|t| t - now)
                }
            }
        }
    }

    /// Whether the pending arrival event is a candidate arrival, not the
    /// end of a thinning segment.
    #[inline]
    pub fn pending_is_candidate(&self) -> bool {
        !matches!(&self.looping, Loop::Open { thinning: Thinning { at_end: true, .. }, .. })
    }

    /// For open-loop clients: whether a candidate arrival at `now` is kept
    /// (thinning against the segment's bound). Constant spacing is exact.
    #[inline]
    pub fn accept(&mut self, now: Time) -> bool {
        match &self.looping {
            Loop::Open { profile, arrival: ArrivalSpec::Poisson, thinning, .. } if !profile.is_constant() => {
                let p = profile.rate_at(now) / thinning.bound;
                unit(&mut self.rng) < p
            }
            Loop::Open { profile, arrival: ArrivalSpec::Constant, .. } => profile.rate_at(now) > 0.0,
            _ => true,
        }
    }

    /// Switches the modulation state; returns the sojourn in the new state.
    pub fn switch_state(&mut self) -> Option<Time> {
        let Loop::Open { modulation: Some(m), epoch, .. } = &mut self.looping else { return None };
        m.state = 1 - m.state;
        *epoch = epoch.wrapping_add(1);
        let mean = m.mean[m.state];
        Some(self.exp(mean))
    }

    /// The long-run mean rate its schedule, spike and diurnal curve give at
    /// `t`, times its burst or on/off duty cycle; zero for closed loops.
    pub fn rate_at(&self, t: Time) -> f64 {
        match &self.looping {
            Loop::Open { profile, modulation, .. } => {
                let duty = modulation
                    .as_ref()
                    .map_or(1.0, |m| (m.mean[0] * m.factor[0] + m.mean[1] * m.factor[1]) / (m.mean[0] + m.mean[1]));
                profile.rate_at(t) * duty
            }
            Loop::Closed { .. } => 0.0,
        }
    }

    /// The first sojourn of the modulation, if any.
    pub fn first_sojourn(&mut self) -> Option<Time> {
        let Loop::Open { modulation: Some(m), .. } = &self.looping else { return None };
        let mean = m.mean[m.state];
        Some(self.exp(mean))
    }

    /// The current arrival epoch; arrivals of older epochs are stale.
    pub fn epoch(&self) -> u32 {
        match &self.looping {
            Loop::Open { epoch, .. } => *epoch,
            Loop::Closed { .. } => 0,
        }
    }

    /// Closed loop: the think time before a user's next request.
    pub fn think(&mut self) -> Time {
        match &self.looping {
            Loop::Closed { think: Some(d), .. } => d.sample(&mut self.rng),
            _ => 0,
        }
    }

    /// The attributes of a new request.
    #[inline]
    pub fn new_request(&mut self, now: Time) -> Req {
        let key = self.keys.sample(&mut self.rng, now);
        let write = self.write_fraction > 0.0 && unit(&mut self.rng) < self.write_fraction;
        let op = if write { Op::Write } else { Op::Read };
        Req { key, class: self.class, op, ..Default::default() }
    }

    /// Records a request's outcome (it was born after warm-up).
    fn record(&mut self, latency: Time, net: Time, outcome: Outcome) {
        let s = &mut self.stats;
        match outcome {
            Ok(answer) => {
                s.ok += 1;
                match answer {
                    Answer::Stale => s.stale += 1,
                    Answer::Fallback => s.fallback += 1,
                    Answer::Done | Answer::Miss => {}
                }
                s.latency_ok.record(latency);
                s.network_sum += net as u128;
            }
            Err(kind) => {
                s.errors.add(kind);
                s.latency_err.record(latency);
            }
        }
    }
}

impl World {
    pub(super) fn on_client_event(&mut self, e: ClientEvent, sched: &mut Scheduler<Event>) {
        match e {
            ClientEvent::Arrival { client, epoch } => {
                let now = sched.now();
                let c = &mut self.clients[client];
                if epoch != c.epoch() {
                    return; // superseded by a state switch
                }
                // Thinning reads the segment this candidate was drawn in:
                // decide before the next draw can move to a new segment.
                let accepted = c.pending_is_candidate() && c.accept(now);
                if let Some(gap) = c.next_gap(now) {
                    sched.schedule_in(gap, Event::Client(ClientEvent::Arrival { client, epoch }));
                }
                if accepted {
                    self.send_request(client, None, sched);
                }
            }
            ClientEvent::UserSend { client, user } => self.send_request(client, Some(user), sched),
            ClientEvent::Modulate { client } => {
                let now = sched.now();
                let c = &mut self.clients[client];
                if let Some(sojourn) = c.switch_state() {
                    sched.schedule_in(sojourn, Event::Client(ClientEvent::Modulate { client }));
                }
                // Arrivals are memoryless: restart them in the new state.
                if let Some(gap) = c.next_gap(now) {
                    let epoch = c.epoch();
                    sched.schedule_in(gap, Event::Client(ClientEvent::Arrival { client, epoch }));
                }
            }
        }
    }

    /// A client (or closed-loop user) sends a request.
    fn send_request(&mut self, client: ClientId, user: Option<u32>, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        let measuring = self.meter.counts(now);
        let c = &mut self.clients[client];
        if measuring {
            c.stats.sent += 1;
        }
        self.requests.born += 1;
        if let Some(l) = &mut c.limiter
            && l.check(now) != Limit::Pass
        {
            // Refused before it left: it fails at once.
            self.requests.settled += 1;
            if measuring {
                self.record_client(client, 0, 0, Err(ErrorKind::RateLimited));
            }
            if let Some(user) = user {
                let think = self.clients[client].think();
                sched.schedule_in(think.max(1), Event::Client(ClientEvent::UserSend { client, user }));
            }
            return;
        }
        let mut req = c.new_request(now);
        req.origin = ((client.index() as u64) << 32) | user.unwrap_or(u32::MAX) as u64;
        if let Some(d) = c.deadline {
            req.deadline = now.saturating_add(d);
        }
        let mut site = c.site;
        if let Some(r) = c.router {
            site = site.offset(self.control.routers[r].choose(c.region, now, measuring));
        }
        let call = self.new_call(site, Owner::Client { client, user }, req, sched);
        self.start_attempt(call, None, true, sched);
    }

    /// A client request settled with `outcome`.
    pub(super) fn client_answered(
        &mut self,
        client: ClientId,
        user: Option<u32>,
        born: Time,
        net: Time,
        outcome: Outcome,
        sched: &mut Scheduler<Event>,
    ) {
        self.requests.settled += 1;
        if self.meter.counts(born) {
            self.record_client(client, sched.now() - born, net, outcome);
        }
        if let Some(user) = user {
            let think = self.clients[client].think();
            sched.schedule_in(think, Event::Client(ClientEvent::UserSend { client, user }));
        }
    }

    fn record_client(&mut self, client: ClientId, latency: Time, net: Time, outcome: Outcome) {
        self.clients[client].record(latency, net, outcome);
        match outcome {
            Ok(_) => self.meter.window_ok(latency),
            Err(_) => self.meter.window_error(),
        }
    }
}
