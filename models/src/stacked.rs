//! Replica batching: the jobs delivered in one round, trained in lockstep as one computation.
//!
//! K replicas of one model keep their parameters stacked along a leading replica axis: a
//! convolution becomes one grouped convolution (groups = K, activations laid out [B, K*C, H, W]),
//! a linear layer one batched matmul ([K, B, in] x [K, in, out]). The loss is the sum of the
//! replicas' mean mini-batch losses, so each replica's gradient is exactly its own (the replicas
//! share no parameter); one backward pass serves all of them. Per-op overhead, not arithmetic,
//! dominates a batch-32 step of a small model, and this pays it once per round instead of K times.
//!
//! The result equals training the jobs one by one up to floating-point summation order (tested
//! within a stated tolerance in `burn_learner_tests.rs`); it is bit-identical across runs and
//! thread counts on its own.

use burn::nn::pool::MaxPool2d;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::nets::{InputShape, Layer, pool};

/// The stacked parameters of one layer.
enum Stack {
    /// weight [K*cout, cin, k, k], bias [K*cout].
    Conv { w: Tensor<4>, b: Tensor<1> },
    /// weight [K, in, out], bias [K, 1, out].
    Linear { w: Tensor<3>, b: Tensor<3> },
}

/// Activations between layers.
enum Act {
    /// [B, K*C, H, W]: replica k's channels are k*C..(k+1)*C.
    Maps(Tensor<4>),
    /// [K, B, F].
    Rows(Tensor<3>),
}

/// K replicas of a model described by `plan`, stacked on one device.
pub(crate) struct StackedReplicas<'a> {
    plan: &'a [Layer],
    shape: InputShape,
    k: usize,
    params: Vec<Stack>,
    pool: MaxPool2d,
    device: Device,
}

/// Whether the first layer sees images (grouped-conv layout) rather than rows.
pub(crate) fn starts_with_conv(plan: &[Layer]) -> bool {
    matches!(plan.first(), Some(Layer::Conv { .. }))
}

/// Appends image `img` (C*H*W values) of replica `r` to the host input of one lockstep step.
///
/// The input is [B, K*C, H, W] for a plan that starts with a convolution and [K, B, C*H*W]
/// otherwise; callers push images in replica-major order (all of replica 0's batch, then 1's, ...)
/// into `x` with this function, which places them where the layout needs them.
pub(crate) fn place_image(x: &mut [f32], img: &[f32], r: usize, b: usize, k: usize, batch: usize, conv_first: bool) {
    let n = img.len();
    let at = if conv_first { (b * k + r) * n } else { (r * batch + b) * n };
    x[at..at + n].copy_from_slice(img);
}

fn gather_blocks(bases: &[&[f32]], off: usize, len: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(bases.len() * len);
    for b in bases {
        v.extend_from_slice(&b[off..off + len]);
    }
    v
}

fn leaf<const D: usize>(data: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::<D>::from_data(TensorData::new(data, shape), device).require_grad()
}

impl<'a> StackedReplicas<'a> {
    /// Stacks the replicas whose flat parameters are `bases` (each in the model's flat order).
    pub(crate) fn new(plan: &'a [Layer], shape: InputShape, bases: &[&[f32]], device: &Device) -> Self {
        let k = bases.len();
        let mut off = 0;
        let mut params = Vec::new();
        for layer in plan {
            match *layer {
                Layer::Conv { cin, cout, kernel } => {
                    let wl = cout * cin * kernel * kernel;
                    let w = leaf(gather_blocks(bases, off, wl), [k * cout, cin, kernel, kernel], device);
                    let b = leaf(gather_blocks(bases, off + wl, cout), [k * cout], device);
                    off += wl + cout;
                    params.push(Stack::Conv { w, b });
                }
                Layer::Linear { inp, out } => {
                    let wl = inp * out;
                    let w = leaf(gather_blocks(bases, off, wl), [k, inp, out], device);
                    let b = leaf(gather_blocks(bases, off + wl, out), [k, 1, out], device);
                    off += wl + out;
                    params.push(Stack::Linear { w, b });
                }
                _ => {}
            }
        }
        assert!(
            bases.iter().all(|b| b.len() == off),
            "flat vector length differs from the model's parameter count"
        );
        StackedReplicas {
            plan,
            shape,
            k,
            params,
            pool: pool(),
            device: device.clone(),
        }
    }

    /// Logits [K, B, classes] for the host input `x` (laid out as [`place_image`] describes).
    fn forward(&self, x: Vec<f32>, batch: usize) -> Tensor<3> {
        let s = self.shape;
        let k = self.k;
        let mut act = if starts_with_conv(self.plan) {
            Act::Maps(Tensor::<4>::from_data(
                TensorData::new(x, [batch, k * s.channels, s.height, s.width]),
                &self.device,
            ))
        } else {
            Act::Rows(Tensor::<3>::from_data(
                TensorData::new(x, [k, batch, s.channels * s.height * s.width]),
                &self.device,
            ))
        };
        let mut params = self.params.iter();
        for layer in self.plan {
            act = match (*layer, act) {
                (Layer::Conv { .. }, Act::Maps(x)) => {
                    let Some(Stack::Conv { w, b }) = params.next() else {
                        unreachable!("plan and stacked parameters agree")
                    };
                    let opts = ConvOptions::new([1, 1], [0, 0], [1, 1], k);
                    Act::Maps(conv2d(x, w.clone(), Some(b.clone()), opts))
                }
                (Layer::Relu, Act::Maps(x)) => Act::Maps(relu(x)),
                (Layer::Relu, Act::Rows(x)) => Act::Rows(relu(x)),
                (Layer::Pool, Act::Maps(x)) => Act::Maps(self.pool.forward(x)),
                (Layer::Flatten, Act::Maps(x)) => {
                    let [b, kc, h, w] = x.dims();
                    Act::Rows(x.reshape([b, k, kc / k * h * w]).swap_dims(0, 1))
                }
                (Layer::Flatten, rows @ Act::Rows(_)) => rows,
                (Layer::Linear { .. }, Act::Rows(x)) => {
                    let Some(Stack::Linear { w, b }) = params.next() else {
                        unreachable!("plan and stacked parameters agree")
                    };
                    Act::Rows(x.matmul(w.clone()) + b.clone())
                }
                (layer, _) => unreachable!("layer {layer:?} does not fit the activations of the plan"),
            };
        }
        match act {
            Act::Rows(logits) => logits,
            Act::Maps(_) => unreachable!("a plan ends with a linear layer"),
        }
    }

    /// One SGD step of every replica on its own mini-batch; returns each replica's mean loss
    /// ([K, 1, 1], no autodiff). `y` holds the labels replica-major ([K, B]).
    pub(crate) fn step(&mut self, x: Vec<f32>, y: Vec<i64>, batch: usize, lr: f64) -> Tensor<3> {
        let k = self.k;
        #[cfg(test)]
        tests::STACKED_STEPS.with(|c| c.set(c.get() + 1));
        let logits = self.forward(x, batch);
        let y = Tensor::<3, Int>::from_data(TensorData::new(y, [k, batch, 1]), &self.device);
        let per_replica = log_softmax(logits, 2).gather(2, y).mean_dim(1).neg();
        let grads = per_replica.clone().sum().backward();
        for p in &mut self.params {
            match p {
                Stack::Conv { w, b } => {
                    *w = sgd(w, &grads, lr);
                    *b = sgd(b, &grads, lr);
                }
                Stack::Linear { w, b } => {
                    *w = sgd(w, &grads, lr);
                    *b = sgd(b, &grads, lr);
                }
            }
        }
        per_replica.inner()
    }

    /// Writes replica r's `w - base_r` into `deltas[r]` (one read-back from the device).
    pub(crate) fn write_deltas(&self, bases: &[&[f32]], deltas: &mut [Vec<f32>]) {
        let flat: Vec<Tensor<1>> = self
            .params
            .iter()
            .flat_map(|p| match p {
                Stack::Conv { w, b } => [flatten(w.clone()), flatten(b.clone())],
                Stack::Linear { w, b } => [flatten(w.clone()), flatten(b.clone())],
            })
            .collect();
        let host = Tensor::cat(flat, 0).into_data().try_into_vec::<f32>().expect("parameters are f32");
        // host holds, per parameter tensor, K blocks of that tensor's per-replica size
        let sizes = self.plan.iter().flat_map(|l| l.param_shapes()).map(|s| s.iter().product::<usize>());
        let (mut src, mut dst) = (0usize, 0usize);
        for n in sizes {
            for (r, (d, base)) in deltas.iter_mut().zip(bases).enumerate() {
                let block = &host[src + r * n..src + (r + 1) * n];
                for ((o, a), b) in d[dst..dst + n].iter_mut().zip(block).zip(&base[dst..dst + n]) {
                    *o = a - b;
                }
            }
            src += self.k * n;
            dst += n;
        }
    }
}

fn flatten<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.inner().reshape([n])
}

/// Plain SGD (no momentum, no decay), as Burn's optimizer applies it: a fresh gradient leaf.
fn sgd<const D: usize>(w: &Tensor<D>, grads: &burn::tensor::Gradients, lr: f64) -> Tensor<D> {
    let g = w.grad(grads).expect("every stacked parameter takes part in the loss");
    (w.clone().inner() - g.mul_scalar(lr)).autodiff().require_grad()
}

#[cfg(test)]
#[path = "stacked_tests.rs"]
mod tests;
