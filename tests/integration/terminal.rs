//! The progress bar as a person sees it, drawn on a pseudo-terminal: the
//! test runs `tailsim` under util-linux's `script`, which gives it one, and
//! reads back every frame the bar drew.

use std::process::Command;

use crate::common::root;

/// The frames drawn on the terminal while `tailsim args` ran: the text
/// between carriage returns and line ends, with escape sequences removed.
fn frames(args: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("terminal.log");
    let command =
        std::iter::once(env!("CARGO_BIN_EXE_tailsim")).chain(args.iter().copied()).collect::<Vec<_>>().join(" ");
    let status = Command::new("script")
        .args(["-q", "-e", "-f", "-c", &command])
        .arg(&log)
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("`script` (util-linux, Debian's bsdutils) runs commands on a pseudo-terminal; install it");
    assert!(status.success(), "tailsim {args:?} under a terminal: {status}");
    let raw = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    let mut plain = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-letter
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain.split(['\r', '\n']).map(|f| f.trim_end().to_string()).filter(|f| !f.is_empty()).collect()
}

/// `(done, planned, filled cells)` of a bar frame.
fn parse(frame: &str) -> Option<(u64, u64, usize)> {
    let (before, _) = frame.split_once(" replications")?;
    let counts = before.rsplit(' ').next()?;
    let (done, planned) = counts.split_once('/')?;
    Some((done.parse().ok()?, planned.parse().ok()?, frame.chars().filter(|&c| c == '█').count()))
}

#[test]
fn the_run_bar_counts_each_replication_once_and_moves_while_one_runs() {
    let frames = frames(&[
        "run",
        "models/mm1.toml",
        "--set",
        "sim.duration=1500s",
        "--set",
        "sim.warmup=0s",
        "--replications",
        "3",
        "--jobs",
        "1",
        "--out",
        &tempfile::tempdir().unwrap().path().join("out").display().to_string(),
    ]);
    let bars: Vec<(u64, u64, usize)> = frames.iter().filter_map(|f| parse(f)).collect();
    assert!(bars.len() >= 3, "the bar drew: {frames:#?}");
    assert!(bars.iter().all(|&(_, planned, _)| planned == 3), "every frame plans 3 replications: {frames:#?}");
    assert!(bars.iter().all(|&(done, _, _)| done <= 3), "{frames:#?}");
    assert!(
        bars.iter().any(|&(done, _, filled)| done == 0 && filled > 0),
        "the bar moves before the first replication ends: {frames:#?}"
    );
    let first = frames.iter().find(|f| parse(f).is_some()).unwrap();
    assert!(first.contains("ETA estimating"), "no ETA before there is a rate: {first}");
    assert!(!frames.iter().any(|f| f.contains("0/0 replications")), "{frames:#?}");
}
