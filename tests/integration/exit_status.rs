//! One table of exit statuses (README, "Exit status"), the same in every
//! command: 0 success, 1 invalid input, 2 usage, 3 a check failed, 4 a run
//! stopped, 5 I/O.

use std::path::Path;

use crate::common::{root, tailsim};

const SUCCESS: i32 = 0;
const INVALID: i32 = 1;
const USAGE: i32 = 2;
const CHECK_FAILED: i32 = 3;
const STOPPED: i32 = 4;
const IO: i32 = 5;

fn status(args: &[&str]) -> (i32, String) {
    let out = tailsim(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().expect("exited, not killed"), err)
}

fn assert_status(expected: i32, args: &[&str]) -> String {
    let (code, err) = status(args);
    assert_eq!(code, expected, "tailsim {args:?}:\n{err}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A small sweep of M/M/1 whose first point's in-flight guard is set below
/// the queue it builds, so that point runs away and the second does not.
fn runaway_experiment(dir: &Path) -> std::path::PathBuf {
    let mm1 = root().join("models/mm1.toml");
    let path = dir.join("runaway.toml");
    std::fs::write(
        &path,
        format!(
            "model = {:?}\n[run]\nreplications = 1\nduration = \"5s\"\nwarmup = \"1s\"\n\
             [[sweep]]\npath = \"sim.max_in_flight\"\nvalues = [5, 100000]\n",
            mm1.display().to_string()
        ),
    )
    .unwrap();
    path
}

#[test]
fn run_uses_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_status(
        SUCCESS,
        &[
            "run",
            "models/mm1.toml",
            "--set",
            "sim.duration=2s",
            "--set",
            "sim.warmup=0s",
            "--replications",
            "1",
            "--out",
            s(&out),
        ],
    );
    assert_status(INVALID, &["run", "models/mm1.toml", "--set", "service.app.workers=0"]);
    assert_status(INVALID, &["run", "models/mm1.toml", "--set", "client.web.rate=1500"]);
    assert_status(USAGE, &["run", "models/mm1.toml", "--no-such-flag"]);
    let err = assert_status(
        STOPPED,
        &[
            "run",
            "models/mm1.toml",
            "--set",
            "sim.max_in_flight=5",
            "--set",
            "sim.duration=5s",
            "--set",
            "sim.warmup=1s",
            "--replications",
            "1",
            "--out",
            s(&out),
        ],
    );
    // The in-flight guard, set below the queue the model builds, stops a
    // run the static check cannot see running away (a burst, say).
    assert!(err.contains("the run was stopped early: stopped at t = "), "{err}");
    assert!(err.contains("max_in_flight"), "{err}");
    let err = assert_status(IO, &["run", "models/no_such_model.toml"]);
    assert!(err.contains("cannot read model `models/no_such_model.toml`"), "{err}");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let err = assert_status(IO, &["run", "models/mm1.toml", "--out", s(&file)]);
    assert!(err.contains("is a file, not a directory"), "{err}");
}

#[test]
fn sweep_stops_with_4_when_a_point_runs_away_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let experiment = runaway_experiment(dir.path());
    let err = assert_status(STOPPED, &["sweep", s(&experiment), "--jobs", "1", "--out", s(&out)]);
    assert!(err.contains("1 of 2 point(s) were stopped early (point 0"), "{err}");
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"runaway\""), "the stopped point is marked: {summary}");
    assert!(out.join("points/1/point.json").exists(), "the finished point is kept");
    // Merging the directory gives the same status.
    let merged = dir.path().join("merged");
    assert_status(STOPPED, &["merge", s(&out), "--out", s(&merged)]);
}

#[test]
fn sweep_check_and_the_other_commands_use_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny");
    assert_status(CHECK_FAILED, &["sweep", "tests/golden/tiny.toml", "--jobs", "1", "--out", s(&out)]);
    assert_status(INVALID, &["sweep", "tests/golden/tiny.toml", "--set", "service.app.workers=0"]);
    assert_status(IO, &["sweep", "experiments/no_such.toml"]);
    assert_status(USAGE, &["sweep"]);

    assert_status(SUCCESS, &["check", "models/web_lb.toml"]);
    let err = assert_status(INVALID, &["check", "models/mm1.toml", "--set", "client.web.rate=1500"]);
    assert!(err.contains("error: unstable: `app` cannot keep up"), "{err}");
    let (_, stdout) = {
        let o = tailsim(&["check", "models/mm1.toml", "--set", "client.web.rate=1500"]);
        (o.status, String::from_utf8_lossy(&o.stdout).into_owned())
    };
    assert!(!stdout.contains("valid model"), "an unstable model is not called valid: {stdout}");
    assert_status(IO, &["check", "models"]);

    assert_status(SUCCESS, &["graph", "models/web_lb.toml"]);
    assert_status(IO, &["graph", "nowhere.toml"]);
    assert_status(SUCCESS, &["plot", s(&out)]);
    assert_status(IO, &["plot", s(&dir.path().join("nothing-here"))]);
    // An interrupted sweep (a point missing): plot refuses and writes nothing.
    let svg = std::fs::read(out.join("latency.svg")).unwrap();
    std::fs::remove_file(out.join("points/1/point.json")).unwrap();
    let err = assert_status(IO, &["plot", s(&out)]);
    assert!(err.contains("is missing point 1") && err.contains("--resume"), "{err}");
    assert_eq!(std::fs::read(out.join("latency.svg")).unwrap(), svg, "nothing rewritten");
    assert_status(IO, &["report", s(&dir.path().join("nothing-here"))]);
    assert_status(IO, &["merge", s(&dir.path().join("nothing-here")), "--out", s(&dir.path().join("m"))]);
    assert_status(SUCCESS, &["--version"]);
    assert_status(SUCCESS, &["run", "--help"]);
}
