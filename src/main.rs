//! The `tailsim` command line.

mod cli;
mod commands;
mod exit;
mod interrupt;
mod memory;
mod progress;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;

fn main() -> ExitCode {
    tailsim_runner::execute::watch_memory(tailsim_runner::execute::MemoryGauge {
        in_use: memory::in_use,
        default_budget: memory::default_budget(),
    });
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::SUCCESS });
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            // Diagnostics carry their own "error:" prefix and location.
            let text = format!("{e:#}");
            if text.starts_with("error:") {
                eprint!("{text}");
                if !text.ends_with('\n') {
                    eprintln!();
                }
            } else {
                eprintln!("error: {text}");
            }
            ExitCode::from(exit::of_error(&e))
        }
    }
}
