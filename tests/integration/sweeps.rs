//! `tailsim sweep` and `tailsim merge`: determinism across jobs, shards and
//! resumption, golden outputs, and SLO exit codes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{assert_golden, read, root, tailsim};

/// Every file under `dir`, by relative path (shard bookkeeping excluded).
pub(crate) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                if rel != "shard.json" {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    out
}

pub(crate) fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>(), "file lists differ");
    for (k, v) in &ta {
        assert!(v == &tb[k], "{k} differs between {} and {}", a.display(), b.display());
    }
}

fn sweep(args: &[&str]) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    tailsim(&all)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const EXPERIMENT: &str = "tests/golden/tiny.toml";

#[test]
fn outputs_are_identical_for_any_jobs_and_any_shard_split() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    assert_eq!(sweep(&[EXPERIMENT, "--jobs", "1", "--out", path(&one)]).status.code(), Some(3));
    assert_eq!(sweep(&[EXPERIMENT, "--jobs", "2", "--out", path(&two)]).status.code(), Some(3));
    assert_same_tree(&one, &two);

    let shards: Vec<_> = (0..3).map(|k| tmp.path().join(format!("shard{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        let out = sweep(&[EXPERIMENT, "--shard", &format!("{k}/3"), "--out", path(dir)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(!dir.join("summary.json").exists(), "a shard writes no summary");
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|d| path(d)));
    args.extend(["--out", path(&merged)]);
    let out = tailsim(&args);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tree(&one, &merged);

    // A missing shard is named, not papered over (tests/integration/merging.rs
    // has every kind of merge error).
    let out = tailsim(&["merge", path(&shards[0]), path(&shards[1]), "--out", path(&tmp.path().join("partial"))]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shard 2/3 is missing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The points a shard directory holds, and the ones the plan's cost-balanced
/// assignment gives that shard.
fn held_and_assigned(dir: &Path, shard: u32, count: u32) -> (Vec<usize>, Vec<usize>) {
    let plan: tailsim_runner::sweep::PlanRecord = serde_json::from_str(&read(&dir.join("plan.json"))).unwrap();
    let owner = tailsim_runner::shard::assign(&plan.costs(), count);
    let held = (0..plan.points.len()).filter(|i| dir.join(format!("points/{i}/point.json")).exists()).collect();
    let assigned = (0..plan.points.len()).filter(|&i| owner[i] == shard).collect();
    (held, assigned)
}

#[test]
fn batch_array_variables_select_the_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("slurm");
    let out = Command::new(env!("CARGO_BIN_EXE_tailsim"))
        .args(["sweep", EXPERIMENT, "--out", path(&dir)])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shard: serde_json::Value = serde_json::from_str(&read(&dir.join("shard.json"))).unwrap();
    assert_eq!((shard["index"].as_u64(), shard["count"].as_u64()), (Some(1), Some(2)));
    let (held, assigned) = held_and_assigned(&dir, 1, 2);
    assert_eq!(held, assigned);
    assert_eq!(held.len(), 2);

    let k8s = tmp.path().join("k8s");
    let out = Command::new(env!("CARGO_BIN_EXE_tailsim"))
        .args(["sweep", EXPERIMENT, "--shards", "4", "--out", path(&k8s)])
        .env("JOB_COMPLETION_INDEX", "3")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (held, assigned) = held_and_assigned(&k8s, 3, 4);
    assert_eq!(held, assigned);
    assert_eq!(held.len(), 1);
}

#[test]
fn golden_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("tiny");
    sweep(&[EXPERIMENT, "--out", path(&out)]);
    let files = ["points.csv", "summary.json", "points/3/latency.hgrm", "points/3/timeseries.csv"];
    assert_golden(&out, "tests/golden/tiny", &files);
}

#[test]
fn slo_failures_exit_non_zero_and_name_the_points() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sweep(&[EXPERIMENT, "--out", path(&tmp.path().join("x"))]);
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("✗ app.utilisation < 0.7  (2/4 points pass); failed: #2 (client.users.rate=3000, balancer.lb.policy=round_robin), #3"), "{stdout}");
    assert!(stdout.contains("✗ p99_ms < 40"), "{stdout}");
}

/// A sweep killed with SIGKILL and resumed gives the same bytes as one that
/// was never interrupted, and keeps the points that had finished.
#[test]
fn resume_after_kill_gives_identical_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("slow.toml");
    std::fs::write(
        &exp,
        format!(
            "model = \"{}\"\n[run]\nreplications = 2\nduration = \"40s\"\nwarmup = \"1s\"\n[[sweep]]\npath = \"client.users.rate\"\nrange = {{ from = 1000, to = 3000, steps = 10 }}\n",
            root().join("models/web_lb.toml").display()
        ),
    )
    .unwrap();
    let reference = tmp.path().join("reference");
    assert!(sweep(&[path(&exp), "--jobs", "2", "--out", path(&reference)]).status.success());

    let killed = tmp.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tailsim"))
        .args(["sweep", path(&exp), "--jobs", "1", "--out", path(&killed)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let done = |d: &Path| (0..10).filter(|i| d.join(format!("points/{i}/point.json")).exists()).count();
    while done(&killed) < 2 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let finished = done(&killed);
    assert!((2..10).contains(&finished), "kill landed after {finished} of 10 points");
    assert!(!killed.join("summary.json").exists());

    let out = sweep(&[path(&exp), "--resume", "--jobs", "2", "--out", path(&killed)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{finished} kept from the earlier run")));
    assert_same_tree(&reference, &killed);
}

#[test]
fn resume_refuses_a_changed_experiment() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    sweep(&[EXPERIMENT, "--shard", "0/2", "--out", path(&out)]);
    let exp = tmp.path().join("changed.toml");
    std::fs::write(
        &exp,
        read(&root().join(EXPERIMENT))
            .replace("[1500, 3000]", "[1500, 2500]")
            .replace("../../models", &root().join("models").display().to_string()),
    )
    .unwrap();
    let o = sweep(&[path(&exp), "--resume", "--out", path(&out)]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("changed since that run started"));
}

#[test]
fn sweep_errors_point_into_the_experiment_file() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, format!("model = \"{}\"\n{body}", root().join("models/mm1.toml").display())).unwrap();
        p.to_str().unwrap().to_string()
    };
    let cases = [
        ("path.toml", "[[sweep]]\npath = \"client.web.rat\"\nvalues = [1]\n", "did you mean `rate`?", ":3:8"),
        ("name.toml", "[[sweep]]\npath = \"service.ap.workers\"\nvalues = [1]\n", "no service named `ap`", ":3:8"),
        (
            "range.toml",
            "[[sweep]]\npath = \"client.web.rate\"\nvalues = [100, -5]\n",
            "must be a positive number",
            ":3:8",
        ),
        ("slo.toml", "slo = [\"p99 < 5\"]\n", "did you mean `p99_ms`?", ":2:8"),
    ];
    for (name, body, needle, at) in cases {
        let p = write(name, body);
        let out = sweep(&[&p, "--out", path(&tmp.path().join("o"))]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}");
        assert!(err.contains(needle), "{name}: {err}");
        assert!(err.contains(&format!("{p}{at}")), "{name}: {err}");
    }
    // An unstable point is refused before anything runs; the error points at
    // the service in the model and names the sweep point.
    let p = write("unstable.toml", "[[sweep]]\npath = \"client.web.rate\"\nvalues = [500, 2000]\n");
    let out = sweep(&[&p, "--out", path(&tmp.path().join("o"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unstable") && err.contains("models/mm1.toml:18:10"), "{err}");
    assert!(err.contains("at sweep point #1 (client.web.rate = 2000)"), "{err}");
    assert!(!tmp.path().join("o/points/0/point.json").exists(), "nothing ran");
}

#[test]
fn plots_are_written_and_regenerated_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p");
    sweep(&[EXPERIMENT, "--out", path(&out)]);
    let files = ["latency.svg", "percentiles.svg", "points/0/timeseries.svg", "points/3/timeseries.svg"];
    let before: Vec<String> = files.iter().map(|f| read(&out.join(f))).collect();
    for (f, svg) in files.iter().zip(&before) {
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{f}");
    }
    assert!(before[0].contains("p99 (lb.policy=round_robin)"), "one line per value of the other axis");
    for f in files {
        std::fs::remove_file(out.join(f)).unwrap();
    }
    let o = tailsim(&["plot", path(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after: Vec<String> = files.iter().map(|f| read(&out.join(f))).collect();
    assert_eq!(before, after);
}

/// A shard directory says which shard it is from the start, and resuming it
/// as another shard is refused (it would mix two shards' points).
#[test]
fn resume_refuses_another_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    assert!(sweep(&[EXPERIMENT, "--shard", "0/2", "--out", path(&out)]).status.success());
    let o = sweep(&[EXPERIMENT, "--shard", "1/2", "--resume", "--out", path(&out)]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("it holds shard 0/2, not shard 1/2"), "{err}");
    let o = sweep(&[EXPERIMENT, "--resume", "--out", path(&out)]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("it holds shard 0/2, not the whole sweep"));
    assert!(sweep(&[EXPERIMENT, "--shard", "0/2", "--resume", "--out", path(&out)]).status.success());
}
