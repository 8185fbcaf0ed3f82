//! Reads tailsim models and experiments from TOML.
//!
//! This crate is the only one that knows the file format. It turns text into
//! the plain-data specs of `tailsim-components`, applies overrides, and makes
//! every mistake a [`Diagnostic`] with file, line, column and a suggestion.

pub mod diagnostic;
pub mod model_file;

pub use diagnostic::{Diagnostic, Diagnostics, Location};
pub use model_file::{ModelFile, Override};
