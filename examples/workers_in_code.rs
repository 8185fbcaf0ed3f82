//! A capacity what-if built in Rust instead of TOML: sweep the worker
//! count of one service, read p99 with its interval, and compare it with
//! M/M/c theory. See `workers_in_code/study.rs` for the model.
//!
//! ```sh
//! cargo run --release --example workers_in_code
//! ```

#[path = "workers_in_code/study.rs"]
mod study;

fn main() {
    println!("{} req/s of {} ms work; target p99 < 20 ms", study::RATE, study::SERVICE_S * 1e3);
    println!("{:>7}  {:>16}  {:>13}", "workers", "p99 ms (95% CI)", "M/M/c p99 ms");
    let rows = study::study(4, 5);
    for r in &rows {
        println!("{:>7}  {:>8.2} ± {:<5.2}  {:>13.2}", r.workers, r.p99_ms, r.ci95_ms, r.theory_ms);
    }
    match rows.iter().find(|r| r.p99_ms + r.ci95_ms < 20.0) {
        Some(r) => println!("{} workers keep p99 under 20 ms", r.workers),
        None => println!("no worker count tried keeps p99 under 20 ms"),
    }
}
