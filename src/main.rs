//! The `tailsim` command line.

mod cli;
mod commands;
mod exit;
mod interrupt;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
