//! Every shipped model and experiment runs, shortened so the suite stays
//! quick; the files' own settings are what the README commands exercise.

use std::path::PathBuf;

use crate::common::{root, tailsim, tailsim_ok};

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

const SHORT: [&str; 6] = ["--replications", "2", "--set", "sim.duration=10s", "--set", "sim.warmup=1s"];

#[test]
fn every_model_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let models = toml_files("models");
    assert!(models.len() >= 2, "expected shipped models");
    for path in models {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join(&name);
        tailsim_ok(&["check", path.to_str().unwrap()]);
        let mut args = vec!["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(SHORT);
        tailsim_ok(&args);
        assert!(out.join("summary.json").exists(), "{name}");
    }
}

#[test]
fn every_experiment_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let experiments = toml_files("experiments");
    assert!(!experiments.is_empty(), "expected shipped experiments");
    for path in experiments {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join(&name);
        let mut args = vec!["sweep", path.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(SHORT);
        let o = tailsim(&args);
        // Exit 3 means an SLO failed, which shortened runs may well do.
        assert!(matches!(o.status.code(), Some(0) | Some(3)), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(out.join("summary.json").exists(), "{name}");
        assert!(out.join("points.csv").exists(), "{name}");
        if name == "hockey_stick" {
            // One server and eight on one measured-utilisation axis.
            let svg = std::fs::read_to_string(out.join("latency.svg")).unwrap();
            assert!(svg.contains("Latency against app.utilisation") && svg.contains("p99 (app.workers=8)"), "{svg}");
        }
    }
}
