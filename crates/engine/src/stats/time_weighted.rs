//! Time-weighted averages of a piecewise-constant quantity, such as a queue
//! length or the number of busy workers.

use crate::time::Time;

/// Integrates a piecewise-constant value over time, exactly, in integers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeWeighted {
    value: u64,
    max: u64,
    since: Time,
    /// Integral of value over [start, since].
    area: u128,
    start: Time,
    /// Integral at the last window boundary, and that boundary.
    window_area: u128,
    window_start: Time,
}

impl TimeWeighted {
    /// Starts integrating `value` from time `now`.
    pub fn new(now: Time, value: u64) -> Self {
        Self { value, max: value, since: now, area: 0, start: now, window_area: 0, window_start: now }
    }

    #[inline]
    fn advance(&mut self, now: Time) {
        debug_assert!(now >= self.since);
        self.area += self.value as u128 * (now - self.since) as u128;
        self.since = now;
    }

    /// Sets the value from `now` on.
    #[inline]
    pub fn set(&mut self, now: Time, value: u64) {
        self.advance(now);
        self.value = value;
        self.max = self.max.max(value);
    }

    /// Adds one to the value from `now` on.
    #[inline]
    pub fn increment(&mut self, now: Time) {
        let v = self.value + 1;
        self.set(now, v);
    }

    /// Subtracts one from the value from `now` on.
    #[inline]
    pub fn decrement(&mut self, now: Time) {
        debug_assert!(self.value > 0);
        let v = self.value.saturating_sub(1);
        self.set(now, v);
    }

    /// The current value.
    #[inline]
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The largest value since the last reset.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Forgets the history; the current value carries on from `now`.
    pub fn reset(&mut self, now: Time) {
        *self = Self::new(now, self.value);
    }

    /// The time average over [last reset, `now`], or the current value if no
    /// time has passed.
    pub fn mean(&self, now: Time) -> f64 {
        let elapsed = now.saturating_sub(self.start);
        if elapsed == 0 {
            return self.value as f64;
        }
        let area = self.area + self.value as u128 * (now - self.since) as u128;
        area as f64 / elapsed as f64
    }

    /// The integral of the value over [last reset, `now`], in value x ns.
    pub fn area(&self, now: Time) -> u128 {
        self.area + self.value as u128 * now.saturating_sub(self.since) as u128
    }

    /// The time average since the previous call (or the last reset), and
    /// starts a new window at `now`.
    pub fn take_window_mean(&mut self, now: Time) -> f64 {
        self.advance(now);
        let elapsed = now - self.window_start;
        let mean =
            if elapsed == 0 { self.value as f64 } else { (self.area - self.window_area) as f64 / elapsed as f64 };
        self.window_area = self.area;
        self.window_start = now;
        mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_exactly() {
        let mut tw = TimeWeighted::new(0, 0);
        tw.set(10, 2); // 0 for 10
        tw.set(20, 4); // 2 for 10
        assert_eq!(tw.mean(30), (0.0 * 10.0 + 2.0 * 10.0 + 4.0 * 10.0) / 30.0);
        assert_eq!(tw.max(), 4);
        tw.decrement(30);
        assert_eq!(tw.value(), 3);
        tw.reset(40);
        assert_eq!(tw.mean(50), 3.0);
        assert_eq!(tw.max(), 3);
    }

    #[test]
    fn windows_partition_time() {
        let mut tw = TimeWeighted::new(0, 1);
        tw.set(5, 3);
        assert_eq!(tw.take_window_mean(10), 2.0);
        tw.set(15, 0);
        assert_eq!(tw.take_window_mean(20), 1.5);
        assert_eq!(tw.mean(20), (5.0 + 15.0 + 15.0) / 20.0);
    }
}
