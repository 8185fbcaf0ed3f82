//! `tailsim run MODEL`.

use std::process::ExitCode;

use tailsim_runner::run::{RunRequest, run_model};

use crate::cli::RunArgs;
use crate::progress::Bar;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    super::set_jobs(args.jobs)?;
    let model = super::read_model(&args.model)?;
    let mut plan = model.plan(&args.set, args.force)?;
    if let Some(seed) = args.seed {
        plan.set_seed(seed);
    }
    if let Some(r) = args.replications {
        plan.set_replications(r).map_err(|e| anyhow::anyhow!("--replications: {e}"))?;
    }
    plan.command = super::command_line("run", &args.model, &args.set, args.seed, args.replications);
    let out = args.out.clone().unwrap_or_else(|| std::path::Path::new("results").join(&plan.model_name));
    super::output_dir(&out)?;
    let bar = Bar::start();
    let force: Vec<String> = args.force.then(|| "--force".to_string()).into_iter().collect();
    crate::interrupt::on_ctrl_c(
        bar.handle(),
        out.clone(),
        super::resume_line(&plan.command, &args.model, &force, &out),
    )?;
    let started = std::time::Instant::now();
    let report = run_model(RunRequest { plan: &plan, out: Some(out), resume: args.resume }, &bar);
    crate::interrupt::finished();
    bar.finish();
    let report = report?;
    print!("{}", report.table);
    let wall = started.elapsed().as_secs_f64();
    let kept = if report.point_kept {
        "; every replication kept from the earlier run".to_string()
    } else if report.replications_kept > 0 {
        format!("; {} replication(s) kept from the earlier run", report.replications_kept)
    } else {
        String::new()
    };
    eprintln!(
        "\nwrote {} ({} events in {:.2} s, {:.1}M events/s{kept})",
        report.out.display(),
        report.events,
        wall,
        report.events as f64 / wall / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
