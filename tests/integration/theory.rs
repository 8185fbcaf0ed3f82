//! Reference results from queueing theory (shared/reference/theory.md):
//! the formulas live in the product, beside `tailsim validate`, and the
//! tests use the same ones.

pub use tailsim_runner::validate::theory::*;
