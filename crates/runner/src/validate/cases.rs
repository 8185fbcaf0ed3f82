//! The reference cases. Each builds its models in TOML, runs replications
//! and returns checks. Service times have a mean of 1 ms, so rates per ms
//! are utilisations and times are in ms. Replication counts and run lengths
//! are set so that the 99% intervals are a few percent of the value or
//! tighter (the full run), or tight enough to catch a wrong model (quick).

use tailsim_components::result::RunResult;

use super::theory as th;
use super::{Check, Rule, model, replicate};

pub struct Case {
    pub name: &'static str,
    /// Part of the quick subset.
    pub quick: bool,
    pub run: fn(bool) -> Vec<Check>,
}

pub fn all() -> Vec<Case> {
    vec![
        Case { name: "M/M/1", quick: true, run: mm1 },
        Case { name: "M/M/c", quick: true, run: mmc },
        Case { name: "M/G/1", quick: true, run: mg1 },
        Case { name: "M/M/c/c", quick: true, run: erlang_b },
        Case { name: "power of d choices", quick: true, run: power_of_d },
        Case { name: "closed loop", quick: true, run: closed_loop },
        Case { name: "caches under Zipf", quick: false, run: caches },
        Case { name: "fan-out and hedging", quick: true, run: fanout_and_hedging },
        Case { name: "retry amplification", quick: true, run: retries },
    ]
}

fn check(case: &str, quantity: &str, theory: f64, samples: Vec<f64>, rule: Rule) -> Check {
    Check { case: case.into(), quantity: quantity.into(), theory, samples, rule }
}

fn each(runs: &[RunResult], f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

/// Client latency quantile, in ms.
fn quantile_ms(r: &RunResult, q: f64) -> f64 {
    r.clients[0].latency_ok.quantile(q).map_or(f64::NAN, |v| v as f64 / 1e6)
}

fn mean_ms(r: &RunResult) -> f64 {
    r.clients[0].latency_ok.mean().map_or(f64::NAN, |v| v / 1e6)
}

/// One FIFO queue with `workers` servers of exponential service (mean
/// 1 ms), `rate` requests per ms.
fn queue(rate: f64, workers: u32, service: &str, extra: &str, secs: u64) -> String {
    format!(
        r#"
[sim]
duration = "{secs}s"
warmup = "{warm}s"
[client.c]
target = "q"
rate = {rps}
[service.q]
workers = {workers}
service_time = {service}
{extra}
"#,
        warm = secs / 10,
        rps = rate * 1000.0,
    )
}

const EXP_1MS: &str = r#"{ dist = "exponential", mean = "1ms" }"#;

fn mm1(quick: bool) -> Vec<Check> {
    let rhos: &[f64] = if quick { &[0.9] } else { &[0.5, 0.7, 0.8, 0.9] };
    let (reps, secs) = if quick { (6, 60) } else { (20, 400) };
    let mut out = Vec::new();
    for &rho in rhos {
        let runs = replicate(&model(&queue(rho, 1, EXP_1MS, "", secs), &[]), reps);
        let case = format!("M/M/1 ρ={rho}");
        out.push(check(&case, "mean T ms", th::mm1_mean(rho, 1.0), each(&runs, mean_ms), Rule::Exact));
        for (q, name) in [(0.5, "p50 T ms"), (0.99, "p99 T ms"), (0.999, "p99.9 T ms")] {
            out.push(check(
                &case,
                name,
                th::mm1_quantile(rho, 1.0, q),
                each(&runs, |r| quantile_ms(r, q)),
                Rule::Exact,
            ));
        }
    }
    out
}

fn mmc(quick: bool) -> Vec<Check> {
    let cases: &[(u32, f64)] = if quick { &[(2, 0.9)] } else { &[(2, 0.7), (2, 0.9), (8, 0.7), (8, 0.9)] };
    let (reps, secs) = if quick { (6, 60) } else { (20, 200) };
    let mut out = Vec::new();
    for &(c, rho) in cases {
        let lambda = rho * c as f64;
        let runs = replicate(&model(&queue(lambda, c, EXP_1MS, "", secs), &[]), reps);
        let case = format!("M/M/{c} ρ={rho}");
        let waited = |r: &RunResult| r.services[0].waited as f64 / r.services[0].arrivals as f64;
        let wait_ms = |r: &RunResult| r.services[0].wait_mean().unwrap_or(f64::NAN) / 1e6;
        out.push(check(&case, "P(wait)", th::erlang_c(lambda, 1.0, c), each(&runs, waited), Rule::Exact));
        out.push(check(&case, "mean wait ms", th::mmc_mean_wait(lambda, 1.0, c), each(&runs, wait_ms), Rule::Exact));
        out.push(check(
            &case,
            "p99 T ms",
            th::mmc_quantile(lambda, 1.0, c, 0.99),
            each(&runs, |r| quantile_ms(r, 0.99)),
            Rule::Exact,
        ));
    }
    out
}

fn mg1(quick: bool) -> Vec<Check> {
    // (name, service time, rho, E[S^2] in ms^2)
    let alpha: f64 = 3.5;
    let scale = (alpha - 1.0) / alpha; // mean 1 ms
    let pareto_es2 = alpha * scale * scale / (alpha - 2.0);
    let pareto = format!(r#"{{ dist = "pareto", scale = "{}ns", shape = {alpha} }}"#, (scale * 1e6).round());
    let all: Vec<(&str, String, f64, f64)> = vec![
        ("M/D/1", r#"{ dist = "constant", value = "1ms" }"#.into(), 0.8, 1.0),
        ("M/G/1 lognormal cv=2", r#"{ dist = "lognormal", mean = "1ms", cv = 2.0 }"#.into(), 0.7, 5.0),
        ("M/G/1 Pareto α=3.5", pareto, 0.5, pareto_es2),
    ];
    let (reps, secs) = if quick { (6, 60) } else { (20, 400) };
    let mut out = Vec::new();
    for (name, service, rho, es2) in all.into_iter().take(if quick { 1 } else { 3 }) {
        let runs = replicate(&model(&queue(rho, 1, &service, "", secs), &[]), reps);
        let theory = th::pk_mean_wait(rho, 1.0, es2) + 1.0;
        out.push(check(&format!("{name} ρ={rho}"), "mean T ms (P-K)", theory, each(&runs, mean_ms), Rule::Exact));
    }
    out
}

fn erlang_b(quick: bool) -> Vec<Check> {
    let cases: &[(u32, f64)] = if quick { &[(5, 3.0)] } else { &[(5, 3.0), (10, 8.0)] };
    let (reps, secs) = if quick { (6, 60) } else { (20, 200) };
    cases
        .iter()
        .map(|&(c, a)| {
            let runs = replicate(&model(&queue(a, c, EXP_1MS, "queue_capacity = 0", secs), &[]), reps);
            let blocked = |r: &RunResult| {
                let s = &r.services[0];
                s.rejected as f64 / (s.arrivals + s.rejected) as f64
            };
            check(
                &format!("M/M/{c}/{c} A={a}"),
                "P(blocked) (Erlang B)",
                th::erlang_b(c, a),
                each(&runs, blocked),
                Rule::Exact,
            )
        })
        .collect()
}

/// `n` single-worker servers behind a balancer choosing the shortest of
/// `d` sampled queues.
fn supermarket(n: u32, d: u32, lambda: f64, secs: u64) -> String {
    format!(
        r#"
[sim]
duration = "{secs}s"
warmup = "{warm}s"
[client.c]
target = "lb"
rate = {rps}
[balancer.lb]
target = "s"
policy = "power_of_d"
choices = {d}
[service.s]
replicas = {n}
service_time = {{ dist = "exponential", mean = "1ms" }}
"#,
        warm = secs / 5,
        rps = lambda * n as f64 * 1000.0,
    )
}

fn power_of_d(quick: bool) -> Vec<Check> {
    let cases: &[(u32, f64)] =
        if quick { &[(2, 0.9)] } else { &[(2, 0.5), (2, 0.8), (2, 0.9), (3, 0.5), (3, 0.8), (3, 0.9)] };
    let (reps, secs) = if quick { (4, 10) } else { (10, 30) };
    // The reference is the same 100 servers simulated apart from the
    // engine (the mean-field limit is for infinitely many, and 100 servers
    // come out several percent above it); the check allows its own 99%
    // interval beside the simulated one, and nothing more.
    let customers = if quick { 400_000 } else { 2_000_000 };
    let mut out: Vec<Check> = cases
        .iter()
        .map(|&(d, lambda)| {
            let runs = replicate(&model(&supermarket(100, d, lambda, secs), &[]), reps);
            let (reference, half) = th::supermarket_reference(100, d as usize, lambda, customers, 8, 0x5eed);
            let mut c = check(
                &format!("power of {d} choices, 100 servers, λ={lambda}"),
                "mean T ms",
                reference,
                each(&runs, mean_ms),
                Rule::Approximate {
                    margin: half / reference,
                    reason: "an independent simulation of the same 100 servers, within its own 99% interval",
                },
            );
            let limit = th::supermarket_mean(lambda, d);
            c.quantity = format!("mean T ms (mean-field limit {limit:.4}: +{:.1}%)", (reference / limit - 1.0) * 100.0);
            c
        })
        .collect();
    if !quick {
        // The gap to the limit shrinks as the server count grows.
        let limit = th::supermarket_mean(0.9, 2);
        let gaps: Vec<(u32, f64)> = [10, 30, 100]
            .iter()
            .map(|&n| {
                let runs = replicate(&model(&supermarket(n, 2, 0.9, 30), &[]), 10);
                let m = each(&runs, mean_ms).iter().sum::<f64>() / runs.len() as f64;
                (n, (m - limit) / limit)
            })
            .collect();
        let holds = gaps.windows(2).all(|w| w[1].1 < w[0].1);
        let text: Vec<String> = gaps.iter().map(|(n, g)| format!("n={n}: +{:.1}%", g * 100.0)).collect();
        let mut c = check(
            "power of 2 choices, λ=0.9",
            "gap to the limit shrinks with n",
            f64::NAN,
            Vec::new(),
            Rule::Property { holds },
        );
        c.quantity = format!("gap to the limit shrinks with n ({})", text.join(", "));
        out.push(c);
    }
    out
}

fn closed_loop(quick: bool) -> Vec<Check> {
    let cases: &[(u32, u32)] = if quick { &[(20, 1)] } else { &[(20, 1), (60, 4)] };
    let (reps, secs) = if quick { (6, 60) } else { (20, 200) };
    let think = 15.0;
    let mut out = Vec::new();
    for &(users, servers) in cases {
        let text = format!(
            r#"
[sim]
duration = "{secs}s"
warmup = "{warm}s"
[client.c]
target = "q"
users = {users}
think_time = {{ dist = "exponential", mean = "15ms" }}
[service.q]
workers = {servers}
service_time = {{ dist = "exponential", mean = "1ms" }}
"#,
            warm = secs / 10
        );
        let runs = replicate(&model(&text, &[]), reps);
        let (x, r) = th::closed_loop_mva(users, think, 1.0, servers);
        let case = format!("closed loop N={users} Z=15ms c={servers}");
        let throughput = |run: &RunResult| run.clients[0].ok as f64 / run.measured_secs() / 1000.0;
        out.push(check(&case, "mean response ms (MVA)", r, each(&runs, mean_ms), Rule::Exact));
        out.push(check(&case, "throughput per ms (MVA)", x, each(&runs, throughput), Rule::Exact));
        // The interactive response time law R = N/X - Z, from measured X.
        let law = |run: &RunResult| users as f64 / throughput(run) - think - mean_ms(run);
        out.push(check(&case, "N/X - Z - R ms (response time law)", 0.0, each(&runs, law), Rule::Exact));
    }
    out
}

fn caches(quick: bool) -> Vec<Check> {
    // LFU learns popularity from counts: long runs, so that keys of nearly
    // equal popularity near the cut are ordered well enough.
    let (reps, secs) = if quick { (4, 120) } else { (10, 600) };
    let q = th::zipf_probabilities(10_000, 1.0);
    let cases = [
        ("lru", th::che_lru_hit_ratio(&q, 1000.0), Rule::Approximate { margin: 0.01, reason: "Che's approximation" }),
        (
            "fifo",
            th::fifo_hit_ratio(&q, 1000.0),
            Rule::Approximate { margin: 0.01, reason: "Che-like approximation for FIFO (Martina et al.)" },
        ),
        (
            "lfu",
            th::static_top_hit_ratio(&q, 1000),
            Rule::LimitFromBelow {
                margin: 0.01,
                reason: "the best static cache bounds LFU; counts from a finite run misorder near-equal keys",
            },
        ),
    ];
    cases
        .into_iter()
        .map(|(eviction, theory, rule)| {
            let text = format!(
                r#"
[sim]
duration = "{secs}s"
warmup = "{warm}s"
[client.c]
target = "cache"
rate = 1000.0
keys = {{ dist = "zipf", n = 10000, s = 1.0 }}
[cache.cache]
capacity = 1000
eviction = "{eviction}"
service_time = {{ dist = "constant", value = "0ns" }}
origin = "db"
[service.db]
workers = 1000
service_time = {{ dist = "constant", value = "0ns" }}
"#,
                warm = secs / 6
            );
            let runs = replicate(&model(&text, &[]), reps);
            let hits = |r: &RunResult| r.caches[0].hit_ratio().unwrap_or(f64::NAN);
            check(
                &format!("{} cache, Zipf(1), 10,000 keys, 1,000 slots", eviction.to_uppercase()),
                "hit ratio",
                theory,
                each(&runs, hits),
                rule,
            )
        })
        .collect()
}

fn fanout_and_hedging(quick: bool) -> Vec<Check> {
    let (reps, secs) = if quick { (6, 60) } else { (20, 200) };
    let ns: &[u32] = if quick { &[10] } else { &[10, 100] };
    let mut out = Vec::new();
    for &n in ns {
        let text = format!(
            r#"
[sim]
duration = "{secs}s"
warmup = "1s"
[client.c]
target = "root"
rate = 200.0
[service.root]
workers = 1000
steps = [{{ fanout = "leaf", n = {n}, wait = "all" }}]
[service.leaf]
workers = 100000
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
        );
        let runs = replicate(&model(&text, &[]), reps);
        let case = format!("fan-out to {n} leaves, no queueing");
        for (q, name) in [(0.5, "p50 ms (F(x)^n)"), (0.99, "p99 ms (F(x)^n)")] {
            let theory = th::fanout_exponential_quantile(n, 1.0, q);
            out.push(check(&case, name, theory, each(&runs, |r| quantile_ms(r, q)), Rule::Exact));
        }
    }
    // A hedge at about p95 (3 ms of an exponential with mean 1 ms).
    let text = format!(
        r#"
[sim]
duration = "{secs}s"
warmup = "1s"
[client.c]
target = "leaf"
rate = 1000.0
hedge = {{ after = "3ms" }}
[service.leaf]
workers = 100000
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
    );
    let runs = replicate(&model(&text, &[]), reps);
    let case = "hedged after 3 ms, light load";
    for (q, name) in [(0.99, "p99 ms (S(t)S(t-h))"), (0.999, "p99.9 ms (S(t)S(t-h))")] {
        let theory = th::hedged_exponential_quantile(1.0, 3.0, q);
        out.push(check(case, name, theory, each(&runs, |r| quantile_ms(r, q)), Rule::Exact));
    }
    let extra = |r: &RunResult| r.hops[0].attempts as f64 / r.hops[0].calls as f64;
    out.push(check(case, "attempts per request (1 + S(h))", 1.0 + (-3.0f64).exp(), each(&runs, extra), Rule::Exact));
    out
}

fn retries(quick: bool) -> Vec<Check> {
    let (reps, secs) = if quick { (6, 30) } else { (20, 100) };
    let cases: &[(f64, u32)] = if quick { &[(0.3, 3)] } else { &[(0.1, 2), (0.3, 3), (0.5, 5)] };
    cases
        .iter()
        .map(|&(p, retries)| {
            let text = format!(
                r#"
[sim]
duration = "{secs}s"
warmup = "1s"
[client.c]
target = "s"
rate = 1000.0
retry = {{ attempts = {attempts}, backoff = "fixed", base = "1ms", cap = "1ms" }}
[service.s]
workers = 1000
failure_probability = {p}
service_time = {{ dist = "exponential", mean = "1ms" }}
"#,
                attempts = retries + 1
            );
            let runs = replicate(&model(&text, &[]), reps);
            let per_call = |r: &RunResult| r.hops[0].attempts as f64 / r.hops[0].calls as f64;
            check(
                &format!("retries: p={p}, up to {retries} retries"),
                "attempts per call ((1-p^(N+1))/(1-p))",
                th::retry_attempts(p, retries),
                each(&runs, per_call),
                Rule::Exact,
            )
        })
        .collect()
}
