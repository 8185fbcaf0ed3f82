//! Runtime resilience policies: retry backoff and budgets, hedging delays,
//! circuit breakers and rate limiters. Each is plain state with the
//! operations the request path needs; the request path decides when to call
//! them.

use rand::RngExt;
use tailsim_engine::rng::SimRng;
use tailsim_engine::stats::LatencyHistogram;
use tailsim_engine::time::{SECOND, Time, from_nanos_f64};

use crate::dist::unit;
use crate::result::ErrorKind;
use crate::spec::{
    BackoffSpec, BreakerSpec, FallbackSpec, HedgeSpec, JitterSpec, RateLimitAlgorithm, RateLimitSpec, RetryOnSpec,
    RetrySpec,
};

/// A call site's retry policy and budget.
pub struct Retry {
    pub attempts: u32,
    on: [bool; ErrorKind::ALL.len()],
    backoff: BackoffSpec,
    base: Time,
    cap: Time,
    jitter: JitterSpec,
    /// Token bucket: (tokens, ratio per success, capacity).
    budget: Option<(f64, f64, f64)>,
}

impl Retry {
    pub fn new(spec: &RetrySpec) -> Self {
        let mut on = [false; ErrorKind::ALL.len()];
        for o in &spec.on {
            let kinds: &[ErrorKind] = match o {
                RetryOnSpec::Timeout => &[ErrorKind::Timeout, ErrorKind::Lost],
                RetryOnSpec::Rejected => &[ErrorKind::Rejected],
                RetryOnSpec::Shed => &[ErrorKind::Shed],
                RetryOnSpec::RateLimited => &[ErrorKind::RateLimited],
                RetryOnSpec::CircuitOpen => &[ErrorKind::CircuitOpen],
                RetryOnSpec::Crashed => &[ErrorKind::Crashed],
                RetryOnSpec::ServerError => &[ErrorKind::ServerError],
                RetryOnSpec::PoolTimeout => &[ErrorKind::PoolTimeout],
            };
            for k in kinds {
                on[*k as usize] = true;
            }
        }
        Self {
            attempts: spec.attempts.max(1),
            on,
            backoff: spec.backoff,
            base: spec.base.0,
            cap: spec.cap.0,
            jitter: spec.jitter,
            budget: spec.budget.as_ref().map(|b| (b.capacity, b.ratio, b.capacity)),
        }
    }

    pub fn retries(&self, e: ErrorKind) -> bool {
        self.on[e as usize]
    }

    /// Spends a retry token; `false` when the budget is empty.
    pub fn take_token(&mut self) -> bool {
        match &mut self.budget {
            None => true,
            Some((tokens, _, _)) if *tokens >= 1.0 => {
                *tokens -= 1.0;
                true
            }
            Some(_) => false,
        }
    }

    /// A call succeeded: the budget earns its ratio.
    pub fn success(&mut self) {
        if let Some((tokens, ratio, cap)) = &mut self.budget {
            *tokens = (*tokens + *ratio).min(*cap);
        }
    }

    /// The wait before retry `k` (1 for the first retry); `prev` is the
    /// previous wait, for decorrelated jitter.
    pub fn backoff(&self, k: u32, prev: Time, rng: &mut SimRng) -> Time {
        let e = match self.backoff {
            BackoffSpec::Fixed => self.base,
            BackoffSpec::Exponential => {
                let shift = (k.saturating_sub(1)).min(40);
                self.base.saturating_mul(1u64 << shift).min(self.cap)
            }
        };
        match self.jitter {
            JitterSpec::None => e,
            JitterSpec::Full => from_nanos_f64(unit(rng) * e as f64),
            JitterSpec::Equal => e / 2 + from_nanos_f64(unit(rng) * (e / 2) as f64),
            JitterSpec::Decorrelated => {
                let prev = if prev == 0 { self.base } else { prev };
                let hi = prev.saturating_mul(3).max(self.base + 1);
                rng.random_range(self.base..hi).min(self.cap)
            }
        }
    }
}

/// When a call site sends a second copy.
pub struct Hedge {
    after: Option<Time>,
    percentile: Option<f64>,
    pub tied: bool,
    /// Latency of successful attempts at this site, for a percentile delay.
    observed: LatencyHistogram,
}

/// Successes observed before a percentile-based hedge trusts its estimate.
const HEDGE_WARMUP: u64 = 100;

impl Hedge {
    pub fn new(spec: &HedgeSpec) -> Self {
        Self {
            after: spec.after.map(|d| d.0),
            percentile: spec.percentile,
            tied: spec.tied,
            observed: LatencyHistogram::with_precision(2),
        }
    }

    /// The delay before the hedge, or `None` for no hedge yet (a percentile
    /// with too few observations and no fixed fallback).
    pub fn delay(&self) -> Option<Time> {
        if self.tied {
            return Some(0);
        }
        match self.percentile {
            Some(p) if self.observed.count() >= HEDGE_WARMUP => self.observed.quantile(p / 100.0),
            _ => self.after,
        }
    }

    pub fn observe(&mut self, latency: Time) {
        if self.percentile.is_some() {
            self.observed.record(latency);
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq)]
enum BreakerState {
    Closed,
    Open { until: Time },
    HalfOpen { sent: u32, succeeded: u32 },
}

/// Windows the breaker's failure rate is counted over.
const BUCKETS: usize = 10;

/// A circuit breaker on a call site.
pub struct Breaker {
    state: BreakerState,
    failure_rate: f64,
    min_calls: u32,
    open_for: Time,
    probes: u32,
    pub fallback: FallbackSpec,
    bucket_width: Time,
    /// (bucket index, calls, failures), a ring of the last BUCKETS buckets.
    buckets: [(u64, u32, u32); BUCKETS],
    pub opened: u64,
    pub rejected: u64,
}

/// What the breaker lets through.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Admit {
    Yes,
    /// A half-open probe.
    Probe,
    No,
}

impl Breaker {
    pub fn new(spec: &BreakerSpec) -> Self {
        Self {
            state: BreakerState::Closed,
            failure_rate: spec.failure_rate,
            min_calls: spec.min_calls,
            open_for: spec.open_for.0,
            probes: spec.half_open_probes.max(1),
            fallback: spec.fallback,
            bucket_width: (spec.window.0 / BUCKETS as u64).max(1),
            buckets: [(u64::MAX, 0, 0); BUCKETS],
            opened: 0,
            rejected: 0,
        }
    }

    pub fn admit(&mut self, now: Time) -> Admit {
        match self.state {
            BreakerState::Closed => Admit::Yes,
            BreakerState::Open { until } if now < until => {
                self.rejected += 1;
                Admit::No
            }
            BreakerState::Open { .. } => {
                self.state = BreakerState::HalfOpen { sent: 1, succeeded: 0 };
                Admit::Probe
            }
            BreakerState::HalfOpen { sent, succeeded } if sent < self.probes => {
                self.state = BreakerState::HalfOpen { sent: sent + 1, succeeded };
                Admit::Probe
            }
            BreakerState::HalfOpen { .. } => {
                self.rejected += 1;
                Admit::No
            }
        }
    }

    /// An attempt through the breaker ended.
    pub fn record(&mut self, now: Time, ok: bool, probe: bool) {
        if probe {
            match self.state {
                BreakerState::HalfOpen { sent, succeeded } if ok => {
                    if succeeded + 1 >= self.probes {
                        self.state = BreakerState::Closed;
                        self.buckets = [(u64::MAX, 0, 0); BUCKETS];
                    } else {
                        self.state = BreakerState::HalfOpen { sent, succeeded: succeeded + 1 };
                    }
                }
                BreakerState::HalfOpen { .. } => self.trip(now),
                _ => {}
            }
            return;
        }
        if self.state != BreakerState::Closed {
            return;
        }
        let b = now / self.bucket_width;
        let slot = &mut self.buckets[(b % BUCKETS as u64) as usize];
        if slot.0 != b {
            *slot = (b, 0, 0);
        }
        slot.1 += 1;
        slot.2 += u32::from(!ok);
        let (calls, failures) = self
            .buckets
            .iter()
            .filter(|(i, _, _)| *i != u64::MAX && *i + BUCKETS as u64 > b)
            .fold((0, 0), |(c, f), &(_, bc, bf)| (c + bc, f + bf));
        if calls >= self.min_calls && failures as f64 >= self.failure_rate * calls as f64 {
            self.trip(now);
        }
    }

    fn trip(&mut self, now: Time) {
        self.state = BreakerState::Open { until: now + self.open_for };
        self.opened += 1;
    }
}

/// A rate limiter.
pub struct RateLimiter {
    algorithm: RateLimitAlgorithm,
    rate: f64,
    burst: f64,
    /// Token bucket: tokens, and when they were last refilled.
    tokens: f64,
    refilled: Time,
    /// Leaky bucket: when the next request may leave.
    next_free: Time,
    /// Sliding window: (window index, count) for the current and previous
    /// one-second windows.
    current: (u64, u64),
    previous: u64,
}

/// What a limiter decides for a request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Limit {
    Pass,
    /// Pass after waiting this long (leaky bucket).
    Delay(Time),
    Reject,
}

impl RateLimiter {
    pub fn new(spec: &RateLimitSpec) -> Self {
        Self {
            algorithm: spec.algorithm,
            rate: spec.rate,
            burst: spec.burst.max(1.0),
            tokens: spec.burst.max(1.0),
            refilled: 0,
            next_free: 0,
            current: (0, 0),
            previous: 0,
        }
    }

    pub fn check(&mut self, now: Time) -> Limit {
        let gap = SECOND as f64 / self.rate;
        match self.algorithm {
            RateLimitAlgorithm::TokenBucket => {
                let elapsed = (now - self.refilled) as f64 / SECOND as f64;
                self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
                self.refilled = now;
                if self.tokens >= 1.0 {
                    self.tokens -= 1.0;
                    Limit::Pass
                } else {
                    Limit::Reject
                }
            }
            RateLimitAlgorithm::LeakyBucket => {
                let start = self.next_free.max(now);
                let wait = start - now;
                if wait as f64 > self.burst * gap {
                    return Limit::Reject;
                }
                self.next_free = start + from_nanos_f64(gap);
                if wait == 0 { Limit::Pass } else { Limit::Delay(wait) }
            }
            RateLimitAlgorithm::SlidingWindow => {
                let w = now / SECOND;
                if self.current.0 != w {
                    self.previous = if self.current.0 + 1 == w { self.current.1 } else { 0 };
                    self.current = (w, 0);
                }
                let into = (now % SECOND) as f64 / SECOND as f64;
                let estimate = self.previous as f64 * (1.0 - into) + self.current.1 as f64;
                if estimate + 1.0 > self.rate {
                    Limit::Reject
                } else {
                    self.current.1 += 1;
                    Limit::Pass
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{BudgetSpec, Duration};
    use tailsim_engine::rng::stream;
    use tailsim_engine::time::MILLISECOND;

    fn retry(jitter: JitterSpec) -> Retry {
        Retry::new(&RetrySpec {
            attempts: 5,
            on: vec![RetryOnSpec::Timeout],
            backoff: BackoffSpec::Exponential,
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
            jitter,
            budget: None,
        })
    }

    #[test]
    fn backoff_formulas() {
        let mut rng = stream(1, "b");
        let r = retry(JitterSpec::None);
        let waits: Vec<Time> = (1..=5).map(|k| r.backoff(k, 0, &mut rng) / MILLISECOND).collect();
        assert_eq!(waits, [10, 20, 40, 80, 100]);
        let full = retry(JitterSpec::Full);
        let equal = retry(JitterSpec::Equal);
        let deco = retry(JitterSpec::Decorrelated);
        for _ in 0..1000 {
            assert!(full.backoff(3, 0, &mut rng) <= 40 * MILLISECOND);
            let e = equal.backoff(3, 0, &mut rng);
            assert!((20 * MILLISECOND..=40 * MILLISECOND).contains(&e));
            let d = deco.backoff(2, 30 * MILLISECOND, &mut rng);
            assert!((10 * MILLISECOND..=90 * MILLISECOND).contains(&d) && d <= 100 * MILLISECOND);
        }
        let n = 20_000;
        let mean = (0..n).map(|_| full.backoff(3, 0, &mut rng) as f64).sum::<f64>() / n as f64;
        assert!((mean / (20.0 * MILLISECOND as f64) - 1.0).abs() < 0.02, "full jitter averages half");
    }

    /// Decorrelated jitter draws the next wait uniformly between the base
    /// and three times the previous wait, then caps it: a mean of
    /// (base + 3 prev) / 2 below the cap, and, where 3 prev passes the cap
    /// c, (c^2 - base^2) / 2 + (3 prev - c) c over (3 prev - base). Each
    /// mean is checked inside its 99% interval from 20,000 draws.
    #[test]
    fn decorrelated_jitter_has_the_mean_of_its_uniform_draw() {
        let mut rng = stream(7, "decorrelated");
        let deco = retry(JitterSpec::Decorrelated);
        let (base, cap) = (10.0 * MILLISECOND as f64, 100.0 * MILLISECOND as f64);
        for prev_ms in [10.0, 20.0, 30.0, 50.0, 80.0] {
            let prev = prev_ms * MILLISECOND as f64;
            let hi = 3.0 * prev;
            let theory = if hi <= cap {
                (base + hi) / 2.0
            } else {
                ((cap * cap - base * base) / 2.0 + (hi - cap) * cap) / (hi - base)
            };
            let n = 20_000;
            let draws: Vec<f64> = (0..n).map(|_| deco.backoff(2, prev as Time, &mut rng) as f64).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let half = 2.576 * (var / n as f64).sqrt();
            assert!(
                (mean - theory).abs() <= half,
                "prev {prev_ms} ms: mean {mean:.0} ns, theory {theory:.0} ± {half:.0}"
            );
        }
    }

    #[test]
    fn retry_budget_spends_and_earns() {
        let mut r = retry(JitterSpec::None);
        r.budget = Some((2.0, 0.5, 2.0));
        assert!(r.take_token() && r.take_token() && !r.take_token());
        r.success();
        assert!(!r.take_token());
        r.success();
        assert!(r.take_token());
        let _ = BudgetSpec { ratio: 0.1, capacity: 10.0 };
    }

    #[test]
    fn breaker_opens_half_opens_and_closes() {
        let mut b = Breaker::new(&BreakerSpec {
            failure_rate: 0.5,
            window: Duration::from_secs(10),
            min_calls: 4,
            open_for: Duration::from_secs(5),
            half_open_probes: 2,
            fallback: FallbackSpec::Fail,
        });
        let s = SECOND;
        for (i, ok) in [true, false, false, true].into_iter().enumerate() {
            assert_eq!(b.admit(i as u64 * s), Admit::Yes);
            b.record(i as u64 * s, ok, false);
        }
        assert_eq!(b.opened, 1, "2 of 4 failed");
        assert_eq!(b.admit(5 * s), Admit::No);
        assert_eq!(b.admit(9 * s), Admit::Probe);
        assert_eq!(b.admit(9 * s), Admit::Probe);
        assert_eq!(b.admit(9 * s), Admit::No, "only two probes");
        b.record(9 * s, true, true);
        b.record(9 * s, true, true);
        assert_eq!(b.admit(10 * s), Admit::Yes, "closed again");
    }

    #[test]
    fn limiters_hold_their_rate() {
        for algorithm in
            [RateLimitAlgorithm::TokenBucket, RateLimitAlgorithm::SlidingWindow, RateLimitAlgorithm::LeakyBucket]
        {
            let mut l = RateLimiter::new(&RateLimitSpec { algorithm, rate: 100.0, burst: 10.0 });
            // 1,000 requests a second for 10 seconds.
            let passed = (0..10_000u64).filter(|i| !matches!(l.check(i * MILLISECOND), Limit::Reject)).count();
            assert!((990..=1_020).contains(&passed), "{algorithm:?} passed {passed}");
        }
    }
}
