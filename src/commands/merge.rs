//! `tailsim merge DIR... --out DIR`: combines shard outputs.

use std::process::ExitCode;

use tailsim_runner::sweep::merge;
use tailsim_runner::table::sweep_table;

use crate::cli::MergeArgs;

pub fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let summary = merge(&args.dirs, &args.out)?;
    print!("{}", sweep_table(&summary));
    eprintln!(
        "\nmerged {} director{} into {}",
        args.dirs.len(),
        if args.dirs.len() == 1 { "y" } else { "ies" },
        args.out.display()
    );
    super::report_runaways(&summary);
    Ok(crate::exit::of_summary(&summary))
}
