//! Open-loop rate shapes and key popularity: what a client sends, when.
//! Used by the simulation's clients and by the static analysis.
//!
//! The instantaneous rate is `base(t) x spike(t) x diurnal(t) x burst
//! state`. Poisson arrivals under a time-varying rate are drawn by thinning
//! (Lewis and Shedler): candidates arrive at the profile's maximum rate and
//! each is kept with probability rate(t) / maximum, which is exact for any
//! shape.

use rand::RngExt;
use rand_distr::{Distribution, Zipf};
use tailsim_engine::rng::SimRng;
use tailsim_engine::time::{SECOND, Time};

use crate::alias::AliasTable;
use crate::dist::unit;
use crate::spec::{ClientSpec, KeyDistSpec};

/// The base rate over time, with its spike and diurnal multipliers.
#[derive(Clone, Debug)]
pub struct RateProfile {
    /// (from, rate, ramp): from `from`, the rate is `rate`, or ramps to it.
    points: Vec<(Time, f64, bool)>,
    spike: Option<(Time, Time, f64)>,
    /// (period, peak_at, mid, half amplitude).
    diurnal: Option<(f64, f64, f64, f64)>,
    /// An upper bound of `rate_at` over all time.
    max: f64,
    /// Whether the rate never changes (thinning is then skipped).
    constant: bool,
}

impl RateProfile {
    pub fn new(c: &ClientSpec) -> Self {
        let mut points = vec![(0, c.rate.unwrap_or(0.0), false)];
        for p in &c.schedule {
            if p.at.0 == 0 && !p.ramp {
                points[0].1 = p.rate;
            } else {
                points.push((p.at.0, p.rate, p.ramp));
            }
        }
        let spike = c.spike.as_ref().map(|s| (s.at.0, s.at.0 + s.duration.0, s.factor));
        let diurnal = c.diurnal.as_ref().map(|d| {
            let mid = (d.peak + d.trough) / 2.0;
            (d.period.0 as f64, d.peak_at.0 as f64, mid, d.peak - mid)
        });
        let base_max = points.iter().map(|p| p.1).fold(0.0, f64::max);
        let max = base_max * spike.map_or(1.0, |s| s.2.max(1.0)) * diurnal.map_or(1.0, |d| d.2 + d.3);
        let constant = points.len() == 1 && spike.is_none() && diurnal.is_none();
        Self { points, spike, diurnal, max, constant }
    }

    /// Requests per second at time `t`.
    pub fn rate_at(&self, t: Time) -> f64 {
        let i = self.points.partition_point(|p| p.0 <= t).max(1) - 1;
        let mut rate = self.points[i].1;
        if let Some(next) = self.points.get(i + 1)
            && next.2
        {
            let (t0, r0) = (self.points[i].0, self.points[i].1);
            let f = (t - t0) as f64 / (next.0 - t0) as f64;
            rate = r0 + (next.1 - r0) * f;
        }
        if let Some((from, to, factor)) = self.spike
            && (from..to).contains(&t)
        {
            rate *= factor;
        }
        if let Some((period, peak_at, mid, half)) = self.diurnal {
            let phase = 2.0 * std::f64::consts::PI * (t as f64 - peak_at) / period;
            rate *= mid + half * phase.cos();
        }
        rate
    }

    pub fn max(&self) -> f64 {
        self.max
    }

    /// An upper bound of `rate_at` over `[t, end)`, and `end`: the next
    /// step, ramp point or spike edge after `t` (`Time::MAX` when there is
    /// none). Thinning against this bound instead of the overall peak
    /// makes candidates cost in proportion to the rate in force, so a
    /// spike that never comes (or comes after the run) costs nothing.
    pub fn segment_bound(&self, t: Time) -> (f64, Time) {
        let end = self.next_change_after(t).unwrap_or(Time::MAX);
        let i = self.points.partition_point(|p| p.0 <= t).max(1) - 1;
        let (t0, r0) = (self.points[i].0, self.points[i].1);
        let mut bound = r0;
        if let Some(next) = self.points.get(i + 1)
            && next.2
        {
            // A ramp is linear on [t, end], which lies inside [t0, next.0]:
            // its largest value is at one end.
            let at = |x: Time| r0 + (next.1 - r0) * ((x - t0) as f64 / (next.0 - t0) as f64);
            bound = at(t).max(at(end.min(next.0)));
        }
        if let Some((from, to, factor)) = self.spike
            && (from..to).contains(&t)
        {
            bound *= factor;
        }
        if let Some((_, _, mid, half)) = self.diurnal {
            bound *= mid + half;
        }
        (bound, end)
    }

    pub fn is_constant(&self) -> bool {
        self.constant
    }

    /// The next time after `t` at which a step or spike boundary changes the
    /// rate, if any.
    pub fn next_change_after(&self, t: Time) -> Option<Time> {
        let points = self.points.iter().map(|p| p.0);
        let spike = self.spike.into_iter().flat_map(|s| [s.0, s.1]);
        points.chain(spike).filter(|&x| x > t).min()
    }

    /// The exact mean of `rate_at` over [0, `duration`) when the profile is
    /// piecewise linear (steps, ramps, spikes); `None` with a diurnal curve.
    /// Between consecutive breakpoints the rate is linear, so the trapezoid
    /// rule on each piece is exact.
    pub fn exact_mean(&self, duration: Time) -> Option<f64> {
        if self.diurnal.is_some() {
            return None;
        }
        if duration == 0 {
            return Some(self.rate_at(0));
        }
        let mut cuts: Vec<Time> = vec![0, duration];
        cuts.extend(self.points.iter().map(|p| p.0).filter(|&t| t < duration));
        if let Some((from, to, _)) = self.spike {
            cuts.extend([from, to].into_iter().filter(|&t| t < duration));
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut area = 0.0;
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            // The rate just after a and just before b (left limits at b
            // matter where a step or spike starts at b).
            let start = self.rate_at(a);
            let end = self.rate_before(b, a);
            area += (b - a) as f64 * (start + end) / 2.0;
        }
        Some(area / duration as f64)
    }

    /// The rate's limit from the left at `b`, given the piece starts at `a`.
    fn rate_before(&self, b: Time, a: Time) -> f64 {
        let i = self.points.partition_point(|p| p.0 <= a).max(1) - 1;
        let mut rate = self.points[i].1;
        if let Some(next) = self.points.get(i + 1)
            && next.2
        {
            let (t0, r0) = (self.points[i].0, self.points[i].1);
            let f = (b - t0) as f64 / (next.0 - t0) as f64;
            rate = r0 + (next.1 - r0) * f;
        }
        if let Some((from, to, factor)) = self.spike
            && from <= a
            && b <= to
        {
            rate *= factor;
        }
        rate
    }

    /// Mean gap in ns at rate `rate` per second.
    pub fn gap(rate: f64) -> f64 {
        SECOND as f64 / rate
    }
}

/// A client's open-loop rate over time, for static analysis.
pub struct RateProfileProbe {
    profile: RateProfile,
    /// Long-run mean and peak of the burst or on/off multiplier.
    duty: (f64, f64),
}

impl RateProfileProbe {
    pub fn new(c: &ClientSpec) -> Self {
        let duty = if let Some(b) = &c.burst {
            let (between, burst) = (b.mean_between.0 as f64, b.mean_burst.0 as f64);
            ((between + b.factor * burst) / (between + burst), b.factor.max(1.0))
        } else if let Some(o) = &c.on_off {
            (o.mean_on.0 as f64 / (o.mean_on.0 + o.mean_off.0) as f64, 1.0)
        } else {
            (1.0, 1.0)
        };
        Self { profile: RateProfile::new(c), duty }
    }

    /// The mean rate over [0, `duration`): exact for steps, ramps and
    /// spikes (a schedule read from a rate file included); with a diurnal
    /// curve, by the midpoint rule on 10,000 steps.
    pub fn mean_rate(&self, duration: Time) -> f64 {
        if let Some(mean) = self.profile.exact_mean(duration) {
            return mean * self.duty.0;
        }
        const STEPS: u64 = 10_000;
        let dt = (duration / STEPS).max(1);
        let n = (duration / dt).max(1);
        let sum: f64 = (0..n).map(|i| self.profile.rate_at(i * dt + dt / 2)).sum();
        sum / n as f64 * self.duty.0
    }

    /// The highest instantaneous rate.
    pub fn peak_rate(&self) -> f64 {
        self.profile.max() * self.duty.1
    }
}

/// Draws request keys: uniform, Zipf or by weight, with time-bounded
/// hotspots.
#[derive(Clone, Debug)]
pub struct KeySampler {
    n: u64,
    zipf: Option<Zipf<f64>>,
    weighted: Option<AliasTable>,
    hotspots: Vec<(Time, Time, u64, f64)>,
}

impl KeySampler {
    pub fn new(c: &ClientSpec) -> Self {
        let (n, zipf, weighted) = match &c.keys {
            None => (1, None, None),
            Some(k) => match k.dist {
                KeyDistSpec::Uniform => (k.n, None, None),
                KeyDistSpec::Zipf => (k.n, Zipf::new(k.n as f64, k.s).ok(), None),
                KeyDistSpec::Weights => (k.n, None, Some(AliasTable::new(&k.weights))),
            },
        };
        let hotspots =
            c.hotspots.iter().map(|h| (h.at.0, h.until.map_or(Time::MAX, |u| u.0), h.key, h.share)).collect();
        Self { n, zipf, weighted, hotspots }
    }

    /// The key of a request made at `now`.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng, now: Time) -> u64 {
        for &(from, until, key, share) in &self.hotspots {
            if (from..until).contains(&now) && unit(rng) < share {
                return key;
            }
        }
        if let Some(t) = &self.weighted {
            return t.sample(rng);
        }
        match &self.zipf {
            // Zipf draws 1..=n; key 0 is the most popular.
            Some(z) => (z.sample(rng) as u64).saturating_sub(1).min(self.n - 1),
            None if self.n > 1 => rng.random_range(0..self.n),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ClientSpec, DiurnalSpec, Duration, HotspotSpec, KeySpec, RatePoint, SpikeSpec};
    use tailsim_engine::rng::stream;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn schedule_steps_ramps_and_spikes() {
        let mut c = ClientSpec::poisson("x", 100.0);
        c.schedule =
            vec![RatePoint { at: s(10), rate: 200.0, ramp: false }, RatePoint { at: s(20), rate: 400.0, ramp: true }];
        c.spike = Some(SpikeSpec { at: s(30), duration: s(5), factor: 10.0 });
        let p = RateProfile::new(&c);
        assert_eq!(p.rate_at(5 * SECOND), 100.0);
        assert_eq!(p.rate_at(10 * SECOND), 200.0);
        assert_eq!(p.rate_at(15 * SECOND), 300.0);
        assert_eq!(p.rate_at(25 * SECOND), 400.0);
        assert_eq!(p.rate_at(32 * SECOND), 4000.0);
        assert_eq!(p.rate_at(35 * SECOND), 400.0);
        assert_eq!(p.max(), 4000.0);
        assert_eq!(p.next_change_after(21 * SECOND), Some(30 * SECOND));
    }

    #[test]
    fn segment_bounds_cover_the_rate_until_the_next_change() {
        let mut c = ClientSpec::poisson("app", 100.0);
        c.schedule =
            vec![RatePoint { at: s(10), rate: 300.0, ramp: true }, RatePoint { at: s(20), rate: 50.0, ramp: false }];
        c.spike = Some(SpikeSpec { at: s(15), duration: s(2), factor: 10.0 });
        let p = RateProfile::new(&c);
        let cases = [(0, 300.0, 10), (12, 300.0, 15), (15, 3000.0, 17), (17, 300.0, 20), (25, 50.0, u64::MAX)];
        for (at, bound, end) in cases {
            let t = s(at).0;
            let (b, e) = p.segment_bound(t);
            assert!((b - bound).abs() < 1e-9, "bound at {at} s: {b}");
            assert_eq!(e, if end == u64::MAX { Time::MAX } else { s(end).0 }, "end at {at} s");
            // The bound holds over the whole segment.
            for k in 0..100 {
                let x = t + (e.min(s(40).0) - t) / 100 * k;
                assert!(p.rate_at(x) <= b + 1e-9, "rate {} at {x} above bound {b}", p.rate_at(x));
            }
        }
        assert_eq!(p.max(), 3000.0, "the overall peak is the largest bound");
    }

    #[test]
    fn the_exact_mean_integrates_steps_ramps_and_spikes() {
        let mut c = ClientSpec::poisson("x", 100.0);
        // 100 for 10 s, then a ramp from 200 at 10 s to 400 at 30 s, 400
        // after; a 10x spike over [35 s, 40 s).
        c.schedule =
            vec![RatePoint { at: s(10), rate: 200.0, ramp: false }, RatePoint { at: s(30), rate: 400.0, ramp: true }];
        c.spike = Some(SpikeSpec { at: s(35), duration: s(5), factor: 10.0 });
        let p = RateProfile::new(&c);
        let area = 100.0 * 10.0 + 300.0 * 20.0 + 400.0 * 5.0 + 4000.0 * 5.0 + 400.0 * 10.0;
        assert!((p.exact_mean(50 * SECOND).unwrap() - area / 50.0).abs() < 1e-9);
        // Cut inside the ramp: 100 * 10 + (200 + 350) / 2 * 15.
        assert!((p.exact_mean(25 * SECOND).unwrap() - 5125.0 / 25.0).abs() < 1e-9);
    }

    #[test]
    fn weighted_keys_follow_their_weights() {
        let mut c = ClientSpec::poisson("x", 1.0);
        c.keys = Some(KeySpec::weighted(vec![6.0, 3.0, 1.0]));
        let k = KeySampler::new(&c);
        let mut rng = stream(2, "w");
        let n = 100_000;
        let zeros = (0..n).filter(|_| k.sample(&mut rng, 0) == 0).count() as f64 / n as f64;
        // Within 4.5 binomial standard errors of 0.6.
        assert!((zeros - 0.6).abs() <= 4.5 * (0.24f64 / n as f64).sqrt(), "{zeros}");
    }

    #[test]
    fn diurnal_curve_peaks_and_troughs() {
        let mut c = ClientSpec::poisson("x", 100.0);
        c.diurnal = Some(DiurnalSpec { period: s(100), peak_at: s(20), peak: 3.0, trough: 0.5 });
        let p = RateProfile::new(&c);
        assert!((p.rate_at(20 * SECOND) - 300.0).abs() < 1e-9);
        assert!((p.rate_at(70 * SECOND) - 50.0).abs() < 1e-9);
        assert!((p.max() - 300.0).abs() < 1e-9);
    }

    #[test]
    fn zipf_keys_favour_low_numbers_and_hotspots_take_their_share() {
        let mut c = ClientSpec::poisson("x", 1.0);
        c.keys = Some(KeySpec { dist: KeyDistSpec::Zipf, n: 1000, s: 1.0, weights: Vec::new() });
        c.hotspots = vec![HotspotSpec { at: s(10), until: None, key: 777, share: 0.3 }];
        let k = KeySampler::new(&c);
        let mut rng = stream(1, "k");
        let n = 200_000;
        let before: Vec<u64> = (0..n).map(|_| k.sample(&mut rng, 0)).collect();
        let zeros = before.iter().filter(|&&x| x == 0).count() as f64 / n as f64;
        // P(key 0) = 1 / H(1000) = 0.1336.
        assert!((zeros - 0.1336).abs() < 0.005, "{zeros}");
        assert!(before.iter().all(|&x| x < 1000));
        let after: Vec<u64> = (0..n).map(|_| k.sample(&mut rng, 20 * SECOND)).collect();
        let hot = after.iter().filter(|&&x| x == 777).count() as f64 / n as f64;
        assert!((hot - 0.3).abs() < 0.005, "{hot}");
    }
}
