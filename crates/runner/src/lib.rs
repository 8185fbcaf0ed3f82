//! Runs tailsim models and experiments, and writes their results.
//!
//! This crate sits on top of the engine and the components; it knows no
//! model or experiment format. It takes a
//! [`Plan`](tailsim_components::plan::Plan) (points with resolved models,
//! SLOs, a precision rule) and owns parallelism (rayon), statistics across
//! replications (Student-t intervals, MSER-5 warm-up detection) and every
//! output file, each written atomically.
//!
//! A Rust user builds a model in code, sweeps it and reads the results by
//! component name:
//!
//! ```
//! use tailsim_components::model::Model;
//! use tailsim_components::plan::Plan;
//! use tailsim_components::spec::{ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec};
//! use tailsim_runner::execute::Silent;
//!
//! let mut plan = Plan::sweep("mm1-load", "mm1", &["client.web.rate"]);
//! for rate in [200.0, 500.0] {
//!     let mut spec = ModelSpec::default();
//!     spec.sim.duration = Duration::from_secs(20);
//!     spec.client.insert("web".into(), ClientSpec::poisson("app", rate));
//!     spec.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))));
//!     plan.add_point(vec![("client.web.rate".into(), rate.to_string())], Model::resolve(&spec).unwrap());
//! }
//! plan.set_replications(3).unwrap();
//! let (summary, _histograms) = tailsim_runner::sweep::evaluate(&plan, &Silent);
//! let busy = summary.points[1].service("app").unwrap().utilisation.mean;
//! assert!((busy - 0.5).abs() < 0.05, "M/M/1 at 500 req/s and 1 ms is half busy, got {busy}");
//! ```

pub mod capacity;
pub mod execute;
pub mod fit;
pub mod observed;
pub mod output;
pub mod plot;
pub mod point;
pub mod record;
pub mod report;
pub mod run;
pub mod shard;
pub mod stats;
pub mod summary;
pub mod sweep;
pub mod table;
pub mod validate;
pub mod warmup;

/// Why a run or sweep could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A model could not be made (capacity search builds one per probe);
    /// the text says where and why.
    #[error("{0}")]
    Invalid(String),
    /// The run was stopped early: requests piled up without bound, or a
    /// budget (events, wall time) was spent.
    #[error("the run was stopped early: {0}")]
    Runaway(String),
    /// Shard directories that cannot be merged; says what is missing or
    /// mismatched.
    #[error(transparent)]
    Merge(#[from] sweep::MergeError),
    #[error("{0}")]
    Io(String),
}
