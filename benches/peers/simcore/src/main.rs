//! The peer-comparison queueing models in simcore 0.1.0, with its callback
//! API (no async mode).
//!
//! mm1: Poisson arrivals at rate 0.9, one FIFO server with exponential
//! service at rate 1.0 (theory: mean time in system 10.0).
//! mm4: Poisson arrivals at rate 3.6 behind a random load balancer that
//! sends each customer to one of 4 single-server FIFO queues, each serving
//! at rate 1.0 (each queue is then an M/M/1 at load 0.9: mean 10.0).
//!
//! Two kinds of component exchange events, as simcore intends: a source
//! wakes itself with `Tick` at each arrival, picks a server (the balancer)
//! and sends it a `Customer` message; a server queues customers FIFO, wakes
//! itself with `Done` when a service ends and records the customer's time
//! in system in a list. The simulation-wide random number generator draws
//! every sample.
//!
//! Prints one machine-readable line per model:
//!     RESULT tool=simcore model=mm1 customers=N seconds=S mean=M
//! `seconds` is the best wall-clock time of `--repeats` runs (building the
//! components included); `mean` is the mean of every recorded time in
//! system. Options: `--customers N` (default 1000000), `--repeats R`
//! (default 3), `--seed S` (default 1), `--model mm1|mm4|all`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use rand_distr::Exp;
use serde::Serialize;
use simcore::{cast, Event, EventHandler, Id, Simulation, SimulationContext};

const LAMBDA_PER_SERVER: f64 = 0.9;
const MU: f64 = 1.0;

/// The source's own wake-up: a customer arrives now.
#[derive(Clone, Serialize)]
struct Tick {}

/// A customer, sent from the source to a server.
#[derive(Clone, Serialize)]
struct Customer {
    arrived: f64,
}

/// A server's own wake-up: the customer in service leaves.
#[derive(Clone, Serialize)]
struct Done {}

/// Poisson arrivals, each sent to a uniformly random server.
struct Source {
    ctx: SimulationContext,
    servers: Vec<Id>,
    interarrival: Exp<f64>,
    remaining: u64,
}

impl Source {
    fn start(&self) {
        if self.remaining > 0 {
            self.ctx.emit_self(Tick {}, self.ctx.sample_from_distribution(&self.interarrival));
        }
    }

    fn on_tick(&mut self) {
        let server = if self.servers.len() == 1 {
            self.servers[0]
        } else {
            self.servers[self.ctx.gen_range(0..self.servers.len())]
        };
        self.ctx.emit_now(Customer { arrived: self.ctx.time() }, server);
        self.remaining -= 1;
        self.start();
    }
}

impl EventHandler for Source {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Tick {} => {
                self.on_tick()
            }
        })
    }
}

/// One FIFO server with exponential service times.
struct Server {
    ctx: SimulationContext,
    service: Exp<f64>,
    /// Arrival time of the customer in service, if any.
    in_service: Option<f64>,
    queue: VecDeque<f64>,
    /// Every finished customer's time in system.
    sojourns: Vec<f64>,
}

impl Server {
    fn serve(&mut self, arrived: f64) {
        self.in_service = Some(arrived);
        self.ctx.emit_self(Done {}, self.ctx.sample_from_distribution(&self.service));
    }

    fn on_customer(&mut self, arrived: f64) {
        if self.in_service.is_none() {
            self.serve(arrived);
        } else {
            self.queue.push_back(arrived);
        }
    }

    fn on_done(&mut self) {
        let arrived = self.in_service.take().expect("a departure with nobody in service");
        self.sojourns.push(self.ctx.time() - arrived);
        if let Some(next) = self.queue.pop_front() {
            self.serve(next);
        }
    }
}

impl EventHandler for Server {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Customer { arrived } => {
                self.on_customer(arrived)
            }
            Done {} => {
                self.on_done()
            }
        })
    }
}

/// One run with `servers` queues; returns every customer's time in system.
fn run(servers: usize, customers: u64, seed: u64) -> Vec<f64> {
    let mut sim = Simulation::new(seed);
    let mut handles = Vec::with_capacity(servers);
    let mut ids = Vec::with_capacity(servers);
    for i in 0..servers {
        let name = format!("server{i}");
        let server = Rc::new(RefCell::new(Server {
            ctx: sim.create_context(&name),
            service: Exp::new(MU).unwrap(),
            in_service: None,
            queue: VecDeque::new(),
            sojourns: Vec::with_capacity(customers as usize / servers + 1024),
        }));
        ids.push(sim.add_handler(&name, server.clone()));
        handles.push(server);
    }
    let source = Rc::new(RefCell::new(Source {
        ctx: sim.create_context("source"),
        servers: ids,
        interarrival: Exp::new(LAMBDA_PER_SERVER * servers as f64).unwrap(),
        remaining: customers,
    }));
    sim.add_handler("source", source.clone());
    source.borrow().start();
    sim.step_until_no_events();
    let mut all = Vec::with_capacity(customers as usize);
    for h in &handles {
        all.extend_from_slice(&h.borrow().sojourns);
    }
    all
}

fn main() {
    let mut customers: u64 = 1_000_000;
    let mut repeats: u32 = 3;
    let mut seed: u64 = 1;
    let mut model = String::from("all");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--customers" => customers = value.parse().expect("--customers N"),
            "--repeats" => repeats = value.parse().expect("--repeats R"),
            "--seed" => seed = value.parse().expect("--seed S"),
            "--model" => model = value,
            _ => panic!("unknown option {flag}"),
        }
    }
    for (name, servers) in [("mm1", 1), ("mm4", 4)] {
        if model != "all" && model != name {
            continue;
        }
        let mut best = f64::INFINITY;
        let mut sojourns = Vec::new();
        for _ in 0..repeats.max(1) {
            let t0 = Instant::now();
            sojourns = run(servers, customers, seed);
            best = best.min(t0.elapsed().as_secs_f64());
        }
        let mean = sojourns.iter().sum::<f64>() / sojourns.len() as f64;
        println!("RESULT tool=simcore model={name} customers={} seconds={best:.6} mean={mean:.6}", sojourns.len());
    }
}
