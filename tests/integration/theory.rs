//! Reference results from queueing theory (shared/reference/theory.md),
//! computed from the parameters each test uses. The unit tests at the
//! bottom check the formulas against the published examples.

/// M/M/1 mean time in system.
pub fn mm1_mean(lambda: f64, mu: f64) -> f64 {
    1.0 / (mu - lambda)
}

/// M/M/1 p-quantile of time in system.
pub fn mm1_quantile(lambda: f64, mu: f64, p: f64) -> f64 {
    -(1.0 - p).ln() / (mu - lambda)
}

fn factorial_ratio_terms(a: f64, c: u32) -> (f64, f64) {
    // sum_{k<c} A^k/k!, and A^c/c!
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    (sum, term)
}

/// Erlang C: the probability an arrival waits in M/M/c.
pub fn erlang_c(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    let (sum, last) = factorial_ratio_terms(a, c);
    let top = last * c as f64 / (c as f64 - a);
    top / (sum + top)
}

/// M/M/c mean wait in queue.
pub fn mmc_mean_wait(lambda: f64, mu: f64, c: u32) -> f64 {
    erlang_c(lambda, mu, c) / (c as f64 * mu - lambda)
}

/// M/M/c mean time in system.
pub fn mmc_mean(lambda: f64, mu: f64, c: u32) -> f64 {
    mmc_mean_wait(lambda, mu, c) + 1.0 / mu
}

/// M/M/c: P(T > t).
pub fn mmc_tail(lambda: f64, mu: f64, c: u32, t: f64) -> f64 {
    let cc = erlang_c(lambda, mu, c);
    let a = c as f64 * mu - lambda;
    if (a - mu).abs() < 1e-12 {
        // Limit a -> mu: C * (1 + mu t) e^{-mu t}.
        return (1.0 - cc) * (-mu * t).exp() + cc * (1.0 + mu * t) * (-mu * t).exp();
    }
    (1.0 - cc) * (-mu * t).exp() + cc * (a * (-mu * t).exp() - mu * (-a * t).exp()) / (a - mu)
}

/// M/M/c p-quantile of time in system, by bisection on the tail.
pub fn mmc_quantile(lambda: f64, mu: f64, c: u32, p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while mmc_tail(lambda, mu, c, hi) > 1.0 - p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mmc_tail(lambda, mu, c, mid) > 1.0 - p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Erlang B: the blocking probability of M/M/c/c with offered load A.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    let (sum, last) = factorial_ratio_terms(a, c);
    last / (sum + last)
}

/// Pollaczek-Khinchine mean wait in M/G/1, given E[S] and E[S^2].
pub fn pk_mean_wait(lambda: f64, es: f64, es2: f64) -> f64 {
    let rho = lambda * es;
    lambda * es2 / (2.0 * (1.0 - rho))
}

#[cfg(test)]
mod examples {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    #[test]
    fn mm1_examples() {
        assert!(close(mm1_mean(0.9, 1.0), 10.0));
        assert!(close(mm1_quantile(0.5, 1.0, 0.5), 1.3863));
        assert!(close(mm1_quantile(0.5, 1.0, 0.99), 9.2103));
        assert!(close(mm1_quantile(0.9, 1.0, 0.999), 69.0776));
    }

    #[test]
    fn mmc_examples() {
        // c = 2, rho = 0.8: C = 0.7111, mean T = 2.7778.
        assert!(close(erlang_c(1.6, 1.0, 2), 0.7111));
        assert!(close(mmc_mean(1.6, 1.0, 2), 2.7778));
        // c = 1 reduces to M/M/1.
        assert!(close(mmc_quantile(0.9, 1.0, 1, 0.99), 46.0517));
    }

    #[test]
    fn erlang_b_and_pk_examples() {
        assert!(close(erlang_b(5, 3.0), 0.1101));
        // M/D/1 at rho 0.8: Wq = 2.0.
        assert!(close(pk_mean_wait(0.8, 1.0, 1.0), 2.0));
    }
}

/// Zipf(alpha) request probabilities over n objects.
pub fn zipf_probabilities(n: usize, alpha: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-alpha)).collect();
    let total: f64 = w.iter().sum();
    w.into_iter().map(|x| x / total).collect()
}

/// Che's approximation of an LRU cache's hit ratio under the independent
/// reference model: t_C solves sum(1 - e^{-q t_C}) = C, and
/// H = sum q (1 - e^{-q t_C}).
pub fn che_lru_hit_ratio(q: &[f64], capacity: f64) -> f64 {
    let filled = |t: f64| q.iter().map(|&p| 1.0 - (-p * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while filled(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if filled(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    q.iter().map(|&p| p * (1.0 - (-p * t).exp())).sum()
}

/// The hit ratio of the best static cache: the `capacity` most popular
/// objects.
pub fn static_top_hit_ratio(q: &[f64], capacity: usize) -> f64 {
    q.iter().take(capacity).sum()
}

#[cfg(test)]
mod che_examples {
    use super::*;

    #[test]
    fn che_matches_the_reference_example() {
        let q = zipf_probabilities(10_000, 1.0);
        assert!((che_lru_hit_ratio(&q, 1000.0) - 0.6756).abs() < 5e-4);
        assert!((static_top_hit_ratio(&q, 1000) - 0.7648).abs() < 5e-4);
    }
}
