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
//! - `cli`: the command line, including its error messages;
//! - `sweeps`: experiments, shards, merge, resume, golden outputs;
//! - `shipped`: every model in `models/` and experiment in `experiments/` runs;
//! - `prereq`: installs the real parts some tests need (Chromium, Slurm,
//!   npm and Python packages) on first use.

mod balancing;
mod calibration;
mod cli;
mod common;
mod data;
mod determinism;
mod docs;
mod faults;
mod fidelity;
mod growth;
mod handlers;
// Used by the browser, Slurm and Python tests.
#[allow(dead_code)]
mod prereq;
mod properties;
mod resilience;
mod scenarios;
mod shipped;
mod sweeps;
mod theory;
mod traffic;
