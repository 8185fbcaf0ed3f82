//! Numerical tools for fitting: Nelder–Mead minimisation, a central
//! difference Hessian and a small matrix inverse.

/// Minimises `f` from `start` by Nelder–Mead with the standard
/// coefficients, stopping when the simplex's values agree to `tol`
/// relative to the best (and at least to 1e-12 absolute), or after
/// `max_iter` iterations. Deterministic.
pub fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, start: &[f64], step: f64, tol: f64, max_iter: usize) -> (Vec<f64>, f64) {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), f(start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += step;
        let v = f(&x);
        simplex.push((x, v));
    }
    let value = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
    for _ in 0..max_iter {
        simplex.sort_by(|a, b| value(a.1).total_cmp(&value(b.1)));
        let (best, worst) = (value(simplex[0].1), value(simplex[n].1));
        if (worst - best).abs() <= tol * best.abs() + 1e-12 {
            break;
        }
        let centroid: Vec<f64> =
            (0..n).map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64).collect();
        let along =
            |t: f64| -> Vec<f64> { (0..n).map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j])).collect() };
        let reflected = along(-1.0);
        let fr = value(f(&reflected));
        if fr < best {
            let expanded = along(-2.0);
            let fe = value(f(&expanded));
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < value(simplex[n - 1].1) {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = if fr < worst { along(-0.5) } else { along(0.5) };
            let fc = value(f(&contracted));
            if fc < worst.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                // Shrink towards the best point.
                let b = simplex[0].0.clone();
                for s in simplex.iter_mut().skip(1) {
                    for (v, bj) in s.0.iter_mut().zip(&b) {
                        *v = bj + 0.5 * (*v - bj);
                    }
                    s.1 = f(&s.0);
                }
            }
        }
    }
    simplex.sort_by(|a, b| value(a.1).total_cmp(&value(b.1)));
    simplex.swap_remove(0)
}

/// The Hessian of `f` at `x` by central differences with steps `h`.
pub fn hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<Vec<f64>> {
    let n = x.len();
    let at = |di: &[(usize, f64)]| {
        let mut y = x.to_vec();
        for &(i, d) in di {
            y[i] += d;
        }
        f(&y)
    };
    let f0 = f(x);
    let mut m = vec![vec![0.0; n]; n];
    #[allow(clippy::needless_range_loop)] // a symmetric matrix, filled by index pairs
    for i in 0..n {
        m[i][i] = (at(&[(i, h)]) - 2.0 * f0 + at(&[(i, -h)])) / (h * h);
        for j in 0..i {
            let v = (at(&[(i, h), (j, h)]) - at(&[(i, h), (j, -h)]) - at(&[(i, -h), (j, h)]) + at(&[(i, -h), (j, -h)]))
                / (4.0 * h * h);
            m[i][j] = v;
            m[j][i] = v;
        }
    }
    m
}

/// The inverse of a small square matrix by Gauss–Jordan elimination with
/// partial pivoting; `None` if it is singular.
pub fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut a: Vec<Vec<f64>> = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for c in 0..n {
        let p = (c..n).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))?;
        if a[p][c].abs() <= 1e-300 || !a[p][c].is_finite() {
            return None;
        }
        a.swap(c, p);
        let pivot = a[c][c];
        for v in a[c].iter_mut() {
            *v /= pivot;
        }
        for r in 0..n {
            if r != c {
                let factor = a[r][c];
                if factor != 0.0 {
                    let row_c = a[c].clone();
                    for (v, rc) in a[r].iter_mut().zip(&row_c) {
                        *v -= factor * rc;
                    }
                }
            }
        }
    }
    Some(a.into_iter().map(|r| r[n..].to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        let f = |x: &[f64]| (x[0] - 3.0).powi(2) + 10.0 * (x[1] + 1.0).powi(2) + 0.5 * x[0] * x[1];
        let (x, _) = nelder_mead(&f, &[0.0, 0.0], 1.0, 1e-14, 5000);
        // Gradient zero: 2(x-3) + 0.5y = 0, 20(y+1) + 0.5x = 0.
        assert!((2.0 * (x[0] - 3.0) + 0.5 * x[1]).abs() < 1e-5, "{x:?}");
        assert!((20.0 * (x[1] + 1.0) + 0.5 * x[0]).abs() < 1e-5, "{x:?}");
    }

    #[test]
    fn hessian_and_inverse_of_a_quadratic() {
        let f = |x: &[f64]| 2.0 * x[0] * x[0] + 3.0 * x[0] * x[1] + 5.0 * x[1] * x[1];
        let h = hessian(&f, &[0.3, -0.2], 1e-3);
        assert!((h[0][0] - 4.0).abs() < 1e-6 && (h[0][1] - 3.0).abs() < 1e-6 && (h[1][1] - 10.0).abs() < 1e-6);
        let inv = invert(&h).unwrap();
        let det = 4.0 * 10.0 - 9.0;
        assert!((inv[0][0] - 10.0 / det).abs() < 1e-6 && (inv[0][1] + 3.0 / det).abs() < 1e-6);
    }
}
