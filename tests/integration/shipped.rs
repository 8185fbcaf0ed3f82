//! Every shipped model runs, briefly, and Little's law holds in it.

use crate::common::{root, tailsim_ok};

#[test]
fn every_model_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join(&name);
        tailsim_ok(&["check", path.to_str().unwrap()]);
        // Shortened so the suite stays quick; the model's own settings are
        // exercised by the README commands.
        tailsim_ok(&[
            "run",
            path.to_str().unwrap(),
            "--replications",
            "2",
            "--set",
            "sim.duration=10s",
            "--set",
            "sim.warmup=1s",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(out.join("summary.json").exists(), "{name}");
        count += 1;
    }
    assert!(count >= 2, "expected shipped models, found {count}");
}
