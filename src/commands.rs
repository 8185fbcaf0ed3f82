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

use std::path::Path;
use std::process::ExitCode;

use tailsim_config::ModelFile;
use tailsim_runner::summary::Summary;

use crate::cli::{Cli, Command};
use crate::exit::IoFailure;

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

/// The `tailsim` arguments that resume an interrupted run or sweep: the
/// same command, with the file as typed, the output directory and
/// `--resume`.
pub fn resume_line(command: &[String], file: &Path, extra: &[String], out: &Path) -> Vec<String> {
    let mut argv = command.to_vec();
    argv[1] = file.to_string_lossy().into_owned();
    argv.extend(extra.iter().cloned());
    argv.extend(["--out".to_string(), out.to_string_lossy().into_owned(), "--resume".to_string()]);
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

/// Checks that `path` names a file that can be read; the error is an I/O
/// failure (exit status 5), not an invalid model.
pub fn readable(path: &Path, what: &str) -> Result<(), IoFailure> {
    match std::fs::metadata(path) {
        Err(e) => Err(IoFailure(format!("cannot read {what} `{}`: {e}", path.display()))),
        Ok(m) if m.is_dir() => Err(IoFailure(format!("{what} `{}` is a directory, not a TOML file", path.display()))),
        Ok(_) => Ok(()),
    }
}

/// Reads a model file given on the command line.
pub fn read_model(path: &Path) -> anyhow::Result<ModelFile> {
    readable(path, "model")?;
    Ok(ModelFile::read(path)?)
}

/// Checks that a results directory can be one: absent (it is created) or
/// a directory.
pub fn output_dir(path: &Path) -> Result<(), IoFailure> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() => Err(IoFailure(format!(
            "--out `{}` is a file, not a directory: name a directory (it is created if missing)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Says which points ran away: their results are kept, and the exit
/// status is 4.
pub fn report_runaways(summary: &Summary) {
    let points = crate::exit::runaway_points(summary);
    if points.is_empty() {
        return;
    }
    let list: Vec<String> = points.iter().map(|i| i.to_string()).collect();
    eprintln!(
        "error: {} of {} point(s) were stopped early (point {}: see the warnings above); \
         summary.json marks them (`runaway`) and the other points are complete",
        points.len(),
        summary.points.len(),
        list.join(", ")
    );
}
