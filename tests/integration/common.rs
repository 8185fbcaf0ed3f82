//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tailsim_components::model::Model;
use tailsim_components::result::RunResult;
use tailsim_components::spec::ModelSpec;
use tailsim_runner::execute::{Silent, run_replications};
use tailsim_runner::stats::{Estimate, normal_quantile};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `tailsim` binary with `args` in the repository root.
pub fn tailsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tailsim")).args(args).current_dir(root()).output().expect("tailsim runs")
}

/// Like [`tailsim`], asserting success; returns stdout.
pub fn tailsim_ok(args: &[&str]) -> String {
    let out = tailsim(args);
    assert!(out.status.success(), "tailsim {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `reps` independent replications of `spec`, using its fixed warm-up.
pub fn replicate(spec: &ModelSpec, reps: u32) -> Vec<RunResult> {
    let warmup = spec.sim.fixed_warmup().expect("tests use a fixed warm-up").0;
    let model = Model::resolve(spec).unwrap_or_else(|e| panic!("{e:?}"));
    run_replications(&model, spec.sim.seed, 0, warmup, 0..reps, &Silent)
}

/// The 99% confidence interval of the mean of `samples`.
pub fn ci99(samples: &[f64]) -> (f64, f64) {
    let (m, h) = Estimate::interval(samples, 0.99);
    (m, h.expect("at least two replications"))
}

/// Asserts that `theory` lies in the 99% confidence interval of `samples`.
pub fn assert_in_ci99(what: &str, samples: &[f64], theory: f64) {
    let (m, h) = ci99(samples);
    assert!(
        (theory - m).abs() <= h,
        "{what}: theory {theory:.5} outside the 99% CI {m:.5} ± {h:.5} from {} replications",
        samples.len()
    );
}

/// Asserts that each of `counts`, as a share of their total, lies within
/// the 99.9% band around `expected` (Bonferroni over the shares). The band
/// is that of binomial sampling of the total plus `spread_var`, the
/// variance of the true share itself (for example from where a hash placed
/// the keys or ring points).
pub fn assert_shares(what: &str, counts: &[u64], expected: f64, spread_var: f64) {
    let total = counts.iter().sum::<u64>() as f64;
    let z = normal_quantile(1.0 - 0.001 / (2.0 * counts.len() as f64));
    let band = z * (expected * (1.0 - expected) / total + spread_var).sqrt();
    for &n in counts {
        let share = n as f64 / total;
        assert!(
            (share - expected).abs() <= band,
            "{what}: share {share:.4} outside {expected:.4} ± {band:.4}; counts {counts:?}"
        );
    }
}

/// The variance of one of `parts` equal owners' share of a hash ring with
/// `points` points per owner at uniform places: a sum of `points` of the
/// ring's `parts * points` spacings, a Beta(points, (parts - 1) points)
/// share with variance p (1 - p) / (parts * points + 1).
pub fn ring_share_variance(parts: u32, points: u32) -> f64 {
    let p = 1.0 / parts as f64;
    p * (1.0 - p) / (parts * points + 1) as f64
}

/// Reads a file to a string.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A model from TOML text (tests write models the way users do).
pub fn model(text: &str) -> ModelSpec {
    tailsim_config::ModelFile::from_text("test.toml", text).load(&[]).unwrap_or_else(|e| panic!("{e}")).into_spec()
}

/// A per-replication statistic.
/// A model from `models/`, with `--set`-style overrides applied.
pub fn shipped_model(name: &str, set: &[&str]) -> ModelSpec {
    let ovs: Vec<tailsim_config::Override> = set.iter().map(|s| s.parse().unwrap()).collect();
    // Read from its path, so data files it names resolve beside it.
    tailsim_config::ModelFile::read(&root().join("models").join(name))
        .and_then(|m| m.load(&ovs))
        .unwrap_or_else(|e| panic!("{e}"))
        .into_spec()
}

pub fn per_run(runs: &[RunResult], f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
    runs.iter().map(f).collect()
}

/// Compares `files` under `out` with the blessed copies under `golden`
/// (relative to the repository root), naming the first line that differs.
/// With `TAILSIM_BLESS=1` in the environment it first copies them there.
pub fn assert_golden(out: &Path, golden: &str, files: &[&str]) {
    let golden = root().join(golden);
    if std::env::var_os("TAILSIM_BLESS").is_some() {
        for f in files {
            let dest = golden.join(f);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(out.join(f), dest).unwrap();
        }
    }
    for f in files {
        let (got, want) = (read(&out.join(f)), read(&golden.join(f)));
        if got != want {
            let (n, (g, w)) = got
                .lines()
                .zip(want.lines())
                .enumerate()
                .find(|(_, (g, w))| g != w)
                .unwrap_or((got.lines().count().min(want.lines().count()), ("<end>", "<end>")));
            panic!(
                "{f} differs from {}/{f} at line {}:\n  got:  {g}\n  want: {w}\n\
                 if the change is intended, rerun with TAILSIM_BLESS=1",
                golden.display(),
                n + 1
            );
        }
    }
}
