//! The candidate families: exponential, lognormal, and a two-part mixture
//! of lognormals, in milliseconds. Each maps an unconstrained parameter
//! vector (what the optimiser moves) to a distribution, and reports its
//! parameters the way a tailsim model writes them (mean and cv).

use crate::stats::{normal_cdf, normal_quantile, normal_sf};

/// A fitted distribution, values in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    Exponential {
        mean: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Weight `w` on the first part; parts are (mu, sigma) of lognormals,
    /// the first with the smaller median.
    Mixture {
        w: f64,
        a: (f64, f64),
        b: (f64, f64),
    },
}

/// Which family.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Family {
    Exponential,
    LogNormal,
    Mixture,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Exponential, Family::LogNormal, Family::Mixture];

    pub fn name(self) -> &'static str {
        match self {
            Family::Exponential => "exponential",
            Family::LogNormal => "lognormal",
            Family::Mixture => "mixture",
        }
    }

    /// Free parameters.
    pub fn k(self) -> usize {
        match self {
            Family::Exponential => 1,
            Family::LogNormal => 2,
            Family::Mixture => 5,
        }
    }

    /// The distribution for unconstrained parameters `t`: (ln mean),
    /// (mu, ln sigma), or (logit w, mu1, ln sigma1, mu2, ln sigma2).
    pub fn model(self, t: &[f64]) -> Model {
        match self {
            Family::Exponential => Model::Exponential { mean: t[0].exp() },
            Family::LogNormal => Model::LogNormal { mu: t[0], sigma: t[1].exp() },
            Family::Mixture => {
                let w = 1.0 / (1.0 + (-t[0]).exp());
                let (a, b) = ((t[1], t[2].exp()), (t[3], t[4].exp()));
                if a.0 <= b.0 { Model::Mixture { w, a, b } } else { Model::Mixture { w: 1.0 - w, a: b, b: a } }
            }
        }
    }

    /// Unconstrained parameters of `m` (the inverse of [`model`](Self::model)).
    pub fn theta(self, m: &Model) -> Vec<f64> {
        match m {
            Model::Exponential { mean } => vec![mean.ln()],
            Model::LogNormal { mu, sigma } => vec![*mu, sigma.ln()],
            Model::Mixture { w, a, b } => vec![(w / (1.0 - w)).ln(), a.0, a.1.ln(), b.0, b.1.ln()],
        }
    }
}

/// Mean and cv of a lognormal with log-parameters (mu, sigma).
fn mean_cv(mu: f64, sigma: f64) -> (f64, f64) {
    ((mu + sigma * sigma / 2.0).exp(), ((sigma * sigma).exp() - 1.0).sqrt())
}

impl Model {
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        match *self {
            Model::Exponential { mean } => -(-x / mean).exp_m1(),
            Model::LogNormal { mu, sigma } => normal_cdf((x.ln() - mu) / sigma),
            Model::Mixture { w, a, b } => {
                w * normal_cdf((x.ln() - a.0) / a.1) + (1.0 - w) * normal_cdf((x.ln() - b.0) / b.1)
            }
        }
    }

    /// P(X > x), accurate in the tail.
    pub fn sf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        match *self {
            Model::Exponential { mean } => (-x / mean).exp(),
            Model::LogNormal { mu, sigma } => normal_sf((x.ln() - mu) / sigma),
            Model::Mixture { w, a, b } => {
                w * normal_sf((x.ln() - a.0) / a.1) + (1.0 - w) * normal_sf((x.ln() - b.0) / b.1)
            }
        }
    }

    /// (P(X <= x), P(X > x)) with one error-function call per part, each
    /// accurate in its own tail.
    pub fn cdf_sf(&self, x: f64) -> (f64, f64) {
        if x <= 0.0 {
            return (0.0, 1.0);
        }
        let normal = |z: f64| {
            let tail = 0.5 * crate::stats::erfc(z.abs() / std::f64::consts::SQRT_2);
            if z >= 0.0 { (1.0 - tail, tail) } else { (tail, 1.0 - tail) }
        };
        match *self {
            Model::Exponential { mean } => (-(-x / mean).exp_m1(), (-x / mean).exp()),
            Model::LogNormal { mu, sigma } => normal((x.ln() - mu) / sigma),
            Model::Mixture { w, a, b } => {
                let lx = x.ln();
                let (ca, sa) = normal((lx - a.0) / a.1);
                let (cb, sb) = normal((lx - b.0) / b.1);
                (w * ca + (1.0 - w) * cb, w * sa + (1.0 - w) * sb)
            }
        }
    }

    /// P(lo < X <= hi), computed from whichever side is more accurate.
    pub fn mass(&self, lo: f64, hi: f64) -> f64 {
        if self.cdf(lo) > 0.5 { self.sf(lo) - self.sf(hi) } else { self.cdf(hi) - self.cdf(lo) }
    }

    pub fn ln_pdf(&self, x: f64) -> f64 {
        let ln_normal = |mu: f64, sigma: f64| {
            let z = (x.ln() - mu) / sigma;
            -0.5 * z * z - (sigma * x * (2.0 * std::f64::consts::PI).sqrt()).ln()
        };
        match *self {
            Model::Exponential { mean } => -x / mean - mean.ln(),
            Model::LogNormal { mu, sigma } => ln_normal(mu, sigma),
            Model::Mixture { w, a, b } => {
                let (la, lb) = (w.ln() + ln_normal(a.0, a.1), (1.0 - w).ln() + ln_normal(b.0, b.1));
                let m = la.max(lb);
                m + ((la - m).exp() + (lb - m).exp()).ln()
            }
        }
    }

    pub fn quantile(&self, p: f64) -> f64 {
        match *self {
            Model::Exponential { mean } => -mean * (-p).ln_1p(),
            Model::LogNormal { mu, sigma } => (mu + sigma * normal_quantile(p)).exp(),
            Model::Mixture { a, b, .. } => {
                // Bisection on ln x between the parts' own quantiles.
                let z = normal_quantile(p);
                let (mut lo, mut hi) = ((a.0 + a.1 * z).min(b.0 + b.1 * z), (a.0 + a.1 * z).max(b.0 + b.1 * z));
                lo -= 1.0;
                hi += 1.0;
                for _ in 0..100 {
                    let mid = 0.5 * (lo + hi);
                    if self.cdf(mid.exp()) < p { lo = mid } else { hi = mid }
                }
                (0.5 * (lo + hi)).exp()
            }
        }
    }

    /// The parameters as a model writes them: names, values (durations in
    /// ms), and whether each is a duration.
    pub fn reported(&self) -> Vec<(&'static str, f64, bool)> {
        match *self {
            Model::Exponential { mean } => vec![("mean", mean, true)],
            Model::LogNormal { mu, sigma } => {
                let (m, cv) = mean_cv(mu, sigma);
                vec![("mean", m, true), ("cv", cv, false)]
            }
            Model::Mixture { w, a, b } => {
                let ((m1, cv1), (m2, cv2)) = (mean_cv(a.0, a.1), mean_cv(b.0, b.1));
                vec![
                    ("weight", w, false),
                    ("mean", m1, true),
                    ("cv", cv1, false),
                    ("mean", m2, true),
                    ("cv", cv2, false),
                ]
            }
        }
    }

    /// The distribution in tailsim's syntax, ready to paste as the value
    /// of any distribution field.
    pub fn toml(&self) -> String {
        let lognormal = |mu: f64, sigma: f64| {
            let (m, cv) = mean_cv(mu, sigma);
            format!("dist = \"lognormal\", mean = \"{}\", cv = {}", duration(m), number(cv))
        };
        match *self {
            Model::Exponential { mean } => format!("{{ dist = \"exponential\", mean = \"{}\" }}", duration(mean)),
            Model::LogNormal { mu, sigma } => format!("{{ {} }}", lognormal(mu, sigma)),
            Model::Mixture { w, a, b } => format!(
                "{{ dist = \"mixture\", parts = [{{ weight = {}, {} }}, {{ weight = {}, {} }}] }}",
                number(w),
                lognormal(a.0, a.1),
                number(1.0 - w),
                lognormal(b.0, b.1)
            ),
        }
    }
}

/// `v` to five significant digits, without trailing zeros.
pub fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (4 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A duration of `ms` milliseconds in the largest unit that keeps it at
/// least 1, such as `2.0134ms` or `850.2us`.
pub fn duration(ms: f64) -> String {
    let (v, unit) = if ms >= 1000.0 {
        (ms / 1000.0, "s")
    } else if ms >= 1.0 {
        (ms, "ms")
    } else if ms >= 1e-3 {
        (ms * 1e3, "us")
    } else {
        (ms * 1e6, "ns")
    };
    format!("{}{unit}", number(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_through_theta() {
        for (f, t) in [
            (Family::Exponential, vec![0.7]),
            (Family::LogNormal, vec![0.3, -0.5]),
            (Family::Mixture, vec![1.2, 0.1, -0.7, 2.0, -0.2]),
        ] {
            let m = f.model(&t);
            let back = f.theta(&m);
            for (a, b) in t.iter().zip(&back) {
                assert!((a - b).abs() < 1e-12, "{f:?}: {t:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn quantiles_invert_the_cdf() {
        let models = [
            Model::Exponential { mean: 2.0 },
            Model::LogNormal { mu: 0.5, sigma: 1.1 },
            Model::Mixture { w: 0.9, a: (0.0, 0.5), b: (2.5, 0.4) },
        ];
        for m in &models {
            for p in [0.01, 0.5, 0.99, 0.999] {
                let x = m.quantile(p);
                assert!((m.cdf(x) - p).abs() < 1e-6, "{m:?} at {p}");
                assert!((m.sf(x) - (1.0 - p)).abs() < 1e-6, "{m:?} at {p}");
            }
        }
    }

    #[test]
    fn durations_print_in_tailsim_syntax() {
        assert_eq!(duration(2.013_44), "2.0134ms");
        assert_eq!(duration(0.8502), "850.2us");
        assert_eq!(duration(1500.0), "1.5s");
        assert_eq!(number(0.123_456), "0.12346");
        assert_eq!(number(12.0), "12");
    }
}
