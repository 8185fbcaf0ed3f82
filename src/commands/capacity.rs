//! `tailsim capacity EXPERIMENT --vary PATH --from A --to B [--largest]`.

use std::process::ExitCode;

use tailsim_components::model::Model;
use tailsim_config::Experiment;
use tailsim_runner::RunError;
use tailsim_runner::capacity::{CapacityRequest, Verdict, search};
use tailsim_runner::table::align;

use crate::cli::CapacityArgs;
use crate::progress::Bar;

pub fn run(args: CapacityArgs) -> anyhow::Result<ExitCode> {
    super::set_jobs(args.jobs)?;
    anyhow::ensure!(args.from < args.to, "--from ({}) must be below --to ({})", args.from, args.to);
    anyhow::ensure!(args.precision > 0.0, "--precision must be positive");
    super::readable(&args.experiment, "experiment")?;
    let experiment = Experiment::read(&args.experiment)?;
    let integer = args.from.fract() == 0.0 && args.to.fract() == 0.0;
    let req = CapacityRequest {
        slos: &experiment.slos,
        path: args.vary.clone(),
        from: args.from,
        to: args.to,
        largest: args.largest,
        integer,
        precision: args.precision,
        replications: args.replications,
    };
    // The model at a value: the experiment's settings, then `--set`, then
    // the varied field.
    let model_at = |value: f64| -> Result<Model, RunError> {
        let mut overrides = experiment.base.clone();
        overrides.extend(args.set.iter().cloned());
        let text = format!("{}={}", req.path, req.format(value));
        overrides.push(text.parse().map_err(|m: String| RunError::Invalid(format!("`{text}`: {m}")))?);
        experiment.model.load(&overrides).map_err(|d| RunError::Invalid(d.to_string()))
    };
    let bar = Bar::start();
    let outcome = search(&req, &model_at, &bar)?;
    bar.finish();
    let mut header = vec![args.vary.clone(), "reps".into()];
    header.extend(experiment.slos.iter().map(|s| s.to_string()));
    header.push("verdict".into());
    let mut rows = vec![header];
    let mut probes = outcome.probes.clone();
    probes.sort_by(|a, b| a.value.total_cmp(&b.value));
    for p in &probes {
        let mut row = vec![format!("{}", p.value), p.replications.to_string()];
        if p.verdict == Verdict::Unstable {
            row.extend(experiment.slos.iter().map(|_| "-".to_string()));
        } else {
            row.extend(p.slos.iter().map(|(_, e, v)| {
                let mark = match v {
                    Verdict::Met => "✓",
                    Verdict::Missed => "✗",
                    _ => "?",
                };
                format!("{} {mark}", estimate(e))
            }));
        }
        row.push(
            match p.verdict {
                Verdict::Met => "meets",
                Verdict::Missed => "misses",
                Verdict::TooClose => "too close to call",
                Verdict::Unstable => "unstable",
            }
            .into(),
        );
        rows.push(row);
    }
    println!(
        "capacity search on {} · {}",
        experiment.name,
        if args.largest { "largest value" } else { "smallest value" }
    );
    println!("✓ the whole 95% interval meets the SLO, ✗ misses it, ? straddles it\n");
    print!("{}", align(&rows));
    let close: Vec<String> =
        probes.iter().filter(|p| p.verdict == Verdict::TooClose).map(|p| format!("{}", p.value)).collect();
    if !close.is_empty() {
        println!(
            "too close to call even with more replications: {} (counted as not meeting the SLOs)",
            close.join(", ")
        );
    }
    match outcome.answer {
        Some(v) => {
            let which = if args.largest { "largest" } else { "smallest" };
            println!("\n{which} {} that meets every SLO: {v}", args.vary);
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let end = if args.largest { args.from } else { args.to };
            println!("\nno value in [{}, {}] meets every SLO (not even {end})", args.from, args.to);
            Ok(ExitCode::from(crate::exit::CHECK_FAILED))
        }
    }
}

fn estimate(e: &tailsim_runner::stats::Estimate) -> String {
    if !e.mean.is_finite() {
        return "-".into();
    }
    let digits = if e.mean.abs() >= 100.0 {
        1
    } else if e.mean.abs() >= 1.0 {
        3
    } else {
        5
    };
    match e.ci95 {
        Some(h) => format!("{:.digits$} ± {:.digits$}", e.mean, h),
        None => format!("{:.digits$}", e.mean),
    }
}
