//! Replications saved as they finish, so that a sweep or run stopped in
//! the middle of a point keeps them for `--resume`.
//!
//! Each finished replication of an unfinished point is written atomically
//! to `points/<i>/replications/<r>.json`, with the point's fingerprint and
//! the warm-up it ran with (when it was long enough to be worth saving,
//! [`worth_saving`]). Once the point's `point.json` is written the
//! folder is removed, so a finished directory holds the same files whether
//! or not it was ever interrupted. A replication is saved only if it reads
//! back equal to what was computed (a NaN, which JSON cannot hold, would
//! not), so a resumed point gives the same bytes as an uninterrupted one.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tailsim_components::result::RunResult;
use tailsim_engine::StopReason;
use tailsim_engine::time::Time;

use super::{io_error, point_dir};
use crate::RunError;
use crate::execute::WarmupMethod;
use crate::output::write_atomic;

/// Replications of fewer events than this are not saved: a replication's
/// file takes milliseconds to write and check (10 ms for
/// `celebrity_stampede`'s 1.1 MB, whose replications handle 8 million
/// events in about a second), so saving a short one (M/M/1's 0.9 million
/// events, 30 ms) would cost a tenth of the run, and losing it costs a
/// fraction of a second. Counted in events, not wall time, so the rule is
/// the same on every machine and under a profiler.
const WORTH_SAVING: u64 = 4_000_000;

/// Whether a finished replication is long enough to save, and the same on
/// every machine: one the wall-time or memory budget stopped is not.
pub(crate) fn worth_saving(result: &RunResult) -> bool {
    result.events >= WORTH_SAVING && result.stop != StopReason::Halted
}

/// One saved replication, as its file holds it.
#[derive(Serialize, Deserialize)]
struct SavedReplication {
    /// The fingerprint of the point it belongs to.
    fingerprint: String,
    replication: u32,
    warmup_ns: Time,
    warmup_method: WarmupMethod,
    result: RunResult,
}

/// Where one point's replications are saved.
pub(crate) struct ReplicationStore {
    dir: PathBuf,
    fingerprint: String,
}

/// Replications of one point that an earlier run saved.
#[derive(Default)]
pub(crate) struct Kept {
    /// The warm-up they ran with (the same for all of them).
    pub warmup: Option<(Time, WarmupMethod)>,
    pub runs: BTreeMap<u32, RunResult>,
}

impl Kept {
    /// How many of the replications in `reps` are kept.
    pub fn count_in(&self, reps: Range<u32>) -> u64 {
        self.runs.range(reps).count() as u64
    }
}

impl ReplicationStore {
    pub fn new(out: &Path, point: usize, fingerprint: &str) -> Self {
        Self { dir: point_dir(out, point).join("replications"), fingerprint: fingerprint.to_string() }
    }

    fn path(&self, replication: u32) -> PathBuf {
        self.dir.join(format!("{replication}.json"))
    }

    /// The replications saved for this point, skipping any file that is
    /// unreadable or belongs to another point or warm-up.
    pub fn load(&self) -> Kept {
        let mut kept = Kept::default();
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return kept };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let Ok(saved) = serde_json::from_str::<SavedReplication>(&text) else { continue };
            if saved.fingerprint != self.fingerprint || path != self.path(saved.replication) {
                continue;
            }
            let warmup = (saved.warmup_ns, saved.warmup_method);
            if *kept.warmup.get_or_insert(warmup) == warmup {
                kept.runs.insert(saved.replication, saved.result);
            }
        }
        kept
    }

    /// Saves a finished replication, if it reads back equal.
    pub fn save(&self, replication: u32, warmup: (Time, WarmupMethod), result: &RunResult) -> Result<(), RunError> {
        let saved = SavedReplication {
            fingerprint: self.fingerprint.clone(),
            replication,
            warmup_ns: warmup.0,
            warmup_method: warmup.1,
            result: result.clone(),
        };
        let path = self.path(replication);
        let text = serde_json::to_string(&saved).map_err(|e| io_error("encoding", &path, e))?;
        let reads_back = serde_json::from_str::<SavedReplication>(&text).is_ok_and(|back| back.result == *result);
        if !reads_back {
            return Ok(());
        }
        write_atomic(&path, text.as_bytes()).map_err(|e| io_error("writing", &path, e))
    }

    /// Removes the saved replications: the point is written whole.
    pub fn clear(&self) -> Result<(), RunError> {
        match std::fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error("removing", &self.dir, e)),
            _ => Ok(()),
        }
    }
}

/// Removes the temporary files that a process killed while writing left
/// in a results directory (`.NAME.tmp-PID`, see [`write_atomic`]): in the
/// directory itself and in the folders of `points`, nowhere else.
pub(crate) fn remove_stale_temporaries(out: &Path, points: impl Iterator<Item = usize>) -> Result<(), RunError> {
    let mut dirs = vec![out.to_path_buf()];
    for i in points {
        dirs.push(point_dir(out, i));
        dirs.push(point_dir(out, i).join("replications"));
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp-") && entry.file_type().is_ok_and(|t| t.is_file()) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|e| io_error("removing", &path, e))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailsim_components::model::Model;
    use tailsim_components::sim::Simulation;
    use tailsim_components::spec::{ClientSpec, DistSpec, Duration as Span, ModelSpec, ServiceSpec};

    fn replication(seed: u64) -> RunResult {
        let mut spec = ModelSpec::default();
        spec.sim.duration = Span::from_secs(20);
        spec.client.insert("web".into(), ClientSpec::poisson("app", 700.0));
        spec.service.insert("app".into(), ServiceSpec::new(2, 1, DistSpec::exponential(Span::from_millis(1))));
        Simulation::new(&Model::resolve(&spec).unwrap(), seed).with_warmup(1_000_000_000).run()
    }

    #[test]
    fn saved_replications_read_back_equal_and_only_for_their_point() {
        let out = std::env::temp_dir().join(format!("tailsim-saved-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let store = ReplicationStore::new(&out, 3, "abc");
        let warmup = (1_000_000_000, WarmupMethod::Fixed);
        let (a, b) = (replication(1), replication(2));
        store.save(0, warmup, &a).unwrap();
        store.save(2, warmup, &b).unwrap();
        // Too short to be worth a file.
        assert!(!worth_saving(&b) && worth_saving(&RunResult { events: WORTH_SAVING, ..b.clone() }));
        assert!(!worth_saving(&RunResult { events: WORTH_SAVING, stop: StopReason::Halted, ..b.clone() }));
        let kept = store.load();
        assert_eq!(kept.warmup, Some(warmup));
        assert_eq!(kept.runs.keys().copied().collect::<Vec<_>>(), vec![0, 2]);
        assert!(kept.runs[&0] == a && kept.runs[&2] == b);
        assert_eq!((kept.count_in(0..2), kept.count_in(0..3)), (1, 2));
        // Another point's fingerprint, or a file renamed, is not used.
        assert!(ReplicationStore::new(&out, 3, "other").load().runs.is_empty());
        std::fs::rename(store.path(2), store.path(5)).unwrap();
        assert_eq!(store.load().runs.keys().copied().collect::<Vec<_>>(), vec![0]);
        // A result JSON cannot hold (a NaN) is not saved at all.
        let mut odd = a.clone();
        odd.services[0].busy_mean = f64::NAN;
        store.save(4, warmup, &odd).unwrap();
        assert!(!store.path(4).exists());
        store.clear().unwrap();
        assert!(!out.join("points/3/replications").exists());
        store.clear().unwrap();
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn only_stale_temporaries_of_the_directory_and_its_points_go() {
        let out = std::env::temp_dir().join(format!("tailsim-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let files = [".plan.json.tmp-9", "points/0/.point.json.tmp-9", "points/0/replications/.1.json.tmp-9"];
        let kept = ["plan.json", "points/0/point.json", "elsewhere/.x.tmp-9", "points/7/.point.json.tmp-9"];
        for f in files.iter().chain(&kept) {
            let path = out.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        remove_stale_temporaries(&out, [0, 1].into_iter()).unwrap();
        assert!(files.iter().all(|f| !out.join(f).exists()));
        assert!(kept.iter().all(|f| out.join(f).exists()));
        let _ = std::fs::remove_dir_all(&out);
    }
}
