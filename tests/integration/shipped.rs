//! Every shipped model and experiment runs, shortened so the suite stays
//! quick; the files' own settings are what the README commands exercise.

use std::path::PathBuf;

use crate::common::{assert_golden, read, root, tailsim, tailsim_ok};

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

/// Every shipped model passes `check`, runs at its own duration with two
/// replications, gives the same bytes with one worker thread and with two,
/// and matches its blessed copy under `tests/golden/models/<name>/`. A
/// change to what any model computes therefore shows up in review.
#[test]
fn every_model_runs_and_matches_its_golden_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let models = toml_files("models");
    assert!(models.len() >= 2, "expected shipped models");
    for path in models {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        tailsim_ok(&["check", path.to_str().unwrap()]);
        let mut outs = Vec::new();
        for jobs in ["1", "2"] {
            let out = tmp.path().join(format!("{name}-{jobs}"));
            tailsim_ok(&[
                "run",
                path.to_str().unwrap(),
                "--replications",
                "2",
                "--jobs",
                jobs,
                "--out",
                out.to_str().unwrap(),
            ]);
            outs.push(out);
        }
        for f in GOLDEN_FILES {
            assert!(read(&outs[0].join(f)) == read(&outs[1].join(f)), "{name}: {f} differs between --jobs 1 and 2");
        }
        assert_golden(&outs[0], &format!("tests/golden/models/{name}"), &GOLDEN_FILES);
    }
}

const GOLDEN_FILES: [&str; 2] = ["summary.json", "points.csv"];

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
