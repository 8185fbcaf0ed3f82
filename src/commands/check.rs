//! `tailsim check MODEL`: validation and static capacity analysis.

use std::process::ExitCode;

use tailsim_components::analysis::{
    IMPLAUSIBLE_OVERLOAD, SUSPICIOUS_OVERLOAD, ServiceLoad, UNIT_SLIP, analyse, overload_message,
};
use tailsim_components::spec::EvictionSpec;
use tailsim_runner::table::align;

use crate::cli::CheckArgs;

pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let model = super::read_model(&args.model)?;
    let spec = model.load(&args.set)?;
    let analysis = analyse(&spec);
    let unstable_names: Vec<&str> =
        analysis.services.iter().filter(|s| s.unstable()).map(|s| s.name.as_str()).collect();
    // Load so far over capacity that it is more likely a slip of units.
    let implausible: Vec<&ServiceLoad> = analysis
        .services
        .iter()
        .filter(|s| !args.force && !s.unstable() && s.overload().is_some_and(|u| u >= IMPLAUSIBLE_OVERLOAD))
        .collect();
    if !unstable_names.is_empty() {
        println!(
            "{}: the model parses, but is unstable: `tailsim run` refuses it (see the warnings below)\n",
            args.model.display()
        );
    } else if !implausible.is_empty() {
        println!(
            "{}: the model parses, but its load is {IMPLAUSIBLE_OVERLOAD}x or more over capacity: `tailsim run` \
             refuses it without `--force` (see the warnings below)\n",
            args.model.display()
        );
    } else {
        println!("{}: valid model\n", args.model.display());
    }
    println!(
        "offered load is the long-run mean; peak adds schedule peaks, spikes and bursts; storm is the peak if \
         every attempt failed and every retry and hedge fired\n"
    );
    let mut rows = vec![
        [
            "component",
            "kind",
            "stations×workers",
            "mean service ms",
            "offered req/s",
            "peak req/s",
            "storm req/s",
            "capacity req/s",
            "utilisation",
            "",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut warnings = Vec::new();
    for s in &analysis.services {
        let u = s.limiting_utilisation();
        let flag = if s.unstable() {
            warnings.push(format!(
                "{} `{}` is unstable: utilisation {u:.2} with an unbounded queue; `tailsim run` will refuse it",
                s.kind, s.name
            ));
            "UNSTABLE"
        } else if let Some(u) = s.overload().filter(|u| *u >= SUSPICIOUS_OVERLOAD) {
            warnings.push(format!("{} `{}` is {}: {UNIT_SLIP}", s.kind, s.name, overload_message(s, u)));
            "overloaded"
        } else if u >= 1.0 {
            warnings.push(format!(
                "{} `{}` is overloaded: utilisation {u:.2}; its bounded queue will reject the excess",
                s.kind, s.name
            ));
            "overloaded"
        } else if s.peak_utilisation() >= 1.0 {
            warnings.push(format!(
                "{} `{}` is overloaded at peak ({:.0} req/s, utilisation {:.2}); queues build during peaks",
                s.kind,
                s.name,
                s.peak_rps,
                s.peak_utilisation()
            ));
            "peak overload"
        } else {
            ""
        };
        if !s.closed_loop && s.storm_rps >= s.capacity_rps && s.storm_rps > s.peak_rps * 1.0001 {
            warnings.push(format!(
                "{} `{}`: if requests to it fail, retries and hedges can offer {:.0} req/s, {:.1} times its capacity; \
                 a retry storm could outlive whatever started it. Consider a retry budget (`retry.budget`), \
                 backoff with jitter, or a circuit breaker",
                s.kind,
                s.name,
                s.storm_rps,
                s.storm_rps / s.capacity_rps
            ));
        }
        let mut note = flag.to_string();
        if let Some(h) = s.hit_ratio {
            let how = spec.spec().cache.get(&s.name).map_or("", |c| estimate_name(c.eviction, c.ttl.is_some()));
            note = format!("{note} hit ratio ≈ {h:.3} ({how})").trim().to_string();
        }
        if s.closed_loop {
            note = format!("{note} closed loop: offered is an upper bound").trim().to_string();
        }
        rows.push(vec![
            s.name.clone(),
            s.kind.to_string(),
            format!("{}×{}", s.replicas, s.workers),
            format!("{:.4}", s.mean_service_s * 1e3),
            format!("{:.1}", s.offered_rps),
            format!("{:.1}", s.peak_rps),
            format!("{:.1}", s.storm_rps),
            format!("{:.1}", s.capacity_rps),
            format!("{:.3}", s.utilisation()),
            note,
        ]);
    }
    print!("{}", align(&rows));
    if !analysis.shards.is_empty() {
        let mut rows = vec![
            ["datastore", "shard", "reads/s", "writes/s", "primary utilisation", "replica utilisation"]
                .map(String::from)
                .to_vec(),
        ];
        for sh in &analysis.shards {
            rows.push(vec![
                sh.datastore.clone(),
                sh.shard.to_string(),
                format!("{:.1}", sh.reads_rps),
                format!("{:.1}", sh.writes_rps),
                format!("{:.3}", sh.primary_utilisation),
                sh.replica_utilisation.map_or("-".into(), |u| format!("{u:.3}")),
            ]);
        }
        println!();
        print!("{}", align(&rows));
    }
    for w in &warnings {
        println!("warning: {w}");
    }
    if let Some(s) = implausible.first().filter(|_| unstable_names.is_empty()) {
        eprintln!(
            "error: {} `{}` is {IMPLAUSIBLE_OVERLOAD}x or more over capacity (see the warning above); fix the rate \
             or the capacity, or give `--force` to pass it",
            s.kind, s.name
        );
        return Ok(ExitCode::from(crate::exit::INVALID));
    }
    if unstable_names.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "error: unstable: {} cannot keep up with the offered load and would queue without bound; \
         add replicas or workers, lower the load, or bound the queue (`queue_capacity`)",
        unstable_names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    );
    Ok(ExitCode::from(crate::exit::INVALID))
}

/// How the hit ratio of a cache with this eviction (and a TTL or not) is
/// estimated (`analysis`'s key popularity).
fn estimate_name(eviction: EvictionSpec, ttl: bool) -> &'static str {
    match (eviction, ttl) {
        (EvictionSpec::Lru, false) => "Che, LRU",
        (EvictionSpec::Lru, true) => "Che, LRU, bounded by the TTL",
        (EvictionSpec::Fifo | EvictionSpec::Random, false) => "fixed point, FIFO/random",
        (EvictionSpec::Fifo | EvictionSpec::Random, true) => "fixed point, FIFO/random, with the TTL",
        (EvictionSpec::Lfu, false) => "top keys, LFU",
        (EvictionSpec::Lfu, true) => "top keys, LFU, bounded by the TTL",
    }
}
