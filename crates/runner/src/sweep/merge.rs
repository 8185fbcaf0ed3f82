//! `merge`: combines the directories of a split sweep into one results
//! directory, byte-identical to what an unsharded sweep writes.
//!
//! Every check runs before anything is written, so a bad set of
//! directories leaves `out` as it was. The directories must hold the same
//! plan; no directory may be given twice, no shard twice, and no point may
//! come from two directories; shards must come from one split (the same
//! N); every point must be present, and every point file must belong to
//! the plan. Each failure names what is missing or mismatched.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::{PlanRecord, PointRecord, Shard, finalize, io_error, point_dir, read_json, write_json};
use crate::RunError;
use crate::output::write_atomic;
use crate::summary::Summary;

/// Why a set of directories cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("merge needs at least one results directory")]
    NoDirectories,
    #[error("{0} is given twice; give each shard's directory once")]
    SameDirectory(PathBuf),
    #[error("{other} is not a shard of the same sweep as {first}: {}", differences.join("; "))]
    DifferentPlans { first: PathBuf, other: PathBuf, differences: Vec<String> },
    #[error("{first} is shard {first_shard} but {other} is shard {other_shard}: merge the shards of one split")]
    DifferentSplits { first: PathBuf, first_shard: Shard, other: PathBuf, other_shard: Shard },
    #[error("{first} and {other} are both shard {shard}; give each shard once")]
    DuplicateShard { shard: Shard, first: PathBuf, other: PathBuf },
    #[error(
        "point {index} is in both {first} and {other}; each point must come from one shard \
         (is an unsharded run or another split mixed in?)"
    )]
    DuplicatePoint { index: usize, first: PathBuf, other: PathBuf },
    #[error("{0}")]
    Missing(MissingPoints),
    #[error("{path} belongs to a different sweep: its fingerprint is {found}, the plan's is {expected}")]
    ForeignPoint { path: PathBuf, found: String, expected: String },
}

/// The points no directory holds, grouped by the shard that should have
/// run them (when the directories say which split they come from).
#[derive(Debug, Clone, PartialEq)]
pub struct MissingPoints {
    /// (shard, the directory that holds it if any, its missing points).
    pub by_shard: Vec<(Shard, Option<PathBuf>, Vec<usize>)>,
    /// Missing points whose shard is unknown (no directory has a
    /// `shard.json`).
    pub unassigned: Vec<usize>,
}

fn list(points: &[usize]) -> String {
    const SHOWN: usize = 12;
    let mut s: Vec<String> = points.iter().take(SHOWN).map(|i| i.to_string()).collect();
    if points.len() > SHOWN {
        s.push(format!("and {} more", points.len() - SHOWN));
    }
    s.join(", ")
}

impl fmt::Display for MissingPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (shard, dir, points) in &self.by_shard {
            parts.push(match dir {
                Some(dir) => format!(
                    "shard {shard} in {} is incomplete: it lacks point(s) {}; finish it with --resume",
                    dir.display(),
                    list(points)
                ),
                None => format!(
                    "shard {shard} is missing: no directory holds its point(s) {}; run it and merge again",
                    list(points)
                ),
            });
        }
        if !self.unassigned.is_empty() {
            parts.push(format!(
                "no directory holds point(s) {}; run the missing shard(s), or finish them with --resume",
                list(&self.unassigned)
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

/// What differs between two plans, field by field (at most a few points).
pub fn plan_differences(a: &PlanRecord, b: &PlanRecord, a_name: &str, b_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{name} is {x} in {a_name} but {y} in {b_name}"));
        }
    };
    field("the tailsim version", a.tailsim_version.clone(), b.tailsim_version.clone());
    let name = |v: &Option<String>| v.as_deref().map_or("none".to_string(), |v| format!("`{v}`"));
    field("the experiment", name(&a.experiment), name(&b.experiment));
    field("the model", format!("`{}`", a.model), format!("`{}`", b.model));
    field("the seed", a.seed.to_string(), b.seed.to_string());
    field("the duration", format!("{} s", a.duration_s), format!("{} s", b.duration_s));
    field("the swept axes", format!("{:?}", a.axes), format!("{:?}", b.axes));
    field("the SLOs", format!("{:?}", a.slos), format!("{:?}", b.slos));
    let metric =
        |v: &Option<tailsim_components::metric::Metric>| v.as_ref().map_or("none".to_string(), |m| format!("`{m}`"));
    field("plot_against", metric(&a.plot_against), metric(&b.plot_against));
    field("the number of points", a.points.len().to_string(), b.points.len().to_string());
    if !out.is_empty() {
        // Every point's fingerprint differs too; that adds nothing.
        return out;
    }
    let fingerprints = a.points.iter().zip(&b.points).filter(|(p, q)| p.fingerprint != q.fingerprint).count();
    if fingerprints == a.points.len()
        && let (Some(p), Some(q)) = (a.points.first(), b.points.first())
    {
        out.push(format!(
            "the model or its settings differ at every point (a changed model file or --set override; \
             point 0's fingerprint is {} in {a_name}, {} in {b_name})",
            p.fingerprint, q.fingerprint
        ));
        return out;
    }
    let mut points = Vec::new();
    for (p, q) in a.points.iter().zip(&b.points) {
        let what = if p.parameters != q.parameters {
            let show =
                |v: &[(String, String)]| v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
            format!(
                "point {}'s parameters are ({}) in {a_name} but ({}) in {b_name}",
                p.index,
                show(&p.parameters),
                show(&q.parameters)
            )
        } else if p.fingerprint != q.fingerprint {
            format!(
                "point {}'s model or settings differ (fingerprint {} in {a_name}, {} in {b_name})",
                p.index, p.fingerprint, q.fingerprint
            )
        } else if p.cost != q.cost {
            format!("point {}'s estimated cost is {} in {a_name} but {} in {b_name}", p.index, p.cost, q.cost)
        } else {
            continue;
        };
        points.push(what);
    }
    let more = points.len().saturating_sub(3);
    out.extend(points.into_iter().take(3));
    if more > 0 {
        out.push(format!("and {more} more point(s) differ"));
    }
    if out.is_empty()
        && (a.topology != b.topology || a.points.iter().zip(&b.points).any(|(p, q)| p.topology != q.topology))
    {
        out.push(format!("the model's components or calls differ between {a_name} and {b_name}"));
    }
    out
}

/// Combines shard directories into one results directory, identical to what
/// an unsharded sweep writes. Nothing is written unless every check passes.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Summary, RunError> {
    let Some(first) = dirs.first() else {
        return Err(MergeError::NoDirectories.into());
    };
    // The same directory twice (however it is spelled).
    let mut seen: BTreeMap<PathBuf, &PathBuf> = BTreeMap::new();
    for d in dirs {
        let key = std::fs::canonicalize(d).unwrap_or_else(|_| d.clone());
        if seen.insert(key, d).is_some() {
            return Err(MergeError::SameDirectory(d.clone()).into());
        }
    }

    let plan: PlanRecord = read_json(&first.join("plan.json"))?;
    for d in &dirs[1..] {
        let other: PlanRecord = read_json(&d.join("plan.json"))?;
        if !other.same_sweep(&plan) {
            let (a, b) = (first.display().to_string(), d.display().to_string());
            return Err(MergeError::DifferentPlans {
                first: first.clone(),
                other: d.clone(),
                differences: plan_differences(&plan, &other, &a, &b),
            }
            .into());
        }
    }

    // Which shard each directory says it is.
    let mut shards: Vec<(Shard, &PathBuf)> = Vec::new();
    for d in dirs {
        let path = d.join("shard.json");
        if !path.exists() {
            continue;
        }
        let shard: Shard = read_json(&path)?;
        if let Some((s, dir)) = shards.iter().find(|(s, _)| s.count != shard.count) {
            return Err(MergeError::DifferentSplits {
                first: (*dir).clone(),
                first_shard: *s,
                other: d.clone(),
                other_shard: shard,
            }
            .into());
        }
        if let Some((_, dir)) = shards.iter().find(|(s, _)| *s == shard) {
            return Err(MergeError::DuplicateShard { shard, first: (*dir).clone(), other: d.clone() }.into());
        }
        shards.push((shard, d));
    }

    // Every point from exactly one directory.
    let mut found: BTreeMap<usize, (&PathBuf, PathBuf)> = BTreeMap::new();
    for p in &plan.points {
        for d in dirs {
            let path = point_dir(d, p.index).join("point.json");
            if !path.exists() {
                continue;
            }
            if let Some((dir, _)) = found.get(&p.index) {
                return Err(
                    MergeError::DuplicatePoint { index: p.index, first: (*dir).clone(), other: d.clone() }.into()
                );
            }
            found.insert(p.index, (d, path));
        }
    }
    let missing: Vec<usize> = plan.points.iter().map(|p| p.index).filter(|i| !found.contains_key(i)).collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing(missing_points(&plan, &shards, missing)).into());
    }

    // Every point file parses and belongs to this plan.
    let mut records = Vec::with_capacity(plan.points.len());
    for p in &plan.points {
        let (_, path) = &found[&p.index];
        let bytes = std::fs::read(path).map_err(|e| io_error("reading", path, e))?;
        let record: PointRecord = serde_json::from_slice(&bytes).map_err(|e| io_error("parsing", path, e))?;
        if record.fingerprint != p.fingerprint {
            return Err(MergeError::ForeignPoint {
                path: path.clone(),
                found: record.fingerprint,
                expected: p.fingerprint.clone(),
            }
            .into());
        }
        records.push((p.index, path, bytes));
    }

    write_json(&out.join("plan.json"), &plan)?;
    for (index, path, bytes) in &records {
        let dest = point_dir(out, *index).join("point.json");
        if *path != &dest {
            write_atomic(&dest, bytes).map_err(|e| io_error("writing", &dest, e))?;
        }
    }
    // Merged into one of the shard directories: it holds the whole sweep
    // now, so its record of being one shard goes.
    let stale = out.join("shard.json");
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| io_error("removing", &stale, e))?;
    }
    finalize(out)
}

/// Groups missing points by the shard that runs them, when the directories
/// name their split.
fn missing_points(plan: &PlanRecord, shards: &[(Shard, &PathBuf)], missing: Vec<usize>) -> MissingPoints {
    let Some(count) = shards.first().map(|(s, _)| s.count) else {
        return MissingPoints { by_shard: Vec::new(), unassigned: missing };
    };
    let owner = crate::shard::assign(&plan.costs(), count);
    let mut by: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for i in missing {
        by.entry(owner[i]).or_default().push(i);
    }
    let by_shard = by
        .into_iter()
        .map(|(k, points)| {
            let shard = Shard { index: k, count };
            let dir = shards.iter().find(|(s, _)| *s == shard).map(|(_, d)| (*d).clone());
            (shard, dir, points)
        })
        .collect();
    MissingPoints { by_shard, unassigned: Vec::new() }
}
