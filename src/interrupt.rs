//! Ctrl-C during `run` or `sweep`: say what the results directory kept
//! and the command that resumes it, then exit with
//! [`INTERRUPTED`](crate::exit::INTERRUPTED).
//!
//! Every file a run writes is written atomically, and finished points and
//! replications are on disk as soon as they finish, so stopping at once is
//! safe: `--resume` finds what is counted here and cleans up the rest.

use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use indicatif::ProgressBar;

/// What a results directory holds of finished work: whole points, and
/// replications of points not yet finished.
fn kept_in(out: &Path) -> (usize, usize) {
    let Ok(points) = std::fs::read_dir(out.join("points")) else { return (0, 0) };
    let (mut whole, mut replications) = (0, 0);
    for dir in points.flatten().map(|e| e.path()) {
        if dir.join("point.json").exists() {
            whole += 1;
        } else if let Ok(saved) = std::fs::read_dir(dir.join("replications")) {
            replications += saved.flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".json")).count();
        }
    }
    (whole, replications)
}

/// An argument as a shell reads it back: quoted when it needs to be.
fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain { arg.to_string() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}

/// The message for an interrupted run or sweep of `out`.
pub fn message(out: &Path, resume: &[String]) -> String {
    let (whole, replications) = kept_in(out);
    let kept = match (whole, replications) {
        (0, 0) => "nothing had finished, so nothing is kept".to_string(),
        (0, r) => format!("{r} finished replication(s) are kept"),
        (w, 0) => format!("{w} finished point(s) are kept"),
        (w, r) => format!("{w} finished point(s) and {r} replication(s) of unfinished ones are kept"),
    };
    let command: Vec<String> = resume.iter().map(|a| shell_word(a)).collect();
    format!("interrupted: {kept} in {}; continue with\n  tailsim {}", out.display(), command.join(" "))
}

/// Set once the run or sweep has returned: a Ctrl-C while its results are
/// printed interrupts nothing worth resuming.
static FINISHED: AtomicBool = AtomicBool::new(false);

/// The work is done; Ctrl-C from now on exits without the message.
pub fn finished() {
    FINISHED.store(true, Relaxed);
}

/// On Ctrl-C: clears the progress bar, prints [`message`] and exits.
/// `resume` is the command line, after `tailsim`, that resumes the work.
pub fn on_ctrl_c(bar: ProgressBar, out: PathBuf, resume: Vec<String>) -> anyhow::Result<()> {
    ctrlc::set_handler(move || {
        if !FINISHED.load(Relaxed) {
            bar.finish_and_clear();
            eprintln!("{}", message(&out, &resume));
        }
        std::process::exit(crate::exit::INTERRUPTED.into());
    })
    .map_err(|e| anyhow::anyhow!("cannot catch Ctrl-C: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_counts_what_is_on_disk_and_quotes_the_command() {
        let dir = std::env::temp_dir().join(format!("tailsim-interrupt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let resume = ["sweep", "my exp.toml", "--out", "r", "--resume"].map(String::from);
        assert!(message(&dir, &resume).starts_with("interrupted: nothing had finished"), "{}", message(&dir, &resume));
        std::fs::create_dir_all(dir.join("points/0")).unwrap();
        std::fs::write(dir.join("points/0/point.json"), "{}").unwrap();
        std::fs::create_dir_all(dir.join("points/1/replications")).unwrap();
        for r in 0..3 {
            std::fs::write(dir.join(format!("points/1/replications/{r}.json")), "{}").unwrap();
        }
        std::fs::write(dir.join("points/1/replications/.3.json.tmp-7"), "").unwrap();
        let text = message(&dir, &resume);
        assert!(text.contains("1 finished point(s) and 3 replication(s) of unfinished ones are kept"), "{text}");
        assert!(text.ends_with("\n  tailsim sweep 'my exp.toml' --out r --resume"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
