//! An experiment as data: the points to run, each with its parameters and
//! its resolved model, and the rules its results are judged by.
//!
//! The config layer expands an experiment file into a plan once; a Rust
//! user builds one in code. The runner takes nothing else, so a model
//! built in code sweeps exactly like one read from a file.
//!
//! ```
//! use tailsim_components::model::Model;
//! use tailsim_components::plan::Plan;
//! use tailsim_components::spec::{ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec};
//!
//! // An M/M/1 queue at three loads.
//! let mut plan = Plan::sweep("mm1-load", "mm1", &["client.web.rate"]);
//! for rate in [300.0, 600.0, 900.0] {
//!     let mut spec = ModelSpec::default();
//!     spec.client.insert("web".into(), ClientSpec::poisson("app", rate));
//!     spec.service.insert("app".into(), ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))));
//!     plan.add_point(vec![("client.web.rate".into(), rate.to_string())], Model::resolve(&spec).unwrap());
//! }
//! plan.set_replications(3).unwrap();
//! plan.slos.push("app.utilisation < 0.8".parse().unwrap());
//! assert!(plan.check().is_ok());
//! assert_eq!(plan.points[2].replications, 3);
//! ```

use serde::{Deserialize, Serialize};

use crate::metric::{Metric, MetricError, Precision, Slo};
use crate::model::Model;

/// Latency observed in production that the model must reproduce
/// (`[[observed]]` in an experiment): percentiles read from a file, each
/// with its 95% interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The file as written, to name the observation in results.
    pub name: String,
    /// `latency` (all clients' requests end to end) or
    /// `<component>.latency`.
    pub metric: String,
    /// Relative tolerance around the observed values.
    pub tolerance: f64,
    /// Whether a miss fails the sweep (exit status 3).
    pub fail_sweep: bool,
    /// Only the points of this variant are checked (all points when
    /// `None`): the calibrated baseline, not its what-ifs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Observations in the file.
    pub count: f64,
    pub percentiles: Vec<ObservedPercentile>,
}

/// An observed percentile, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObservedPercentile {
    /// In percent, such as 99.9.
    pub p: f64,
    pub value_ms: f64,
    /// The 95% interval of the percentile from the order statistics: the
    /// observations ranked n·q ∓ 1.96·√(n·q·(1−q)).
    pub low_ms: f64,
    pub high_ms: f64,
}

/// One point of a plan.
#[derive(Clone, Debug)]
pub struct PlanPoint {
    pub index: usize,
    /// (axis, value as displayed) for each swept axis.
    pub parameters: Vec<(String, String)>,
    pub model: Model,
    /// The master seed of its replications (the model's `sim.seed` unless
    /// the plan says otherwise).
    pub seed: u64,
    /// Replications to run (the model's `sim.replications` unless the plan
    /// says otherwise).
    pub replications: u32,
}

/// What to run, and how to judge it.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The experiment's name, or the model's for a single run.
    pub name: String,
    /// A sweep of an experiment, or a single model run.
    pub is_experiment: bool,
    /// The model's name (its file stem).
    pub model_name: String,
    /// Swept parameter paths, in axis order.
    pub axes: Vec<String>,
    pub points: Vec<PlanPoint>,
    pub slos: Vec<Slo>,
    pub precision: Option<Precision>,
    /// The metric `latency.svg` plots against, instead of the first axis.
    pub plot_against: Option<Metric>,
    /// Production latency the points must reproduce.
    pub observed: Vec<Observation>,
    /// The `tailsim` arguments that reproduce the run, where known.
    pub command: Vec<String>,
}

impl Plan {
    /// A single run of `model`.
    pub fn single(model_name: &str, model: Model) -> Plan {
        let mut plan = Plan::sweep(model_name, model_name, &[]);
        plan.is_experiment = false;
        plan.add_point(Vec::new(), model);
        plan
    }

    /// An empty sweep over `axes`; add its points with
    /// [`add_point`](Self::add_point).
    pub fn sweep(name: &str, model_name: &str, axes: &[&str]) -> Plan {
        Plan {
            name: name.to_string(),
            is_experiment: true,
            model_name: model_name.to_string(),
            axes: axes.iter().map(|a| a.to_string()).collect(),
            points: Vec::new(),
            slos: Vec::new(),
            precision: None,
            plot_against: None,
            observed: Vec::new(),
            command: Vec::new(),
        }
    }

    /// Adds a point; its seed and replications come from its model.
    pub fn add_point(&mut self, parameters: Vec<(String, String)>, model: Model) {
        let sim = &model.spec().sim;
        let (seed, replications) = (sim.seed, sim.replications);
        self.points.push(PlanPoint { index: self.points.len(), parameters, model, seed, replications });
    }

    /// Runs every point with master seed `seed`.
    pub fn set_seed(&mut self, seed: u64) {
        for p in &mut self.points {
            p.seed = seed;
        }
    }

    /// Runs `n` replications of every point.
    pub fn set_replications(&mut self, n: u32) -> Result<(), String> {
        if n == 0 {
            return Err("replications must be at least 1".into());
        }
        for p in &mut self.points {
            p.replications = n;
        }
        Ok(())
    }

    /// Checks that the SLOs, the precision rule and `plot_against` name
    /// metrics every point's model has, and that the plan has points.
    pub fn check(&self) -> Result<(), MetricError> {
        let Some(first) = self.points.first() else {
            return Err(MetricError { message: format!("plan `{}` has no points", self.name), hint: None });
        };
        let metrics = self
            .slos
            .iter()
            .map(|s| &s.metric)
            .chain(self.precision.as_ref().map(|p| &p.metric))
            .chain(self.plot_against.as_ref());
        for m in metrics {
            m.check(&first.model)?;
        }
        Ok(())
    }
}
