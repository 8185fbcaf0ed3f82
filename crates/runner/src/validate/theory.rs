//! Reference results from queueing and caching theory, computed from a
//! case's own parameters. The unit tests check each formula against the
//! published examples (see `docs/FIDELITY.md` for the sources).

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
    solve_increasing(|t| 1.0 - mmc_tail(lambda, mu, c, t), p)
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
    che_lru_hit_ratio_with_writes(q, capacity, 0.0)
}

/// Che's approximation for a cache-aside LRU cache where a fraction
/// `writes` of requests (to every key alike) invalidate the key instead of
/// reading it. A key is cached when its last request was a read within
/// t_C: t_C solves sum (1 - w)(1 - e^{-q t_C}) = C, and the hit ratio of
/// reads is H = sum q (1 - w)(1 - e^{-q t_C}).
pub fn che_lru_hit_ratio_with_writes(q: &[f64], capacity: f64, writes: f64) -> f64 {
    let read = 1.0 - writes;
    let filled = |t: f64| q.iter().map(|&p| read * (1.0 - (-p * t).exp())).sum::<f64>();
    let t = solve_increasing(filled, capacity);
    q.iter().map(|&p| p * read * (1.0 - (-p * t).exp())).sum()
}

/// The hit ratio of the best static cache: the `capacity` most popular
/// objects.
pub fn static_top_hit_ratio(q: &[f64], capacity: usize) -> f64 {
    q.iter().take(capacity).sum()
}

/// The supermarket model's mean time in system (n -> infinity servers,
/// join the shortest of `d` sampled queues, service rate 1, arrival rate
/// `lambda` per server): sum_{i>=1} lambda^((d^i - d)/(d - 1)).
pub fn supermarket_mean(lambda: f64, d: u32) -> f64 {
    if d == 1 {
        return 1.0 / (1.0 - lambda);
    }
    let d = d as f64;
    let mut sum = 0.0;
    for i in 1..200 {
        let term = lambda.powf((d.powi(i) - d) / (d - 1.0));
        sum += term;
        if term < 1e-15 {
            break;
        }
    }
    sum
}

/// The supermarket model with `n` servers, simulated on its own, apart
/// from tailsim's engine, as the finite-n reference the mean-field limit
/// cannot give: `n` exponential servers (rate 1), Poisson arrivals at
/// `lambda` per server, each joining the shortest of `d` distinct queues
/// drawn at random (the first drawn among equals). It steps the Markov
/// chain of queue lengths directly, event by event, and takes the mean time
/// in system from Little's law (time-averaged number in system over the
/// arrival rate), after a warm-up of a fifth of `customers`. Returns the
/// mean over `reps` independent runs and the half-width of its 99% interval.
pub fn supermarket_reference(n: usize, d: usize, lambda: f64, customers: u64, reps: u32, seed: u64) -> (f64, f64) {
    assert!(n > 0 && d > 0 && lambda > 0.0 && customers > 0 && reps > 1, "a supermarket model to simulate");
    let means: Vec<f64> = (0..reps)
        .map(|r| {
            let mut state = seed ^ (r as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut unit = || (tailsim_engine::rng::splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
            let (mut queue, mut busy) = (vec![0u32; n], Vec::with_capacity(n));
            let mut perm: Vec<usize> = (0..n).collect();
            let arrival_rate = lambda * n as f64;
            let (mut in_system, mut arrivals, mut area, mut time) = (0u64, 0u64, 0.0, 0.0);
            let warmup = customers / 5;
            while arrivals < warmup + customers {
                let rate = arrival_rate + busy.len() as f64;
                let dt = -(1.0 - unit()).ln() / rate;
                if arrivals >= warmup {
                    area += in_system as f64 * dt;
                    time += dt;
                }
                if unit() * rate < arrival_rate {
                    let mut best = usize::MAX;
                    for i in 0..d.min(n) {
                        let j = i + (unit() * (n - i) as f64) as usize;
                        perm.swap(i, j.min(n - 1));
                        if best == usize::MAX || queue[perm[i]] < queue[best] {
                            best = perm[i];
                        }
                    }
                    queue[best] += 1;
                    if queue[best] == 1 {
                        busy.push(best);
                    }
                    in_system += 1;
                    arrivals += 1;
                } else {
                    let k = ((unit() * busy.len() as f64) as usize).min(busy.len() - 1);
                    let server = busy[k];
                    queue[server] -= 1;
                    if queue[server] == 0 {
                        busy.swap_remove(k);
                    }
                    in_system -= 1;
                }
            }
            area / time / arrival_rate
        })
        .collect();
    let (mean, half) = crate::stats::Estimate::interval(&means, 0.99);
    (mean, half.unwrap_or(f64::INFINITY))
}

/// The hit ratio of a FIFO (or random-replacement) cache under the
/// independent reference model, by the Che-like approximation of Martina,
/// Garetto and Leonardi (2014): T solves sum q T / (1 + q T) = C, and
/// H = sum q (q T / (1 + q T)).
pub fn fifo_hit_ratio(q: &[f64], capacity: f64) -> f64 {
    let filled = |t: f64| q.iter().map(|&p| p * t / (1.0 + p * t)).sum::<f64>();
    let t = solve_increasing(filled, capacity);
    q.iter().map(|&p| p * p * t / (1.0 + p * t)).sum()
}

/// The `t` at which an increasing `f` reaches `target`, by doubling then
/// bisection.
fn solve_increasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while f(hi) < target {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Exact mean-value analysis of `users` closed-loop users, each thinking
/// for a mean `think` between requests, and one queue with `servers`
/// identical servers of mean service time `service` (a multi-server queue
/// is handled exactly with the marginal-probability recursion). Returns
/// (throughput, mean response time).
pub fn closed_loop_mva(users: u32, think: f64, service: f64, servers: u32) -> (f64, f64) {
    let c = servers as usize;
    // p[j]: probability of j requests at the queue, for the current
    // population.
    let mut p = vec![1.0];
    let (mut x, mut r) = (0.0, 0.0);
    for n in 1..=users as usize {
        // Response time: each of the j already there ahead, served c at a
        // time.
        r = (0..n)
            .map(|j| {
                let pj = p.get(j).copied().unwrap_or(0.0);
                let wait = if j + 1 > c { (j + 1 - c) as f64 / c as f64 } else { 0.0 };
                pj * (1.0 + wait) * service
            })
            .sum();
        x = n as f64 / (r + think);
        let mut next = vec![0.0; n + 1];
        for (j, slot) in next.iter_mut().enumerate().skip(1) {
            let rate = (j.min(c)) as f64 / service;
            *slot = x / rate * p.get(j - 1).copied().unwrap_or(0.0);
        }
        next[0] = 1.0 - next[1..].iter().sum::<f64>();
        p = next;
    }
    (x, r)
}

/// The p-quantile of the slowest of `n` independent exponential latencies
/// with rate `mu`: F(x)^n = p.
pub fn fanout_exponential_quantile(n: u32, mu: f64, p: f64) -> f64 {
    -(1.0 - p.powf(1.0 / n as f64)).ln() / mu
}

/// The p-quantile of a request hedged after `h`: the first of the original
/// and a copy sent at `h` to answer, each exponential with rate `mu` and
/// independent (light load): P(T > t) = S(t) S(t - h) for t >= h.
pub fn hedged_exponential_quantile(mu: f64, h: f64, p: f64) -> f64 {
    let tail = |t: f64| {
        let s = (-mu * t).exp();
        if t < h { s } else { s * (-mu * (t - h)).exp() }
    };
    solve_increasing(|t| 1.0 - tail(t), p)
}

/// Expected attempts per call with up to `retries` retries, each attempt
/// failing independently with probability `p`: (1 - p^(N+1)) / (1 - p).
pub fn retry_attempts(p: f64, retries: u32) -> f64 {
    (1.0 - p.powi(retries as i32 + 1)) / (1.0 - p)
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

    #[test]
    fn supermarket_examples() {
        assert!(close(supermarket_mean(0.9, 2), 2.6141));
        assert!(close(supermarket_mean(0.9, 1), 10.0));
    }

    #[test]
    fn che_examples() {
        let q = zipf_probabilities(10_000, 1.0);
        assert!(close(che_lru_hit_ratio(&q, 1000.0), 0.6756));
        assert!(close(static_top_hit_ratio(&q, 1000), 0.7648));
        // FIFO does worse than LRU, and both worse than the static best.
        let fifo = fifo_hit_ratio(&q, 1000.0);
        assert!(fifo < 0.6756 && fifo > 0.5, "{fifo}");
    }

    #[test]
    fn mva_reduces_to_known_cases() {
        // One user: no queueing, R = S.
        let (x, r) = closed_loop_mva(1, 9.0, 1.0, 1);
        assert!(close(r, 1.0) && close(x, 0.1));
        // Many users saturate the server: X -> 1/S, R -> N S - Z.
        let (x, r) = closed_loop_mva(200, 10.0, 1.0, 1);
        assert!(close(x, 1.0) && (r - 190.0).abs() < 1e-3, "{x} {r}");
        // Enough servers: no waiting.
        let (_, r) = closed_loop_mva(5, 10.0, 1.0, 5);
        assert!(close(r, 1.0));
    }

    #[test]
    fn fanout_hedge_and_retry_formulas() {
        // One leaf: the exponential quantile.
        assert!(close(fanout_exponential_quantile(1, 1.0, 0.99), 4.6052));
        // Hedging at h = 0 halves the rate; hedging never is plain.
        assert!(close(hedged_exponential_quantile(1.0, 0.0, 0.99), 4.6052 / 2.0));
        assert!(close(hedged_exponential_quantile(1.0, 100.0, 0.99), 4.6052));
        assert!(close(retry_attempts(0.5, 2), 1.75));
        assert!(close(retry_attempts(0.0, 5), 1.0));
    }
}
