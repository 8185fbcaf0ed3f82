//! Ctrl-C during `run` and `sweep`: the exit status, the message that says
//! what was kept and how to go on, and a resume that keeps the finished
//! replications of an unfinished point and ends with the same bytes.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::root;
use crate::sweeps::assert_same_tree;

/// An M/M/1 long enough that one replication runs for seconds, so it is
/// saved when it finishes (replications of under 4 million events are not).
const LONG: [&str; 4] = ["--set", "sim.duration=30000s", "--set", "sim.window=10s"];

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tailsim"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `file` exists, then sends SIGINT (as Ctrl-C does) and
/// returns what the process printed as it stopped.
fn interrupt_once(mut child: Child, file: &Path) -> Output {
    let started = Instant::now();
    while !file.exists() {
        assert!(started.elapsed() < Duration::from_secs(300), "{} never appeared", file.display());
        assert!(child.try_wait().unwrap().is_none(), "the run ended before {} appeared", file.display());
        std::thread::sleep(Duration::from_millis(5));
    }
    let signal = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(signal.success());
    child.wait_with_output().unwrap()
}

/// The command the message says to continue with, run as printed.
fn continue_as_told(stderr: &str) -> Output {
    let line = stderr.split("continue with\n  tailsim ").nth(1).unwrap_or_else(|| panic!("no command in: {stderr}"));
    let args: Vec<&str> = line.lines().next().unwrap().split_whitespace().collect();
    Command::new(env!("CARGO_BIN_EXE_tailsim")).args(&args).current_dir(root()).output().unwrap()
}

#[test]
fn ctrl_c_during_a_run_keeps_its_finished_replications_and_resume_gives_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (reference, cut) = (tmp.path().join("reference"), tmp.path().join("cut"));
    let mut args = vec!["run", "models/mm1.toml", "--replications", "2", "--jobs", "1"];
    args.extend(LONG);
    let whole = Command::new(env!("CARGO_BIN_EXE_tailsim"))
        .args(&args)
        .args(["--out", reference.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));

    args.extend(["--out", cut.to_str().unwrap()]);
    let stopped = interrupt_once(spawn(&args), &cut.join("points/0/replications/0.json"));
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!("interrupted: 1 finished replication(s) are kept in {}", cut.display())),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("--out {} --resume", cut.display())), "{stderr}");
    assert!(!cut.join("summary.json").exists());

    let resumed = continue_as_told(&stderr);
    let said = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{said}");
    assert!(said.contains("1 replication(s) kept from the earlier run"), "{said}");
    // The saved replication is gone once the point is whole: the directory
    // is the one an uninterrupted run writes, byte for byte.
    assert_same_tree(&reference, &cut);
}

#[test]
fn ctrl_c_during_a_sweep_says_what_it_kept_and_how_to_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("long.toml");
    std::fs::write(
        &exp,
        format!(
            "model = \"{}\"\n[run]\nreplications = 2\n[[sweep]]\npath = \"client.web.rate\"\nvalues = [900]\n",
            root().join("models/mm1.toml").display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let mut args = vec!["sweep", exp.to_str().unwrap(), "--jobs", "1", "--out", out.to_str().unwrap()];
    args.extend(LONG);
    let stopped = interrupt_once(spawn(&args), &out.join("points/0/replications/0.json"));
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("1 finished replication(s) are kept"), "{stderr}");
    assert!(stderr.contains(&format!("tailsim sweep {} --set sim.duration=30000s", exp.display())), "{stderr}");

    let resumed = continue_as_told(&stderr);
    let said = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{said}");
    assert!(said.contains("(1 point(s) computed, 1 replication(s) of them kept from the earlier run"), "{said}");
    assert!(!out.join("points/0/replications").exists());
    assert!(out.join("summary.json").exists());
}
