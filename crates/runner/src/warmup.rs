//! Warm-up detection with MSER-5 (White, 1997).
//!
//! The observations are the per-window mean latencies of a pilot replication
//! run without warm-up. They are grouped into batches of five; the truncation
//! point d minimises the marginal standard error
//! `MSER(d) = sum_{j>d} (Z_j - mean_{j>d} Z)^2 / (m - d)^2`, searched over the
//! first half of the batches as is customary.

/// The number of leading observations to discard, a multiple of 5.
pub fn mser5(observations: &[f64]) -> usize {
    const BATCH: usize = 5;
    let batches: Vec<f64> = observations.chunks_exact(BATCH).map(|c| c.iter().sum::<f64>() / BATCH as f64).collect();
    let m = batches.len();
    if m < 4 {
        return 0;
    }
    let mut best = (f64::INFINITY, 0usize);
    for d in 0..=m / 2 {
        let rest = &batches[d..];
        let n = rest.len() as f64;
        let mean = rest.iter().sum::<f64>() / n;
        let sse: f64 = rest.iter().map(|z| (z - mean).powi(2)).sum();
        let mser = sse / (n * n);
        if mser < best.0 {
            best = (mser, d);
        }
    }
    best.1 * BATCH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_initial_transient() {
        // 50 observations climbing from 0 to 10, then 200 noisy ones at 10.
        let mut obs: Vec<f64> = (0..50).map(|i| i as f64 / 5.0).collect();
        obs.extend((0..200).map(|i| 10.0 + if i % 2 == 0 { 0.3 } else { -0.3 }));
        let d = mser5(&obs);
        assert!((40..=60).contains(&d), "truncation {d}");
    }

    #[test]
    fn stationary_input_keeps_everything() {
        let obs: Vec<f64> = (0..200).map(|i| 5.0 + ((i * 7919) % 13) as f64 / 13.0).collect();
        assert!(mser5(&obs) <= 10);
        assert_eq!(mser5(&[1.0, 2.0]), 0);
    }
}
