//! ReLU followed by 2x2 max pooling with stride 2, and its backward pass.
//!
//! The two commute (ReLU is monotone), so the pair is one pass: the window's maximum, clipped at
//! zero. The backward pass needs only which of the four inputs won, one byte per output, where
//! Burn's max pool keeps its input and an eight-byte index.

use super::lanes::Isa;

/// The code of an output whose window maximum was not positive: ReLU passes no gradient back.
pub const CLIPPED: u8 = 4;

/// The pooled side for an input side (a last odd row or column is dropped, as Burn and PyTorch do).
pub fn pooled(side: usize) -> usize {
    side / 2
}

/// The pooled sides of a forward pass's plane, after checking that the buffers hold it.
fn forward_shape(src: usize, row_stride: usize, rows: usize, cols: usize, out: usize, codes: usize) -> (usize, usize) {
    let (ph, pw) = (pooled(rows), pooled(cols));
    assert!(out >= ph * pw && codes >= ph * pw, "pool output too short");
    assert!(ph == 0 || (2 * ph - 1) * row_stride + 2 * pw <= src, "pool input too short");
    (ph, pw)
}

/// The pooled sides of a backward pass's plane, after checking that the buffers hold it and that
/// its input rows do not overlap.
fn backward_shape(dy: usize, codes: usize, rows: usize, cols: usize, dx: usize, row_stride: usize) -> (usize, usize) {
    let (ph, pw) = (pooled(rows), pooled(cols));
    assert!(dy >= ph * pw && codes >= ph * pw, "pool gradient too short");
    assert!(ph == 0 || (2 * ph - 1) * row_stride + 2 * pw <= dx, "pool input gradient too short");
    assert!(ph == 0 || row_stride >= 2 * pw, "pool input rows overlap");
    (ph, pw)
}

/// Pools one plane: `src` rows are `row_stride` floats apart and `rows x cols` of them are read;
/// `out` and `codes` get `pooled(rows) x pooled(cols)` values, row-major.
///
/// The winner is the first maximum in the order (0,0), (0,1), (1,0), (1,1). A window holding a NaN
/// gives NaN (and passes its gradient to its winner), so a diverging run stays visibly diverged.
pub fn relu_pool_plane(src: &[f32], row_stride: usize, rows: usize, cols: usize, out: &mut [f32], codes: &mut [u8]) {
    let (ph, pw) = forward_shape(src.len(), row_stride, rows, cols, out.len(), codes.len());
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

/// Pooled rows at least this wide go through AVX-512; on narrower ones (the second convolutions'
/// 4 and 5) most lanes would idle and the masked loads cost more than the scalar loop
/// (`cargo bench -p abs-bench --bench kernels -- pool`).
const WIDE_ROW: usize = 8;

/// [`relu_pool_plane`] on `isa`'s path: the same outputs and codes, to the bit (pooling only
/// compares and selects); AVX-512 pools sixteen windows of a wide row at once, the other paths one.
pub fn relu_pool_plane_on(isa: Isa, src: &[f32], row_stride: usize, rows: usize, cols: usize, out: &mut [f32], codes: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 && pooled(cols) >= WIDE_ROW {
        let (ph, pw) = forward_shape(src.len(), row_stride, rows, cols, out.len(), codes.len());
        for i in 0..ph {
            // SAFETY: the rows read and the outputs written are in bounds (asserted above);
            // Isa::Avx512 is only detected where the CPU has AVX-512F.
            unsafe {
                x86::pool_row(
                    src[2 * i * row_stride..].as_ptr(),
                    src[(2 * i + 1) * row_stride..].as_ptr(),
                    pw,
                    out[i * pw..].as_mut_ptr(),
                    codes[i * pw..].as_mut_ptr(),
                )
            };
        }
        return;
    }
    let _ = isa;
    relu_pool_plane(src, row_stride, rows, cols, out, codes)
}

/// [`relu_pool_plane_backward`] on `isa`'s path: the same values, to the bit. `codes` may run on past
/// the plane's own (the next planes' codes): AVX-512 then reads sixteen at a time throughout.
pub fn relu_pool_plane_backward_on(isa: Isa, dy: &[f32], codes: &[u8], rows: usize, cols: usize, dx: &mut [f32], row_stride: usize) {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 && pooled(cols) >= WIDE_ROW {
        let (ph, pw) = backward_shape(dy.len(), codes.len(), rows, cols, dx.len(), row_stride);
        let base = dx.as_mut_ptr();
        for i in 0..ph {
            // SAFETY: the rows written are in bounds (asserted above) and distinct (row_stride >=
            // 2 pw), both from one pointer to dx; Isa::Avx512 is only detected where the CPU has
            // AVX-512F.
            unsafe {
                x86::unpool_row(
                    &dy[i * pw..][..pw],
                    &codes[i * pw..],
                    base.add(2 * i * row_stride),
                    base.add((2 * i + 1) * row_stride),
                )
            };
        }
        return;
    }
    let _ = isa;
    relu_pool_plane_backward(dy, codes, rows, cols, dx, row_stride)
}

/// Writes the gradient of one pooled plane back onto its input plane: `dy` and `codes` are
/// `pooled(rows) x pooled(cols)`, `dx` rows are `row_stride` floats apart. Each window's winner
/// gets `0.0 + dy` and its other three inputs `0.0`, what adding onto a zeroed plane gives, to the
/// bit (a gradient of -0.0 becomes 0.0), without reading `dx`; entries outside every window (spill
/// columns, a last odd row or column) are left as they are, so callers pass a zeroed plane.
pub fn relu_pool_plane_backward(dy: &[f32], codes: &[u8], rows: usize, cols: usize, dx: &mut [f32], row_stride: usize) {
    let (ph, pw) = backward_shape(dy.len(), codes.len(), rows, cols, dx.len(), row_stride);
    for i in 0..ph {
        let (top, bottom) = dx[2 * i * row_stride..].split_at_mut(row_stride);
        let (top, bottom) = (&mut top[..2 * pw], &mut bottom[..2 * pw]);
        let (dy_row, code_row) = (&dy[i * pw..][..pw], &codes[i * pw..][..pw]);
        // without a branch
        for (((t, b), &g), &code) in top.chunks_exact_mut(2).zip(bottom.chunks_exact_mut(2)).zip(dy_row).zip(code_row) {
            let pick = |k: u8| 0.0 + if code == k { g } else { 0.0 };
            t[0] = pick(0);
            t[1] = pick(1);
            b[0] = pick(2);
            b[1] = pick(3);
        }
    }
}

/// Sixteen windows at a time in 512-bit registers: the two inputs of a window row are split into
/// even and odd columns by one permute each, and the scalar code's comparisons and selects run
/// lane by lane, so every output and code is the scalar one.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::CLIPPED;

    /// Lanes 0, 2, .., 30 and 1, 3, .., 31 of two registers side by side.
    const EVEN: [i32; 16] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30];
    const ODD: [i32; 16] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31];
    /// a0 b0 a1 b1 .. a7 b7, and a8 b8 .. a15 b15.
    const LOW: [i32; 16] = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];
    const HIGH: [i32; 16] = [8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31];

    #[inline(always)]
    fn first(n: usize) -> __mmask16 {
        ((1u32 << n.min(16)) - 1) as __mmask16
    }

    /// The even and odd columns of the `2 n` (n <= 16) floats at `p`.
    #[inline(always)]
    unsafe fn split_columns(p: *const f32, n: usize) -> (__m512, __m512) {
        // SAFETY: only the 2 n floats at p are read (masked loads); AVX-512F by the caller.
        unsafe {
            let lo = _mm512_maskz_loadu_ps(first(2 * n), p);
            let hi = _mm512_maskz_loadu_ps(first((2 * n).saturating_sub(16)), p.wrapping_add(16));
            let (even, odd) = (_mm512_loadu_si512(EVEN.as_ptr().cast()), _mm512_loadu_si512(ODD.as_ptr().cast()));
            (_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi))
        }
    }

    /// Pools the window row whose two input rows start at `top` and `bottom` (`2 pw` floats each)
    /// into `pw` outputs and codes.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pool_row(top: *const f32, bottom: *const f32, pw: usize, out: *mut f32, codes: *mut u8) {
        for j in (0..pw).step_by(16) {
            let n = (pw - j).min(16);
            // SAFETY: the caller guarantees 2 pw floats at top and bottom, pw outputs and codes.
            unsafe {
                let (v0, v1) = split_columns(top.add(2 * j), n);
                let (v2, v3) = split_columns(bottom.add(2 * j), n);
                // the first maximum in the order v0 .. v3 (a NaN never wins a comparison)
                let (mut best, mut at) = (v0, _mm512_setzero_si512());
                for (k, v) in [(1, v1), (2, v2), (3, v3)] {
                    let greater = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best);
                    best = _mm512_mask_mov_ps(best, greater, v);
                    at = _mm512_mask_mov_epi32(at, greater, _mm512_set1_epi32(k));
                }
                let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v0, v1) | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v2, v3);
                let positive = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(best, _mm512_setzero_ps());
                let value = _mm512_mask_mov_ps(_mm512_maskz_mov_ps(positive, best), nan, _mm512_set1_ps(f32::NAN));
                let code = _mm512_mask_mov_epi32(_mm512_set1_epi32(i32::from(CLIPPED)), nan | positive, at);
                _mm512_mask_storeu_ps(out.add(j), first(n), value);
                _mm512_mask_cvtepi32_storeu_epi8(codes.add(j).cast(), first(n), code);
            }
        }
    }

    /// Writes `dy`'s gradients to their windows' winners in the input rows at `top` and `bottom`
    /// (`2 dy.len()` floats each), and 0.0 to the other inputs, as the scalar code does (stores
    /// only: loading a row of a freshly zeroed plane to add to it stalled); `codes` starts with
    /// `dy`'s codes and may hold more, which are not used.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn unpool_row(dy: &[f32], codes: &[u8], top: *mut f32, bottom: *mut f32) {
        for j in (0..dy.len()).step_by(16) {
            let n = (dy.len() - j).min(16);
            // sixteen codes read at once where the slice holds them (the lanes past n pick from
            // zeros and are not stored); bytes copied one by one into a wide load would stall it
            let code = match codes.get(j..j + 16) {
                // SAFETY: 16 bytes in bounds.
                Some(wide) => unsafe { _mm_loadu_si128(wide.as_ptr().cast()) },
                None => {
                    let mut code = [CLIPPED; 16];
                    code[..n].copy_from_slice(&codes[j..j + n]);
                    // SAFETY: code holds 16 bytes.
                    unsafe { _mm_loadu_si128(code.as_ptr().cast()) }
                }
            };
            // SAFETY: the caller guarantees 2 dy.len() floats at top and bottom.
            unsafe {
                let g = _mm512_maskz_loadu_ps(first(n), dy.as_ptr().add(j));
                let code = _mm512_cvtepu8_epi32(code);
                let pick = |k: i32| _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(k)), g);
                let (low, high) = (_mm512_loadu_si512(LOW.as_ptr().cast()), _mm512_loadu_si512(HIGH.as_ptr().cast()));
                for (row, (a, b)) in [(top, (pick(0), pick(1))), (bottom, (pick(2), pick(3)))] {
                    let row = row.add(2 * j);
                    for (half, idx) in [(0, low), (16, high)] {
                        // a masked-off lane is not written (nor can it fault)
                        let (m, at) = (first((2 * n).saturating_sub(half)), row.wrapping_add(half));
                        let value = _mm512_add_ps(_mm512_setzero_ps(), _mm512_permutex2var_ps(a, idx, b));
                        _mm512_mask_storeu_ps(at, m, value);
                    }
                }
            }
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

    /// Every path pools and unpools to the scalar code's bits, over sides that leave partial
    /// vectors, spill columns, odd sides, ties, zeros of both signs, negatives and NaNs (pooled
    /// rows of 8 and more take the AVX-512 path where the CPU has it).
    #[test]
    fn every_isa_pools_to_the_same_bits() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let specials = [0.0, -0.0, f32::NAN, -1.0, 1.0, 2.0, f32::INFINITY, f32::NEG_INFINITY];
        for (rows, cols, spill) in [
            (2, 2, 0),
            (3, 5, 1),
            (10, 10, 0),
            (6, 16, 0),
            (24, 24, 8),
            (28, 28, 4),
            (14, 14, 0),
            (9, 33, 2),
            (4, 34, 1),
            (4, 66, 0),
            (12, 70, 3),
        ] {
            let stride = cols + spill;
            let src: Vec<f32> = (0..rows * stride)
                .map(|_| match rng.random_range(0..4) {
                    0 => specials[rng.random_range(0..specials.len())],
                    _ => (rng.random_range(-4i32..5) as f32) * 0.5,
                })
                .collect();
            let n = pooled(rows) * pooled(cols);
            let (mut want, mut want_codes) = (vec![1.5f32; n], vec![9u8; n]);
            relu_pool_plane(&src, stride, rows, cols, &mut want, &mut want_codes);
            let dy: Vec<f32> = (0..n)
                .map(|i| if i % 7 == 3 { -0.0 } else { rng.random_range(-1.0f32..1.0) })
                .collect();
            // what the windows held before does not matter; the entries outside them stay
            let mut want_dx: Vec<f32> = (0..rows * stride).map(|i| [0.0, -0.0, 5.0][i % 3]).collect();
            let start = want_dx.clone();
            relu_pool_plane_backward(&dy, &want_codes, rows, cols, &mut want_dx, stride);
            for isa in crate::kernels::lanes::tests::runnable_isas() {
                let (mut out, mut codes) = (vec![1.5f32; n], vec![9u8; n]);
                relu_pool_plane_on(isa, &src, stride, rows, cols, &mut out, &mut codes);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&out), bits(&want), "{isa:?} {rows}x{cols}+{spill}");
                assert_eq!(codes, want_codes, "{isa:?} {rows}x{cols}+{spill}");
                let mut dx = start.clone();
                relu_pool_plane_backward_on(isa, &dy, &codes, rows, cols, &mut dx, stride);
                assert_eq!(bits(&dx), bits(&want_dx), "{isa:?} {rows}x{cols}+{spill} backward");
            }
        }
    }
}
