//! A fuzz harness over structurally valid models: every shipped model with
//! one to three of its fields set to extreme values (0, -1, 1e-300, 1e308,
//! 2^53, 2^63, 2^64, NaN, inf, huge and odd strings, deep nesting, empty
//! tables), and sometimes its text mangled (a duplicate table, a cut, stray
//! bytes). Each case goes through what `tailsim check` does (load, analyse,
//! the stability and load checks) and, where that passes, one replication
//! under a small event budget.
//!
//! It asserts: no panic; every error names a place (a line and column, a
//! field path, or the file); no replication runs past its budget. An abort
//! (a failed allocation) or a hang fails the test binary itself.
//!
//! The test suite runs 1,500 cases, always the same ones (a fixed seed);
//! `TAILSIM_FUZZ_CASES=100000 cargo test --test integration -- fuzz
//! --nocapture` runs the long one (README, "Performance").

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{RngAlgorithm, TestRng};
use tailsim_components::analysis::{analyse, check_runnable};
use tailsim_config::{Diagnostics, ModelFile, Override};
use tailsim_runner::execute::{Silent, resolve_warmup, run_replications};

use crate::common::root;

/// Events a fuzzed replication may handle: small, so a case is quick.
const EVENT_BUDGET: u64 = 20_000;

/// A shipped model: its path, its text, and the dotted path and value of
/// each of its fields (through tables; an array counts as one field).
type Shipped = (String, String, Vec<(String, toml::Value)>);

/// Every shipped model.
fn shipped() -> Vec<Shipped> {
    let mut models: Vec<_> = std::fs::read_dir(root().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    models.sort();
    models
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let table: toml::Table = text.parse().unwrap();
            let mut paths = Vec::new();
            leaves(&table, "", &mut paths);
            (p.display().to_string(), text, paths)
        })
        .collect()
}

fn leaves(table: &toml::Table, prefix: &str, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in table {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        if let toml::Value::Table(t) = v {
            leaves(t, &path, out);
        }
        out.push((path, v.clone()));
    }
}

/// A change to one field: an extreme value, or the field's own value
/// scaled (numbers, and the number in a duration such as "10ms"), so that
/// many cases still load and reach the simulator.
#[derive(Clone, Debug)]
enum Change {
    Extreme(String),
    Scaled(f64),
}

fn change() -> impl Strategy<Value = Change> {
    let factors = vec![0.0, 1e-9, 0.001, 0.5, 2.0, 10.0, 1000.0, 1e6, 1e12];
    prop_oneof![
        1 => extreme().prop_map(Change::Extreme),
        2 => proptest::sample::select(factors).prop_map(Change::Scaled),
    ]
}

/// The TOML text of `change` applied to a field whose value is `v`.
fn applied(change: &Change, v: &toml::Value) -> String {
    match (change, v) {
        (Change::Extreme(text), _) => text.clone(),
        (Change::Scaled(f), toml::Value::Integer(i)) => format!("{}", (*i as f64 * f).round() as i64),
        (Change::Scaled(f), toml::Value::Float(x)) => format!("{:e}", x * f),
        (Change::Scaled(f), toml::Value::String(t)) => {
            let digits = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
            match t[..digits].parse::<f64>() {
                Ok(x) if digits > 0 => format!("\"{}{}\"", x * f, &t[digits..]),
                _ => toml::Value::String(t.clone()).to_string(),
            }
        }
        (Change::Scaled(_), other) => other.to_string(),
    }
}

/// Extreme values, as TOML text.
fn extreme() -> impl Strategy<Value = String> {
    let fixed: Vec<String> = [
        "0",
        "1",
        "-1",
        "1e-300",
        "1e308",
        "-1e308",
        "9007199254740992",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "nan",
        "inf",
        "-inf",
        "0.5",
        "true",
        "\"\"",
        "\"0s\"",
        "\"1ns\"",
        "\"1e-300s\"",
        "\"1e300s\"",
        "\"-1s\"",
        "\"NaNs\"",
        "\"infs\"",
        "\"2562047h\"",
        "\"ünïcödé\"",
        "\"a.b.c\"",
        "[]",
        "[0]",
        "[1e308, -1]",
        "{}",
        "{ dist = \"zipf\" }",
        "{ dist = \"exponential\", mean = \"0s\" }",
        "{ dist = \"lognormal\", mean = \"1ms\", cv = 1e308 }",
        "[{}]",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    prop_oneof![
        4 => proptest::sample::select(fixed),
        1 => Just(format!("\"{}\"", "x".repeat(100_000))),
        1 => Just(format!("{}1{}", "[".repeat(300), "]".repeat(300))),
        1 => any::<f64>().prop_map(|v| format!("{v:e}")),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => (any::<u32>(), prop_oneof![Just("ns"), Just("us"), Just("s"), Just("h")])
            .prop_map(|(v, u)| format!("\"{v}{u}\"")),
    ]
}

/// A change to the model's text itself.
#[derive(Clone, Debug)]
enum Mangle {
    None,
    /// Its `[sim]` table (or one line) again at the end.
    DuplicateTable(Index),
    /// The text cut short.
    Cut(Index),
    /// Bytes that are not TOML at some point.
    Garbage(Index),
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        8 => Just(Mangle::None),
        1 => any::<Index>().prop_map(Mangle::DuplicateTable),
        1 => any::<Index>().prop_map(Mangle::Cut),
        1 => any::<Index>().prop_map(Mangle::Garbage),
    ]
}

fn mangled(text: &str, m: &Mangle) -> String {
    let boundary = |i: &Index| {
        let mut at = i.index(text.len().max(1));
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match m {
        Mangle::None => text.to_string(),
        Mangle::DuplicateTable(i) => {
            let lines: Vec<&str> = text.lines().collect();
            let line = lines[i.index(lines.len())];
            format!("{text}\n[sim]\nseed = 2\n{line}\n")
        }
        Mangle::Cut(i) => text[..boundary(i)].to_string(),
        Mangle::Garbage(i) => format!("{}\u{0}\u{7}]]=={{\"{}", &text[..boundary(i)], &text[boundary(i)..]),
    }
}

/// Every diagnostic names a place: a line and column, a field path, or
/// the file (for errors about the whole model).
fn assert_located(d: &Diagnostics, origin: &str) {
    for e in &d.0 {
        let named = e.location.is_some() || e.message.starts_with('`') || e.message.starts_with(origin);
        assert!(named, "an error without a place: {e}");
    }
}

/// How a case ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ended {
    /// The loader refused it (parse, type or range errors).
    Refused,
    /// The checks refused it (unstable, or implausible load).
    Unrunnable,
    /// It ran one replication.
    Ran,
}

/// One case: load, analyse and check as `tailsim check` does, then run one
/// replication under the budget if the checks pass.
fn case(origin: &str, text: &str, overrides: &[Override]) -> Ended {
    let file = ModelFile::from_text(origin, text);
    let model = match file.load(overrides) {
        Ok(m) => m,
        Err(d) => {
            assert_located(&d, origin);
            return Ended::Refused;
        }
    };
    let _ = analyse(&model);
    if let Err(errors) = check_runnable(&model, false) {
        let d = Diagnostics(errors.iter().map(|e| file.explain(overrides, e)).collect());
        assert_located(&d, origin);
        return Ended::Unrunnable;
    }
    let mut budgeted = overrides.to_vec();
    budgeted.push(Override::new("sim.max_events", EVENT_BUDGET.to_string(), "fuzz"));
    budgeted.push(Override::new("sim.max_wall", "\"5s\"", "fuzz"));
    budgeted.push(Override::new("sim.replications", "1", "fuzz"));
    // The budgets come last, so a model that loaded loads with them too.
    let model = file.load(&budgeted).unwrap_or_else(|d| panic!("{origin} with {overrides:?} and budgets: {d}"));
    let seed = model.spec().sim.seed;
    let (warmup, _) = resolve_warmup(&model, seed, 0);
    let runs = run_replications(&model, seed, 0, warmup, 0..1, &Silent);
    assert!(runs[0].events <= EVENT_BUDGET, "ran {} events past a budget of {EVENT_BUDGET}", runs[0].events);
    Ended::Ran
}

#[test]
fn generated_models_never_panic_hang_or_lose_their_place() {
    let models = shipped();
    let cases = std::env::var("TAILSIM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    let started = Instant::now();
    let slowest = std::cell::RefCell::new((Duration::ZERO, String::new()));
    let ended = std::cell::RefCell::new(std::collections::BTreeMap::<Ended, u32>::new());
    let strategy = (0..models.len(), proptest::collection::vec((any::<Index>(), change()), 1..=3), mangle());
    // A fixed seed: the suite meets the same models on every run, and a
    // failure found by the long run is found again.
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    proptest::test_runner::TestRunner::new_with_rng(config, rng)
        .run(&strategy, |(m, changes, how)| {
            let (origin, text, paths) = &models[m];
            let overrides: Vec<Override> = changes
                .iter()
                .map(|(i, c)| {
                    let (path, value) = &paths[i.index(paths.len())];
                    Override::new(path.clone(), applied(c, value), "fuzz")
                })
                .collect();
            let text = mangled(text, &how);
            let t0 = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| case(origin, &text, &overrides)));
            let took = t0.elapsed();
            if took > slowest.borrow().0 {
                *slowest.borrow_mut() = (took, format!("{origin} {overrides:?}"));
            }
            match outcome {
                Ok(e) => *ended.borrow_mut().entry(e).or_default() += 1,
                Err(_) => prop_assert!(false, "panicked on {origin} with {overrides:?} and {how:?}"),
            }
            Ok(())
        })
        .unwrap();
    let (slowest, ended) = (slowest.into_inner(), ended.into_inner());
    eprintln!(
        "fuzz: {cases} generated models, 0 panics, in {:.1} s ({ended:?}); slowest case {:.3} s ({})",
        started.elapsed().as_secs_f64(),
        slowest.0.as_secs_f64(),
        slowest.1.chars().take(200).collect::<String>()
    );
    // The generator reaches every stage: a harness that only ever met
    // parse errors would prove nothing about the simulator.
    let share = |e| ended.get(&e).copied().unwrap_or(0) as f64 / cases as f64;
    assert!(share(Ended::Ran) > 0.2 && share(Ended::Refused) > 0.1, "{ended:?}");
}
