//! `tailsim report DIR`: rebuilds a results directory's `report.html` from
//! its `plan.json` and point files.

use std::process::ExitCode;

use anyhow::Context;
use tailsim_runner::report::write_report;
use tailsim_runner::sweep::load;

use crate::cli::ReportArgs;

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let (plan, summary, histograms) = load(&args.dir)?;
    write_report(&args.dir, &plan, &summary, &histograms)
        .with_context(|| format!("writing report.html in {}", args.dir.display()))?;
    let path = args.dir.join("report.html");
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("wrote {} ({} points, {:.0} KiB)", path.display(), summary.points.len(), bytes as f64 / 1024.0);
    Ok(ExitCode::SUCCESS)
}
