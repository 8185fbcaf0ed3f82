//! Simulated time: an integer count of nanoseconds.
//!
//! Integer time makes event order exact and platform independent: two events
//! scheduled for the same instant compare equal, and no rounding drift
//! accumulates over a long run. A `u64` of nanoseconds spans 584 years.

/// A point in simulated time, or a span of it, in nanoseconds.
pub type Time = u64;

pub const NANOSECOND: Time = 1;
pub const MICROSECOND: Time = 1_000;
pub const MILLISECOND: Time = 1_000_000;
pub const SECOND: Time = 1_000_000_000;
pub const MINUTE: Time = 60 * SECOND;
pub const HOUR: Time = 60 * MINUTE;

/// Converts seconds to nanoseconds, rounding to the nearest nanosecond and
/// saturating at the ends of the range (negative and NaN give 0).
pub fn from_secs_f64(secs: f64) -> Time {
    from_nanos_f64(secs * SECOND as f64)
}

/// Rounds a non-negative nanosecond count to `Time`, saturating.
pub fn from_nanos_f64(nanos: f64) -> Time {
    if nanos.is_nan() || nanos <= 0.0 {
        0
    } else if nanos >= u64::MAX as f64 {
        u64::MAX
    } else {
        // Round half up; cheaper than `f64::round` on the hot path.
        (nanos + 0.5) as u64
    }
}

/// Nanoseconds to seconds.
pub fn as_secs_f64(t: Time) -> f64 {
    t as f64 / SECOND as f64
}

/// Nanoseconds to milliseconds.
pub fn as_millis_f64(t: Time) -> f64 {
    t as f64 / MILLISECOND as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_and_saturate() {
        assert_eq!(from_secs_f64(1.5), 1_500_000_000);
        assert_eq!(from_secs_f64(-1.0), 0);
        assert_eq!(from_secs_f64(f64::NAN), 0);
        assert_eq!(from_secs_f64(1e30), u64::MAX);
        assert_eq!(from_nanos_f64(0.4), 0);
        assert_eq!(from_nanos_f64(0.6), 1);
        assert_eq!(as_millis_f64(2_500_000), 2.5);
        assert_eq!(as_secs_f64(HOUR), 3600.0);
    }
}
