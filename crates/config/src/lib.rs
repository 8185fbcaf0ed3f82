//! Reads tailsim models and experiments from TOML.
//!
//! This crate is the only one that knows the file format. It turns text into
//! the plain-data specs of `tailsim-components`, applies overrides, and makes
//! every mistake a [`Diagnostic`] with file, line, column and a suggestion.

// Diagnostics carry a located line of source; they are built only on the
// error path, where their size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod data_file;
pub mod diagnostic;
pub mod experiment_file;
pub mod model_file;

pub use diagnostic::{Diagnostic, Diagnostics, Location};
pub use experiment_file::{Axis, Combine, Experiment, Observed, ObservedPercentile, PointPlan};
pub use model_file::{ModelFile, Override};
