//! The aggregation kernel of eq. 3: `w += server_lr * sum_n a_n * delta_n` over flat `f32` slices.
//!
//! Both functions define the same arithmetic, element by element: `s = 0; s += a_n * delta_n[i]`
//! for each update in the order given, then `w[i] += server_lr * s`. Float addition is not
//! associative, so this order is part of the contract: the engine passes updates in arrival order
//! and results are bit-identical whichever function runs.

/// Elements per block: the accumulator stays in L1 while every delta streams past it once.
const BLOCK: usize = 4096;

/// Applies the weighted sum of `updates` (coefficient, delta) to `w`, cache-blocked.
///
/// # Panics
/// If a delta's length differs from `w`'s (an engine bug, never user input).
pub fn aggregate(w: &mut [f32], updates: &[(f32, &[f32])], server_lr: f32) {
    for (_, d) in updates {
        assert_eq!(d.len(), w.len(), "delta length differs from the model's");
    }
    let mut acc = [0.0f32; BLOCK];
    let mut start = 0;
    while start < w.len() {
        let end = (start + BLOCK).min(w.len());
        let acc = &mut acc[..end - start];
        acc.fill(0.0);
        let mut groups = updates.chunks_exact(4);
        for g in &mut groups {
            let (a0, a1, a2, a3) = (g[0].0, g[1].0, g[2].0, g[3].0);
            let (d0, d1, d2, d3) = (&g[0].1[start..end], &g[1].1[start..end], &g[2].1[start..end], &g[3].1[start..end]);
            for j in 0..acc.len() {
                // Same order as the naive loop: ((acc + a0 d0) + a1 d1) + ...
                let mut s = acc[j];
                s += a0 * d0[j];
                s += a1 * d1[j];
                s += a2 * d2[j];
                s += a3 * d3[j];
                acc[j] = s;
            }
        }
        for &(a, d) in groups.remainder() {
            for (s, &x) in acc.iter_mut().zip(&d[start..end]) {
                *s += a * x;
            }
        }
        for (wi, &s) in w[start..end].iter_mut().zip(acc.iter()) {
            *wi += server_lr * s;
        }
        start = end;
    }
}

/// The reference definition: one element at a time, every update in order.
pub fn aggregate_naive(w: &mut [f32], updates: &[(f32, &[f32])], server_lr: f32) {
    for (i, wi) in w.iter_mut().enumerate() {
        let mut s = 0.0f32;
        for &(a, d) in updates {
            s += a * d[i];
        }
        *wi += server_lr * s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run_both(w: Vec<f32>, ds: &[Vec<f32>], coef: &[f32], lr: f32) -> (Vec<f32>, Vec<f32>) {
        let ups: Vec<(f32, &[f32])> = coef.iter().copied().zip(ds.iter().map(|d| d.as_slice())).collect();
        let (mut fast, mut naive) = (w.clone(), w);
        aggregate(&mut fast, &ups, lr);
        aggregate_naive(&mut naive, &ups, lr);
        (fast, naive)
    }

    #[test]
    fn small_case_by_hand() {
        let (fast, _) = run_both(vec![1.0, 2.0], &[vec![1.0, 1.0], vec![3.0, -1.0]], &[0.5, 0.5], 1.0);
        assert_eq!(fast, vec![3.0, 2.0]);
    }

    #[test]
    fn no_updates_leaves_w_alone() {
        let (fast, naive) = run_both(vec![1.5; 3000], &[], &[], 1.0);
        assert_eq!(fast, vec![1.5; 3000]);
        assert_eq!(naive, fast);
    }

    proptest! {
        #[test]
        fn kernel_equals_naive_bit_for_bit(
            len in 0usize..3000, n in 0usize..11, seed in any::<u64>(), lr in prop_oneof![Just(1.0f32), 0.1f32..2.0]
        ) {
            // cheap deterministic values spanning many magnitudes, so rounding order matters
            let mut x = seed | 1;
            let mut next = || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 10f32.powi((x % 7) as i32 - 3) };
            let w: Vec<f32> = (0..len).map(|_| next()).collect();
            let ds: Vec<Vec<f32>> = (0..n).map(|_| (0..len).map(|_| next()).collect()).collect();
            let coef: Vec<f32> = (0..n).map(|_| next().abs()).collect();
            let (fast, naive) = run_both(w, &ds, &coef, lr);
            prop_assert_eq!(fast.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), naive.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        }
    }
}
