//! `tailsim fit`: which distribution describes a latency file?
//!
//! Three candidates are fitted to the observations (samples, or counts in
//! bins, as [`Observations`] holds them): an exponential, a lognormal
//! (reported by mean and cv) and a two-part mixture of lognormals. Either
//! by maximum likelihood (exact for samples, interval-censored for bins:
//! each bin contributes its count times the log of the candidate's mass
//! in it) or by quantile matching (least squares on log quantiles at p10
//! to p99.9). The best candidate is the one with the lowest BIC, k ln n -
//! 2 ln L, whichever way it was fitted. Each is shown with its
//! Kolmogorov–Smirnov distance and its relative error at p50, p99 and
//! p99.9, and as the TOML to paste into a model.
//!
//! With maximum likelihood, each reported parameter has a 95% interval
//! from the observed information: the inverse Hessian of -ln L at the
//! estimate, carried to the reported parameters by the delta method.

mod data;
mod family;
mod optimise;

use std::fmt::Write as _;

use crate::stats::normal_quantile;
pub use data::FitData;
pub use family::{Family, Model};
use optimise::{hessian, invert, nelder_mead};
use tailsim_components::observations::Observations;

/// How candidates are fitted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    MaximumLikelihood,
    Quantiles,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::MaximumLikelihood => "maximum likelihood",
            Method::Quantiles => "quantile matching",
        }
    }
}

/// A reported parameter: value, and its 95% half-width when known.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub value: f64,
    pub half_width: Option<f64>,
    /// A duration in ms (else a plain number).
    pub duration: bool,
}

/// One fitted candidate.
#[derive(Clone, Debug)]
pub struct Fitted {
    pub family: Family,
    pub model: Model,
    pub params: Vec<Param>,
    pub loglik: f64,
    pub bic: f64,
    pub ks: f64,
    /// (percentile, relative error of the candidate's quantile against the
    /// observed one).
    pub errors: Vec<(f64, f64)>,
    pub toml: String,
}

/// Every candidate, and which is best.
#[derive(Clone, Debug)]
pub struct FitReport {
    pub n: f64,
    pub method: Method,
    pub candidates: Vec<Fitted>,
    pub best: usize,
}

impl FitReport {
    pub fn best(&self) -> &Fitted {
        &self.candidates[self.best]
    }
}

/// The probabilities quantile matching uses.
const LEVELS: [f64; 8] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

/// Fits every candidate to `obs`.
pub fn fit(obs: &Observations, method: Method) -> Result<FitReport, String> {
    let data = FitData::new(obs)?;
    let n = data.n();
    if n < 10.0 {
        return Err(format!("{n} observations are too few to fit a distribution to (at least 10 are needed)"));
    }
    let q = |p: f64| obs.quantile(p) / 1e6;
    let mut candidates = Vec::new();
    for family in Family::ALL {
        let (model, cov) = match method {
            Method::MaximumLikelihood => mle(family, &data, &q),
            Method::Quantiles => (match_quantiles(family, obs, n), None),
        };
        let theta = family.theta(&model);
        let reported = model.reported();
        let half_widths = cov.as_ref().map(|c| delta_half_widths(family, &theta, c));
        let params = reported
            .iter()
            .enumerate()
            .map(|(i, &(name, value, duration))| Param {
                name,
                value,
                half_width: half_widths.as_ref().and_then(|h| h[i]),
                duration,
            })
            .collect();
        let loglik = data.loglik(&model);
        let errors = [50.0, 99.0, 99.9]
            .iter()
            .map(|&p| {
                let observed = q(p / 100.0);
                (p, (model.quantile(p / 100.0) - observed) / observed)
            })
            .collect();
        candidates.push(Fitted {
            family,
            params,
            loglik,
            bic: family.k() as f64 * n.ln() - 2.0 * loglik,
            ks: data.ks(&model),
            errors,
            toml: model.toml(),
            model,
        });
    }
    let best = (0..candidates.len())
        .min_by(|&a, &b| candidates[a].bic.total_cmp(&candidates[b].bic))
        .expect("three candidates");
    Ok(FitReport { n, method, candidates, best })
}

/// Maximum likelihood: the estimate and the covariance of its unconstrained
/// parameters (the inverse observed information), when that is positive
/// definite.
fn mle(family: Family, data: &FitData, q: &dyn Fn(f64) -> f64) -> (Model, Option<Vec<Vec<f64>>>) {
    let theta = match (family, data) {
        // Closed forms for samples.
        (Family::Exponential, FitData::Samples(s)) => vec![(s.iter().sum::<f64>() / s.len() as f64).ln()],
        (Family::LogNormal, FitData::Samples(s)) => {
            let n = s.len() as f64;
            let mu = s.iter().map(|x| x.ln()).sum::<f64>() / n;
            let var = s.iter().map(|x| (x.ln() - mu).powi(2)).sum::<f64>() / n;
            vec![mu, 0.5 * var.ln()]
        }
        (Family::Mixture, _) => {
            let grouped = data.grouped();
            let coarse = |t: &[f64]| bounded(family, t, || -grouped.loglik(&family.model(t)));
            let start = best_of(&coarse, &mixture_starts(q));
            match data {
                FitData::Samples(_) => {
                    let exact = |t: &[f64]| bounded(family, t, || -data.loglik(&family.model(t)));
                    nelder_mead(&exact, &start, 0.02, 1e-11, 600).0
                }
                FitData::Bins(_) => start,
            }
        }
        _ => {
            let nll = |t: &[f64]| bounded(family, t, || -data.loglik(&family.model(t)));
            best_of(&nll, &starts(family, q))
        }
    };
    let nll = |t: &[f64]| -data.loglik(&family.model(t));
    let model = family.model(&theta);
    let cov =
        invert(&hessian(&nll, &theta, 1e-4)).filter(|c| (0..c.len()).all(|i| c[i][i] > 0.0 && c[i][i].is_finite()));
    (model, cov)
}

/// Lognormal shapes are kept to sigma in [0.001, 3] (cv up to about 90)
/// and mixture weights to [0.0001, 0.9999]: outside, a part degenerates
/// into a spike or a flat line that fits a handful of quantiles but is not
/// a latency distribution.
fn bounded(family: Family, t: &[f64], f: impl FnOnce() -> f64) -> f64 {
    let sigma_ok = |ln_sigma: f64| (0.001f64.ln()..=3f64.ln()).contains(&ln_sigma);
    let ok = match family {
        Family::Exponential => true,
        Family::LogNormal => sigma_ok(t[1]),
        Family::Mixture => sigma_ok(t[2]) && sigma_ok(t[4]) && t[0].abs() <= (0.9999f64 / 0.0001).ln(),
    };
    if ok { f() } else { f64::INFINITY }
}

/// Starting points from the observed quantiles (log space).
fn starts(family: Family, q: &dyn Fn(f64) -> f64) -> Vec<Vec<f64>> {
    let mu = q(0.5).ln();
    let sigma = ((q(0.9).ln() - mu) / 1.281_551_565_5).max(0.05);
    match family {
        Family::Exponential => vec![vec![(q(0.5) / std::f64::consts::LN_2).ln()]],
        Family::LogNormal => vec![vec![mu, sigma.ln()]],
        Family::Mixture => mixture_starts(q),
    }
}

/// A body around the median with a tail part around p99, with several
/// weights, and an even split between the quartiles.
fn mixture_starts(q: &dyn Fn(f64) -> f64) -> Vec<Vec<f64>> {
    let (q25, q50, q75, q99) = (q(0.25).ln(), q(0.5).ln(), q(0.75).ln(), q(0.99).ln());
    let s = ((q75 - q25) / 1.349).max(0.05).ln();
    let logit = |w: f64| (w / (1.0 - w)).ln();
    let mut v = Vec::new();
    for w in [0.99, 0.95, 0.8] {
        v.push(vec![logit(w), q50, s, q99, s]);
    }
    v.push(vec![0.0, q25, s, q75, s]);
    v
}

/// The best Nelder–Mead result from several starts, polished by a restart
/// from its optimum (a restart escapes a collapsed simplex).
fn best_of(f: &dyn Fn(&[f64]) -> f64, starts: &[Vec<f64>]) -> Vec<f64> {
    let mut best: Option<(Vec<f64>, f64)> = None;
    for s in starts {
        let (x, v) = nelder_mead(f, s, 0.3, 1e-9, 1500);
        if best.as_ref().is_none_or(|b| v < b.1) {
            best = Some((x, v));
        }
    }
    let (x, _) = best.expect("at least one start");
    nelder_mead(f, &x, 0.05, 1e-11, 1500).0
}

/// Quantile matching: least squares on log quantiles at the levels with
/// at least five observations above them.
fn match_quantiles(family: Family, obs: &Observations, n: f64) -> Model {
    let points: Vec<(f64, f64)> = LEVELS
        .iter()
        .filter(|&&p| n * (1.0 - p) >= 5.0)
        .map(|&p| (p, obs.quantile(p) / 1e6))
        .filter(|&(_, v)| v > 0.0)
        .map(|(p, v)| (p, v.ln()))
        .collect();
    let k = points.len() as f64;
    match family {
        Family::Exponential => {
            let ln_mean = points.iter().map(|&(p, lq)| lq - (-(-p).ln_1p()).ln()).sum::<f64>() / k;
            Model::Exponential { mean: ln_mean.exp() }
        }
        Family::LogNormal => {
            // Regression of ln q on z_p: slope sigma, intercept mu.
            let zs: Vec<f64> = points.iter().map(|&(p, _)| normal_quantile(p)).collect();
            let (mz, mq) = (zs.iter().sum::<f64>() / k, points.iter().map(|p| p.1).sum::<f64>() / k);
            let sxy: f64 = zs.iter().zip(&points).map(|(z, p)| (z - mz) * (p.1 - mq)).sum();
            let sxx: f64 = zs.iter().map(|z| (z - mz).powi(2)).sum();
            let sigma = (sxy / sxx).max(1e-6);
            Model::LogNormal { mu: mq - sigma * mz, sigma }
        }
        Family::Mixture => {
            let q = |p: f64| obs.quantile(p) / 1e6;
            let loss = |t: &[f64]| {
                bounded(family, t, || {
                    let m = family.model(t);
                    points.iter().map(|&(p, lq)| (m.quantile(p).ln() - lq).powi(2)).sum::<f64>()
                })
            };
            family.model(&best_of(&loss, &mixture_starts(&q)))
        }
    }
}

/// 95% half-widths of the reported parameters by the delta method.
fn delta_half_widths(family: Family, theta: &[f64], cov: &[Vec<f64>]) -> Vec<Option<f64>> {
    let report = |t: &[f64]| -> Vec<f64> { family.model(t).reported().iter().map(|r| r.1).collect() };
    let base = report(theta);
    let h = 1e-6;
    // Jacobian, column by column.
    let jac: Vec<Vec<f64>> = (0..theta.len())
        .map(|j| {
            let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
            up[j] += h;
            down[j] -= h;
            let (u, d) = (report(&up), report(&down));
            u.iter().zip(&d).map(|(a, b)| (a - b) / (2.0 * h)).collect()
        })
        .collect();
    (0..base.len())
        .map(|i| {
            let mut var = 0.0;
            for a in 0..theta.len() {
                for b in 0..theta.len() {
                    var += jac[a][i] * cov[a][b] * jac[b][i];
                }
            }
            (var > 0.0 && var.is_finite()).then(|| 1.959_963_984_540_054 * var.sqrt())
        })
        .collect()
}

fn show_param(p: &Param) -> String {
    let unit = if p.duration { " ms" } else { "" };
    let v = family::number(p.value);
    match p.half_width {
        Some(h) => format!("{} {v} ± {}{unit}", p.name, two_digits(h)),
        None => format!("{} {v}{unit}", p.name),
    }
}

/// Two significant digits.
fn two_digits(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (1 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

/// The report as `tailsim fit` prints it; the last line is the TOML to
/// paste.
pub fn render(report: &FitReport, source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{source}: {} observations, fitted by {}\n", report.n, report.method.name());
    let mut rows =
        vec![["candidate", "ln L", "BIC", "KS", "p50 err", "p99 err", "p99.9 err"].map(String::from).to_vec()];
    for (i, c) in report.candidates.iter().enumerate() {
        let mut row = vec![
            format!("{}{}", c.family.name(), if i == report.best { " *" } else { "" }),
            format!("{:.1}", c.loglik),
            format!("{:.1}", c.bic),
            format!("{:.4}", c.ks),
        ];
        row.extend(c.errors.iter().map(|&(_, e)| format!("{:+.1}%", e * 100.0)));
        rows.push(row);
    }
    out.push_str(&crate::table::align(&rows));
    let _ = writeln!(out, "* lowest BIC (k ln n - 2 ln L); err is (fitted - observed) / observed\n");
    let _ = writeln!(
        out,
        "parameters{}",
        if report.method == Method::MaximumLikelihood { " (± 95% interval)" } else { "" }
    );
    for c in &report.candidates {
        let shown: Vec<String> = c.params.iter().map(show_param).collect();
        let params = match c.family {
            Family::Mixture => {
                format!("part 1: {}, {}, {}; part 2: {}, {}", shown[0], shown[1], shown[2], shown[3], shown[4])
            }
            _ => shown.join(", "),
        };
        let _ = writeln!(out, "  {:<12} {params}", c.family.name());
    }
    let _ = writeln!(out, "\nas TOML");
    for c in &report.candidates {
        let _ = writeln!(out, "  {:<12} {}", c.family.name(), c.toml);
    }
    let _ = writeln!(out, "\nservice_time = {}", report.best().toml);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lognormal samples from a fixed stream, in nanoseconds.
    fn lognormal_samples(mu_ms: f64, sigma: f64, n: usize, seed: u64) -> Observations {
        use rand::RngExt;
        let mut rng = tailsim_engine::rng::stream(seed, "fit");
        let mut xs: Vec<f64> = (0..n)
            .map(|_| {
                let z: f64 = rng.sample(rand_distr::StandardNormal);
                (mu_ms + sigma * z).exp() * 1e6
            })
            .collect();
        xs.sort_by(f64::total_cmp);
        Observations::Samples(xs)
    }

    #[test]
    fn the_information_interval_matches_the_analytic_one() {
        // For the lognormal MLE, se(mu) = sigma / sqrt(n) and se(sigma) =
        // sigma / sqrt(2n); the delta method carries them to mean and cv.
        let obs = lognormal_samples(0.5, 0.8, 20_000, 3);
        let data = FitData::new(&obs).unwrap();
        let q = |p: f64| obs.quantile(p) / 1e6;
        let (model, cov) = mle(Family::LogNormal, &data, &q);
        let Model::LogNormal { sigma, .. } = model else { panic!() };
        let cov = cov.unwrap();
        let n = 20_000.0;
        assert!((cov[0][0].sqrt() / (sigma / f64::sqrt(n)) - 1.0).abs() < 1e-3, "{cov:?}");
        // ln sigma has se 1 / sqrt(2n).
        assert!((cov[1][1].sqrt() * (2.0 * n).sqrt() - 1.0).abs() < 1e-3, "{cov:?}");
    }

    #[test]
    fn a_lognormal_is_recognised_and_a_mixture_too() {
        let obs = lognormal_samples(0.5, 0.8, 20_000, 4);
        let r = fit(&obs, Method::MaximumLikelihood).unwrap();
        assert_eq!(r.best().family, Family::LogNormal, "{}", render(&r, "x"));
        // A mixture: 90% around 1 ms, 10% around 20 ms.
        let Observations::Samples(mut a) = lognormal_samples(0.0, 0.3, 18_000, 5) else { panic!() };
        let Observations::Samples(b) = lognormal_samples(20f64.ln(), 0.3, 2_000, 6) else { panic!() };
        a.extend(b);
        a.sort_by(f64::total_cmp);
        let r = fit(&Observations::Samples(a), Method::MaximumLikelihood).unwrap();
        assert_eq!(r.best().family, Family::Mixture, "{}", render(&r, "x"));
        let Model::Mixture { w, .. } = r.best().model else { panic!() };
        assert!((w - 0.9).abs() < 0.01, "{w}");
        let q = fit(&obs, Method::Quantiles).unwrap();
        assert!(q.candidates.iter().all(|c| c.params.iter().all(|p| p.half_width.is_none())));
    }
}
