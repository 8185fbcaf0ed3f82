//! `tailsim fit FILE`: the best of an exponential, a lognormal and a
//! two-part mixture for a latency file, with distances and the TOML line
//! to paste.

use std::process::ExitCode;

use tailsim_components::spec::DistFileSpec;
use tailsim_config::data_file::load_observations;
use tailsim_runner::fit::{Method, fit, render};

use crate::cli::{FitArgs, FitMethodArg};

pub fn run(args: FitArgs) -> anyhow::Result<ExitCode> {
    let path = args.file.display().to_string();
    let mut spec = DistFileSpec::new(path.clone(), args.unit.0);
    spec.format = args.format.map(|f| f.0);
    spec.column = args.column;
    spec.histogram = args.histogram;
    spec.tag = args.tag;
    for l in &args.label {
        let (k, v) = l
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--label needs NAME=VALUE, such as instance=db-1, got `{l}`"))?;
        spec.labels.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
    }
    spec.check().map_err(|m| anyhow::anyhow!("{m}"))?;
    let obs = load_observations(std::path::Path::new(""), &spec).map_err(|e| anyhow::anyhow!("{}", e.diagnostic()))?;
    let method = match args.method {
        FitMethodArg::Mle => Method::MaximumLikelihood,
        FitMethodArg::Quantiles => Method::Quantiles,
    };
    let report = fit(&obs, method).map_err(|m| anyhow::anyhow!("cannot fit {path}: {m}"))?;
    print!("{}", render(&report, &path));
    Ok(ExitCode::SUCCESS)
}
