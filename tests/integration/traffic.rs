//! Clients behave as the traffic they describe: constant spacing, rate
//! schedules, spikes, diurnal curves, bursts, on/off, closed-loop users,
//! the read/write mix and request classes.

use crate::common::{assert_in_ci99, ci99, model, per_run, replicate};

/// Mean per-window throughput over windows starting in [from, to) seconds.
fn window_rate(r: &tailsim_components::result::RunResult, from: f64, to: f64) -> f64 {
    let w = r.window as f64 / 1e9;
    let rows: Vec<_> = r
        .series
        .iter()
        .filter(|row| {
            let t = row.start as f64 / 1e9;
            t >= from && t < to
        })
        .collect();
    rows.iter().map(|row| (row.ok + row.errors) as f64 / w).sum::<f64>() / rows.len() as f64
}

const FAST: &str = r#"
[service.app]
replicas = 1
workers = 64
service_time = { dist = "constant", value = "1ms" }
"#;

#[test]
fn constant_arrivals_are_evenly_spaced() {
    let m = model(&format!(
        "[sim]\nduration = \"10s\"\nwarmup = \"0s\"\n[client.c]\ntarget = \"app\"\nrate = 250.0\narrival = \"constant\"\n{FAST}"
    ));
    let r = tailsim_components::sim::run(&m, 1).unwrap();
    // 2,500 arrivals in 10 s, 4 ms apart, the first at 4 ms.
    assert!((r.clients[0].sent as i64 - 2500).abs() <= 1, "{}", r.clients[0].sent);
    assert_eq!(r.series[0].ok, 249, "arrivals at 4, 8, ..., 996 ms");
    for row in &r.series[1..9] {
        assert_eq!(row.ok, 250, "every later window sees exactly 250");
    }
}

#[test]
fn schedules_spikes_and_diurnal_curves_shape_the_rate() {
    let m = model(&format!(
        r#"
[sim]
duration = "60s"
warmup = "0s"
[client.c]
target = "app"
rate = 200.0
schedule = [{{ at = "20s", rate = 600.0 }}, {{ at = "40s", rate = 200.0, ramp = true }}]
spike = {{ at = "10s", duration = "5s", factor = 3.0 }}
{FAST}"#
    ));
    let runs = replicate(&m, 6);
    let check = |what: &str, from: f64, to: f64, expected: f64| {
        assert_in_ci99(what, &per_run(&runs, |r| window_rate(r, from, to)), expected);
    };
    check("before the spike", 0.0, 10.0, 200.0);
    check("during the 3x spike", 10.0, 15.0, 600.0);
    check("between the spike and the step", 15.0, 20.0, 200.0);
    // From the 600 set at 20 s the rate ramps down to reach 200 at 40 s:
    // 400 on average over [20, 40), then 200.
    check("during the ramp from 600 to 200", 20.0, 40.0, 400.0);
    check("after the ramp", 40.0, 60.0, 200.0);

    let d = model(&format!(
        r#"
[sim]
duration = "100s"
warmup = "0s"
[client.c]
target = "app"
rate = 300.0
diurnal = {{ period = "100s", peak_at = "25s", peak = 2.0, trough = 0.5 }}
{FAST}"#
    ));
    let runs = replicate(&d, 6);
    // Over [20, 30) the curve stays within 2% of its peak, 2.0 x 300; over
    // [70, 80) near its trough, 0.5 x 300. Compare to the curve's average.
    let avg = |a: f64, b: f64| {
        let n = 1000;
        (0..n)
            .map(|i| {
                let t = a + (b - a) * (i as f64 + 0.5) / n as f64;
                300.0 * (1.25 + 0.75 * (2.0 * std::f64::consts::PI * (t - 25.0) / 100.0).cos())
            })
            .sum::<f64>()
            / n as f64
    };
    assert_in_ci99("diurnal peak", &per_run(&runs, |r| window_rate(r, 20.0, 30.0)), avg(20.0, 30.0));
    assert_in_ci99("diurnal trough", &per_run(&runs, |r| window_rate(r, 70.0, 80.0)), avg(70.0, 80.0));
}

#[test]
fn bursts_and_on_off_have_the_right_mean_and_are_bursty() {
    let m = model(&format!(
        r#"
[sim]
duration = "400s"
warmup = "0s"
[client.c]
target = "app"
rate = 100.0
burst = {{ factor = 10.0, mean_burst = "2s", mean_between = "18s" }}
{FAST}"#
    ));
    let runs = replicate(&m, 8);
    // Long-run mean: 100 x (18 + 10 x 2) / 20 = 190 per second.
    assert_in_ci99("MMPP mean rate", &per_run(&runs, |r| r.clients[0].sent as f64 / r.measured_secs()), 190.0);
    // Per-second counts of a Poisson process have variance = mean; bursts
    // make it far larger (index of dispersion well above 1).
    let dispersion = per_run(&runs, |r| {
        let counts: Vec<f64> = r.series.iter().map(|w| (w.ok + w.errors) as f64).collect();
        let mean = counts.iter().sum::<f64>() / counts.len() as f64;
        counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (counts.len() - 1) as f64 / mean
    });
    let (d, h) = ci99(&dispersion);
    assert!(d - h > 20.0, "index of dispersion {d} ± {h}");

    let o = model(&format!(
        r#"
[sim]
duration = "300s"
warmup = "0s"
[client.c]
target = "app"
rate = 400.0
on_off = {{ mean_on = "1s", mean_off = "3s" }}
{FAST}"#
    ));
    let runs = replicate(&o, 8);
    assert_in_ci99("on/off mean rate", &per_run(&runs, |r| r.clients[0].sent as f64 / r.measured_secs()), 100.0);
}

/// The interactive response time law: with N users, think time Z and
/// throughput X, the mean response time is R = N / X - Z.
#[test]
fn closed_loop_users_obey_the_response_time_law() {
    let m = model(
        r#"
[sim]
duration = "120s"
warmup = "10s"
[client.users]
target = "app"
users = 40
think_time = { dist = "exponential", mean = "100ms" }
[service.app]
replicas = 2
workers = 2
service_time = { dist = "exponential", mean = "12ms" }
"#,
    );
    let runs = replicate(&m, 10);
    let r = per_run(&runs, |r| r.clients[0].latency_ok.mean().unwrap() / 1e9);
    let law = per_run(&runs, |r| {
        let x = r.clients[0].ok as f64 / r.measured_secs();
        40.0 / x - 0.1
    });
    let (law_mean, _) = ci99(&law);
    assert_in_ci99("R = N/X - Z", &r, law_mean);
    // The utilisation law, U = X S / workers, holds as well.
    let expected = per_run(&runs, |r| r.clients[0].ok as f64 / r.measured_secs() * 0.012 / 4.0);
    let (u_law, _) = ci99(&expected);
    assert_in_ci99("U = X S / c", &per_run(&runs, |r| r.services[0].utilisation()), u_law);
}

#[test]
fn writes_run_the_write_handler() {
    let m = model(
        r#"
[sim]
duration = "60s"
warmup = "5s"
[client.c]
target = "app"
rate = 200.0
write_fraction = 0.25
[service.app]
workers = 8
service_time = { dist = "constant", value = "1ms" }
write_steps = [{ compute = { dist = "constant", value = "9ms" } }]
"#,
    );
    let runs = replicate(&m, 6);
    // 75% reads at 1 ms, 25% writes at 9 ms: 3 ms on average.
    assert_in_ci99("mean compute", &per_run(&runs, |r| r.services[0].compute_mean().unwrap() / 1e6), 3.0);
}

/// Classes with a priority queue: the favoured class barely waits, the
/// other absorbs the queueing; FIFO treats them alike.
#[test]
fn priority_by_class_serves_the_favoured_class_first() {
    let text = |discipline: &str| {
        format!(
            r#"
[sim]
duration = "60s"
warmup = "5s"
[client.checkout]
target = "app"
rate = 300.0
class = "checkout"
[client.browse]
target = "app"
rate = 550.0
class = "browse"
[service.app]
discipline = "{discipline}"
priorities = {{ checkout = 0 }}
service_time = {{ dist = "exponential", mean = "1ms" }}
"#
        )
    };
    let runs = replicate(&model(&text("priority")), 6);
    let mean = |runs: &[tailsim_components::result::RunResult], i: usize| {
        ci99(&per_run(runs, |r| r.clients[i].latency_ok.mean().unwrap() / 1e6)).0
    };
    // Clients sort by name: browse = 0, checkout = 1.
    let (browse, checkout) = (mean(&runs, 0), mean(&runs, 1));
    assert!(checkout * 3.0 < browse, "checkout {checkout:.2} ms vs browse {browse:.2} ms");
    // Non-preemptive priority M/M/1 (Cobham): W_k = W0 / ((1 - s_{k-1})(1 - s_k)).
    let (rho_hi, rho) = (0.3, 0.85);
    let w0 = rho * 1.0; // lambda E[S^2] / 2 with E[S^2] = 2 ms^2
    let theory_hi = w0 / (1.0 - rho_hi) + 1.0;
    let theory_lo = w0 / ((1.0 - rho_hi) * (1.0 - rho)) + 1.0;
    assert_in_ci99(
        "priority class (Cobham)",
        &per_run(&runs, |r| r.clients[1].latency_ok.mean().unwrap() / 1e6),
        theory_hi,
    );
    assert_in_ci99(
        "other class (Cobham)",
        &per_run(&runs, |r| r.clients[0].latency_ok.mean().unwrap() / 1e6),
        theory_lo,
    );
}

/// LIFO keeps the mean (work is conserved) but stretches the tail.
#[test]
fn lifo_keeps_the_mean_and_stretches_the_tail() {
    let text = |d: &str| {
        format!(
            "[sim]\nduration = \"100s\"\nwarmup = \"10s\"\n[client.c]\ntarget = \"app\"\nrate = 800.0\n[service.app]\ndiscipline = \"{d}\"\nservice_time = {{ dist = \"exponential\", mean = \"1ms\" }}\n"
        )
    };
    let fifo = replicate(&model(&text("fifo")), 8);
    let lifo = replicate(&model(&text("lifo")), 8);
    let mean = |r: &tailsim_components::result::RunResult| r.clients[0].latency_ok.mean().unwrap() / 1e6;
    assert_in_ci99("FIFO mean = M/M/1", &per_run(&fifo, mean), 5.0);
    assert_in_ci99("LIFO mean = M/M/1", &per_run(&lifo, mean), 5.0);
    let p999 =
        |r: &tailsim_components::result::RunResult| r.clients[0].latency_ok.quantile(0.999).unwrap() as f64 / 1e6;
    let (f, fh) = ci99(&per_run(&fifo, p999));
    let (l, lh) = ci99(&per_run(&lifo, p999));
    assert!(l - lh > f + fh, "LIFO p99.9 {l:.1} ± {lh:.1} vs FIFO {f:.1} ± {fh:.1}");
}

#[test]
fn a_rate_shape_costs_work_only_where_it_is_in_force() {
    // Thinning is against the bound of the segment in force, not the
    // overall peak: a millionfold spike after the run ends adds no events,
    // and one inside the run costs in proportion to its own arrivals.
    let base = "[sim]\nduration = \"10s\"\nwarmup = \"0s\"\n[client.web]\ntarget = \"app\"\nrate = 100.0\n\
                [service.app]\nworkers = 4\nservice_time = { dist = \"exponential\", mean = \"1ms\" }\n";
    let events = |extra: &str| {
        let spec = model(&format!("{base}{extra}"));
        tailsim_components::sim::run(&spec, 7).unwrap().events
    };
    let plain = events("");
    let late = events("[client.web.spike]\nat = \"20s\"\nduration = \"5s\"\nfactor = 1000000.0\n");
    assert!(late as f64 <= 1.05 * plain as f64, "a spike after the run: {late} events against {plain}");
    // A tenfold spike over 1 s of 10 adds about 9 s worth of arrivals:
    // 1.9x the events, not the 10x that thinning against the peak costs.
    let inside = events("[client.web.spike]\nat = \"4s\"\nduration = \"1s\"\nfactor = 10.0\n");
    let ratio = inside as f64 / plain as f64;
    assert!((1.6..2.3).contains(&ratio), "a spike inside the run: {inside} events against {plain} ({ratio:.2}x)");
}
