//! Real parts that some tests need: Debian packages (Chromium, Slurm,
//! munge), npm packages and a Python virtualenv. Each is installed on first
//! use when this machine can install it (root with `apt-get`, `npm`,
//! `python3 -m venv`), so `cargo test --workspace` on a fresh machine runs
//! every test. Where it cannot, the test fails with the command to run; no
//! test skips silently.
//!
//! Installs are serialised within the test binary (one lock) and across
//! processes (`flock` on a file under `target/`), so parallel tests never
//! race on dpkg or npm.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

/// Where installed test dependencies live: `target/test-deps`.
pub fn deps_dir() -> PathBuf {
    let dir = crate::common::root().join("target").join("test-deps");
    std::fs::create_dir_all(&dir).expect("creating target/test-deps");
    dir
}

/// Runs `cmd` holding the cross-process install lock; panics with its
/// output if it fails.
fn run_locked(what: &str, cmd: &mut Command) {
    let lock = deps_dir().join("install.lock");
    let program = cmd.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut locked = Command::new("flock");
    locked.arg(&lock).arg(&program).args(&args);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => locked.env(k, v),
            None => locked.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        locked.current_dir(dir);
    }
    let out = locked.output().unwrap_or_else(|e| panic!("{what}: could not start `{program}`: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn on_path(program: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().is_ok_and(|o| o.status.success())
}

/// Makes sure each `(file, package)` pair is present: `file` (an absolute
/// path such as `/usr/bin/chromium`) comes from Debian's `package`. Missing
/// packages are installed with `apt-get` when running as root; otherwise
/// the test fails naming the command to run.
pub fn debian(needed: &[(&str, &str)]) {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let missing: Vec<&str> = needed.iter().filter(|(file, _)| !Path::new(file).exists()).map(|(_, p)| *p).collect();
    if missing.is_empty() {
        return;
    }
    let install = format!("apt-get install -y --no-install-recommends {}", missing.join(" "));
    assert!(
        is_root() && on_path("apt-get"),
        "this test needs Debian's {}; install it with `sudo {install}` and run the tests again",
        missing.join(", ")
    );
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    run_locked("apt-get update", Command::new("apt-get").args(["update", "-q"]).envs(env));
    let mut cmd = Command::new("apt-get");
    cmd.args(["install", "-y", "-q", "--no-install-recommends"]).args(&missing).envs(env);
    run_locked(&install, &mut cmd);
    for (file, package) in needed {
        assert!(Path::new(file).exists(), "`{install}` succeeded but {file} (from {package}) is still missing");
    }
}

/// A directory with the npm `packages` (such as `playwright-core@1.49.1`)
/// installed under `node_modules`, shared by the tests that name the same
/// set. Fails naming the command when npm is missing.
pub fn npm(name: &str, packages: &[&str]) -> PathBuf {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let dir = deps_dir().join(format!("npm-{name}"));
    let stamp = dir.join(".installed");
    let want = packages.join(" ");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        return dir;
    }
    assert!(on_path("npm"), "this test needs npm (Node.js); install it with `sudo apt-get install -y npm`");
    std::fs::create_dir_all(&dir).unwrap();
    if !dir.join("package.json").exists() {
        std::fs::write(dir.join("package.json"), "{ \"private\": true }\n").unwrap();
    }
    let mut cmd = Command::new("npm");
    cmd.args(["install", "--no-audit", "--no-fund", "--silent"]).args(packages).current_dir(&dir);
    run_locked(&format!("npm install {want}"), &mut cmd);
    std::fs::write(&stamp, &want).unwrap();
    dir
}

/// A Python virtualenv at `target/test-deps/venv-<name>` with the pip
/// `requirements` installed; returns its directory (its interpreter is
/// `bin/python`).
pub fn python_venv(name: &str, requirements: &[&str]) -> PathBuf {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let dir = deps_dir().join(format!("venv-{name}"));
    let stamp = dir.join(".installed");
    let want = requirements.join(" ");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        return dir;
    }
    assert!(
        on_path("python3"),
        "this test needs Python 3 with venv; install it with `sudo apt-get install -y python3-venv`"
    );
    if !dir.join("bin").join("python").exists() {
        run_locked("python3 -m venv", Command::new("python3").arg("-m").arg("venv").arg(&dir));
    }
    if !requirements.is_empty() {
        let mut cmd = Command::new(dir.join("bin").join("python"));
        cmd.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(requirements);
        run_locked(&format!("pip install {want}"), &mut cmd);
    }
    std::fs::write(&stamp, &want).unwrap();
    dir
}
