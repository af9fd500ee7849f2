//! The native kernels as Burn operations on the flex backend, through Burn's backend-extension
//! API: a forward on `Flex`, and on `Autodiff<Flex>` the same forward plus a hand-written backward.
//! Only flex tensors may reach these operations (the model checks the device first).

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Bytes, DType, Dispatch, Flex, Shape, backend_extension};
use burn::tensor::Tensor;

use super::Isa;
use rayon::prelude::*;

use super::conv::{ConvShape, ForwardPlan, GRAD_KERNEL, bias_grad_on, input_grad_image, weight_grad_on};
use super::pool::{pooled, relu_pool_plane_backward_on, relu_pool_plane_on};

/// The project's own CPU operations.
#[backend_extension(Flex, Autodiff)]
pub trait NativeOps: Backend {
    /// `max_pool2d(relu(conv2d(x, w) + b))`: valid 5x5 convolution with stride 1, ReLU, then 2x2
    /// max pooling with stride 2, as one operation with one backward.
    fn conv_relu_pool(x: FloatTensor<Self>, w: FloatTensor<Self>, b: FloatTensor<Self>) -> FloatTensor<Self>;
    /// `max_pool2d(relu(x))` with a 2x2 window and stride 2.
    fn relu_pool(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// `max_pool2d(relu(conv2d(x, w) + b))` on flex tensors, native kernels (see [`NativeOps`]).
pub fn conv_relu_pool(x: Tensor<4>, w: Tensor<4>, b: Tensor<1>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::conv_relu_pool(
        x.into_dispatch(),
        w.into_dispatch(),
        b.into_dispatch(),
    ))
}

/// `max_pool2d(relu(x))`, 2x2 window, stride 2, on flex tensors, native kernels.
pub fn relu_pool(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as NativeOps>::relu_pool(x.into_dispatch()))
}

/// The tensor's floats in row-major order, copied only when it is a strided view.
fn dense(t: FlexTensor) -> FlexTensor {
    assert_eq!(t.dtype(), DType::F32, "the native kernels compute in f32");
    if t.as_slice::<f32>().is_some() { t } else { t.to_contiguous() }
}

fn floats(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("a dense f32 tensor")
}

fn tensor(values: Vec<f32>, dims: &[usize]) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(values),
        Layout::contiguous(Shape::from(dims.to_vec())),
        DType::F32,
    )
}

fn dims(t: &FlexTensor) -> Vec<usize> {
    t.layout().shape().as_slice().to_vec()
}

fn conv_shape(x: &FlexTensor, w: &FlexTensor) -> ConvShape {
    let (xd, wd) = (dims(x), dims(w));
    assert!(
        xd.len() == 4 && wd.len() == 4 && wd[1] == xd[1] && wd[2] == wd[3],
        "conv_relu_pool: input {xd:?} and weight {wd:?} do not match"
    );
    let s = ConvShape {
        batch: xd[0],
        cin: xd[1],
        cout: wd[0],
        height: xd[2],
        width: xd[3],
        kernel: wd[2],
    };
    if let Err(e) = s.check() {
        panic!("conv_relu_pool: {e}");
    }
    assert_eq!(
        s.kernel, GRAD_KERNEL,
        "conv_relu_pool: the native kernels are built for 5x5 kernels"
    );
    s
}

/// What the backward pass of [`NativeOps::conv_relu_pool`] keeps: the input, the weights and the
/// pool's winners.
#[derive(Debug, Clone)]
struct ConvReluPoolState {
    x: FlexTensor,
    w: FlexTensor,
    codes: Arc<Vec<u8>>,
}

/// Whether the kernels split a convolution's work across the current rayon pool: only when it has
/// more than one thread (a sweep running one cell per core gives each cell one) and the
/// convolution is large enough that the split pays for waking the other threads (see
/// [`SPLIT_FLOPS`]). Every output is computed by the same code whichever thread runs it, so the
/// split changes no bit of any result.
fn split(s: &ConvShape) -> bool {
    rayon::current_num_threads() > 1 && (s.flops() >= SPLIT_FLOPS || SPLIT_EVERY_SIZE)
}

/// Unit tests split every convolution, however small, so that their small shapes test the split.
const SPLIT_EVERY_SIZE: bool = cfg!(test);

/// The smallest convolution pass split across threads: about 500 microseconds of work at the
/// kernels' speed (about 100 GFLOP/s), where a split's cost (waking a thread, stealing tasks) is a few
/// percent. docs/performance.md has the measurements behind it.
const SPLIT_FLOPS: u64 = 50_000_000;

/// Runs `f(scratch, i, chunk_i)` for each `chunk`-long piece of `a`, with a scratch value from
/// `init` per thread; across the pool's threads when `split` (see [`split`]).
fn each_chunk<A: Send, S>(
    split: bool,
    a: &mut [A],
    chunk: usize,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize, &mut [A]) + Sync + Send,
) {
    if chunk == 0 {
        return;
    }
    if split {
        a.par_chunks_mut(chunk)
            .enumerate()
            .for_each_init(&init, |scratch, (i, a)| f(scratch, i, a));
    } else {
        let mut scratch = init();
        for (i, a) in a.chunks_mut(chunk).enumerate() {
            f(&mut scratch, i, a);
        }
    }
}

/// [`each_chunk`] over matching pieces of two slices.
fn each_pair<A: Send, B: Send, S>(
    split: bool,
    (a, a_chunk): (&mut [A], usize),
    (b, b_chunk): (&mut [B], usize),
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, usize, &mut [A], &mut [B]) + Sync + Send,
) {
    if a_chunk == 0 || b_chunk == 0 {
        return;
    }
    if split {
        a.par_chunks_mut(a_chunk)
            .zip(b.par_chunks_mut(b_chunk))
            .enumerate()
            .for_each_init(&init, |scratch, (i, (a, b))| f(scratch, i, a, b));
    } else {
        let mut scratch = init();
        for (i, (a, b)) in a.chunks_mut(a_chunk).zip(b.chunks_mut(b_chunk)).enumerate() {
            f(&mut scratch, i, a, b);
        }
    }
}

/// Forward pass: the pooled output [batch, cout, oh/2, ow/2] and the pool's winners, image by
/// image.
fn conv_relu_pool_forward(x: &FlexTensor, w: &FlexTensor, b: &FlexTensor) -> (FlexTensor, Vec<u8>) {
    let s = conv_shape(x, w);
    let (isa, plan) = (Isa::detected(), ForwardPlan::new(&s));
    let (ph, pw) = (pooled(s.out_height()), pooled(s.out_width()));
    let pooled_plane = ph * pw;
    let (xs, ws, bs) = (floats(x), floats(w), floats(b));
    assert_eq!(bs.len(), s.cout, "conv_relu_pool: bias length");
    let mut out = vec![0.0f32; s.batch * s.cout * pooled_plane];
    let mut codes = vec![0u8; out.len()];
    let image = s.cout * pooled_plane;
    let out_plane = plan.out_plane();
    each_pair(
        split(&s),
        (&mut out, image),
        (&mut codes, image),
        || (vec![0.0f32; s.cout * out_plane], vec![0.0f32; plan.pack_len()]),
        |(scratch, pack), n, out, codes| {
            plan.run(isa, &xs[n * s.cin * s.plane()..][..s.cin * s.plane()], ws, bs, pack, scratch);
            for co in 0..s.cout {
                let at = co * pooled_plane;
                relu_pool_plane_on(
                    isa,
                    &scratch[co * out_plane..][..out_plane],
                    plan.row_stride(),
                    s.out_height(),
                    s.out_width(),
                    &mut out[at..at + pooled_plane],
                    &mut codes[at..at + pooled_plane],
                );
            }
        },
    );
    (tensor(out, &[s.batch, s.cout, ph, pw]), codes)
}

/// Output channels per task of the split weight gradient (the kernel's register block).
const GRAD_ROWS: usize = 4;

/// Backward pass: (input gradient when asked for, weight gradient, bias gradient).
fn conv_relu_pool_backward(state: &ConvReluPoolState, dy: &FlexTensor, want_dx: bool) -> (Option<FlexTensor>, FlexTensor, FlexTensor) {
    let s = conv_shape(&state.x, &state.w);
    let (isa, split) = (Isa::detected(), split(&s));
    let (ph, pw) = (pooled(s.out_height()), pooled(s.out_width()));
    let gp = s.grad_plane();
    let mut g = vec![0.0f32; s.batch * s.cout * gp];
    let (dys, codes, pooled_plane) = (floats(dy), &state.codes, ph * pw);
    if pooled_plane > 0 {
        each_chunk(
            split,
            &mut g,
            gp,
            || (),
            |_, plane, g| {
                let at = plane * pooled_plane;
                relu_pool_plane_backward_on(
                    isa,
                    &dys[at..][..pooled_plane],
                    &codes[at..],
                    s.out_height(),
                    s.out_width(),
                    g,
                    s.width,
                );
            },
        );
    }
    let (xs, ws) = (floats(&state.x), floats(&state.w));
    let mut dw = vec![0.0f32; ws.len()];
    let mut db = vec![0.0f32; s.cout];
    let row = s.cin * GRAD_KERNEL * GRAD_KERNEL;
    each_chunk(
        split,
        &mut dw,
        GRAD_ROWS * row,
        || (),
        |_, i, dw| {
            let first = i * GRAD_ROWS;
            weight_grad_on(isa, &s, &g, xs, first..first + dw.len() / row, dw);
        },
    );
    bias_grad_on(isa, &s, &g, &mut db);
    let dx = want_dx.then(|| {
        let mut dx = vec![0.0f32; xs.len()];
        let taps = s.forward_taps();
        let image = s.cin * s.plane();
        each_chunk(
            split,
            &mut dx,
            image,
            || vec![0.0f32; s.cin * s.input_grad_plane()],
            |scratch, n, image| {
                scratch.fill(0.0);
                input_grad_image(isa, &s, &g[n * s.cout * gp..(n + 1) * s.cout * gp], ws, &taps, scratch);
                for (plane, from) in image.chunks_exact_mut(s.plane()).zip(scratch.chunks_exact(s.input_grad_plane())) {
                    plane.copy_from_slice(&from[..s.plane()]);
                }
            },
        );
        tensor(dx, &dims(&state.x))
    });
    (dx, tensor(dw, &dims(&state.w)), tensor(db, &[s.cout]))
}

/// Forward pass of [`NativeOps::relu_pool`]: output and winners.
fn relu_pool_forward(x: &FlexTensor) -> (FlexTensor, Vec<u8>) {
    let d = dims(x);
    assert_eq!(d.len(), 4, "relu_pool: a [batch, channels, height, width] input");
    let (h, w) = (d[2], d[3]);
    let (ph, pw) = (pooled(h), pooled(w));
    let planes = d[0] * d[1];
    let mut out = vec![0.0f32; planes * ph * pw];
    let mut codes = vec![0u8; out.len()];
    if ph * pw > 0 {
        let isa = Isa::detected();
        for ((src, o), c) in floats(x)
            .chunks_exact(h * w)
            .zip(out.chunks_exact_mut(ph * pw))
            .zip(codes.chunks_exact_mut(ph * pw))
        {
            relu_pool_plane_on(isa, src, w, h, w, o, c);
        }
    }
    (tensor(out, &[d[0], d[1], ph, pw]), codes)
}

#[derive(Debug, Clone)]
struct ReluPoolState {
    dims: Vec<usize>,
    codes: Arc<Vec<u8>>,
}

fn relu_pool_backward(state: &ReluPoolState, dy: &FlexTensor) -> FlexTensor {
    let (h, w) = (state.dims[2], state.dims[3]);
    let (ph, pw) = (pooled(h), pooled(w));
    let mut dx = vec![0.0f32; state.dims.iter().product()];
    if ph * pw > 0 {
        let isa = Isa::detected();
        for ((d, c), x) in floats(dy)
            .chunks_exact(ph * pw)
            .zip(state.codes.chunks_exact(ph * pw))
            .zip(dx.chunks_exact_mut(h * w))
        {
            relu_pool_plane_backward_on(isa, d, c, h, w, x, w);
        }
    }
    tensor(dx, &state.dims)
}

impl NativeOps for Flex {
    fn conv_relu_pool(x: FlexTensor, w: FlexTensor, b: FlexTensor) -> FlexTensor {
        conv_relu_pool_forward(&dense(x), &dense(w), &dense(b)).0
    }

    fn relu_pool(x: FlexTensor) -> FlexTensor {
        relu_pool_forward(&dense(x)).0
    }
}

#[derive(Debug)]
struct ConvReluPoolBackward;

impl Backward<Flex, 3> for ConvReluPoolBackward {
    type State = ConvReluPoolState;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = dense(grads.consume::<Flex>(&ops.node));
        let (dx, dw, db) = conv_relu_pool_backward(&ops.state, &dy, node_x.is_some());
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, dx);
        }
        if let Some(node) = node_w {
            grads.register::<Flex>(node.id, dw);
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, db);
        }
    }
}

#[derive(Debug)]
struct ReluPoolBackward;

impl Backward<Flex, 1> for ReluPoolBackward {
    type State = ReluPoolState;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let dy = dense(grads.consume::<Flex>(&ops.node));
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, relu_pool_backward(&ops.state, &dy));
        }
    }
}

impl<C: CheckpointStrategy> NativeOps for Autodiff<Flex, C> {
    fn conv_relu_pool(x: FloatTensor<Self>, w: FloatTensor<Self>, b: FloatTensor<Self>) -> FloatTensor<Self> {
        match ConvReluPoolBackward
            .prepare::<C>([x.node(), w.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, wp, bp) = (
                    dense(x.primitive().clone()),
                    dense(w.primitive().clone()),
                    dense(b.primitive().clone()),
                );
                let (out, codes) = conv_relu_pool_forward(&xp, &wp, &bp);
                let state = ConvReluPoolState {
                    x: xp,
                    w: wp,
                    codes: Arc::new(codes),
                };
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::conv_relu_pool(x.into_primitive(), w.into_primitive(), b.into_primitive())),
        }
    }

    fn relu_pool(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match ReluPoolBackward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let xp = dense(x.primitive().clone());
                let (out, codes) = relu_pool_forward(&xp);
                let state = ReluPoolState {
                    dims: dims(&xp),
                    codes: Arc::new(codes),
                };
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::relu_pool(x.into_primitive())),
        }
    }
}
