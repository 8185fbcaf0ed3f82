//! tailsim's modelling vocabulary, as a library with no I/O.
//!
//! A model is plain data ([`spec::ModelSpec`]), written in TOML by most users
//! and built in Rust by some. [`sim::Simulation`] turns it into runtime state
//! and runs one replication on the [`tailsim_engine`] scheduler;
//! [`result::RunResult`] is what comes out.
//!
//! ```
//! use tailsim_components::spec::{ClientSpec, DistSpec, Duration, ModelSpec, ServiceSpec};
//!
//! // An M/M/1 queue at 50% load, built in code.
//! let mut model = ModelSpec::default();
//! model.sim.duration = Duration::from_secs(20);
//! model.client.insert("web".into(), ClientSpec::poisson("app", 500.0));
//! model.service.insert(
//!     "app".into(),
//!     ServiceSpec::new(1, 1, DistSpec::exponential(Duration::from_millis(1))),
//! );
//! let result = tailsim_components::sim::run(&model, 1).unwrap();
//! let web = &result.clients[0];
//! let mean_ms = web.latency_ok.mean().unwrap() / 1e6;
//! assert!((mean_ms - 2.0).abs() < 0.3, "M/M/1 at rho 0.5 has mean 2 ms, got {mean_ms}");
//! ```

mod alias;
pub mod analysis;
pub mod dist;
pub mod ids;
pub mod metric;
pub mod model;
pub mod observations;
mod partition;
pub mod plan;
pub mod result;
pub mod sim;
pub mod spec;
pub mod suggest;
pub mod timeline;
pub mod topology;
pub mod traffic;
pub mod validate;
