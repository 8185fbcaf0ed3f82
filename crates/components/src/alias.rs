//! Walker's alias method (Vose's construction): draws index i with
//! probability w_i / sum(w) in O(1), from one uniform index and one coin.
//! Used for key popularity read from a file of counts per key.

use rand::RngExt;
use tailsim_engine::rng::SimRng;

use crate::dist::unit;

/// An alias table over `n` outcomes.
#[derive(Clone, Debug)]
pub struct AliasTable {
    /// Probability of keeping column i rather than taking its alias.
    keep: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// Builds the table; weights must be finite, non-negative, and not all
    /// zero (validation checks this).
    pub fn new(weights: &[f64]) -> AliasTable {
        let n = weights.len();
        assert!(n > 0 && n <= u32::MAX as usize, "an alias table needs 1 to 2^32 - 1 outcomes");
        let total: f64 = weights.iter().sum();
        assert!(total > 0.0 && total.is_finite(), "alias weights must have a positive finite sum");
        // Scaled so the average column holds exactly 1.
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut keep = vec![1.0; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for (i, &p) in scaled.iter().enumerate() {
            if p < 1.0 { small.push(i as u32) } else { large.push(i as u32) }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s as usize] = scaled[s as usize];
            alias[s as usize] = l;
            scaled[l as usize] -= 1.0 - scaled[s as usize];
            if scaled[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left holds 1 up to rounding.
        for i in small.into_iter().chain(large) {
            keep[i as usize] = 1.0;
        }
        AliasTable { keep, alias }
    }

    /// The probability of outcome `i` the table encodes.
    #[cfg(test)]
    fn probability(&self, i: usize) -> f64 {
        let n = self.keep.len() as f64;
        let own = self.keep[i];
        let given: f64 =
            self.alias.iter().zip(&self.keep).filter(|&(&a, _)| a as usize == i).map(|(_, &k)| 1.0 - k).sum();
        (own + given) / n
    }

    /// Draws one outcome.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        let i = rng.random_range(0..self.keep.len());
        if unit(rng) < self.keep[i] { i as u64 } else { self.alias[i] as u64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailsim_engine::rng::stream;

    #[test]
    fn the_table_encodes_the_weights_exactly() {
        let w = [5.0, 0.0, 1.0, 3.0, 1.0, 10.0];
        let t = AliasTable::new(&w);
        let total: f64 = w.iter().sum();
        for (i, wi) in w.iter().enumerate() {
            assert!((t.probability(i) - wi / total).abs() < 1e-12, "{i}: {}", t.probability(i));
        }
    }

    #[test]
    fn draws_follow_the_weights() {
        // Each frequency within 4.5 binomial standard errors.
        let w = [50.0, 30.0, 15.0, 5.0, 0.0];
        let t = AliasTable::new(&w);
        let mut rng = stream(7, "alias");
        let n = 200_000;
        let mut counts = [0u64; 5];
        for _ in 0..n {
            counts[t.sample(&mut rng) as usize] += 1;
        }
        for (i, &c) in counts.iter().enumerate() {
            let p = w[i] / 100.0;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!((c as f64 / n as f64 - p).abs() <= 4.5 * se + 1e-12, "key {i}: {c}");
        }
        assert_eq!(counts[4], 0);
    }
}
