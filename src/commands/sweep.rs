//! `tailsim sweep EXPERIMENT`.

use std::process::ExitCode;

use anyhow::Context;
use tailsim_config::Experiment;
use tailsim_runner::sweep::{Shard, SweepRequest, sweep};
use tailsim_runner::table::sweep_table;

use crate::cli::SweepArgs;
use crate::progress::Bar;

/// The shard from `--shard`, or from a batch system's array index.
fn shard(args: &SweepArgs) -> anyhow::Result<Option<Shard>> {
    if let Some(s) = args.shard {
        return Ok(Some(s));
    }
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let index = match (from_env("SLURM_ARRAY_TASK_ID"), from_env("JOB_COMPLETION_INDEX")) {
        (Some(id), _) => {
            let min: u32 =
                from_env("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| m.parse()).context("SLURM_ARRAY_TASK_MIN")?;
            let id: u32 = id.parse().context("SLURM_ARRAY_TASK_ID is not a number")?;
            id.checked_sub(min).context("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?
        }
        (None, Some(idx)) => idx.parse().context("JOB_COMPLETION_INDEX is not a number")?,
        (None, None) => return Ok(None),
    };
    let count = match args.shards {
        Some(n) => n,
        None => from_env("SLURM_ARRAY_TASK_COUNT")
            .context(
                "running as an array task: give the number of shards with --shards N \
                 (SLURM_ARRAY_TASK_COUNT is not set)",
            )?
            .parse()
            .context("SLURM_ARRAY_TASK_COUNT is not a number")?,
    };
    anyhow::ensure!(count >= 1 && index < count, "array index {index} is not below the shard count {count}");
    Ok(Some(Shard { index, count }))
}

pub fn run(args: SweepArgs) -> anyhow::Result<ExitCode> {
    super::set_jobs(args.jobs)?;
    super::readable(&args.experiment, "experiment")?;
    let mut experiment = Experiment::read(&args.experiment)?;
    experiment.base.extend(args.set.iter().cloned());
    experiment.force = args.force;
    let mut plan = experiment.plan()?;
    if let Some(r) = args.replications {
        plan.set_replications(r).map_err(|e| anyhow::anyhow!("--replications: {e}"))?;
    }
    plan.command = super::command_line("sweep", &args.experiment, &args.set, None, args.replications);
    let shard = shard(&args)?;
    let out = args.out.clone().unwrap_or_else(|| std::path::PathBuf::from("results").join(&experiment.name));
    super::output_dir(&out)?;
    let bar = Bar::start();
    bar.set_points(plan.points.len() as u64);
    let mut extra = shard.map(|s| vec!["--shard".to_string(), s.to_string()]).unwrap_or_default();
    extra.extend(args.force.then(|| "--force".to_string()));
    crate::interrupt::on_ctrl_c(
        bar.handle(),
        out.clone(),
        super::resume_line(&plan.command, &args.experiment, &extra, &out),
    )?;
    let started = std::time::Instant::now();
    let outcome = sweep(SweepRequest { plan: &plan, out: out.clone(), shard, resume: args.resume }, &bar);
    crate::interrupt::finished();
    bar.finish();
    let outcome = outcome?;
    let wall = started.elapsed().as_secs_f64();
    let note = match (outcome.resumed, outcome.replications_kept) {
        (0, 0) => String::new(),
        (p, 0) => format!(", {p} kept from the earlier run"),
        (0, r) => format!(", {r} replication(s) of them kept from the earlier run"),
        (p, r) => format!(", {p} kept from the earlier run, and {r} replication(s) of others"),
    };
    let Some(summary) = outcome.summary else {
        let s = shard.expect("no summary only for shards");
        eprintln!(
            "shard {}/{}: {} point(s) computed{note} in {wall:.2} s; wrote {}. \
             Combine the shards with `tailsim merge DIR... --out DIR`.",
            s.index,
            s.count,
            outcome.computed,
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    print!("{}", sweep_table(&summary));
    eprintln!(
        "\nwrote {} ({} point(s) computed{note}; {} events in {wall:.2} s, {:.1}M events/s)",
        out.display(),
        outcome.computed,
        outcome.events,
        outcome.events as f64 / wall / 1e6
    );
    super::report_runaways(&summary);
    Ok(crate::exit::of_summary(&summary))
}
