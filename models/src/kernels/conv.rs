//! Host kernels for a valid (unpadded), stride-1 convolution with a square kernel over NCHW images:
//! the forward pass, the input gradient, the weight gradient and the bias gradient.
//!
//! All of them work on *row-strided planes*: an image plane of `height x width` floats is read
//! flat, and an output position (oy, ox) is computed at the flat index `q = oy * width + ox`. Tap
//! (ky, kx) of the kernel is then the same shift `ky * width + kx` for every output, so each output
//! row is one contiguous run and a whole plane is one long vector loop. The columns ox >= out_width
//! of such a plane are computed but meaningless ("spill" columns); they are dropped when results
//! are read, and held at zero in gradient planes, so they add nothing to a sum.
//!
//! Each output float is one chain of fused multiply-adds in a fixed order (channel, then tap), so
//! results do not depend on blocking, instruction set or thread count.

use super::lanes::{Lanes, WIDTH, dispatched, sum_lanes};

/// The geometry of one valid, stride-1 square convolution over a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    pub batch: usize,
    pub cin: usize,
    pub cout: usize,
    pub height: usize,
    pub width: usize,
    pub kernel: usize,
}

impl ConvShape {
    pub fn out_height(&self) -> usize {
        self.height + 1 - self.kernel
    }

    pub fn out_width(&self) -> usize {
        self.width + 1 - self.kernel
    }

    /// Floats in one input plane.
    pub fn plane(&self) -> usize {
        self.height * self.width
    }

    /// Flat positions 0..span cover every output of a row-strided output plane (the last row
    /// stops at its last real column, so no tap reads past the input plane).
    pub fn span(&self) -> usize {
        (self.out_height() - 1) * self.width + self.out_width()
    }

    /// Floats in one output plane in the row-strided layout.
    pub fn strided_out_plane(&self) -> usize {
        self.out_height() * self.width
    }

    /// Zero floats kept in front of a row-strided gradient plane, so that the input gradient is a
    /// forward pass over it with the kernel turned by 180 degrees.
    pub fn grad_lead(&self) -> usize {
        (self.kernel - 1) * self.width + self.kernel - 1
    }

    /// Floats in one padded gradient plane: the lead, then a row-strided output plane, then zeros
    /// up to a whole input plane after the lead.
    pub fn padded_grad_plane(&self) -> usize {
        self.grad_lead() + self.plane()
    }

    /// The flat shift of each tap (ky, kx) in an input plane, in weight order.
    pub fn forward_taps(&self) -> Vec<usize> {
        let k = self.kernel;
        (0..k * k).map(|t| (t / k) * self.width + t % k).collect()
    }

    /// Checks that the shape describes a convolution the kernels can run.
    pub fn check(&self) -> Result<(), String> {
        if self.batch == 0 || self.cin == 0 || self.cout == 0 || self.kernel == 0 {
            return Err(format!("empty convolution: {self:?}"));
        }
        if self.kernel > self.height || self.kernel > self.width {
            return Err(format!(
                "kernel {} larger than the {}x{} input",
                self.kernel, self.height, self.width
            ));
        }
        Ok(())
    }
}

/// `out[m][q] = init[m] + sum_c sum_t w[m][c][t] * src[c * src_stride + q + taps[t]]` for every
/// q < span, the sum taken over c then t; `out[m]` starts at `m * out_stride`.
///
/// This one loop is the forward pass (m = output channel, c = input channel) and, on a padded
/// gradient plane with the kernel turned, the input gradient.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn shifted_dot<L: Lanes>(
    src: &[f32],
    src_stride: usize,
    channels: usize,
    w: &[f32],
    taps: &[usize],
    init: &[f32],
    out: &mut [f32],
    out_stride: usize,
    span: usize,
) {
    let (rows, t_count) = (init.len(), taps.len());
    let max_tap = taps.iter().copied().max().unwrap_or(0);
    assert!(channels > 0 && span > 0, "empty shifted dot");
    assert!((channels - 1) * src_stride + span - 1 + max_tap < src.len(), "source too short");
    assert!(w.len() >= rows * channels * t_count, "weights too short");
    assert!(rows == 0 || (rows - 1) * out_stride + span <= out.len(), "output too short");
    let geo = Dot {
        src: src.as_ptr(),
        src_stride,
        channels,
        w: w.as_ptr(),
        w_row: channels * t_count,
        taps,
        out: out.as_mut_ptr(),
        out_stride,
    };
    let wide = L::ROOMY;
    let mut m = 0;
    while m < rows {
        let left = rows - m;
        // SAFETY: the asserts above bound every index the blocks touch (rows m..m+R, q < span).
        unsafe {
            match (wide, left) {
                (true, 4..) => geo.rows::<L, 4, 3>(m, init, span),
                (false, 2..) => geo.rows::<L, 2, 2>(m, init, span),
                (true, 3) => geo.rows::<L, 3, 3>(m, init, span),
                (true, 2) => geo.rows::<L, 2, 3>(m, init, span),
                _ => geo.rows::<L, 1, 3>(m, init, span),
            }
        }
        m += match (wide, left) {
            (true, 4..) => 4,
            (true, 3) => 3,
            (_, 2..) => 2,
            _ => 1,
        };
    }
}

/// Raw pointers and strides of one [`shifted_dot`].
struct Dot<'a> {
    src: *const f32,
    src_stride: usize,
    channels: usize,
    w: *const f32,
    w_row: usize,
    taps: &'a [usize],
    out: *mut f32,
    out_stride: usize,
}

impl Dot<'_> {
    /// Rows m..m+R for every q < span: blocks of V vectors, then single vectors, then the last
    /// partial vector recomputed over the end (same values, written twice), or scalars when the
    /// span is shorter than one vector.
    #[inline(always)]
    unsafe fn rows<L: Lanes, const R: usize, const V: usize>(&self, m: usize, init: &[f32], span: usize) {
        let init: [f32; R] = std::array::from_fn(|r| init[m + r]);
        let mut q = 0;
        // SAFETY (all calls): the caller checked the bounds for rows m..m+R and q < span.
        unsafe {
            while q + V * WIDTH <= span {
                self.block::<L, R, V>(m, &init, q);
                q += V * WIDTH;
            }
            while q + WIDTH <= span {
                self.block::<L, R, 1>(m, &init, q);
                q += WIDTH;
            }
            if q < span {
                if span >= WIDTH {
                    self.block::<L, R, 1>(m, &init, span - WIDTH);
                } else {
                    for q in q..span {
                        self.point::<R>(m, &init, q);
                    }
                }
            }
        }
    }

    #[inline(always)]
    unsafe fn block<L: Lanes, const R: usize, const V: usize>(&self, m: usize, init: &[f32; R], q: usize) {
        let mut acc: [[L; V]; R] = std::array::from_fn(|r| [L::splat(init[r]); V]);
        // SAFETY: the caller guarantees every load and store below is in bounds.
        unsafe {
            let w0 = self.w.add(m * self.w_row);
            for c in 0..self.channels {
                let s = self.src.add(c * self.src_stride + q);
                let wc = w0.add(c * self.taps.len());
                for (t, &off) in self.taps.iter().enumerate() {
                    let x: [L; V] = std::array::from_fn(|v| L::load(s.add(off + v * WIDTH)));
                    for (r, acc_r) in acc.iter_mut().enumerate() {
                        let wv = L::splat(*wc.add(r * self.w_row + t));
                        for v in 0..V {
                            acc_r[v] = acc_r[v].fma(wv, x[v]);
                        }
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                for (v, a) in acc_r.iter().enumerate() {
                    a.store(self.out.add((m + r) * self.out_stride + q + v * WIDTH));
                }
            }
        }
    }

    /// One output position, in the same order as a lane of [`Dot::block`].
    #[inline(always)]
    unsafe fn point<const R: usize>(&self, m: usize, init: &[f32; R], q: usize) {
        // SAFETY: as for block.
        unsafe {
            for (r, &start) in init.iter().enumerate() {
                let mut acc = start;
                let wr = self.w.add((m + r) * self.w_row);
                for c in 0..self.channels {
                    let s = self.src.add(c * self.src_stride + q);
                    for (t, &off) in self.taps.iter().enumerate() {
                        acc = (*wr.add(c * self.taps.len() + t)).mul_add(*s.add(off), acc);
                    }
                }
                *self.out.add((m + r) * self.out_stride + q) = acc;
            }
        }
    }
}

dispatched!(
    /// See [`shifted_dot`].
    fn shifted_dot_on = shifted_dot(
        src: &[f32],
        src_stride: usize,
        channels: usize,
        w: &[f32],
        taps: &[usize],
        init: &[f32],
        out: &mut [f32],
        out_stride: usize,
        span: usize,
    )
);

/// The forward pass of one image: `x` is [cin][height][width], `out` gets [cout] row-strided
/// output planes of `strided_out_plane()` floats (spill columns included).
pub fn forward_image(isa: super::Isa, s: &ConvShape, x: &[f32], w: &[f32], bias: &[f32], taps: &[usize], out: &mut [f32]) {
    shifted_dot_on(isa, x, s.plane(), s.cin, w, taps, bias, out, s.strided_out_plane(), s.span());
}

/// The kernel turned by 180 degrees and with its channel axes swapped, [cin][cout][k][k], and the
/// matching shifts into a padded gradient plane: the input gradient is then a forward pass.
pub fn input_grad_weights(s: &ConvShape, w: &[f32]) -> (Vec<f32>, Vec<usize>) {
    let kk = s.kernel * s.kernel;
    let mut turned = vec![0.0; s.cin * s.cout * kk];
    for co in 0..s.cout {
        for ci in 0..s.cin {
            for t in 0..kk {
                turned[(ci * s.cout + co) * kk + t] = w[(co * s.cin + ci) * kk + t];
            }
        }
    }
    let lead = s.grad_lead();
    let taps = s.forward_taps().into_iter().map(|off| lead - off).collect();
    (turned, taps)
}

/// The input gradient of one image: `g` holds [cout] padded gradient planes; `dx` gets
/// [cin][height][width]. `turned`, `taps` come from [`input_grad_weights`].
pub fn input_grad_image(isa: super::Isa, s: &ConvShape, g: &[f32], turned: &[f32], taps: &[usize], dx: &mut [f32]) {
    let zero = vec![0.0; s.cin];
    shifted_dot_on(isa, g, s.padded_grad_plane(), s.cout, turned, taps, &zero, dx, s.plane(), s.plane());
}

/// `dw[m][c][ky][kx] = sum_n sum_{q < span} g[n][m][q] * x[n][c][q + ky*width + kx]` and
/// `db[m] = sum_n sum_q g[n][m][q]`. `g` holds [batch][cout] padded gradient planes (their spill
/// columns zero), `x` the [batch][cin][height][width] input.
///
/// Each sum runs in sixteen lanes (lane j takes the positions q = j mod 16 of every image, in
/// order) that are then added in a fixed tree.
#[inline(always)]
fn weight_grad<L: Lanes>(s: &ConvShape, g: &[f32], x: &[f32], dw: &mut [f32], db: &mut [f32]) {
    assert!(
        s.check().is_ok() && s.kernel == GRAD_KERNEL,
        "weight_grad supports {GRAD_KERNEL}x{GRAD_KERNEL} kernels"
    );
    let (gp, xp) = (s.padded_grad_plane(), s.plane());
    assert!(g.len() >= s.batch * s.cout * gp && x.len() >= s.batch * s.cin * xp);
    assert!(dw.len() >= s.cout * s.cin * GRAD_KERNEL * GRAD_KERNEL && db.len() >= s.cout);
    let wide = L::ROOMY;
    let mut m = 0;
    while m < s.cout {
        let left = s.cout - m;
        // SAFETY: bounds asserted above; rows m..m+R < cout.
        unsafe {
            match (wide, left) {
                (true, 4..) => weight_grad_rows::<L, 4>(s, g, x, m, dw),
                (true, 3) => weight_grad_rows::<L, 3>(s, g, x, m, dw),
                (true, 2) => weight_grad_rows::<L, 2>(s, g, x, m, dw),
                _ => weight_grad_rows::<L, 1>(s, g, x, m, dw),
            }
        }
        m += if wide { left.min(4) } else { 1 };
    }
    let one = L::splat(1.0);
    for (m, d) in db.iter_mut().enumerate().take(s.cout) {
        let mut acc = L::splat(0.0);
        let full = s.span() / WIDTH * WIDTH;
        for n in 0..s.batch {
            let row = &g[(n * s.cout + m) * gp + s.grad_lead()..][..s.span()];
            for q in (0..full).step_by(WIDTH) {
                // SAFETY: q + WIDTH <= span = row.len().
                acc = acc.fma(one, unsafe { L::load(row.as_ptr().add(q)) });
            }
            if full < s.span() {
                let mut tail = acc.to_array();
                for (q, &v) in row.iter().enumerate().skip(full) {
                    tail[q % WIDTH] = 1.0f32.mul_add(v, tail[q % WIDTH]);
                }
                // SAFETY: tail holds WIDTH floats.
                acc = unsafe { L::load(tail.as_ptr()) };
            }
        }
        *d = sum_lanes(acc.to_array());
    }
}

/// The kernel size [`weight_grad`] is unrolled for (the models' convolutions are all 5x5).
pub const GRAD_KERNEL: usize = 5;

/// Weight-gradient rows m..m+R for every input channel and kernel row.
#[inline(always)]
unsafe fn weight_grad_rows<L: Lanes, const R: usize>(s: &ConvShape, g: &[f32], x: &[f32], m: usize, dw: &mut [f32]) {
    const K: usize = GRAD_KERNEL;
    let (gp, xp, span, lead) = (s.padded_grad_plane(), s.plane(), s.span(), s.grad_lead());
    let full = span / WIDTH * WIDTH;
    for c in 0..s.cin {
        for ky in 0..K {
            let mut acc: [[L; K]; R] = [[L::splat(0.0); K]; R];
            for n in 0..s.batch {
                // SAFETY: g planes hold lead + span floats for rows m..m+R; x reads stay below
                // (span - 1) + (K - 1) * width + K - 1 < plane, as asserted by the caller.
                unsafe {
                    let gr: [*const f32; R] = std::array::from_fn(|r| g.as_ptr().add((n * s.cout + m + r) * gp + lead));
                    let xr = x.as_ptr().add((n * s.cin + c) * xp + ky * s.width);
                    let mut q = 0;
                    while q < full {
                        let gv: [L; R] = std::array::from_fn(|r| L::load(gr[r].add(q)));
                        for kx in 0..K {
                            let xv = L::load(xr.add(q + kx));
                            for r in 0..R {
                                acc[r][kx] = acc[r][kx].fma(gv[r], xv);
                            }
                        }
                        q += WIDTH;
                    }
                    if full < span {
                        for r in 0..R {
                            for kx in 0..K {
                                let mut lanes = acc[r][kx].to_array();
                                for q in full..span {
                                    lanes[q % WIDTH] = (*gr[r].add(q)).mul_add(*xr.add(q + kx), lanes[q % WIDTH]);
                                }
                                acc[r][kx] = L::load(lanes.as_ptr());
                            }
                        }
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                for (kx, a) in acc_r.iter().enumerate() {
                    dw[((m + r) * s.cin + c) * K * K + ky * K + kx] = sum_lanes(a.to_array());
                }
            }
        }
    }
}

dispatched!(
    /// See [`weight_grad`].
    pub fn weight_grad_on = weight_grad(s: &ConvShape, g: &[f32], x: &[f32], dw: &mut [f32], db: &mut [f32])
);
