//! Runs tailsim models and experiments, and writes their results.
//!
//! This crate sits on top of the engine, the components and the config
//! layer. It owns parallelism (rayon), statistics across replications
//! (Student-t intervals, MSER-5 warm-up detection) and every output file,
//! each written atomically.

pub mod capacity;
pub mod execute;
pub mod fit;
pub mod observed;
pub mod output;
pub mod plot;
pub mod point;
pub mod report;
pub mod run;
pub mod shard;
pub mod stats;
pub mod summary;
pub mod sweep;
pub mod table;
pub mod validate;
pub mod warmup;

use tailsim_config::Diagnostics;

/// Why a run or sweep could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The model or experiment is wrong; each diagnostic says where.
    #[error(transparent)]
    Invalid(#[from] Diagnostics),
    /// The model ran away: requests piled up without bound.
    #[error("the model ran away: {0}")]
    Runaway(String),
    /// Shard directories that cannot be merged; says what is missing or
    /// mismatched.
    #[error(transparent)]
    Merge(#[from] sweep::MergeError),
    #[error("{0}")]
    Io(String),
}
