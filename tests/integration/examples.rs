//! The Rust examples under `examples/` do what their text says.

#[path = "../../examples/workers_in_code/study.rs"]
mod study;

use tailsim_runner::stats::student_t_quantile;

/// The code-built sweep matches M/M/c theory at every worker count: each
/// theory p99 lies in the simulated 99% interval (the 95% half-width the
/// summary reports, scaled by the Student-t ratio).
#[test]
fn the_code_built_worker_sweep_matches_mmc_theory() {
    let replications = 4;
    let df = (replications - 1) as f64;
    let widen = student_t_quantile(0.995, df) / student_t_quantile(0.975, df);
    let rows = study::study(3, replications);
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let h99 = r.ci95_ms * widen;
        assert!(
            (r.p99_ms - r.theory_ms).abs() <= h99,
            "{} workers: p99 {:.3} ± {:.3} ms, M/M/c {:.3} ms",
            r.workers,
            r.p99_ms,
            h99,
            r.theory_ms
        );
    }
    assert!(rows[0].p99_ms > 20.0 && rows[1].p99_ms < 20.0, "the answer the example prints: two workers");
}
