//! The exit statuses of every command: one table, documented in the
//! README ("Exit status") and tested per command.

use std::process::ExitCode;

use tailsim_runner::RunError;
use tailsim_runner::summary::Summary;

/// Everything asked for ran and every check passed.
pub const SUCCESS: u8 = 0;
/// The input is wrong: a model, experiment or data file, a `--set` or
/// another command-line value (or `check` found the model unstable).
pub const INVALID: u8 = 1;
/// The command line could not be parsed (clap's own status).
pub const USAGE: u8 = 2;
/// It ran, and a check failed: an SLO, an observation, a capacity search
/// with no answer, or a reference case of `validate`.
pub const CHECK_FAILED: u8 = 3;
/// A run was stopped: a point ran away (its queues grew without bound) or
/// spent a budget (`sim.max_events`, `sim.max_wall`, `sim.max_memory`).
/// Results of the points that finished are kept.
pub const STOPPED: u8 = 4;
/// A file or directory could not be read or written, or a results
/// directory is incomplete or belongs to another sweep.
pub const IO: u8 = 5;
/// Ctrl-C stopped a `run` or `sweep` (128 + SIGINT, as shells report it).
/// What had finished is kept; the message gives the command to resume.
pub const INTERRUPTED: u8 = 130;

/// A failure to read or write a file, named by the command itself.
#[derive(Debug)]
pub struct IoFailure(pub String);

impl std::fmt::Display for IoFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IoFailure {}

/// The status for an error, from the most specific cause in its chain.
pub fn of_error(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(r) = cause.downcast_ref::<RunError>() {
            return match r {
                RunError::Invalid(_) => INVALID,
                RunError::Runaway(_) => STOPPED,
                RunError::Merge(_) | RunError::Io(_) => IO,
            };
        }
        if cause.is::<IoFailure>() || cause.is::<std::io::Error>() {
            return IO;
        }
    }
    INVALID
}

/// The status of a finished sweep (or merge): stopped if a point ran away,
/// check failed if an SLO or observation failed.
pub fn of_summary(summary: &Summary) -> ExitCode {
    let failed = summary.slos.iter().any(|s| !s.failed.is_empty()) || summary.observations_failed();
    ExitCode::from(if summary.points.iter().any(|p| p.runaway.is_some()) {
        STOPPED
    } else if failed {
        CHECK_FAILED
    } else {
        SUCCESS
    })
}

/// The indices of the points that ran away, for a message.
pub fn runaway_points(summary: &Summary) -> Vec<usize> {
    summary.points.iter().filter(|p| p.runaway.is_some()).map(|p| p.index).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_kind() {
        let runaway = anyhow::Error::new(RunError::Runaway("queues grew".into()));
        assert_eq!(of_error(&runaway), STOPPED);
        assert_eq!(of_error(&anyhow::Error::new(RunError::Io("disk full".into()))), IO);
        let io = anyhow::Error::new(std::io::Error::other("denied")).context("writing x");
        assert_eq!(of_error(&io), IO);
        assert_eq!(of_error(&anyhow::anyhow!("--jobs must be at least 1")), INVALID);
        let statuses = [SUCCESS, INVALID, USAGE, CHECK_FAILED, STOPPED, IO];
        assert!(statuses.windows(2).all(|w| w[0] < w[1]), "distinct statuses");
    }
}
