//! `tailsim plot DIR`: regenerates a results directory's SVG plots from its
//! `plan.json` and point files.

use std::process::ExitCode;

use anyhow::Context;
use tailsim_runner::plot::write_plots;
use tailsim_runner::sweep::load_results;

use crate::cli::PlotArgs;

pub fn run(args: PlotArgs) -> anyhow::Result<ExitCode> {
    let (summary, histograms) = load_results(&args.dir)?;
    write_plots(&args.dir, &summary, &histograms)
        .with_context(|| format!("writing plots to {}", args.dir.display()))?;
    let mut written = vec!["percentiles.svg".to_string()];
    if args.dir.join("latency.svg").exists() {
        written.insert(0, "latency.svg".into());
    }
    written.push(format!("points/*/timeseries.svg ({} points)", summary.points.len()));
    eprintln!("wrote {} in {}", written.join(", "), args.dir.display());
    Ok(ExitCode::SUCCESS)
}
