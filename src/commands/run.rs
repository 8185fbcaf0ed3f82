//! `tailsim run MODEL`.

use std::process::ExitCode;

use tailsim_config::ModelFile;
use tailsim_runner::run::{RunRequest, run_model};

use crate::cli::RunArgs;
use crate::progress::Bar;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    super::set_jobs(args.jobs)?;
    let model = ModelFile::read(&args.model)?;
    // The bar's length is only known after loading; a quick load gives it.
    let reps =
        args.replications.unwrap_or_else(|| model.load(&args.set).map(|m| m.spec().sim.replications).unwrap_or(1));
    let bar = Bar::new(reps as u64, "replications");
    let started = std::time::Instant::now();
    let report = run_model(
        RunRequest {
            model: &model,
            overrides: args.set,
            seed: args.seed,
            replications: args.replications,
            out: args.out,
        },
        &bar,
    );
    bar.finish();
    let report = report?;
    print!("{}", report.table);
    let wall = started.elapsed().as_secs_f64();
    eprintln!(
        "\nwrote {} ({} events in {:.2} s, {:.1}M events/s)",
        report.out.display(),
        report.events,
        wall,
        report.events as f64 / wall / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
