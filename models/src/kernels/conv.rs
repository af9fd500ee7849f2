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

    /// The multiply-add work of one pass over the batch (forward, weight gradient or input
    /// gradient: each the same), in FLOPs, real outputs only.
    pub fn flops(&self) -> u64 {
        2 * (self.batch * self.cout * self.cin * self.kernel * self.kernel * self.out_height() * self.out_width()) as u64
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

    /// Floats in one gradient plane: a row-strided output plane whose spill columns are zero,
    /// followed by zeros up to a whole number of vectors past the span.
    pub fn grad_plane(&self) -> usize {
        self.span().div_ceil(WIDTH) * WIDTH
    }

    /// Floats in one plane of the input-gradient scratch: an input plane and room for the last
    /// vector's overhang.
    pub fn input_grad_plane(&self) -> usize {
        self.plane() + WIDTH
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

/// The operands of one [`shifted_dot`].
pub(crate) struct Shifted<'a> {
    pub src: &'a [f32],
    pub src_stride: usize,
    pub channels: usize,
    pub w: &'a [f32],
    pub taps: &'a [usize],
    pub init: &'a [f32],
    pub out: &'a mut [f32],
    pub out_stride: usize,
    pub span: usize,
}

/// `out[m][q] = init[m] + sum_c sum_t w[m][c][t] * src[c * src_stride + q + taps[t]]` for every
/// q < span, the sum taken over c then t; `out[m]` starts at `m * out_stride`.
///
/// This is the forward pass (m = output channel, c = input channel).
#[inline(always)]
fn shifted_dot<L: Lanes>(job: Shifted<'_>) {
    let Shifted {
        src,
        src_stride,
        channels,
        w,
        taps,
        init,
        out,
        out_stride,
        span,
    } = job;
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
    let mut m = 0;
    while m < rows {
        // blocks of up to 8 rows by 3 vectors (24 accumulators) where 32 registers hold a vector
        // each, 2 by 2 otherwise
        let r = if L::ROOMY { (rows - m).min(8) } else { (rows - m).min(2) };
        // SAFETY: the asserts above bound every index the blocks touch (rows m..m+r, q < span).
        unsafe {
            match (L::ROOMY, r) {
                (true, 8) => geo.rows::<L, 8, 3>(m, init, span),
                (true, 7) => geo.rows::<L, 7, 3>(m, init, span),
                (true, 6) => geo.rows::<L, 6, 3>(m, init, span),
                (true, 5) => geo.rows::<L, 5, 3>(m, init, span),
                (true, 4) => geo.rows::<L, 4, 3>(m, init, span),
                (true, 3) => geo.rows::<L, 3, 3>(m, init, span),
                (_, 2) => geo.rows::<L, 2, 2>(m, init, span),
                _ => geo.rows::<L, 1, 3>(m, init, span),
            }
        }
        m += r;
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
                        for (a, xv) in acc_r.iter_mut().zip(&x) {
                            *a = a.fma(wv, *xv);
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
    fn shifted_dot_on = shifted_dot(job: Shifted<'_>)
);

/// The forward pass of one image: `x` is [cin][height][width], `out` gets [cout] row-strided
/// output planes of `strided_out_plane()` floats (spill columns included).
pub fn forward_image(isa: super::Isa, s: &ConvShape, x: &[f32], w: &[f32], bias: &[f32], taps: &[usize], out: &mut [f32]) {
    shifted_dot_on(
        isa,
        Shifted {
            src: x,
            src_stride: s.plane(),
            channels: s.cin,
            w,
            taps,
            init: bias,
            out,
            out_stride: s.strided_out_plane(),
            span: s.span(),
        },
    );
}

/// How the forward pass lays out one image: row-strided over the input itself (computing the
/// spill columns), or over a packed copy in which each output row is dense.
///
/// The packed copy holds, per input channel c and kernel column kx, the input rows shifted by kx
/// and cut to the output width: `pack[c][kx][y][ox] = x[c][y][ox + kx]`. Tap (ky, kx) of dense
/// output p = oy * ow + ox is then the uniform shift `kx * height * ow + ky * ow`, so the same
/// [`shifted_dot`] runs over dense planes, with every output's multiply-adds in the same order
/// (channel, then tap) as over the input: the same bits, without the spill columns.
#[derive(Debug, Clone)]
pub struct ForwardPlan {
    shape: ConvShape,
    packed: bool,
    taps: Vec<usize>,
}

impl ForwardPlan {
    /// Packs when the spill columns would add a quarter or more to the work (the narrow planes of
    /// second convolutions: 14 wide for 10 outputs), where the copy costs less than they do.
    pub fn new(s: &ConvShape) -> ForwardPlan {
        Self::with_packing(s, s.width * 4 >= s.out_width() * 5)
    }

    /// A plan that packs or not as told (tests compare the two).
    pub fn with_packing(s: &ConvShape, packed: bool) -> ForwardPlan {
        let k = s.kernel;
        let taps = if packed {
            (0..k * k)
                .map(|t| (t % k) * s.height * s.out_width() + (t / k) * s.out_width())
                .collect()
        } else {
            s.forward_taps()
        };
        ForwardPlan { shape: *s, packed, taps }
    }

    pub fn packed(&self) -> bool {
        self.packed
    }

    /// Floats between two output rows of a plane.
    pub fn row_stride(&self) -> usize {
        if self.packed { self.shape.out_width() } else { self.shape.width }
    }

    /// Floats in one output plane.
    pub fn out_plane(&self) -> usize {
        self.shape.out_height() * self.row_stride()
    }

    /// Floats of the packing scratch (none when not packed).
    pub fn pack_len(&self) -> usize {
        if self.packed {
            self.shape.cin * self.shape.kernel * self.shape.height * self.shape.out_width()
        } else {
            0
        }
    }

    /// The forward pass of one image `x` ([cin][height][width]): `out` gets [cout] planes of
    /// [`ForwardPlan::out_plane`] floats, rows [`ForwardPlan::row_stride`] apart; `pack` is
    /// scratch of [`ForwardPlan::pack_len`] floats.
    pub fn run(&self, isa: super::Isa, x: &[f32], w: &[f32], bias: &[f32], pack: &mut [f32], out: &mut [f32]) {
        let s = &self.shape;
        if !self.packed {
            return forward_image(isa, s, x, w, bias, &self.taps, out);
        }
        let (ow, h, k) = (s.out_width(), s.height, s.kernel);
        assert!(
            x.len() >= s.cin * s.plane() && pack.len() >= self.pack_len(),
            "forward: buffers too short"
        );
        for (c, plane) in x.chunks_exact(s.plane()).take(s.cin).enumerate() {
            for kx in 0..k {
                let dst = &mut pack[(c * k + kx) * h * ow..][..h * ow];
                for (row, src) in dst.chunks_exact_mut(ow).zip(plane.chunks_exact(s.width)) {
                    row.copy_from_slice(&src[kx..kx + ow]);
                }
            }
        }
        shifted_dot_on(
            isa,
            Shifted {
                src: pack,
                src_stride: k * h * ow,
                channels: s.cin,
                w,
                taps: &self.taps,
                init: bias,
                out,
                out_stride: self.out_plane(),
                span: self.out_plane(),
            },
        );
    }
}

/// The operands of one [`scatter_dot`].
pub(crate) struct Scattered<'a> {
    pub g: &'a [f32],
    pub g_stride: usize,
    pub rows: usize,
    pub w: &'a [f32],
    pub channels: usize,
    pub taps: &'a [usize],
    pub out: &'a mut [f32],
    pub out_stride: usize,
    pub span: usize,
}

/// `out[c][q + taps[t]] += sum_m w[m][c][t] * g[m][q]` for every q below the span rounded up to
/// whole vectors, each output's additions in the order (t, m); `g[m]` starts at `m * g_stride`,
/// `out[c]` at `c * out_stride`. The caller keeps `g` zero from the span to the rounded end.
///
/// This is the input gradient: each output gradient goes back to the inputs it was computed from,
/// and only real outputs are visited (a forward pass over a zero-padded gradient would multiply
/// about twice as many zeros for a 14x14 input).
#[inline(always)]
fn scatter_dot<L: Lanes>(job: Scattered<'_>) {
    let Scattered {
        g,
        g_stride,
        rows,
        w,
        channels,
        taps,
        out,
        out_stride,
        span,
    } = job;
    let t_count = taps.len();
    let end = span.div_ceil(WIDTH) * WIDTH;
    let max_tap = taps.iter().copied().max().unwrap_or(0);
    assert!(rows > 0 && channels > 0 && span > 0, "empty scatter dot");
    assert!((rows - 1) * g_stride + end <= g.len(), "gradient too short");
    assert!(w.len() >= rows * channels * t_count, "weights too short");
    assert!((channels - 1) * out_stride + end + max_tap <= out.len(), "output too short");
    let geo = Scatter {
        g: g.as_ptr(),
        g_stride,
        rows,
        w: w.as_ptr(),
        channels,
        t_count,
        out: out.as_mut_ptr(),
        out_stride,
    };
    let mut c = 0;
    while c < channels {
        let r = if L::ROOMY { (channels - c).min(8) } else { (channels - c).min(2) };
        // SAFETY: the asserts above bound every index (channels c..c+r, q < end).
        unsafe {
            match (L::ROOMY, r) {
                (true, 8) => geo.rows::<L, 8>(taps, end, c),
                (true, 7) => geo.rows::<L, 7>(taps, end, c),
                (true, 6) => geo.rows::<L, 6>(taps, end, c),
                (true, 5) => geo.rows::<L, 5>(taps, end, c),
                (true, 4) => geo.rows::<L, 4>(taps, end, c),
                (true, 3) => geo.rows::<L, 3>(taps, end, c),
                (_, 2) => geo.rows::<L, 2>(taps, end, c),
                _ => geo.rows::<L, 1>(taps, end, c),
            }
        }
        c += r;
    }
}

/// Raw pointers and strides of one [`scatter_dot`].
struct Scatter {
    g: *const f32,
    g_stride: usize,
    rows: usize,
    w: *const f32,
    channels: usize,
    t_count: usize,
    out: *mut f32,
    out_stride: usize,
}

impl Scatter {
    /// Output channels c0..c0+R: blocks of 3 vectors of positions, then single vectors.
    #[inline(always)]
    unsafe fn rows<L: Lanes, const R: usize>(&self, taps: &[usize], end: usize, c0: usize) {
        // SAFETY: the caller checked every bound.
        unsafe {
            for (t, &off) in taps.iter().enumerate() {
                let mut q = 0;
                while q + 3 * WIDTH <= end {
                    self.block::<L, R, 3>(c0, t, off, q);
                    q += 3 * WIDTH;
                }
                while q < end {
                    self.block::<L, R, 1>(c0, t, off, q);
                    q += WIDTH;
                }
            }
        }
    }

    #[inline(always)]
    unsafe fn block<L: Lanes, const R: usize, const V: usize>(&self, c0: usize, t: usize, off: usize, q: usize) {
        // SAFETY: the caller guarantees every load and store below is in bounds.
        unsafe {
            let at = |r: usize, v: usize| (c0 + r) * self.out_stride + q + off + v * WIDTH;
            let mut acc: [[L; V]; R] = std::array::from_fn(|r| std::array::from_fn(|v| L::load(self.out.add(at(r, v)))));
            for m in 0..self.rows {
                let gv: [L; V] = std::array::from_fn(|v| L::load(self.g.add(m * self.g_stride + q + v * WIDTH)));
                let wm = self.w.add((m * self.channels + c0) * self.t_count + t);
                for (r, acc_r) in acc.iter_mut().enumerate() {
                    let wv = L::splat(*wm.add(r * self.t_count));
                    for (a, g) in acc_r.iter_mut().zip(&gv) {
                        *a = a.fma(wv, *g);
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                for (v, a) in acc_r.iter().enumerate() {
                    a.store(self.out.add(at(r, v)));
                }
            }
        }
    }
}

dispatched!(
    /// See [`scatter_dot`].
    fn scatter_dot_on = scatter_dot(job: Scattered<'_>)
);

/// The input gradient of one image: `g` holds [cout] gradient planes of `grad_plane()` floats,
/// `w` the [cout][cin][k][k] weights, `taps` from [`ConvShape::forward_taps`]; `scratch` (zeroed, [cin] planes of `input_grad_plane()`
/// floats) gets the gradient of each input plane at its start.
pub fn input_grad_image(isa: super::Isa, s: &ConvShape, g: &[f32], w: &[f32], taps: &[usize], scratch: &mut [f32]) {
    scatter_dot_on(
        isa,
        Scattered {
            g,
            g_stride: s.grad_plane(),
            rows: s.cout,
            w,
            channels: s.cin,
            taps,
            out: scratch,
            out_stride: s.input_grad_plane(),
            span: s.span(),
        },
    );
}

/// `dw[m][c][ky][kx] = sum_n sum_{q < span} g[n][m][q] * x[n][c][q + ky*width + kx]` for the
/// output channels `m` in `rows`; `dw` holds just those rows ([rows.len()][cin][k][k]). `g` holds
/// [batch][cout] gradient planes of `grad_plane()` floats, `x` the [batch][cin][height][width]
/// input.
///
/// Each sum runs in sixteen lanes (lane j takes the positions q = j mod 16 of every image, in
/// order) that are then added in a fixed tree, so a weight's gradient has the same bits however
/// the output channels are split between calls (and threads).
#[inline(always)]
fn weight_grad<L: Lanes>(s: &ConvShape, g: &[f32], x: &[f32], rows: std::ops::Range<usize>, dw: &mut [f32]) {
    assert!(
        s.check().is_ok() && s.kernel == GRAD_KERNEL,
        "weight_grad supports {GRAD_KERNEL}x{GRAD_KERNEL} kernels"
    );
    let (gp, xp) = (s.grad_plane(), s.plane());
    assert!(g.len() >= s.batch * s.cout * gp && x.len() >= s.batch * s.cin * xp);
    assert!(rows.end <= s.cout && dw.len() >= rows.len() * s.cin * GRAD_KERNEL * GRAD_KERNEL);
    let mut m = rows.start;
    while m < rows.end {
        // blocks of up to 4 rows (20 accumulators) where 32 registers hold a vector each, 1 otherwise
        let r = if L::ROOMY { (rows.end - m).min(4) } else { 1 };
        // SAFETY: bounds asserted above; rows m..m+r < cout.
        unsafe {
            match r {
                4 => weight_grad_rows::<L, 4>(s, g, x, m, rows.start, dw),
                3 => weight_grad_rows::<L, 3>(s, g, x, m, rows.start, dw),
                2 => weight_grad_rows::<L, 2>(s, g, x, m, rows.start, dw),
                _ => weight_grad_rows::<L, 1>(s, g, x, m, rows.start, dw),
            }
        }
        m += r;
    }
}

/// `db[m] = sum_n sum_q g[n][m][q]`, in sixteen lanes added in a fixed tree.
#[inline(always)]
fn bias_grad<L: Lanes>(s: &ConvShape, g: &[f32], db: &mut [f32]) {
    let gp = s.grad_plane();
    assert!(g.len() >= s.batch * s.cout * gp && db.len() >= s.cout);
    let one = L::splat(1.0);
    for (m, d) in db.iter_mut().enumerate().take(s.cout) {
        let mut acc = L::splat(0.0);
        let full = s.span() / WIDTH * WIDTH;
        for n in 0..s.batch {
            let row = &g[(n * s.cout + m) * gp..][..s.span()];
            for q in (0..full).step_by(WIDTH) {
                // SAFETY: q + WIDTH <= span = row.len().
                acc = acc.fma(one, unsafe { L::load(row.as_ptr().add(q)) });
            }
            if full < s.span() {
                // SAFETY: the first span - full floats after `full` are in the row.
                acc = acc.fma(one, unsafe { L::load_first(row.as_ptr().add(full), s.span() - full) });
            }
        }
        *d = sum_lanes(acc.to_array());
    }
}

/// The kernel size [`weight_grad`] is unrolled for (the models' convolutions are all 5x5).
pub const GRAD_KERNEL: usize = 5;

/// Weight-gradient rows m..m+R for every input channel and kernel row, into `dw`, whose first
/// row is output channel `first`.
#[inline(always)]
unsafe fn weight_grad_rows<L: Lanes, const R: usize>(s: &ConvShape, g: &[f32], x: &[f32], m: usize, first: usize, dw: &mut [f32]) {
    const K: usize = GRAD_KERNEL;
    let (gp, xp, span) = (s.grad_plane(), s.plane(), s.span());
    let full = span / WIDTH * WIDTH;
    for c in 0..s.cin {
        for ky in 0..K {
            let mut acc: [[L; K]; R] = [[L::splat(0.0); K]; R];
            for n in 0..s.batch {
                // SAFETY: g planes hold span floats for rows m..m+R; x reads stay below
                // (span - 1) + (K - 1) * width + K - 1 < plane, as asserted by the caller.
                unsafe {
                    let gr: [*const f32; R] = std::array::from_fn(|r| g.as_ptr().add((n * s.cout + m + r) * gp));
                    let xr = x.as_ptr().add((n * s.cin + c) * xp + ky * s.width);
                    if L::ROOMY {
                        // one loop body for every vector, the last reading only its real lanes of
                        // x; a gradient plane holds zeros past the span, so its vectors are read
                        // whole. The same values meet in the same order as below, and with one body
                        // the accumulators stay in registers across images.
                        let mut q = 0;
                        while q < span {
                            let lanes = (span - q).min(WIDTH);
                            let gv: [L; R] = std::array::from_fn(|r| L::load(gr[r].add(q)));
                            for kx in 0..K {
                                let xv = L::load_first(xr.add(q + kx), lanes);
                                for (acc_r, g) in acc.iter_mut().zip(&gv) {
                                    acc_r[kx] = acc_r[kx].fma(*g, xv);
                                }
                            }
                            q += WIDTH;
                        }
                        continue;
                    }
                    let mut q = 0;
                    while q < full {
                        let gv: [L; R] = std::array::from_fn(|r| L::load(gr[r].add(q)));
                        for kx in 0..K {
                            let xv = L::load(xr.add(q + kx));
                            for (acc_r, g) in acc.iter_mut().zip(&gv) {
                                acc_r[kx] = acc_r[kx].fma(*g, xv);
                            }
                        }
                        q += WIDTH;
                    }
                    if full < span {
                        // the last partial vector: lanes past the span load zeros and add nothing
                        let rem = span - full;
                        let gv: [L; R] = std::array::from_fn(|r| L::load_first(gr[r].add(full), rem));
                        for kx in 0..K {
                            let xv = L::load_first(xr.add(full + kx), rem);
                            for (acc_r, g) in acc.iter_mut().zip(&gv) {
                                acc_r[kx] = acc_r[kx].fma(*g, xv);
                            }
                        }
                    }
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                for (kx, a) in acc_r.iter().enumerate() {
                    dw[((m + r - first) * s.cin + c) * K * K + ky * K + kx] = sum_lanes(a.to_array());
                }
            }
        }
    }
}

dispatched!(
    /// See [`weight_grad`].
    pub fn weight_grad_on = weight_grad(s: &ConvShape, g: &[f32], x: &[f32], rows: std::ops::Range<usize>, dw: &mut [f32])
);

dispatched!(
    /// See [`bias_grad`].
    pub fn bias_grad_on = bias_grad(s: &ConvShape, g: &[f32], db: &mut [f32])
);
