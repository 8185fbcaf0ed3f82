//! The data behind `models/calibrated_api.toml`, made from a known system
//! so the worked example can show that calibration recovers it. Nothing
//! here was measured.
//!
//! The "production" system: an API whose compute time is a mixture (92%
//! lognormal with mean 3 ms and cv 0.6, 8% lognormal with mean 18 ms and
//! cv 0.5) calling a database whose query time is lognormal (mean 1.5 ms,
//! cv 1.2), under a day of traffic between about 100 and 500 requests per
//! second. The files are what its dashboards would export:
//!
//! - `api_compute.hgrm`: 200,000 API compute times, as an HdrHistogram
//!   percentile file in ms (tailsim's writer);
//! - `db_query.prom`: 300,000 query times from two database instances, as
//!   Prometheus histogram buckets in seconds;
//! - `api_rates.csv`: the day's request rate, per minute;
//! - `edge_latency.hgrm`: end-to-end latency of the system itself over
//!   the day (replayed in 120 s, three replications), the observation the
//!   calibrated model is checked against.
//!
//! Shared by `examples/calibration_data.rs` (which writes the files) and
//! the test suite (which checks the shipped files are what this makes).

use std::f64::consts::PI;

use tailsim_components::dist::Dist;
use tailsim_components::spec::{
    CallSpec, ClientSpec, DatastoreSpec, DistSpec, Duration, ModelSpec, RatePoint, ServiceSpec, StepSpec,
};
use tailsim_engine::rng::stream;
use tailsim_engine::stats::LatencyHistogram;
use tailsim_runner::execute::{Silent, run_replications};

const SEED: u64 = 20_240_501;

fn ms(v: f64) -> Duration {
    Duration::from_nanos((v * 1e6).round() as u64)
}

/// The API's compute time.
pub fn api_compute() -> DistSpec {
    DistSpec::Mixture(vec![
        (0.92, DistSpec::LogNormal { mean: ms(3.0), cv: 0.6 }),
        (0.08, DistSpec::LogNormal { mean: ms(18.0), cv: 0.5 }),
    ])
}

/// The database's query time.
pub fn db_query() -> DistSpec {
    DistSpec::LogNormal { mean: ms(1.5), cv: 1.2 }
}

/// Requests per second at each minute of the day: a daily cosine peaking
/// at 14:00 with 3% noise.
pub fn day_rates() -> Vec<f64> {
    let mut rng = stream(SEED, "rates");
    (0..1440)
        .map(|m| {
            let phase = 2.0 * PI * (m as f64 / 60.0 - 14.0) / 24.0;
            let noise = 1.0 + 0.03 * (2.0 * tailsim_components::dist::unit(&mut rng) - 1.0);
            ((300.0 + 200.0 * phase.cos()) * noise * 10.0).round() / 10.0
        })
        .collect()
}

/// The day replayed this many times faster (a day in 120 s).
pub const SPEEDUP: f64 = 720.0;

/// The system itself, as a model built in code.
pub fn truth() -> ModelSpec {
    let mut m = ModelSpec::default();
    m.sim.duration = Duration::from_secs(120);
    m.sim.warmup = Some(tailsim_components::spec::Warmup::Fixed(Duration::from_secs(2)));
    m.sim.seed = SEED;
    let rates = day_rates();
    let mut client = ClientSpec::poisson("api", rates[0]);
    client.schedule = rates[1..]
        .iter()
        .enumerate()
        .map(|(i, &r)| RatePoint { at: Duration::from_secs_f64((i + 1) as f64 * 60.0 / SPEEDUP), rate: r, ramp: true })
        .collect();
    m.client.insert("users".into(), client);
    let mut api = ServiceSpec::new(2, 2, api_compute());
    api.steps = vec![StepSpec::Call(CallSpec::new("db"))];
    m.service.insert("api".into(), api);
    let db: DatastoreSpec = toml_datastore();
    m.datastore.insert("db".into(), db);
    m
}

fn toml_datastore() -> DatastoreSpec {
    // Every field but the query time at its default, as a model writes it.
    let mut d: DatastoreSpec = toml::from_str(
        "read_time = { dist = \"constant\", value = \"1ms\" }\nwrite_time = { dist = \"constant\", value = \"1ms\" }\n",
    )
    .expect("a valid datastore");
    d.read_time = db_query();
    d.write_time = db_query();
    d
}

fn draw(d: &DistSpec, n: usize, name: &str) -> Vec<u64> {
    let dist = Dist::new(d).expect("a valid distribution");
    let mut rng = stream(SEED, name);
    (0..n).map(|_| dist.sample(&mut rng)).collect()
}

/// The Prometheus bucket bounds, in seconds.
const LE: [f64; 13] = [0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.006, 0.008, 0.012, 0.016, 0.025, 0.05, 0.1];

/// (path under the repository root, contents) of every data file.
pub fn files() -> Vec<(&'static str, String)> {
    let mut api = LatencyHistogram::new();
    for v in draw(&api_compute(), 200_000, "api") {
        api.record(v);
    }
    let mut prom = String::from("# HELP db_query_duration_seconds Time to run one query.\n");
    let queries = draw(&db_query(), 300_000, "db");
    for (i, half) in queries.chunks(150_000).enumerate() {
        let mut buckets: Vec<(f64, f64)> =
            LE.iter().map(|&le| (le, half.iter().filter(|&&v| v as f64 <= le * 1e9).count() as f64)).collect();
        buckets.push((f64::INFINITY, half.len() as f64));
        let instance = format!("db-{i}");
        let text = tailsim_config::data_file::prometheus::write_text(
            "db_query_duration_seconds",
            &[("instance", instance.as_str())],
            &buckets,
        );
        // One TYPE line for the histogram.
        prom.push_str(if i == 0 { &text } else { text.split_once('\n').map_or("", |(_, rest)| rest) });
    }
    let mut rates = String::from(
        "# A day of requests per second, minute by minute (made by examples/calibration_data.rs).\nminute,requests_per_second\n",
    );
    for (m, r) in day_rates().iter().enumerate() {
        rates.push_str(&format!("{m},{r}\n"));
    }
    let spec = truth();
    let model = tailsim_components::model::Model::resolve(&spec).expect("the known system is a valid model");
    let runs = run_replications(&model, SEED, 0, spec.sim.fixed_warmup().expect("fixed").0, 0..3, &Silent);
    let mut edge = LatencyHistogram::new();
    for r in &runs {
        for c in &r.clients {
            edge.merge(&c.latency_ok);
        }
    }
    vec![
        ("models/data/api_compute.hgrm", tailsim_runner::output::hgrm(&api)),
        ("models/data/db_query.prom", prom),
        ("models/data/api_rates.csv", rates),
        ("models/data/edge_latency.hgrm", tailsim_runner::output::hgrm(&edge)),
    ]
}
