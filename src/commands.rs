//! One module per subcommand.

mod capacity;
mod check;
mod fit;
mod graph;
mod merge;
mod plot;
mod report;
mod run;
mod sweep;
mod validate;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Check(args) => check::check(args),
        Command::Plot(args) => plot::run(args),
        Command::Report(args) => report::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Capacity(args) => capacity::run(args),
        Command::Fit(args) => fit::run(args),
    }
}

/// Sizes the global thread pool; `None` keeps rayon's default (all cores).
pub fn set_jobs(jobs: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = jobs {
        anyhow::ensure!(n >= 1, "--jobs must be at least 1");
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    Ok(())
}
