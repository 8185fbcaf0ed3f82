//! Confidence intervals from independent replications.
//!
//! Each replication gives one estimate of a metric (its mean latency, its
//! p99, ...). Replications are independent and identically distributed, so
//! the across-replication mean has a Student-t confidence interval with
//! n - 1 degrees of freedom. That is the only interval tailsim reports.

use serde::{Deserialize, Serialize};

/// A metric estimated from `n` replications.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The across-replication mean; `null` in JSON when no replication had
    /// a value (for example no errors to time).
    #[serde(with = "nan_as_null")]
    pub mean: f64,
    /// Half-width of the 95% Student-t confidence interval; `None` with fewer
    /// than two replications.
    pub ci95: Option<f64>,
    /// Replications the estimate rests on.
    pub n: u32,
}

impl Estimate {
    /// Mean and 95% half-width of `samples`. Non-finite samples are skipped.
    pub fn from_samples(samples: &[f64]) -> Estimate {
        let (mean, hw, n) = mean_and_half_width(samples, 0.95);
        Estimate { mean, ci95: hw, n }
    }

    /// The interval at another confidence level, recomputed from samples.
    pub fn interval(samples: &[f64], confidence: f64) -> (f64, Option<f64>) {
        let (mean, hw, _) = mean_and_half_width(samples, confidence);
        (mean, hw)
    }

    /// Whether `value` lies inside the 95% interval.
    pub fn contains(&self, value: f64) -> bool {
        self.ci95.is_some_and(|h| (value - self.mean).abs() <= h)
    }
}

/// JSON has no NaN: write it as `null` and read `null` back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() { s.serialize_f64(*v) } else { s.serialize_none() }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

fn mean_and_half_width(samples: &[f64], confidence: f64) -> (f64, Option<f64>, u32) {
    let xs: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, None, 0);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, None, n as u32);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = student_t_quantile(0.5 + confidence / 2.0, (n - 1) as f64);
    (mean, Some(t * (var / n as f64).sqrt()), n as u32)
}

/// The `p`-quantile of Student's t distribution with `df` degrees of freedom.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(p > 0.0 && p < 1.0 && df > 0.0);
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    // Bisection on the CDF: monotone, and 200 halvings reach f64 precision.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return hi;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The CDF of Student's t distribution.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The complementary error function, with fractional error below 1.2e-7
/// everywhere (Chebyshev fit, as in Numerical Recipes' `erfcc`).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// P(Z <= z) for a standard normal Z.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// P(Z > z), accurate in the upper tail.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The standard normal quantile, by bisection on the CDF.
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0, 40.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9).
fn ln_gamma(x: f64) -> f64 {
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + 7.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// I_x(a, b), by the continued fraction (modified Lentz).
fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    // The fraction converges fast for x < (a + 1) / (a + b + 2).
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - regularized_incomplete_beta(1.0 - x, b, a);
    }
    let front = ln_front.exp() / a;
    const TINY: f64 = 1e-300;
    let mut f = 1.0;
    let mut c = 1.0;
    let mut d = 0.0;
    for i in 0..=400 {
        let m = (i / 2) as f64;
        let numerator = if i == 0 {
            1.0
        } else if i % 2 == 0 {
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        } else {
            -((a + m) * (a + b + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
        };
        d = 1.0 + numerator * d;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        c = 1.0 + numerator / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let cd = c * d;
        f *= cd;
        if (1.0 - cd).abs() < 1e-15 {
            break;
        }
    }
    front * (f - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95% and 99% critical values from standard tables.
        let cases = [
            (0.975, 1.0, 12.706),
            (0.975, 4.0, 2.776),
            (0.975, 9.0, 2.262),
            (0.975, 29.0, 2.045),
            (0.995, 4.0, 4.604),
            (0.995, 19.0, 2.861),
            (0.995, 99.0, 2.626),
        ];
        for (p, df, expected) in cases {
            let t = student_t_quantile(p, df);
            assert!((t - expected).abs() < 1e-3, "t({p}, {df}) = {t}, expected {expected}");
        }
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!((student_t_quantile(0.025, 4.0) + 2.776).abs() < 1e-3);
    }

    #[test]
    fn estimate_of_known_samples() {
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.mean, 3.0);
        assert_eq!(e.n, 5);
        // sd = sqrt(2.5), se = sqrt(0.5), t(0.975, 4) = 2.7764
        assert!((e.ci95.unwrap() - 2.776_445 * 0.5f64.sqrt()).abs() < 1e-5);
        assert!(e.contains(4.9) && !e.contains(5.0));
        let none = Estimate::from_samples(&[f64::NAN]);
        let json = serde_json::to_string(&none).unwrap();
        assert_eq!(json, r#"{"mean":null,"ci95":null,"n":0}"#);
        let back: Estimate = serde_json::from_str(&json).unwrap();
        assert!(back.mean.is_nan());
        let one = Estimate::from_samples(&[7.0]);
        assert_eq!((one.mean, one.ci95, one.n), (7.0, None, 1));
        assert_eq!(Estimate::from_samples(&[1.0, f64::NAN]).n, 1);
    }

    #[test]
    fn normal_distribution_values() {
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 2e-7);
        assert!((normal_sf(3.090_232_306_167_813) / 0.001 - 1.0).abs() < 1e-6);
        assert!((normal_quantile(0.99) - 2.326_347_874_040_841).abs() < 1e-5);
    }
}
