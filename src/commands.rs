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

/// The `tailsim` arguments that reproduce a run or sweep, for the report:
/// the subcommand, the file as it was named (an absolute path cut to its
/// last folder and file name, so the record is the same on every machine)
/// and the command-line settings in order.
pub fn command_line(
    subcommand: &str,
    path: &std::path::Path,
    set: &[tailsim_config::Override],
    seed: Option<u64>,
    replications: Option<u32>,
) -> Vec<String> {
    let shown = if path.is_absolute() {
        let mut tail: Vec<String> = path.iter().rev().take(2).map(|p| p.to_string_lossy().into_owned()).collect();
        tail.reverse();
        tail.join("/")
    } else {
        path.to_string_lossy().replace('\\', "/")
    };
    let mut argv = vec![subcommand.to_string(), shown];
    for o in set {
        argv.push("--set".into());
        argv.push(format!("{}={}", o.path, o.value));
    }
    if let Some(s) = seed {
        argv.extend(["--seed".to_string(), s.to_string()]);
    }
    if let Some(r) = replications {
        argv.extend(["--replications".to_string(), r.to_string()]);
    }
    argv
}

/// Sizes the global thread pool; `None` keeps rayon's default (all cores).
pub fn set_jobs(jobs: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = jobs {
        anyhow::ensure!(n >= 1, "--jobs must be at least 1");
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    Ok(())
}
