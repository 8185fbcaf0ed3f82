//! tailsim's integration tests: one binary, one module per concern.
//!
//! - `theory`: reference formulas from queueing theory, computed from each
//!   test's own parameters;
//! - `fidelity`: simulated results against those formulas, with confidence
//!   intervals from independent replications;
//! - `properties`: conservation of requests and Little's law;
//! - `determinism`: byte-identical outputs for the same seed;
//! - `calibration`: data files (formats, rates, keys), `tailsim fit`, and
//!   `[[observed]]` against a model that generated the data;
//! - `handlers`: service times, handler steps, workers during calls, network;
//! - `data`: caches, datastores and connection pools;
//! - `balancing`: load-balancer policies, health checks, outlier ejection;
//! - `traffic`: clients produce the traffic they describe;
//! - `faults`: crashes, slowdowns, latency, loss, partitions, failover;
//! - `resilience`: retries, hedging, breakers, limiters, shedding, bulkheads;
//! - `scenarios`: the shipped scenarios show what their text says;
//! - `fuzz`: generated models with extreme values never panic, hang or
//!   lose the place of their errors;
//! - `budgets`: limits on values past sense, `--force`, and the budgets that
//!   stop a replication cleanly;
//! - `cli`: the command line, including its error messages;
//! - `sweeps`: experiments, shards, merge, resume, golden outputs;
//! - `interrupted`: Ctrl-C during `run` and `sweep`, and resuming from it;
//! - `merging`: every way a merge is refused, naming what is wrong;
//! - `slurm`: the shipped sbatch scripts on a real single-node Slurm
//!   cluster, with cancelled, killed and requeued tasks;
//! - `kubernetes`: the shipped manifests against the Kubernetes schema;
//! - `examples`: the Rust examples under `examples/` work;
//! - `shipped`: every model in `models/` and experiment in `experiments/` runs;
//! - `report`: `report.html` in a real browser (headless Chromium), and
//!   `tailsim graph`;
//! - `prereq`: installs the real parts some tests need (Chromium, Slurm,
//!   npm and Python packages) on first use.

mod balancing;
mod budgets;
mod calibration;
mod cli;
mod common;
mod data;
mod determinism;
mod docs;
mod examples;
mod exit_status;
mod faults;
mod fidelity;
mod fuzz;
mod growth;
mod handlers;
mod interrupted;
mod kubernetes;
mod merging;
mod messages;
// Used by the browser, Slurm and Python tests.
#[allow(dead_code)]
mod prereq;
mod properties;
mod report;
mod resilience;
mod scenarios;
mod shipped;
mod slurm;
mod sweeps;
mod terminal;
mod theory;
mod traffic;
