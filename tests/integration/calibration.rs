//! Calibration from production data: every file format round-trips within
//! its resolution, `fit` recovers a known lognormal within its intervals,
//! `[[observed]]` tells a generating model from one 20% slower, rate and
//! key files drive traffic exactly, and the worked example's data is what
//! its script makes.

use std::collections::BTreeMap;
use std::path::Path;

use tailsim_components::dist::Dist;
use tailsim_components::spec::{DistSpec, Duration, TimeUnit};
use tailsim_config::data_file::{Observations, Source, csv, hgrm, hlog, prometheus};
use tailsim_engine::rng::stream;
use tailsim_engine::stats::LatencyHistogram;

use crate::common::{assert_in_ci99, read, replicate, root, tailsim, tailsim_ok};

#[path = "../../examples/calibration_data/generate.rs"]
mod generate;

const QUANTILES: [f64; 5] = [0.25, 0.5, 0.9, 0.99, 0.999];

/// 100,000 draws (ns, sorted) from the worked example's API mixture.
fn known_samples() -> Vec<u64> {
    let d = Dist::new(&generate::api_compute()).unwrap();
    let mut rng = stream(99, "round-trip");
    let mut xs: Vec<u64> = (0..100_000).map(|_| d.sample(&mut rng)).collect();
    xs.sort_unstable();
    xs
}

fn src<'a>(name: &'a str, text: &'a str) -> Source<'a> {
    Source { path: Path::new(name), text }
}

#[test]
fn csv_samples_round_trip_to_the_nanosecond() {
    // Written in ms with 6 decimals: each value is rounded to 0.5 ns.
    let xs: Vec<f64> = known_samples().iter().map(|&v| v as f64).collect();
    let text = csv::write("latency_ms", TimeUnit::Millis, &xs);
    let obs = csv::read(&src("l.csv", &text), TimeUnit::Millis, None).unwrap();
    let original = Observations::Samples(xs.clone());
    for q in QUANTILES {
        assert!((obs.quantile(q) - original.quantile(q)).abs() <= 0.5 + 1e-9 * original.quantile(q), "q {q}");
    }
    assert_eq!(obs.count(), 100_000.0);
}

#[test]
fn hgrm_written_by_tailsim_round_trips_within_its_rows() {
    let mut h = LatencyHistogram::new();
    for v in known_samples() {
        h.record(v);
    }
    let text = tailsim_runner::output::hgrm(&h);
    let obs = hgrm::read(&src("a.hgrm", &text), TimeUnit::Millis).unwrap();
    assert_eq!(obs.count(), h.count() as f64);
    // The rows: (value ns, total count), values printed to 0.001 ms.
    let rows: Vec<(f64, f64)> = text
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with('#'))
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            (c[0].parse::<f64>().unwrap() * 1e6, c[2].parse().unwrap())
        })
        .collect();
    let print = 0.0005e6;
    let n = h.count() as f64;
    // At a row's cumulative fraction the file is exact (to the print).
    for &(v, c) in &rows {
        let read_back = obs.quantile(c / n);
        assert!(read_back <= v + 1e-6, "row {v}: {read_back}");
    }
    // Between rows, a quantile and the histogram's own both lie between
    // the two rows that bracket it: the format's resolution.
    for q in QUANTILES {
        let i = rows.iter().position(|&(_, c)| c >= q * n).unwrap();
        let (lo, hi) = (if i == 0 { rows[0].0 } else { rows[i - 1].0 }, rows[i].0);
        let truth = h.quantile(q).unwrap() as f64;
        let got = obs.quantile(q);
        assert!(got >= lo - print && got <= hi + print, "q {q}: {got} outside rows [{lo}, {hi}]");
        assert!((got - truth).abs() <= hi - lo + 2.0 * print, "q {q}: {got} against the histogram's {truth}");
    }
}

#[test]
fn hlog_round_trips_within_a_bucket() {
    let xs = known_samples();
    let (mut a, mut b) = (LatencyHistogram::new(), LatencyHistogram::new());
    for (i, &v) in xs.iter().enumerate() {
        if i % 2 == 0 { a.record(v) } else { b.record(v) }
    }
    let text = hlog::write(&[a.hdr(), b.hdr()], 60.0, None);
    let obs = hlog::read(&src("x.hlog", &text), TimeUnit::Nanos, None).unwrap();
    let mut all = a.clone();
    all.merge(&b);
    let hdr = all.hdr();
    for q in QUANTILES {
        let v = hdr.value_at_quantile(q);
        // The bucket holding the quantile: one HdrHistogram bucket wide.
        let width = (hdr.highest_equivalent(v) - hdr.lowest_equivalent(v) + 1) as f64;
        let got = obs.quantile(q);
        assert!((got - v as f64).abs() <= width, "q {q}: {got} against {v} (bucket {width} ns)");
    }
}

#[test]
fn prometheus_buckets_round_trip_within_a_bucket() {
    let xs = known_samples();
    let le_s: Vec<f64> = (0..24).map(|i| 0.0005 * 1.35f64.powi(i)).collect();
    let mut buckets: Vec<(f64, f64)> =
        le_s.iter().map(|&le| (le, xs.iter().filter(|&&v| v as f64 <= le * 1e9).count() as f64)).collect();
    buckets.push((f64::INFINITY, xs.len() as f64));
    let text = prometheus::write_text("api_seconds", &[("job", "api")], &buckets);
    let csv_text = prometheus::write_csv(&buckets);
    let none = BTreeMap::new();
    let from_text = prometheus::read(&src("a.prom", &text), TimeUnit::Seconds, None, &none, false).unwrap();
    let from_csv = prometheus::read(&src("a.csv", &csv_text), TimeUnit::Seconds, None, &none, true).unwrap();
    assert_eq!(from_text, from_csv);
    let samples = Observations::Samples(xs.iter().map(|&v| v as f64).collect());
    let n = xs.len() as f64;
    for q in QUANTILES {
        let truth = samples.quantile(q);
        let j = le_s.iter().position(|&le| le * 1e9 >= truth).unwrap();
        let (lo, hi) = (if j == 0 { 0.0 } else { le_s[j - 1] * 1e9 }, le_s[j] * 1e9);
        let got = from_text.quantile(q);
        assert!(got >= lo && got <= hi, "q {q}: {got} outside the bucket [{lo}, {hi}] of {truth}");
    }
    // At a bucket bound the file is exact.
    for &(le, c) in &buckets[..buckets.len() - 1] {
        if c > 0.0 && c < n {
            assert!((from_text.quantile(c / n) - le * 1e9).abs() < 1e-3, "le {le}");
        }
    }
}

/// Lognormal samples in ns: mean 2 ms, cv 1.5.
fn lognormal_draws(n: usize, seed: u64) -> Observations {
    let d = Dist::new(&DistSpec::LogNormal { mean: Duration::from_millis(2), cv: 1.5 }).unwrap();
    let mut rng = stream(seed, "fit");
    let mut xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng) as f64).collect();
    xs.sort_by(f64::total_cmp);
    Observations::Samples(xs)
}

#[test]
fn fit_recovers_a_known_lognormal_within_its_intervals() {
    use tailsim_runner::fit::{Family, Method, fit};
    let reps = 20;
    let (mut means, mut cvs, mut se_mean, mut se_cv) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for seed in 0..reps {
        let r = fit(&lognormal_draws(5000, 100 + seed), Method::MaximumLikelihood).unwrap();
        assert_eq!(r.best().family, Family::LogNormal, "seed {seed}");
        let c = r.candidates.iter().find(|c| c.family == Family::LogNormal).unwrap();
        means.push(c.params[0].value);
        cvs.push(c.params[1].value);
        se_mean.push(c.params[0].half_width.unwrap() / 1.959_964);
        se_cv.push(c.params[1].half_width.unwrap() / 1.959_964);
    }
    assert_in_ci99("fitted mean (ms)", &means, 2.0);
    assert_in_ci99("fitted cv", &cvs, 1.5);
    // The printed intervals are honest: the estimates' spread across draws
    // matches the reported standard error. var / se^2 follows
    // chi^2(19) / 19, whose 99% range is [6.844, 38.582] / 19.
    for (what, xs, se) in [("mean", &means, &se_mean), ("cv", &cvs, &se_cv)] {
        let m = xs.iter().sum::<f64>() / reps as f64;
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (reps - 1) as f64;
        let se2 = se.iter().map(|s| s * s).sum::<f64>() / reps as f64;
        let ratio = var / se2;
        assert!((6.844 / 19.0..=38.582 / 19.0).contains(&ratio), "{what}: var / se^2 = {ratio}");
    }
}

#[test]
fn the_toml_fit_prints_loads_as_a_distribution() {
    let dir = tempfile::tempdir().unwrap();
    let Observations::Samples(xs) = lognormal_draws(4000, 7) else { unreachable!() };
    let path = dir.path().join("lat.csv");
    std::fs::write(&path, csv::write("latency_ms", TimeUnit::Millis, &xs)).unwrap();
    let out = tailsim_ok(&["fit", path.to_str().unwrap(), "--format", "csv", "--unit", "ms"]);
    assert!(out.contains("lognormal *"), "{out}");
    let mut lines: Vec<&str> =
        out.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_alphabetic())).collect();
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("service_time = { dist = \"lognormal\""), "{last}");
    lines.retain(|l| l.contains("{ dist"));
    assert_eq!(lines.len(), 4, "three candidates and the chosen one:\n{out}");
    for l in lines {
        let value = l.split_once('{').map(|(_, rest)| format!("{{{rest}")).unwrap();
        let text = format!(
            "[sim]\nduration = \"1s\"\n[client.web]\ntarget = \"app\"\nrate = 10.0\n[service.app]\nservice_time = {value}\n"
        );
        tailsim_config::ModelFile::from_text("fitted.toml", &text).load(&[]).unwrap_or_else(|e| panic!("{l}\n{e}"));
    }
}

const OBSERVED_MODEL: &str = "[sim]
duration = \"30s\"
warmup = \"3s\"
replications = 4
[client.web]
target = \"app\"
rate = 500.0
[service.app]
workers = 4
service_time = { dist = \"lognormal\", mean = \"4ms\", cv = 0.8 }
";

#[test]
fn observed_passes_on_the_generating_model_and_fails_with_service_times_20_percent_slower() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.toml"), OBSERVED_MODEL).unwrap();
    // "Production": the model itself, with its own seed.
    let prod = d.join("prod");
    tailsim_ok(&["run", d.join("m.toml").to_str().unwrap(), "--seed", "1001", "--out", prod.to_str().unwrap()]);
    let experiment = |name: &str, set: &str| {
        let text = format!(
            "model = \"m.toml\"\nset = [{set}]\n[run]\nseed = 2002\n\n[[observed]]\npath = \"prod/points/0/latency.hgrm\"\nunit = \"ms\"\nmetric = \"latency\"\ntolerance = 0.05\nfail_sweep = true\n\n[[observed]]\npath = \"prod/points/0/latency.hgrm\"\nunit = \"ms\"\nmetric = \"app.latency\"\ntolerance = 0.05\n"
        );
        let path = d.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let same = experiment("same.toml", "");
    let out = d.join("same-out");
    let o = tailsim(&["sweep", same.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("✓ reproduced at 1/1 points"), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let observed = summary["observed"].as_array().unwrap();
    assert_eq!(observed.len(), 2);
    for o in observed {
        assert_eq!(o["failed"].as_array().unwrap().len(), 0, "{o}");
        assert_eq!(o["points"][0]["checks"].as_array().unwrap().len(), 4);
    }

    let slower = experiment("slower.toml", "\"service.app.service_time.mean=4.8ms\"");
    let out = d.join("slower-out");
    let o = tailsim(&["sweep", slower.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "a miss fails the sweep:\n{stdout}");
    assert!(stdout.contains("✗ reproduced at 0/1 points"), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    for o in summary["observed"].as_array().unwrap() {
        // p50, p90 and p99 are missed; the p99.9 of some 50 slow requests
        // has an interval wide enough that it may not be.
        let checks = o["points"][0]["checks"].as_array().unwrap();
        assert!(checks[..3].iter().all(|c| c["pass"] == false), "{o}");
    }
}

/// The rows of the shipped day of rates: (seconds into the run, rate).
fn shipped_rates() -> Vec<(f64, f64)> {
    read(&root().join("models/data/api_rates.csv"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let (m, r) = l.split_once(',').unwrap();
            (m.parse::<f64>().unwrap() * 60.0 / generate::SPEEDUP, r.parse().unwrap())
        })
        .collect()
}

/// The integral of the linearly interpolated rows over [a, b] (the last
/// row's rate holds after it), by the trapezoid rule piece by piece.
fn integral(rows: &[(f64, f64)], a: f64, b: f64) -> f64 {
    let rate = |t: f64| {
        let i = rows.partition_point(|r| r.0 <= t);
        if i == 0 {
            return rows[0].1;
        }
        if i == rows.len() {
            return rows[i - 1].1;
        }
        let (t0, r0, t1, r1) = (rows[i - 1].0, rows[i - 1].1, rows[i].0, rows[i].1);
        r0 + (r1 - r0) * (t - t0) / (t1 - t0)
    };
    let mut cuts: Vec<f64> = vec![a, b];
    cuts.extend(rows.iter().map(|r| r.0).filter(|&t| t > a && t < b));
    cuts.sort_by(f64::total_cmp);
    cuts.windows(2).map(|w| (w[1] - w[0]) * (rate(w[0]) + rate(w[1])) / 2.0).sum()
}

#[test]
fn a_rate_file_is_replayed_exactly_and_check_sees_its_mean_and_peak() {
    let spec = tailsim_config::ModelFile::read(&root().join("models/calibrated_api.toml"))
        .and_then(|m| m.load(&[]))
        .unwrap_or_else(|e| panic!("{e}"));
    let model = spec.clone();
    let spec = spec.into_spec();
    let rows = shipped_rates();
    let web = &spec.client["users"];
    assert_eq!(web.rate, Some(rows[0].1));
    assert_eq!(web.schedule.len(), rows.len() - 1);
    for (p, r) in web.schedule.iter().zip(&rows[1..]) {
        assert!(p.ramp && p.rate == r.1 && p.at == Duration::from_secs_f64(r.0), "{p:?} against {r:?}");
    }
    let duration = spec.sim.duration.as_secs_f64();
    let mean = integral(&rows, 0.0, duration) / duration;
    let peak = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let load = tailsim_components::analysis::analyse(&model);
    let api = load.services.iter().find(|s| s.name == "api").unwrap();
    assert!((api.offered_rps - mean).abs() <= 1e-9 * mean, "offered {} against {mean}", api.offered_rps);
    assert_eq!(api.peak_rps, peak);
    // And the simulated clients send at that rate over the measured span.
    let warmup = spec.sim.fixed_warmup().unwrap().as_secs_f64();
    let measured = integral(&rows, warmup, duration) / (duration - warmup);
    let runs = replicate(&spec, 5);
    let sent: Vec<f64> = runs.iter().map(|r| r.clients[0].sent as f64 / r.measured_secs()).collect();
    assert_in_ci99("offered rate from the file", &sent, measured);
}

#[test]
fn keys_from_a_file_are_drawn_by_their_counts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keys.csv"), "key,requests\nhot,500\nwarm,300\ncool,150\ncold,50\n").unwrap();
    let text = "[sim]\nduration = \"20s\"\nwarmup = \"1s\"\nreplications = 5\n[client.web]\ntarget = \"c\"\nrate = 2000.0\nkeys = { file = \"keys.csv\", count_column = \"requests\", key_column = \"key\" }\n[cache.c]\ncapacity = 10\nservice_time = { dist = \"constant\", value = \"10us\" }\norigin = \"db\"\n[service.db]\nworkers = 8\nservice_time = { dist = \"constant\", value = \"1ms\" }\n";
    std::fs::write(dir.path().join("m.toml"), text).unwrap();
    let spec = tailsim_config::ModelFile::read(&dir.path().join("m.toml")).unwrap().load(&[]).unwrap().into_spec();
    let runs = replicate(&spec, 5);
    for (key, share) in [(0u64, 0.5), (1, 0.3), (2, 0.15), (3, 0.05)] {
        let shares: Vec<f64> = runs
            .iter()
            .map(|r| {
                let c = &r.caches[0];
                let total: u64 = c.top_keys.iter().map(|k| k.1).sum();
                c.top_keys.iter().find(|k| k.0 == key).map_or(0.0, |k| k.1 as f64 / total as f64)
            })
            .collect();
        assert_in_ci99(&format!("share of key {key}"), &shares, share);
    }
}

#[test]
fn the_worked_example_data_is_what_its_script_makes() {
    for (path, text) in generate::files() {
        assert!(read(&root().join(path)) == text, "{path} differs from `cargo run --example calibration_data`");
    }
}

#[test]
fn the_worked_example_reproduces_its_observation() {
    let out = tempfile::tempdir().unwrap();
    let o = tailsim(&["sweep", "experiments/calibrated_api.toml", "--out", out.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("✓ reproduced at 1/1 points"), "{stdout}");
}

#[test]
fn a_bad_data_file_is_reported_at_its_line_and_at_the_model_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lat.csv"), "latency_ms\n1.5\n-2\n").unwrap();
    let model = dir.path().join("m.toml");
    std::fs::write(
        &model,
        "[client.web]\ntarget = \"app\"\nrate = 10.0\n[service.app]\nservice_time = { dist = \"file\", path = \"lat.csv\", format = \"csv\", unit = \"ms\" }\n",
    )
    .unwrap();
    let o = tailsim(&["check", model.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let data = dir.path().join("lat.csv").display().to_string();
    assert!(err.contains("`latency_ms` `-2` is negative"), "{err}");
    assert!(err.contains(&format!("--> {data}:3:1")), "{err}");
    assert!(err.contains(&format!("named by `service.app.service_time` at {}:5:40", model.display())), "{err}");
    // `fit` reports the same file and line.
    let o = tailsim(&["fit", dir.path().join("lat.csv").to_str().unwrap(), "--format", "csv", "--unit", "ms"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("--> {data}:3:1")) && err.contains("is negative"), "{err}");
}
