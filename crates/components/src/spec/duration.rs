//! Durations written with a unit, such as `"250ms"` or `"1.5s"`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tailsim_engine::time::{self, Time};

/// A non-negative span of simulated time, stored in nanoseconds.
///
/// Written as a number followed by a unit: `ns`, `us`, `ms`, `s`, `m`
/// (minutes) or `h`, for example `"250ms"`, `"1.5s"` or `"2m"`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub Time);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub fn from_nanos(ns: Time) -> Self {
        Duration(ns)
    }
    pub fn from_micros(us: u64) -> Self {
        Duration(us * time::MICROSECOND)
    }
    pub fn from_millis(ms: u64) -> Self {
        Duration(ms * time::MILLISECOND)
    }
    pub fn from_secs(s: u64) -> Self {
        Duration(s * time::SECOND)
    }
    pub fn from_secs_f64(s: f64) -> Self {
        Duration(time::from_secs_f64(s))
    }
    pub fn as_nanos(self) -> Time {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        time::as_secs_f64(self.0)
    }
    pub fn as_millis_f64(self) -> f64 {
        time::as_millis_f64(self.0)
    }
}

const UNITS: [(&str, f64); 7] =
    [("ns", 1.0), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)];

/// Why a duration string was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration `{text}`: {reason}")]
pub struct ParseDurationError {
    text: String,
    reason: &'static str,
}

impl FromStr for Duration {
    type Err = ParseDurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |reason| ParseDurationError { text: text.to_string(), reason };
        let t = text.trim();
        let split = t
            .find(|c: char| {
                !(c.is_ascii_digit() || c == '.' || c == '_' || c == 'e' || c == 'E' || c == '+' || c == '-')
            })
            .ok_or_else(|| err("expected a number followed by a unit (ns, us, ms, s, m, h), such as \"250ms\""))?;
        // `e` may start a unit-less exponent or be misread; units never start with e.
        let (number, unit) = t.split_at(split);
        let number = number.replace('_', "");
        let value: f64 = number.parse().map_err(|_| err("expected a number followed by a unit, such as \"250ms\""))?;
        if !value.is_finite() || value < 0.0 {
            return Err(err("a duration must be a finite, non-negative number"));
        }
        let unit = unit.trim();
        let scale = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|&(_, s)| s)
            .ok_or_else(|| err("unknown unit; use ns, us, ms, s, m or h"))?;
        let ns = value * scale;
        if ns >= u64::MAX as f64 {
            return Err(err("too long; the limit is about 584 years"));
        }
        Ok(Duration(ns.round() as u64))
    }
}

impl fmt::Display for Duration {
    /// The largest unit that shows the value in at most three decimals, such
    /// as `250ms` or `1.5s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        for (unit, scale) in [
            ("h", time::HOUR),
            ("m", time::MINUTE),
            ("s", time::SECOND),
            ("ms", time::MILLISECOND),
            ("us", time::MICROSECOND),
        ] {
            if ns >= scale && (ns as u128 * 1000).is_multiple_of(scale as u128) {
                // Exact: whole units, then thousandths without trailing zeros.
                let thousandths = (ns % scale) as u128 * 1000 / scale as u128;
                let fraction = format!("{thousandths:03}");
                let fraction = fraction.trim_end_matches('0');
                let point = if fraction.is_empty() { "" } else { "." };
                return write!(f, "{}{point}{fraction}{unit}", ns / scale);
            }
        }
        write!(f, "{ns}ns")
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration with a unit, such as \"250ms\" or \"2s\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                if v == 0 {
                    Ok(Duration::ZERO)
                } else {
                    Err(E::custom(format!("a duration needs a unit: write \"{v}ms\" or \"{v}s\", not {v}")))
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                self.visit_i64(v.min(i64::MAX as u64) as i64)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(format!("a duration needs a unit: write \"{v}ms\" or \"{v}s\", not {v}")))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        let p = |s: &str| s.parse::<Duration>().map(|d| d.0);
        assert_eq!(p("250ms"), Ok(250_000_000));
        assert_eq!(p("1.5s"), Ok(1_500_000_000));
        assert_eq!(p("2m"), Ok(120_000_000_000));
        assert_eq!(p("10us"), Ok(10_000));
        assert_eq!(p("7ns"), Ok(7));
        assert_eq!(p("1h"), Ok(3_600_000_000_000));
        assert_eq!(p(" 3 s "), Ok(3_000_000_000));
        assert_eq!(p("1_000ms"), Ok(1_000_000_000));
        assert!(p("5").is_err());
        assert!(p("5 parsecs").is_err());
        assert!(p("-1s").is_err());
        assert!(p("ms").is_err());
    }

    #[test]
    fn displays_round_trip() {
        for s in ["250ms", "2s", "3m", "1h", "15us", "7ns", "1.5ms"] {
            assert_eq!(s.parse::<Duration>().unwrap().to_string(), s);
        }
        // Past 213 days the test for a whole number of units must not
        // overflow, and the figure is exact, not rounded through f64.
        assert_eq!(Duration(u64::MAX).to_string(), "18446744073709551.615us");
        assert_eq!(Duration(1_250_000).to_string(), "1.25ms");
        assert_eq!(Duration(5_000_000 * time::HOUR).to_string(), "5000000h");
    }
}
