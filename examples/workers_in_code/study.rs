//! The study behind `cargo run --example workers_in_code`: how many
//! workers keep p99 under 20 ms at 800 requests a second of 1 ms
//! (exponential) work? The model is built in code, one point per worker
//! count, and swept without a TOML file.

use tailsim_components::model::Model;
use tailsim_components::plan::Plan;
use tailsim_components::spec::{ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec};
use tailsim_runner::execute::Silent;
use tailsim_runner::validate::theory::mmc_quantile;

/// Requests a second, and the mean service time in seconds.
pub const RATE: f64 = 800.0;
pub const SERVICE_S: f64 = 0.001;

/// One point of the study.
pub struct Row {
    pub workers: u32,
    /// Simulated p99 in ms, with its 95% half-width.
    pub p99_ms: f64,
    pub ci95_ms: f64,
    /// M/M/c theory for the same system.
    pub theory_ms: f64,
}

/// Sweeps 1 to `most` workers with `replications` replications each.
pub fn study(most: u32, replications: u32) -> Vec<Row> {
    let mut plan = Plan::sweep("workers-in-code", "api", &["service.api.workers"]);
    for workers in 1..=most {
        let mut spec = ModelSpec::default();
        spec.sim.duration = Duration::from_secs(30);
        spec.client.insert("web".into(), ClientSpec::poisson("api", RATE));
        let service_time = DistSpec::exponential(Duration::from_millis(1));
        spec.service.insert("api".into(), ServiceSpec::new(1, workers, service_time));
        let model = Model::resolve(&spec).expect("the study's model is valid");
        plan.add_point(vec![("service.api.workers".into(), workers.to_string())], model);
    }
    plan.set_seed(7);
    plan.set_replications(replications).expect("at least two replications");
    let (summary, _histograms) = tailsim_runner::sweep::evaluate(&plan, &Silent);
    summary
        .points
        .iter()
        .zip(1..)
        .map(|(p, workers)| Row {
            workers,
            p99_ms: p.headline.p99_ms.mean,
            ci95_ms: p.headline.p99_ms.ci95.unwrap_or(f64::NAN),
            theory_ms: 1e3 * mmc_quantile(RATE, 1.0 / SERVICE_S, workers, 0.99),
        })
        .collect()
}
