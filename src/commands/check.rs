//! `tailsim check MODEL`: validation and static capacity analysis.

use std::process::ExitCode;

use tailsim_components::analysis::analyse;
use tailsim_config::ModelFile;
use tailsim_runner::table::align;

use crate::cli::CheckArgs;

pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let model = ModelFile::read(&args.model)?;
    let spec = model.load(&args.set)?;
    let analysis = analyse(&spec);
    println!("{}: valid model\n", args.model.display());
    let mut rows = vec![
        ["service", "replicas×workers", "mean service ms", "offered req/s", "capacity req/s", "utilisation", ""]
            .map(String::from)
            .to_vec(),
    ];
    let mut unstable = false;
    let mut warnings = Vec::new();
    for s in &analysis.services {
        let u = s.utilisation();
        let flag = if s.unstable() {
            unstable = true;
            warnings.push(format!(
                "service `{}` is unstable: utilisation {u:.2} with an unbounded queue; `tailsim run` will refuse it",
                s.name
            ));
            "UNSTABLE"
        } else if u >= 1.0 {
            warnings.push(format!(
                "service `{}` is overloaded: utilisation {u:.2}; its bounded queue will reject the excess",
                s.name
            ));
            "overloaded"
        } else {
            ""
        };
        rows.push(vec![
            s.name.clone(),
            format!("{}×{}", s.replicas, s.workers),
            format!("{:.4}", s.mean_service_s * 1e3),
            format!("{:.1}", s.offered_rps),
            format!("{:.1}", s.capacity_rps),
            format!("{u:.3}"),
            flag.to_string(),
        ]);
    }
    print!("{}", align(&rows));
    for w in &warnings {
        println!("warning: {w}");
    }
    Ok(if unstable { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
