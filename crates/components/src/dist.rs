//! Sampling durations: the runtime form of [`DistSpec`].
//!
//! Parameters are converted once, at build time, into the form the sampler
//! needs (log-space parameters, cumulative weights), so a draw is a few
//! arithmetic operations and one or two calls into the random stream.

use rand::Rng;
use rand::RngExt;
use rand_distr::{Exp1, StandardNormal};
use tailsim_engine::rng::SimRng;
use tailsim_engine::time::{Time, from_nanos_f64};

use crate::spec::DistSpec;

/// The standard normal quantile at 0.99.
const Z99: f64 = 2.326_347_874_040_841;

/// A distribution of durations, ready to sample.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant(Time),
    Exponential { mean: f64 },
    Uniform { low: f64, high: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Pareto { scale: f64, shape: f64 },
    Mixture { cumulative: Vec<f64>, parts: Vec<Dist> },
    Samples(Vec<Time>),
    Percentiles(Vec<(f64, f64)>),
}

impl Dist {
    /// Builds the sampler for a spec. The spec has been checked when it was
    /// constructed from TOML; specs built in code are checked here too.
    pub fn new(spec: &DistSpec) -> Result<Dist, String> {
        Ok(match spec {
            DistSpec::Constant { value } => Dist::Constant(value.0),
            DistSpec::Exponential { mean } => Dist::Exponential { mean: mean.0 as f64 },
            DistSpec::Uniform { low, high } => {
                if low > high {
                    return Err("uniform needs low <= high".into());
                }
                Dist::Uniform { low: low.0 as f64, high: high.0 as f64 }
            }
            DistSpec::LogNormal { mean, cv } => {
                if !(*cv > 0.0 && cv.is_finite()) || mean.0 == 0 {
                    return Err("lognormal needs a positive mean and cv".into());
                }
                let sigma2 = (1.0 + cv * cv).ln();
                Dist::LogNormal { mu: (mean.0 as f64).ln() - sigma2 / 2.0, sigma: sigma2.sqrt() }
            }
            DistSpec::LogNormalQuantiles { p50, p99 } => {
                if p50.0 == 0 || p99 <= p50 {
                    return Err("lognormal needs 0 < p50 < p99".into());
                }
                let mu = (p50.0 as f64).ln();
                Dist::LogNormal { mu, sigma: ((p99.0 as f64).ln() - mu) / Z99 }
            }
            DistSpec::Pareto { scale, shape } => {
                if !(*shape > 0.0 && shape.is_finite()) {
                    return Err("pareto needs a positive shape".into());
                }
                Dist::Pareto { scale: scale.0 as f64, shape: *shape }
            }
            DistSpec::Mixture(parts) => {
                if parts.is_empty() || parts.iter().any(|(w, _)| !(*w > 0.0 && w.is_finite())) {
                    return Err("a mixture needs parts with positive weights".into());
                }
                let total: f64 = parts.iter().map(|(w, _)| w).sum();
                let mut acc = 0.0;
                let mut cumulative = Vec::with_capacity(parts.len());
                let mut built = Vec::with_capacity(parts.len());
                for (w, d) in parts {
                    acc += w / total;
                    cumulative.push(acc);
                    built.push(Dist::new(d)?);
                }
                *cumulative.last_mut().unwrap() = 1.0;
                Dist::Mixture { cumulative, parts: built }
            }
            DistSpec::Samples(s) => {
                if s.is_empty() {
                    return Err("empirical samples must not be empty".into());
                }
                Dist::Samples(s.iter().map(|d| d.0).collect())
            }
            DistSpec::Percentiles(table) => {
                crate::spec::dist::check_percentiles(table)?;
                Dist::Percentiles(table.iter().map(|&(q, d)| (q, d.0 as f64)).collect())
            }
            DistSpec::File(f) => {
                return Err(format!(
                    "the distribution in data file `{}` has not been loaded: load the model with tailsim-config \
                     (which reads data files), or give its values as `DistSpec::Percentiles` or `DistSpec::Samples`",
                    f.path
                ));
            }
        })
    }

    /// Draws one duration.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> Time {
        match self {
            Dist::Constant(v) => *v,
            Dist::Exponential { mean } => {
                let e: f64 = rng.sample(Exp1);
                from_nanos_f64(e * mean)
            }
            Dist::Uniform { low, high } => from_nanos_f64(low + (high - low) * unit(rng)),
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = rng.sample(StandardNormal);
                from_nanos_f64((mu + sigma * z).exp())
            }
            Dist::Pareto { scale, shape } => {
                // Inverse CDF with u in (0, 1]: never infinite.
                let u = 1.0 - unit(rng);
                from_nanos_f64(scale * u.powf(-1.0 / shape))
            }
            Dist::Mixture { cumulative, parts } => {
                let u = unit(rng);
                let i = cumulative.partition_point(|&c| c <= u).min(parts.len() - 1);
                parts[i].sample(rng)
            }
            Dist::Samples(s) => s[rng.random_range(0..s.len())],
            Dist::Percentiles(table) => {
                let u = unit(rng);
                let i = table.partition_point(|&(q, _)| q <= u).clamp(1, table.len() - 1);
                let (q0, v0) = table[i - 1];
                let (q1, v1) = table[i];
                let f = if q1 > q0 { (u - q0) / (q1 - q0) } else { 0.0 };
                from_nanos_f64(v0 + f * (v1 - v0))
            }
        }
    }

    /// The mean in nanoseconds (infinite for a Pareto with shape <= 1).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Constant(v) => *v as f64,
            Dist::Exponential { mean } => *mean,
            Dist::Uniform { low, high } => (low + high) / 2.0,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Pareto { scale, shape } => {
                if *shape <= 1.0 {
                    f64::INFINITY
                } else {
                    shape * scale / (shape - 1.0)
                }
            }
            Dist::Mixture { cumulative, parts } => weights(cumulative).zip(parts).map(|(w, d)| w * d.mean()).sum(),
            Dist::Samples(s) => s.iter().map(|&v| v as f64).sum::<f64>() / s.len() as f64,
            Dist::Percentiles(t) => t.windows(2).map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0).sum(),
        }
    }

    /// E[S^2] in ns^2 (infinite for a Pareto with shape <= 2).
    pub fn second_moment(&self) -> f64 {
        match self {
            Dist::Constant(v) => (*v as f64).powi(2),
            Dist::Exponential { mean } => 2.0 * mean * mean,
            Dist::Uniform { low, high } => (low * low + low * high + high * high) / 3.0,
            Dist::LogNormal { mu, sigma } => (2.0 * mu + 2.0 * sigma * sigma).exp(),
            Dist::Pareto { scale, shape } => {
                if *shape <= 2.0 {
                    f64::INFINITY
                } else {
                    shape * scale * scale / (shape - 2.0)
                }
            }
            Dist::Mixture { cumulative, parts } => {
                weights(cumulative).zip(parts).map(|(w, d)| w * d.second_moment()).sum()
            }
            Dist::Samples(s) => s.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / s.len() as f64,
            Dist::Percentiles(t) => t
                .windows(2)
                .map(|w| {
                    // Uniform between consecutive points.
                    let (a, b) = (w[0].1, w[1].1);
                    (w[1].0 - w[0].0) * (a * a + a * b + b * b) / 3.0
                })
                .sum(),
        }
    }

    /// Multiplies every duration by `factor` (for example a slowdown).
    pub fn scaled(&self, factor: f64) -> Dist {
        match self {
            Dist::Constant(v) => Dist::Constant(from_nanos_f64(*v as f64 * factor)),
            Dist::Exponential { mean } => Dist::Exponential { mean: mean * factor },
            Dist::Uniform { low, high } => Dist::Uniform { low: low * factor, high: high * factor },
            Dist::LogNormal { mu, sigma } => Dist::LogNormal { mu: mu + factor.ln(), sigma: *sigma },
            Dist::Pareto { scale, shape } => Dist::Pareto { scale: scale * factor, shape: *shape },
            Dist::Mixture { cumulative, parts } => Dist::Mixture {
                cumulative: cumulative.clone(),
                parts: parts.iter().map(|p| p.scaled(factor)).collect(),
            },
            Dist::Samples(s) => Dist::Samples(s.iter().map(|&v| from_nanos_f64(v as f64 * factor)).collect()),
            Dist::Percentiles(t) => Dist::Percentiles(t.iter().map(|&(q, v)| (q, v * factor)).collect()),
        }
    }
}

/// Per-part weights from cumulative weights.
fn weights(cumulative: &[f64]) -> impl Iterator<Item = f64> + '_ {
    cumulative.iter().scan(0.0, |prev, &c| {
        let w = c - *prev;
        *prev = c;
        Some(w)
    })
}

/// A uniform draw in [0, 1) with 53 random bits.
#[inline]
pub fn unit(rng: &mut SimRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Duration;
    use tailsim_engine::rng::stream;

    fn sample_mean(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = stream(3, "test");
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng) as f64).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let m2 = xs.iter().map(|x| x * x).sum::<f64>() / n as f64;
        (m, m2)
    }

    /// The sample mean must lie within 4.5 standard errors of the analytic
    /// mean (a false alarm about once in 150,000 runs; the stream is fixed,
    /// so in practice never).
    fn assert_mean(d: &Dist) {
        let n = 200_000;
        let (m, m2) = sample_mean(d, n);
        let sd = (m2 - m * m).max(0.0).sqrt();
        let se = sd / (n as f64).sqrt();
        assert!((m - d.mean()).abs() <= 4.5 * se + 1.0, "{d:?}: sample mean {m}, analytic {}", d.mean());
    }

    #[test]
    fn sample_means_match_analytic_means() {
        let ms = Duration::from_millis;
        let specs = [
            DistSpec::Constant { value: ms(3) },
            DistSpec::Exponential { mean: ms(2) },
            DistSpec::Uniform { low: ms(1), high: ms(5) },
            DistSpec::LogNormal { mean: ms(2), cv: 1.5 },
            DistSpec::LogNormalQuantiles { p50: ms(1), p99: ms(20) },
            DistSpec::Pareto { scale: ms(1), shape: 3.5 },
            DistSpec::Mixture(vec![
                (0.95, DistSpec::Exponential { mean: ms(1) }),
                (0.05, DistSpec::Constant { value: ms(50) }),
            ]),
            DistSpec::Samples(vec![ms(1), ms(2), ms(9)]),
            DistSpec::Percentiles(vec![(0.0, ms(1)), (0.5, ms(2)), (0.99, ms(20)), (1.0, ms(40))]),
        ];
        for s in &specs {
            assert_mean(&Dist::new(s).unwrap());
        }
    }

    #[test]
    fn lognormal_parameterisations() {
        let d = Dist::new(&DistSpec::LogNormal { mean: Duration::from_millis(2), cv: 1.0 }).unwrap();
        let m = d.mean();
        let var = d.second_moment() - m * m;
        assert!((m / 2e6 - 1.0).abs() < 1e-12);
        assert!((var.sqrt() / m - 1.0).abs() < 1e-9, "cv");
        let q =
            Dist::new(&DistSpec::LogNormalQuantiles { p50: Duration::from_millis(1), p99: Duration::from_millis(20) })
                .unwrap();
        let mut rng = stream(1, "q");
        let mut xs: Vec<u64> = (0..100_000).map(|_| q.sample(&mut rng)).collect();
        xs.sort_unstable();
        let p50 = xs[50_000] as f64 / 1e6;
        let p99 = xs[99_000] as f64 / 1e6;
        assert!((p50 - 1.0).abs() < 0.03, "p50 {p50}");
        assert!((p99 / 20.0 - 1.0).abs() < 0.05, "p99 {p99}");
    }

    #[test]
    fn scaling_scales_the_mean() {
        let d = Dist::new(&DistSpec::LogNormal { mean: Duration::from_millis(2), cv: 0.5 }).unwrap();
        assert!((d.scaled(3.0).mean() / d.mean() - 3.0).abs() < 1e-9);
    }
}
