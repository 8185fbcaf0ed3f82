//! End-to-end speed of whole models: every shipped model in `models/`, plus
//! a reference stack (a client, a power-of-two-choices balancer, 16
//! service replicas, a cache-aside cache and 8 datastore shards). Each
//! model runs one replication (seed 1) for its own simulated duration;
//! the table gives the best of three wall times, simulated requests per
//! second (requests created by clients) and events per second.
//!
//! Run with `cargo bench --bench models`.

use std::time::Instant;

use tailsim_components::model::Model;
use tailsim_components::sim::Simulation;
use tailsim_config::ModelFile;

/// The reference stack of the performance issue, at 60 s and 20,000 req/s.
const REFERENCE_STACK: &str = r#"
[sim]
duration = "60s"
warmup = "5s"

[client.web]
target = "lb"
rate = 20000.0
keys = { dist = "zipf", n = 1000000, s = 0.9 }
write_fraction = 0.02
timeout = "1s"

[balancer.lb]
target = "api"
policy = "power_of_d"
choices = 2

[service.api]
replicas = 16
workers = 16
hold_worker = false
steps = [
  { compute = { dist = "lognormal", mean = "300us", cv = 1.0 } },
  { cache = "redis", origin = "db", timeout = "200ms" },
]

[cache.redis]
replicas = 2
capacity = 200000
mode = "cache_aside"
service_time = { dist = "lognormal", mean = "150us", cv = 0.5 }
origin = "db"

[datastore.db]
shards = 8
workers = 16
read_time = { dist = "lognormal", mean = "3ms", cv = 1.0 }
write_time = { dist = "lognormal", mean = "6ms", cv = 1.0 }

[network]
latency = { dist = "lognormal", mean = "150us", cv = 0.5 }
"#;

fn load(name: &str, text: &str) -> Model {
    ModelFile::from_text(name, text).load(&[]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut models: Vec<(String, Model)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            // Read from its path, so the data files it names resolve.
            let model = ModelFile::read(&p).and_then(|f| f.load(&[])).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, model)
        })
        .collect();
    models.sort_by(|a, b| a.0.cmp(&b.0));
    models.push(("reference stack (p2c, 16 replicas, cache, 8 shards)".into(), load("reference", REFERENCE_STACK)));

    println!("| model | simulated s | requests | events | best wall s | requests/s | events/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, spec) in &models {
        let mut best = f64::INFINITY;
        let mut counts = (0, 0);
        for _ in 0..3 {
            let start = Instant::now();
            let r = Simulation::new(spec, 1).run();
            best = best.min(start.elapsed().as_secs_f64());
            counts = (r.conservation.born, r.events);
        }
        let (requests, events) = counts;
        println!(
            "| {name} | {:.0} | {requests} | {events} | {best:.3} | {:.2} M | {:.2} M |",
            spec.spec().sim.duration.as_secs_f64(),
            requests as f64 / best / 1e6,
            events as f64 / best / 1e6,
        );
    }
}
