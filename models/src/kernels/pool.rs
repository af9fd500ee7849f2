//! ReLU followed by 2x2 max pooling with stride 2, and its backward pass.
//!
//! The two commute (ReLU is monotone), so the pair is one pass: the window's maximum, clipped at
//! zero. The backward pass needs only which of the four inputs won, one byte per output, where
//! Burn's max pool keeps its input and an eight-byte index.

/// The code of an output whose window maximum was not positive: ReLU passes no gradient back.
pub const CLIPPED: u8 = 4;

/// The pooled side for an input side (a last odd row or column is dropped, as Burn and PyTorch do).
pub fn pooled(side: usize) -> usize {
    side / 2
}

/// Pools one plane: `src` rows are `row_stride` floats apart and `rows x cols` of them are read;
/// `out` and `codes` get `pooled(rows) x pooled(cols)` values, row-major.
///
/// The winner is the first maximum in the order (0,0), (0,1), (1,0), (1,1). A window holding a NaN
/// gives NaN (and passes its gradient to its winner), so a diverging run stays visibly diverged.
pub fn relu_pool_plane(src: &[f32], row_stride: usize, rows: usize, cols: usize, out: &mut [f32], codes: &mut [u8]) {
    let (ph, pw) = (pooled(rows), pooled(cols));
    assert!(out.len() >= ph * pw && codes.len() >= ph * pw, "pool output too short");
    assert!(ph == 0 || (2 * ph - 1) * row_stride + 2 * pw <= src.len(), "pool input too short");
    for i in 0..ph {
        let top = &src[2 * i * row_stride..][..2 * pw];
        let bottom = &src[(2 * i + 1) * row_stride..][..2 * pw];
        let out_row = &mut out[i * pw..][..pw];
        let code_row = &mut codes[i * pw..][..pw];
        for ((t, b), (o, c)) in top
            .chunks_exact(2)
            .zip(bottom.chunks_exact(2))
            .zip(out_row.iter_mut().zip(code_row.iter_mut()))
        {
            let window = [t[0], t[1], b[0], b[1]];
            // the first maximum, NaN kept, ReLU clipping, all by selects (no branch), so the
            // loop vectorises
            let (mut best, mut at) = (window[0], 0u8);
            for (k, &v) in window.iter().enumerate().skip(1) {
                let greater = v > best;
                best = if greater { v } else { best };
                at = if greater { k as u8 } else { at };
            }
            let nan = window.iter().any(|v| v.is_nan());
            let positive = best > 0.0;
            *o = if nan {
                f32::NAN
            } else if positive {
                best
            } else {
                0.0
            };
            *c = if nan || positive { at } else { CLIPPED };
        }
    }
}

/// Adds the gradient of one pooled plane back onto its input plane: `dy` and `codes` are
/// `pooled(rows) x pooled(cols)`, `dx` rows are `row_stride` floats apart (its other entries are
/// left as they are, so callers pass a zeroed plane).
pub fn relu_pool_plane_backward(dy: &[f32], codes: &[u8], rows: usize, cols: usize, dx: &mut [f32], row_stride: usize) {
    let (ph, pw) = (pooled(rows), pooled(cols));
    assert!(dy.len() >= ph * pw && codes.len() >= ph * pw, "pool gradient too short");
    assert!(
        ph == 0 || (2 * ph - 1) * row_stride + 2 * pw <= dx.len(),
        "pool input gradient too short"
    );
    for i in 0..ph {
        let (top, bottom) = dx[2 * i * row_stride..].split_at_mut(row_stride);
        let (top, bottom) = (&mut top[..2 * pw], &mut bottom[..2 * pw]);
        let (dy_row, code_row) = (&dy[i * pw..][..pw], &codes[i * pw..][..pw]);
        // every window adds its gradient to its winner and 0.0 to the other three inputs (which
        // leaves them as they are), without a branch, so the loop vectorises
        for (((t, b), &g), &code) in top.chunks_exact_mut(2).zip(bottom.chunks_exact_mut(2)).zip(dy_row).zip(code_row) {
            let pick = |k: u8| if code == k { g } else { 0.0 };
            t[0] += pick(0);
            t[1] += pick(1);
            b[0] += pick(2);
            b[1] += pick(3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_the_positive_maximum_and_records_the_first_winner() {
        // 4x4 plane, row stride 5 (the fifth column is a spill column and never read)
        #[rustfmt::skip]
        let src = [
            1.0, 3.0,   -1.0, -2.0,  99.0,
            2.0, 3.0,   -3.0, -0.5,  99.0,
            0.0, 0.0,    5.0, 7.0,   99.0,
            0.0, f32::NAN, 7.0, 1.0, 99.0,
        ];
        let (mut out, mut codes) = ([0.0f32; 4], [0u8; 4]);
        relu_pool_plane(&src, 5, 4, 4, &mut out, &mut codes);
        assert_eq!(out[..2], [3.0, 0.0]);
        assert_eq!(codes[..2], [1, CLIPPED], "first maximum wins; negatives are clipped");
        assert!(out[2].is_nan(), "NaN is kept");
        assert_eq!((out[3], codes[3]), (7.0, 1));

        let dy = [10.0, 20.0, 30.0, 40.0];
        let mut dx = [0.0f32; 20];
        relu_pool_plane_backward(&dy, &codes, 4, 4, &mut dx, 5);
        let mut want = [0.0f32; 20];
        want[1] = 10.0; // (0,1)
        want[13] = 40.0; // (2,3)
        want[10 + usize::from(codes[2] / 2) * 5 + usize::from(codes[2] % 2)] = 30.0;
        assert_eq!(dx, want);
    }

    #[test]
    fn odd_sides_drop_the_last_row_and_column() {
        let src: Vec<f32> = (0..15).map(|v| v as f32).collect(); // 3x5
        let (mut out, mut codes) = ([0.0f32; 2], [0u8; 2]);
        relu_pool_plane(&src, 5, 3, 5, &mut out, &mut codes);
        assert_eq!(out, [6.0, 8.0]);
        assert_eq!(codes, [3, 3]);
    }
}
