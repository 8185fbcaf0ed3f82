//! Amounts of memory as a model writes them: `"512MiB"`, `"4GB"`, or a
//! whole number of bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A number of bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub u64);

const UNITS: [(&str, u64); 9] = [
    ("TiB", 1 << 40),
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("TB", 1_000_000_000_000),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("KB", 1_000),
    ("B", 1),
];

impl FromStr for Bytes {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bad =
            || format!("invalid amount of memory `{s}`: write a number and a unit, such as \"512MiB\" or \"4GB\"");
        let (unit, scale) = UNITS.iter().find(|(u, _)| t.ends_with(u)).ok_or_else(bad)?;
        let number: f64 = t[..t.len() - unit.len()].trim().parse().map_err(|_| bad())?;
        let bytes = number * *scale as f64;
        if !(bytes.is_finite() && bytes >= 0.0) || bytes >= u64::MAX as f64 {
            return Err(format!("invalid amount of memory `{s}`: it must be zero or more, and below 16 EiB"));
        }
        Ok(Bytes(bytes.round() as u64))
    }
}

impl fmt::Display for Bytes {
    /// The largest unit that shows the value whole, binary first, such as
    /// `512MiB` or `200MB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, scale) in &UNITS[..8] {
            if self.0 >= *scale && self.0.is_multiple_of(*scale) {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount of memory, such as \"512MiB\" or \"4GB\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Bytes, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Bytes, E> {
                u64::try_from(v).map(Bytes).map_err(|_| E::custom(format!("memory cannot be negative, got {v}")))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_in_decimal_and_binary_units_and_show_whole() {
        let p = |s: &str| s.parse::<Bytes>();
        assert_eq!(p("512MiB"), Ok(Bytes(512 << 20)));
        assert_eq!(p("4GB"), Ok(Bytes(4_000_000_000)));
        assert_eq!(p("1.5 KiB"), Ok(Bytes(1536)));
        assert_eq!(p("100B"), Ok(Bytes(100)));
        assert!(p("12").is_err() && p("-1GB").is_err() && p("1e30TB").is_err() && p("NaNGB").is_err());
        assert_eq!(Bytes(512 << 20).to_string(), "512MiB");
        assert_eq!(Bytes(3 << 30).to_string(), "3GiB");
        assert_eq!(Bytes(200_000_000).to_string(), "200MB");
        assert_eq!(Bytes(999).to_string(), "999B");
    }
}
