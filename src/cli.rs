//! Command-line arguments. This is the stable contract users script against.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tailsim_config::Override;

/// A deterministic discrete-event simulator of distributed systems.
///
/// Write a system as a TOML model, then run it to read p50/p99/p99.9
/// latency, throughput, errors and per-component load with confidence
/// intervals.
#[derive(Debug, Parser)]
#[command(name = "tailsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a model's replications and write its results directory.
    Run(RunArgs),
    /// Run an experiment: sweep parameters, replicate every point, check SLOs.
    Sweep(SweepArgs),
    /// Combine the output directories of a sharded sweep.
    Merge(MergeArgs),
    /// Validate a model and print a static capacity analysis.
    Check(CheckArgs),
    /// Regenerate the plots (SVG) of a results directory.
    Plot(PlotArgs),
    /// Rebuild the HTML report (report.html) of a results directory.
    Report(ReportArgs),
    /// Draw a model's topology (SVG or Graphviz DOT) on stdout.
    Graph(GraphArgs),
    /// Run the reference cases against queueing and caching theory.
    Validate(ValidateArgs),
    /// Find the smallest value of a parameter that meets an experiment's
    /// SLOs (or, with --largest, the largest: the knee of a load).
    Capacity(CapacityArgs),
    /// Fit an exponential, a lognormal and a two-part mixture to a latency
    /// file (.hgrm, .hlog, CSV samples or Prometheus buckets) and print
    /// the best as a distribution to paste into a model.
    Fit(FitArgs),
}

#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// The latency file.
    pub file: PathBuf,
    /// The unit of the file's values: ns, us, ms or s.
    #[arg(long)]
    pub unit: UnitArg,
    /// The format: hgrm, hlog, csv or prometheus [default: from the
    /// extension; a .csv file must say].
    #[arg(long)]
    pub format: Option<FormatArg>,
    /// CSV samples: the column of values (when the file has several).
    #[arg(long)]
    pub column: Option<String>,
    /// Prometheus: the histogram's name (when the file has several).
    #[arg(long)]
    pub histogram: Option<String>,
    /// Prometheus: use only series with this label value; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub label: Vec<String>,
    /// Interval log: use only intervals with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Maximum likelihood (with 95% intervals) or quantile matching.
    #[arg(long, value_enum, default_value_t = FitMethodArg::Mle)]
    pub method: FitMethodArg,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FitMethodArg {
    /// Maximum likelihood.
    Mle,
    /// Least squares on log quantiles from p10 to p99.9.
    Quantiles,
}

/// A unit as `--unit` takes it.
#[derive(Copy, Clone, Debug)]
pub struct UnitArg(pub tailsim_components::spec::TimeUnit);

impl std::str::FromStr for UnitArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use tailsim_components::spec::TimeUnit;
        TimeUnit::ALL.into_iter().find(|u| u.name() == s.trim()).map(UnitArg).ok_or_else(|| {
            let hint = tailsim_components::suggest::did_you_mean(s, TimeUnit::ALL.iter().map(|u| u.name()))
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            format!("unknown unit `{s}`{hint}; expected ns, us, ms or s")
        })
    }
}

/// A format as `--format` takes it.
#[derive(Copy, Clone, Debug)]
pub struct FormatArg(pub tailsim_components::spec::DataFormat);

impl std::str::FromStr for FormatArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use tailsim_components::spec::DataFormat;
        DataFormat::ALL
            .into_iter()
            .find(|f| f.name() == s.trim())
            .map(FormatArg)
            .ok_or_else(|| format!("unknown format `{s}`; expected hgrm, hlog, csv or prometheus"))
    }
}

#[derive(Debug, clap::Args)]
pub struct CapacityArgs {
    /// The experiment file: its model, settings and SLOs (its sweep axes
    /// are ignored).
    pub experiment: PathBuf,
    /// The model field to vary, such as `service.api.replicas`.
    #[arg(long, value_name = "PATH")]
    pub vary: String,
    /// The low end of the range to search.
    #[arg(long)]
    pub from: f64,
    /// The high end of the range to search.
    #[arg(long)]
    pub to: f64,
    /// Find the largest value that meets the SLOs (a load) instead of the
    /// smallest (a resource).
    #[arg(long)]
    pub largest: bool,
    /// Stop a search over real values when the bracket is this narrow
    /// (relative). Whole-number ranges are searched to one.
    #[arg(long, default_value_t = 0.01)]
    pub precision: f64,
    /// Override a model field, such as `client.web.rate=1400`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,
    /// Replications per probe (more are added while a verdict is too close).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Only the fast subset (what the test suite runs).
    #[arg(long)]
    pub quick: bool,
    /// Also write the results as Markdown (docs/FIDELITY.md).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// The shipped models, checked for Little's law at every node.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// A results directory written by `run`, `sweep` or `merge`.
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A results directory written by `run`, `sweep` or `merge`.
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// The model file (TOML).
    pub model: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
    pub format: GraphFormat,
    /// Override a model field, such as `service.api.steps=[...]`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
}

/// How `tailsim graph` writes the topology.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A standalone SVG picture, drawn like the report's.
    Svg,
    /// Graphviz DOT, for `dot -Tpng` and other tools.
    Dot,
}

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The experiment file (TOML).
    pub experiment: PathBuf,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only shard K of N (the points are split into N shards of equal
    /// estimated cost), then combine shards with `tailsim merge`. Without
    /// it, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX gives K (with
    /// --shards N).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<tailsim_runner::sweep::Shard>,
    /// The number of shards when K comes from SLURM_ARRAY_TASK_ID or
    /// JOB_COMPLETION_INDEX (Slurm's SLURM_ARRAY_TASK_COUNT is used if set).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// Keep the points and replications an interrupted run of the same
    /// sweep already finished in the output directory.
    #[arg(long)]
    pub resume: bool,
    /// Run even when the offered load is 1000 times a component's
    /// capacity or more (refused otherwise, as a likely slip of units).
    #[arg(long)]
    pub force: bool,
    /// Override a model field at every point, such as `sim.duration=10s`.
    /// Applied after the experiment's own settings, before its axes.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Replications per point (replaces the experiment's setting).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Results directory [default: results/<experiment name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard output directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the combined results go.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The model file (TOML).
    pub model: PathBuf,
    /// Override a model field, such as `client.web.rate=900`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Master seed (replaces `sim.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications (replaces `sim.replications`).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Results directory [default: results/<model name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Keep the replications an interrupted run of the same model already
    /// finished in the output directory.
    #[arg(long)]
    pub resume: bool,
    /// Run even when the offered load is 1000 times a component's
    /// capacity or more (refused otherwise, as a likely slip of units).
    #[arg(long)]
    pub force: bool,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub jobs: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The model file (TOML).
    pub model: PathBuf,
    /// Override a model field, such as `client.web.rate=900`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Pass even when the offered load is 1000 times a component's
    /// capacity or more (an error otherwise, as a likely slip of units).
    #[arg(long)]
    pub force: bool,
}

fn parse_override(s: &str) -> Result<Override, String> {
    s.parse()
}
