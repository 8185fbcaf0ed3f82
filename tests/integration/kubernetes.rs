//! The Kubernetes manifests in `deploy/kubernetes/`: valid against the
//! Kubernetes schema (offline, with `kubernetes-validate --strict` from
//! PyPI in a virtualenv), consistent with each other (claim, mount, paths,
//! shard count), and correct when their commands run as the pods would:
//! the merged output of the Indexed Job's shards is byte-identical to a
//! direct sweep.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::root;
use crate::sweeps::assert_same_tree;

/// The validator, pinned, and the Kubernetes version whose schema it
/// checks against (indexed Jobs with backoffLimitPerIndex are GA in 1.33).
const VALIDATOR: &str = "kubernetes-validate==1.33.1";
const KUBERNETES: &str = "1.33.0";

fn venv() -> PathBuf {
    crate::prereq::python_venv("kubernetes", &[VALIDATOR])
}

fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("deploy/kubernetes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn validate(venv: &Path, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(venv.join("bin/kubernetes-validate"))
        .args(["--strict", "-k", KUBERNETES])
        .args(files)
        .output()
        .expect("running kubernetes-validate");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_manifests_are_valid_against_the_kubernetes_schema() {
    let venv = venv();
    let files = manifests();
    assert_eq!(files.len(), 3, "merge-job, results-pvc and sweep-job: {files:?}");
    let (ok, text) = validate(&venv, &files);
    assert!(ok, "{text}");
    for f in &files {
        assert!(text.contains(&format!("{} passed", f.display())), "{text}");
    }

    // The validator does reject mistakes: an unknown field, a wrong type.
    let tmp = tempfile::tempdir().unwrap();
    let sweep = crate::common::read(&root().join("deploy/kubernetes/sweep-job.yaml"));
    let cases = [
        ("completionMode: Indexed", "completionMod: Indexed", "'completionMod' was unexpected"),
        ("completions: 8", "completions: \"eight\"", "'eight' is not of type 'integer'"),
    ];
    for (from, to, needle) in cases {
        let bad = tmp.path().join("bad.yaml");
        std::fs::write(&bad, sweep.replace(from, to)).unwrap();
        let (ok, text) = validate(&venv, &[bad]);
        assert!(!ok && text.contains(needle), "{to}: {text}");
    }
}

/// The manifests as JSON (PyYAML comes with the validator).
fn load(venv: &Path, file: &Path) -> Value {
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn container(job: &Value) -> &Value {
    &job["spec"]["template"]["spec"]["containers"][0]
}

/// The shell command a Job's container runs (`/bin/sh -c ARG`).
fn shell_command(job: &Value) -> String {
    let c = container(job);
    assert_eq!(c["command"], serde_json::json!(["/bin/sh", "-c"]));
    c["args"][0].as_str().unwrap().to_string()
}

fn run_shell(script: &str, index: Option<u64>) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_tailsim")).parent().unwrap();
    let mut c = Command::new("sh");
    c.arg("-c").arg(script).current_dir(root());
    c.env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
    if let Some(k) = index {
        c.env("JOB_COMPLETION_INDEX", k.to_string());
    }
    c.output().unwrap()
}

#[test]
fn the_indexed_job_and_the_merge_job_agree_and_merge_to_the_bytes_of_a_direct_sweep() {
    let venv = venv();
    let dir = root().join("deploy/kubernetes");
    let (sweep, merge, pvc) = (
        load(&venv, &dir.join("sweep-job.yaml")),
        load(&venv, &dir.join("merge-job.yaml")),
        load(&venv, &dir.join("results-pvc.yaml")),
    );

    // The shard count, the claim, the mount and the paths agree.
    assert_eq!(sweep["spec"]["completionMode"], "Indexed");
    let n = sweep["spec"]["completions"].as_u64().unwrap();
    let sweep_cmd = shell_command(&sweep);
    let merge_cmd = shell_command(&merge);
    assert!(sweep_cmd.contains(&format!("--shards {n}")), "--shards must equal completions ({n}): {sweep_cmd}");
    assert!(sweep_cmd.contains("--resume"), "a retried pod must keep its finished points: {sweep_cmd}");
    let claim = pvc["metadata"]["name"].as_str().unwrap();
    assert!(pvc["spec"]["accessModes"].as_array().unwrap().iter().any(|m| m == "ReadWriteMany"));
    for job in [&sweep, &merge] {
        let volumes = &job["spec"]["template"]["spec"]["volumes"][0];
        assert_eq!(volumes["persistentVolumeClaim"]["claimName"], claim);
        let mount = &container(job)["volumeMounts"][0];
        assert_eq!((&mount["name"], &mount["mountPath"]), (&volumes["name"], &Value::from("/results")));
    }
    assert!(sweep_cmd.contains("--out /results/sweep/shard-${JOB_COMPLETION_INDEX}"), "{sweep_cmd}");
    assert!(merge_cmd.contains("/results/sweep/shard-* --out /results/sweep/merged"), "{merge_cmd}");
    assert_eq!(merge["spec"]["backoffLimit"], 0, "a failed merge gives the same answer when retried");

    // Each pod's command, with /results in a temporary directory and the
    // experiment shortened (the same settings for the direct sweep).
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results");
    let shorter = "--replications 2 --set sim.duration=20s --set sim.warmup=2s";
    let at = |cmd: &str| cmd.replace("/results", results.to_str().unwrap());
    for k in 0..n {
        let out = run_shell(&format!("{} {shorter}", at(&sweep_cmd)), Some(k));
        assert!(out.status.success(), "pod {k}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("shard {k}/{n}: ")));
    }
    let out = run_shell(&at(&merge_cmd), None);
    assert!(matches!(out.status.code(), Some(0 | 3)), "merge: {}", String::from_utf8_lossy(&out.stderr));
    let experiment = sweep_cmd.split_whitespace().nth(3).unwrap();
    let direct = tmp.path().join("direct");
    let out = run_shell(&format!("tailsim sweep {experiment} {shorter} --out {}", direct.display()), None);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same_tree(&direct, &results.join("sweep/merged"));
}
