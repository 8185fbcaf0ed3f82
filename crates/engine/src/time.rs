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

/// Below this, a rounded nanosecond count fits an `i64`.
const I64_RANGE: f64 = 9_223_372_036_854_775_808.0; // 2^63

/// Rounds a non-negative nanosecond count to `Time`, saturating.
#[inline]
pub fn from_nanos_f64(nanos: f64) -> Time {
    if nanos.is_nan() || nanos <= 0.0 {
        0
    } else if nanos < I64_RANGE {
        // Round half up; cheaper than `f64::round` on the hot path. Every
        // sampled duration passes here, and x86-64 converts to a signed
        // integer in one instruction but needs several for an unsigned one.
        // Below 2^63 both conversions give the same value.
        (nanos + 0.5) as i64 as u64
    } else if nanos >= u64::MAX as f64 {
        u64::MAX
    } else {
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

    #[test]
    fn the_signed_fast_path_agrees_with_unsigned_rounding_at_its_edge() {
        let below = f64::from_bits(I64_RANGE.to_bits() - 1);
        for x in [below, I64_RANGE, 1.5e19, 12_345.5, 0.5] {
            assert_eq!(from_nanos_f64(x), (x + 0.5) as u64, "{x}");
        }
        assert_eq!(from_nanos_f64(below), (1 << 63) - 1024);
    }
}
