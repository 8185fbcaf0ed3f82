//! Command-line arguments. This is the stable contract users script against.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tailsim_config::Override;

/// A deterministic discrete-event simulator of distributed systems.
///
/// Write a system as a TOML model, then run it to read p50/p99/p99.9
/// latency, throughput, errors and per-component load with confidence
/// intervals.
#[derive(Debug, Parser)]
#[command(name = "tailsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a model's replications and write its results directory.
    Run(RunArgs),
    /// Validate a model and print a static capacity analysis.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The model file (TOML).
    pub model: PathBuf,
    /// Override a model field, such as `client.web.rate=900`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Master seed (replaces `sim.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications (replaces `sim.replications`).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Results directory [default: results/<model name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The model file (TOML).
    pub model: PathBuf,
    /// Override a model field, such as `client.web.rate=900`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
}

fn parse_override(s: &str) -> Result<Override, String> {
    s.parse()
}
