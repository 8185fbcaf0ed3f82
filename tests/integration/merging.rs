//! `tailsim merge` refuses what it cannot merge faithfully: a missing or
//! incomplete shard, a shard or a directory given twice, points from two
//! directories, shards of different splits, and shards of a different plan
//! (another seed, model, experiment or version). Each error names what is
//! missing or mismatched, and nothing is written.

use std::path::{Path, PathBuf};

use crate::common::{read, root, tailsim};
use crate::sweeps::{assert_same_tree, tree};

const EXPERIMENT: &str = "tests/golden/tiny.toml";

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sweep_ok(args: &[&str]) {
    let mut all = vec!["sweep", EXPERIMENT];
    all.extend_from_slice(args);
    let out = tailsim(&all);
    assert!(matches!(out.status.code(), Some(0 | 3)), "tailsim {all:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `tailsim merge DIRS --out OUT`, expects it to fail with an error
/// containing every one of `needles`, and checks that OUT was left as it
/// was (absent, or with the same files).
fn refused(dirs: &[&Path], out: &Path, needles: &[&str]) {
    let before = out.exists().then(|| tree(out));
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| path(d)));
    args.extend(["--out", path(out)]);
    let o = tailsim(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "merge should fail: {err}");
    for n in needles {
        assert!(err.contains(n), "expected `{n}` in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    match before {
        None => assert!(!out.exists(), "a refused merge wrote {}", out.display()),
        Some(t) => assert!(tree(out) == t, "a refused merge changed {}", out.display()),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
    if from.join("shard.json").exists() {
        std::fs::copy(from.join("shard.json"), to.join("shard.json")).unwrap();
    }
}

/// The points of a 3-way split held by shard `k`, from its plan.
fn points_of(dir: &Path, k: u32) -> Vec<usize> {
    let plan: tailsim_runner::sweep::PlanRecord = serde_json::from_str(&read(&dir.join("plan.json"))).unwrap();
    let owner = tailsim_runner::shard::assign(&plan.costs(), 3);
    (0..owner.len()).filter(|&i| owner[i] == k).collect()
}

#[test]
fn merge_names_what_is_missing_duplicated_or_mismatched_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let shards: Vec<PathBuf> = (0..3).map(|k| t.join(format!("shard-{k}"))).collect();
    for (k, d) in shards.iter().enumerate() {
        sweep_ok(&["--shard", &format!("{k}/3"), "--out", path(d)]);
    }
    let [s0, s1, s2] = [&shards[0], &shards[1], &shards[2]].map(|p| p.as_path());
    let out = t.join("merged");

    // A missing shard: named with the points it would have held.
    let lost = points_of(s2, 2);
    let listed = lost.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    refused(&[s0, s1], &out, &["shard 2/3 is missing", &format!("point(s) {listed}")]);

    // An incomplete shard (a task killed part-way): named, with what it lacks.
    let part = t.join("partial-1");
    copy_dir(s1, &part);
    let gone = points_of(s1, 1)[0];
    std::fs::remove_dir_all(part.join(format!("points/{gone}"))).unwrap();
    refused(
        &[s0, &part, s2],
        &out,
        &[&format!("shard 1/3 in {} is incomplete", part.display()), &format!("lacks point(s) {gone}"), "--resume"],
    );

    // The same shard twice: as a copy, and as the same directory.
    let again = t.join("shard-1-again");
    copy_dir(s1, &again);
    refused(&[s0, s1, s2, &again], &out, &["are both shard 1/3", &again.display().to_string()]);
    refused(&[s0, s1, s2, s1], &out, &[&format!("{} is given twice", s1.display())]);

    // Two directories holding the same points: a whole run mixed with shards.
    let whole = t.join("whole");
    sweep_ok(&["--out", path(&whole)]);
    refused(&[s0, s1, s2, &whole], &out, &["point 0 is in both", "whole"]);

    // Shards of different splits.
    let half = t.join("half-1");
    sweep_ok(&["--shard", "1/2", "--out", path(&half)]);
    refused(&[s0, &half], &out, &["is shard 0/3 but", "is shard 1/2", "one split"]);

    // Shards of a different plan: another seed, another model, another
    // experiment, another version.
    let seed = t.join("seed-8");
    sweep_ok(&["--shard", "2/3", "--set", "sim.seed=8", "--out", path(&seed)]);
    refused(&[s0, s1, &seed], &out, &["not a shard of the same sweep", "the seed is 7 in", "but 8 in"]);

    let model = t.join("workers-3");
    sweep_ok(&["--shard", "2/3", "--set", "service.app.workers=3", "--out", path(&model)]);
    refused(
        &[s0, s1, &model],
        &out,
        &["not a shard of the same sweep", "the model or its settings differ at every point"],
    );

    let other_exp = t.join("other.toml");
    std::fs::write(
        &other_exp,
        read(&root().join(EXPERIMENT)).replace("../../models", &root().join("models").display().to_string()),
    )
    .unwrap();
    let renamed = t.join("other-2");
    let o = tailsim(&["sweep", path(&other_exp), "--shard", "2/3", "--out", path(&renamed)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    refused(&[s0, s1, &renamed], &out, &["the experiment is `tiny` in", "but `other` in"]);

    let old = t.join("old-version");
    copy_dir(s2, &old);
    let plan = read(&old.join("plan.json"));
    std::fs::write(old.join("plan.json"), plan.replacen(env!("CARGO_PKG_VERSION"), "0.0.9", 1)).unwrap();
    refused(&[s0, s1, &old], &out, &[&format!("the tailsim version is {}", env!("CARGO_PKG_VERSION")), "0.0.9"]);

    // A point file from another sweep slipped into a shard.
    let foreign = t.join("foreign-2");
    copy_dir(s2, &foreign);
    let p = points_of(s2, 2)[0];
    std::fs::copy(seed.join(format!("points/{p}/point.json")), foreign.join(format!("points/{p}/point.json"))).unwrap();
    refused(&[s0, s1, &foreign], &out, &["belongs to a different sweep", &format!("points/{p}/point.json")]);

    // After all that, the real merge works, and a refused merge into an
    // existing results directory leaves it as it was.
    let o = tailsim(&["merge", path(s0), path(s1), path(s2), "--out", path(&out)]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_tree(&whole, &out);
    refused(&[s0, s1], &out, &["shard 2/3 is missing"]);
    assert_same_tree(&whole, &out);

    // Merged into one of the shard directories: it becomes the whole sweep,
    // with no stale `shard.json`, so resuming it as the whole sweep works.
    let into: Vec<PathBuf> = (0..3).map(|k| t.join(format!("into-{k}"))).collect();
    for (from, to) in [s0, s1, s2].iter().zip(&into) {
        copy_dir(from, to);
    }
    assert!(into[0].join("shard.json").exists());
    let o = tailsim(&["merge", path(&into[0]), path(&into[1]), path(&into[2]), "--out", path(&into[0])]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!into[0].join("shard.json").exists(), "the merged directory is no longer a shard");
    assert_same_tree(&whole, &into[0]);
    sweep_ok(&["--resume", "--jobs", "1", "--out", path(&into[0])]);
    assert_same_tree(&whole, &into[0]);
}
