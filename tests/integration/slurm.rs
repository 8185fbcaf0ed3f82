//! The shipped Slurm scripts on a real batch system: a single-node cluster
//! of Debian's slurm-wlm and munge, started by `deploy/slurm/test-cluster.sh`
//! with all its state in a temporary directory.
//!
//! - `deploy/slurm/check.sh` (what `test-cluster.sh` runs by default)
//!   submits `sweep.sbatch` as a 3-task array and `merge.sbatch` with an
//!   afterok dependency, and compares the merged directory byte for byte
//!   with `tailsim sweep` run directly;
//! - faults: one task is cancelled part-way with scancel and another killed
//!   with SIGKILL; both are requeued, resume from the points they had
//!   finished, and the merge is still byte-identical; a merge job given a
//!   missing shard fails naming it and writes nothing.
//!
//! The packages are installed on first use (`prereq::debian`). Each test
//! gives up with a message after [`LIMIT`], and every daemon is stopped by
//! the script, by process id, which the tests check.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{read, root};
use crate::sweeps::assert_same_tree;

/// How long each test may take before it gives up.
const LIMIT: Duration = Duration::from_secs(240);

fn install() {
    crate::prereq::debian(&[
        ("/usr/sbin/slurmctld", "slurm-wlm"),
        ("/usr/sbin/slurmd", "slurm-wlm"),
        ("/usr/bin/sbatch", "slurm-wlm"),
        ("/usr/bin/scontrol", "slurm-wlm"),
        ("/usr/sbin/munged", "munge"),
    ]);
}

/// PATH for the cluster and its jobs: the tailsim binary under test first.
fn path_env() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_tailsim")).parent().unwrap();
    format!("{}:/usr/sbin:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

struct Deadline(Instant);

impl Deadline {
    fn start() -> Self {
        Deadline(Instant::now())
    }
    fn check(&self, waiting_for: &str) {
        assert!(
            self.0.elapsed() < LIMIT,
            "gave up after {} s waiting for {waiting_for} (the Slurm test's limit)",
            LIMIT.as_secs()
        );
    }
}

/// The daemons the script says it stopped ("stopped munged slurmctld
/// slurmd (pids 1 2 3)"), and a check that none of them is left.
fn assert_daemons_stopped(stderr: &str) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("test-cluster: stopped "))
        .unwrap_or_else(|| panic!("test-cluster.sh did not report stopping its daemons:\n{stderr}"));
    let pids: Vec<u32> = line
        .rsplit_once("(pids ")
        .and_then(|(_, p)| p.strip_suffix(')'))
        .map(|p| p.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .unwrap_or_default();
    assert_eq!(pids.len(), 3, "munged, slurmctld and slurmd: {line}");
    for pid in pids {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "daemon {pid} is still running after: {line}");
    }
}

/// The number of finished points in a results directory.
fn finished(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("points"))
        .map(|d| d.filter(|e| e.as_ref().is_ok_and(|e| e.path().join("point.json").exists())).count())
        .unwrap_or(0)
}

/// The points shard `k` of 3 runs, from the plan in `dir`.
fn assigned(dir: &Path, k: u32) -> usize {
    let plan: tailsim_runner::sweep::PlanRecord = serde_json::from_str(&read(&dir.join("plan.json"))).unwrap();
    tailsim_runner::shard::assign(&plan.costs(), 3).iter().filter(|&&s| s == k).count()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// `deploy/slurm/test-cluster.sh` as a user runs it: start a cluster, run
/// `check.sh` in it (the shipped array and merge scripts on hockey_stick,
/// compared with a direct sweep), stop every daemon.
#[test]
fn the_shipped_array_and_merge_scripts_give_the_bytes_of_a_direct_sweep() {
    install();
    let deadline = Deadline::start();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let (out, err) = (tmp.path().join("stdout"), tmp.path().join("stderr"));
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg(root().join("deploy/slurm/test-cluster.sh"))
        .args(["--port", "16817", "--timeout", "60"])
        .env("PATH", path_env())
        .env("WORK", &work)
        .env("TIMEOUT", "180")
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() >= LIMIT {
            // SIGTERM: the script's trap stops the daemons.
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
        deadline.check(&format!("deploy/slurm/test-cluster.sh; its output so far:\n{}", read(&err)));
        std::thread::sleep(Duration::from_millis(200));
    };
    let (stdout, stderr) = (read(&out), read(&err));
    assert!(status.success(), "test-cluster.sh failed ({status}):\n{stdout}\n{stderr}");
    eprintln!("{stdout}(test-cluster.sh took {:.1} s in all)", started.elapsed().as_secs_f64());
    assert!(stdout.contains("byte-identical to tailsim sweep run directly"), "{stdout}");
    assert_daemons_stopped(&stderr);
    let dir = stderr.split("cluster up in ").nth(1).and_then(|s| s.split(':').next()).unwrap();
    assert!(!Path::new(dir).exists(), "the cluster's temporary directory {dir} is left behind");

    // Check the comparison independently of check.sh's `diff -r`.
    let job = stdout.split("array job ").nth(1).and_then(|s| s.split(':').next()).unwrap();
    let merged = work.join("results").join(job).join("merged");
    assert_same_tree(&work.join("direct"), &merged);
    for k in 0..3 {
        let log = read(&work.join(format!("tailsim-sweep-{job}_{k}.out")));
        assert!(log.contains(&format!("shard {k}/3: ")), "{log}");
    }
}

/// A cluster held open by `test-cluster.sh --hold` while a test drives it.
struct Cluster {
    child: Child,
    stdin: Option<ChildStdin>,
    conf: String,
    stderr: PathBuf,
    deadline: Deadline,
}

impl Cluster {
    fn start(port: u16, log: PathBuf) -> Cluster {
        let deadline = Deadline::start();
        let mut child = Command::new("bash")
            .arg(root().join("deploy/slurm/test-cluster.sh"))
            .args(["--hold", "--port", &port.to_string(), "--timeout", "60"])
            .env("PATH", path_env())
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut cluster = Cluster { child, stdin, conf: String::new(), stderr: log, deadline };
        loop {
            match rx.recv_timeout(Duration::from_secs(90)) {
                Ok(line) if line == "ready" => break,
                Ok(line) => {
                    if let Some(conf) = line.strip_prefix("SLURM_CONF=") {
                        cluster.conf = conf.to_string();
                    }
                }
                Err(_) => panic!("the cluster did not come up:\n{}", read(&cluster.stderr)),
            }
        }
        assert!(!cluster.conf.is_empty(), "test-cluster.sh printed no SLURM_CONF");
        cluster
    }

    /// Runs a Slurm command (or `tailsim`) against this cluster in `dir`.
    fn command(&self, program: &str, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf).env("PATH", path_env()).current_dir(dir);
        c
    }

    fn ok(&self, dir: &Path, program: &str, args: &[&str]) -> String {
        let out = self.command(program, dir).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// One field of `scontrol show job`, such as JobState or Restarts.
    fn job_field(&self, job: &str, field: &str) -> String {
        let text = self.ok(Path::new("/"), "scontrol", &["show", "job", job]);
        let key = format!("{field}=");
        text.split_whitespace()
            .find_map(|t| t.strip_prefix(&key))
            .unwrap_or_else(|| panic!("no {field} in scontrol show job {job}:\n{text}"))
            .to_string()
    }

    /// Waits until none of `jobs` is pending or running.
    fn wait_gone(&self, jobs: &str, what: &str) {
        loop {
            let q = self.ok(Path::new("/"), "squeue", &["-h", "-j", jobs, "-o", "%i %T %r"]);
            if q.trim().is_empty() {
                return;
            }
            self.deadline.check(&format!("{what}; still queued:\n{q}"));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Closes the script's standard input, so it stops the cluster, and
    /// returns what it printed on stderr.
    fn stop(&mut self) -> String {
        self.stdin.take();
        let until = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < until, "test-cluster.sh did not stop:\n{}", read(&self.stderr));
            std::thread::sleep(Duration::from_millis(100));
        }
        read(&self.stderr)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // On a failed assertion too: closing stdin makes the script stop its
        // daemons; SIGTERM if it does not go.
        self.stdin.take();
        let until = Instant::now() + Duration::from_secs(30);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(100));
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
            let _ = self.child.wait();
        }
    }
}

/// Cancel one array task part-way and kill another with SIGKILL; requeue
/// both: they resume from the points they had finished, and the merge is
/// byte-identical to a direct sweep. A merge job missing a shard fails,
/// names it, and writes nothing.
#[test]
fn cancelled_and_killed_array_tasks_resume_when_requeued_and_merge_identically() {
    install();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let mut cluster = Cluster::start(16917, tmp.path().join("cluster.log"));
    let experiment = root().join("experiments/hockey_stick.toml");
    let sweep_args = ["--replications", "2"];

    let array = cluster.ok(
        &work,
        "sbatch",
        &[
            "--parsable",
            "--array=0-2",
            "--cpus-per-task=1",
            "--mem=1G",
            &format!("--export=ALL,EXPERIMENT={}", experiment.display()),
            root().join("deploy/slurm/sweep.sbatch").to_str().unwrap(),
            sweep_args[0],
            sweep_args[1],
        ],
    );
    let array = array.trim().split(';').next().unwrap().to_string();
    let results = work.join("results").join(&array);
    let shard = |k: usize| results.join(format!("shard-{k}"));

    // Task 1: scancel once it has finished a point. Task 0: SIGKILL to its
    // tailsim process (the batch step: sweep.sbatch execs tailsim).
    let (mut cancelled, mut killed) = (false, false);
    while !(cancelled && killed) {
        cluster.deadline.check("array tasks 0 and 1 to finish a first point");
        if !cancelled && finished(&shard(1)) >= 1 {
            cluster.ok(&work, "scancel", &[&format!("{array}_1")]);
            cancelled = true;
        }
        if !killed && finished(&shard(0)) >= 1 {
            let job = cluster.ok(&work, "squeue", &["-h", "-j", &format!("{array}_0"), "-o", "%A"]);
            let pids = cluster.ok(&work, "scontrol", &["listpids", job.trim()]);
            let pid = pids
                .lines()
                .filter(|l| l.split_whitespace().nth(2) == Some("batch"))
                .filter_map(|l| l.split_whitespace().next())
                .find(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "tailsim"))
                .unwrap_or_else(|| panic!("no tailsim process in task {array}_0:\n{pids}"));
            let status = Command::new("kill").args(["-KILL", pid]).status().unwrap();
            assert!(status.success(), "kill -KILL {pid}");
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.wait_gone(&format!("{array}_0,{array}_1"), "the cancelled and the killed task to end");
    assert_eq!(cluster.job_field(&format!("{array}_1"), "JobState"), "CANCELLED");
    assert_eq!(cluster.job_field(&format!("{array}_0"), "JobState"), "FAILED");
    let kept: Vec<usize> = (0..2).map(|k| finished(&shard(k))).collect();
    let total: Vec<usize> = (0..2).map(|k| assigned(&shard(k), k as u32)).collect();
    for k in 0..2 {
        assert!(
            (1..total[k]).contains(&kept[k]),
            "task {k} should have ended part-way, with 1 to {} of its {} points; it had {}",
            total[k] - 1,
            total[k],
            kept[k]
        );
    }

    eprintln!(
        "task 0 killed with SIGKILL after {} of its {} points, task 1 cancelled after {} of its {}",
        kept[0], total[0], kept[1], total[1]
    );

    // A merge job given only the cancelled task's shard fails, names the
    // missing shards and what the incomplete one lacks, and writes nothing.
    let partial = work.join("results/partial");
    copy_tree(&shard(1), &partial.join("shard-1"));
    let merge_script = root().join("deploy/slurm/merge.sbatch");
    let bad = cluster.ok(
        &work,
        "sbatch",
        &["--parsable", "--export=ALL,RESULTS=results/partial", merge_script.to_str().unwrap()],
    );
    let bad = bad.trim().to_string();
    cluster.wait_gone(&bad, "the merge job over a partial set of shards");
    assert_eq!(cluster.job_field(&bad, "JobState"), "FAILED");
    let log = read(&work.join(format!("tailsim-merge-{bad}.out")));
    for needle in ["shard 0/3 is missing", "shard 1/3 in results/partial/shard-1 is incomplete", "shard 2/3 is missing"]
    {
        assert!(log.contains(needle), "expected `{needle}` in the merge job's log:\n{log}");
    }
    assert!(!partial.join("merged").exists(), "a refused merge wrote results");

    // Requeue both: each resumes from the points it had finished.
    for k in 0..2 {
        cluster.ok(&work, "scontrol", &["requeue", &format!("{array}_{k}")]);
    }
    cluster.wait_gone(&array, "the requeued tasks and the rest of the array");
    for k in 0..3 {
        let task = format!("{array}_{k}");
        assert_eq!(cluster.job_field(&task, "JobState"), "COMPLETED", "{task}");
        assert_eq!(cluster.job_field(&task, "Restarts"), if k < 2 { "1" } else { "0" }, "{task}");
    }
    for k in 0..2 {
        let log = read(&work.join(format!("tailsim-sweep-{array}_{k}.out")));
        let want =
            format!("shard {k}/3: {} point(s) computed, {} kept from the earlier run", total[k] - kept[k], kept[k]);
        assert!(log.contains(&want), "task {k}: expected `{want}` in its log:\n{log}");
    }

    // The merge job, then the same sweep run directly.
    let merge = cluster.ok(
        &work,
        "sbatch",
        &["--parsable", &format!("--export=ALL,RESULTS=results/{array}"), merge_script.to_str().unwrap()],
    );
    let merge = merge.trim().to_string();
    cluster.wait_gone(&merge, "the merge job");
    // hockey_stick's SLO fails at the highest loads: merge exits 3.
    assert_eq!(
        cluster.job_field(&merge, "ExitCode"),
        "3:0",
        "{}",
        read(&work.join(format!("tailsim-merge-{merge}.out")))
    );
    let direct = tmp.path().join("direct");
    let out = cluster
        .command(env!("CARGO_BIN_EXE_tailsim"), &root())
        .args(["sweep", experiment.to_str().unwrap(), sweep_args[0], sweep_args[1], "--out", direct.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tree(&direct, &results.join("merged"));

    let stderr = cluster.stop();
    assert_daemons_stopped(&stderr);
}
