//! The models (docs/semantics.md, "10. Data, partitions and local training"), sized by the data set's image shape.
//!
//! Parameters are visited in field declaration order, weight before bias, which fixes the order of
//! the flat parameter vector: `lenet` is conv1.w [6,C,5,5], conv1.b, conv2.w [16,6,5,5], conv2.b,
//! fc1.w [F,120], fc1.b, fc2.w [120,84], fc2.b, fc3.w [84,10], fc3.b (Burn stores a linear layer's
//! weight as [in, out], the transpose of PyTorch's).

use burn::backend::DispatchDevice;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use abs_sim::catalog::{Kernels, ModelName};

/// The image shape a model is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub classes: usize,
}

impl InputShape {
    /// The shape of `data`'s images and its class count.
    pub fn of(data: &crate::data::Dataset) -> Self {
        InputShape {
            channels: data.channels,
            height: data.height,
            width: data.width,
            classes: data.classes,
        }
    }
}

/// A classifier: images [B, C, H, W] to logits [B, classes].
pub trait Net: Module + 'static {
    fn forward(&self, x: Tensor<4>) -> Tensor<2>;
}

/// Which model to build (`model` in a run config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// Multinomial logistic regression on the raw pixels.
    Logreg,
    /// Two hidden layers of 200 units with ReLU.
    Mlp,
    /// conv C->6 5x5, pool, conv 6->16 5x5, pool, fc F->120->84->classes.
    Lenet,
    /// The paper's: conv C->64 5x5, pool, conv 64->64 5x5, pool, fc F->384->192->classes.
    Cnn,
}

impl Arch {
    pub const ALL: [Arch; 4] = [Arch::Logreg, Arch::Mlp, Arch::Lenet, Arch::Cnn];

    /// The architecture called `name` (as in a config's `model`).
    pub fn from_name(name: &str) -> Option<Arch> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The network a config's `model` names, or `None` for the analytic learner and an external one.
    pub fn of(model: ModelName) -> Option<Arch> {
        match model {
            ModelName::Analytic => None,
            ModelName::Logreg => Some(Arch::Logreg),
            ModelName::Mlp => Some(Arch::Mlp),
            ModelName::Lenet => Some(Arch::Lenet),
            ModelName::Cnn => Some(Arch::Cnn),
            ModelName::External => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::Logreg => "logreg",
            Arch::Mlp => "mlp",
            Arch::Lenet => "lenet",
            Arch::Cnn => "cnn",
        }
    }
}

/// One step of a model's forward pass, as the replica-batched trainer runs it. The parameterised
/// layers (`Conv`, `Linear`) appear in the same order as in the model's flat parameter vector, each
/// with its weight then its bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// Valid 2-D convolution, stride 1: weight [cout, cin, kernel, kernel], bias [cout].
    Conv {
        cin: usize,
        cout: usize,
        kernel: usize,
    },
    Relu,
    /// 2x2 max pooling, stride 2.
    Pool,
    /// Images to vectors (channel, row, column order).
    Flatten,
    /// Affine map: weight [inp, out] (Burn's layout), bias [out].
    Linear {
        inp: usize,
        out: usize,
    },
}

impl Layer {
    /// Parameter shapes of this layer (weight, bias), or none.
    pub fn param_shapes(self) -> Vec<Vec<usize>> {
        match self {
            Layer::Conv { cin, cout, kernel } => vec![vec![cout, cin, kernel, kernel], vec![cout]],
            Layer::Linear { inp, out } => vec![vec![inp, out], vec![out]],
            _ => Vec::new(),
        }
    }
}

impl Arch {
    /// The forward pass of this model as a list of layers, sized for `s`.
    pub fn layers(self, s: InputShape) -> Vec<Layer> {
        use Layer::*;
        let pixels = s.channels * s.height * s.width;
        let conv_net = |[c1, c2]: [usize; 2], [f1, f2]: [usize; 2]| {
            let flat = c2 * after_two_stages(s.height) * after_two_stages(s.width);
            vec![
                Conv {
                    cin: s.channels,
                    cout: c1,
                    kernel: 5,
                },
                Relu,
                Pool,
                Conv {
                    cin: c1,
                    cout: c2,
                    kernel: 5,
                },
                Relu,
                Pool,
                Flatten,
                Linear { inp: flat, out: f1 },
                Relu,
                Linear { inp: f1, out: f2 },
                Relu,
                Linear { inp: f2, out: s.classes },
            ]
        };
        match self {
            Arch::Logreg => vec![
                Flatten,
                Linear {
                    inp: pixels,
                    out: s.classes,
                },
            ],
            Arch::Mlp => vec![
                Flatten,
                Linear { inp: pixels, out: 200 },
                Relu,
                Linear { inp: 200, out: 200 },
                Relu,
                Linear { inp: 200, out: s.classes },
            ],
            Arch::Lenet => conv_net(LENET_CHANNELS, LENET_FC),
            Arch::Cnn => conv_net(CNN_CHANNELS, CNN_FC),
        }
    }
}

/// Multiply-add work of one sample, in FLOPs (a multiply-add counts two), as throughput figures
/// count it: the convolutions' and the fully connected layers' multiply-adds only (biases, ReLU,
/// pooling and the loss are a fraction of a percent of lenet's and cnn's work).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flops {
    /// The forward pass.
    pub forward: f64,
    /// A training step: the forward pass, every weight gradient (as much work as its layer's
    /// forward), and every input gradient but the first layer's (the images need none).
    pub train: f64,
}

impl Arch {
    /// The work of one sample of shape `s` (see [`Flops`]).
    pub fn flops(self, s: InputShape) -> Flops {
        let (mut h, mut w) = (s.height, s.width);
        let mut per_layer = Vec::new();
        for layer in self.layers(s) {
            match layer {
                Layer::Conv { cin, cout, kernel } => {
                    (h, w) = ((h + 1).saturating_sub(kernel), (w + 1).saturating_sub(kernel));
                    per_layer.push(2.0 * (cout * cin * kernel * kernel * h * w) as f64);
                }
                Layer::Pool => (h, w) = (h / 2, w / 2),
                Layer::Linear { inp, out } => per_layer.push(2.0 * (inp * out) as f64),
                Layer::Relu | Layer::Flatten => {}
            }
        }
        let forward: f64 = per_layer.iter().sum();
        let first = per_layer.first().copied().unwrap_or(0.0);
        Flops {
            forward,
            train: 3.0 * forward - first,
        }
    }
}

const LENET_CHANNELS: [usize; 2] = [6, 16];
const LENET_FC: [usize; 2] = [120, 84];
const CNN_CHANNELS: [usize; 2] = [64, 64];
const CNN_FC: [usize; 2] = [384, 192];

/// Side of the feature map after two (5x5 valid conv, 2x2 pool) stages.
fn after_two_stages(side: usize) -> usize {
    ((side.saturating_sub(4)) / 2).saturating_sub(4) / 2
}

pub(crate) fn pool() -> MaxPool2d {
    MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init()
}

#[derive(Module, Debug)]
pub struct Logreg {
    fc: Linear,
}

impl Logreg {
    pub fn new(s: InputShape, device: &Device) -> Self {
        Logreg {
            fc: LinearConfig::new(s.channels * s.height * s.width, s.classes).init(device),
        }
    }
}

impl Net for Logreg {
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.fc.forward(x.flatten(1, 3))
    }
}

#[derive(Module, Debug)]
pub struct Mlp {
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
}

impl Mlp {
    pub fn new(s: InputShape, device: &Device) -> Self {
        Mlp {
            fc1: LinearConfig::new(s.channels * s.height * s.width, 200).init(device),
            fc2: LinearConfig::new(200, 200).init(device),
            fc3: LinearConfig::new(200, s.classes).init(device),
        }
    }
}

impl Net for Mlp {
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = relu(self.fc1.forward(x.flatten(1, 3)));
        self.fc3.forward(relu(self.fc2.forward(x)))
    }
}

/// Two conv stages and three fully connected layers: `lenet` and `cnn` differ only in widths.
#[derive(Module, Debug)]
pub struct ConvNet {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
    /// Whether the conv -> ReLU -> pool stages run on the native kernels (flex only).
    #[module(skip)]
    native: bool,
}

impl ConvNet {
    /// `lenet`: 6 and 16 channels, fc 120 and 84.
    pub fn lenet(s: InputShape, device: &Device) -> Self {
        Self::with_widths(s, LENET_CHANNELS, LENET_FC, device)
    }

    /// `cnn` (the paper's): 64 and 64 channels, fc 384 and 192.
    pub fn cnn(s: InputShape, device: &Device) -> Self {
        Self::with_widths(s, CNN_CHANNELS, CNN_FC, device)
    }

    fn with_widths(s: InputShape, [c1, c2]: [usize; 2], [f1, f2]: [usize; 2], device: &Device) -> Self {
        let flat = c2 * after_two_stages(s.height) * after_two_stages(s.width);
        ConvNet {
            conv1: Conv2dConfig::new([s.channels, c1], [5, 5]).init(device),
            conv2: Conv2dConfig::new([c1, c2], [5, 5]).init(device),
            pool: pool(),
            fc1: LinearConfig::new(flat, f1).init(device),
            fc2: LinearConfig::new(f1, f2).init(device),
            fc3: LinearConfig::new(f2, s.classes).init(device),
            native: false,
        }
    }

    /// Runs the convolution stages on `kernels`: the native ones apply only where the model lives
    /// on the flex backend; elsewhere Burn's kernels run whatever is asked.
    pub fn with_kernels(mut self, kernels: Kernels) -> Self {
        self.native = kernels == Kernels::Native && is_flex(&self.conv1.weight.device());
        self
    }

    /// Whether the native kernels compute this model's convolution stages.
    pub fn runs_native(&self) -> bool {
        self.native
    }

    fn stage(&self, conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
        if self.native {
            let bias = conv.bias.as_ref().expect("the models' convolutions have a bias").val();
            crate::kernels::conv_relu_pool(x, conv.weight.val(), bias)
        } else {
            self.pool.forward(relu(conv.forward(x)))
        }
    }
}

/// Whether `device` is the flex CPU backend (with or without autodiff).
pub fn is_flex(device: &Device) -> bool {
    matches!(device.clone().without_autodiff().as_dispatch(), DispatchDevice::Flex(_))
}

impl Net for ConvNet {
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.stage(&self.conv1, x);
        let x = self.stage(&self.conv2, x);
        let x = relu(self.fc1.forward(x.flatten(1, 3)));
        self.fc3.forward(relu(self.fc2.forward(x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cnn on 3x32x32, counted by hand: conv1 3->64 on 28x28 outputs, conv2 64->64 on 10x10,
    /// fc 1600->384->192->10.
    #[test]
    fn flops_count_the_layers_multiply_adds() {
        let s = InputShape {
            channels: 3,
            height: 32,
            width: 32,
            classes: 10,
        };
        let conv1 = 2.0 * (64 * 3 * 25 * 28 * 28) as f64;
        let rest = 2.0 * (64 * 64 * 25 * 10 * 10 + 1600 * 384 + 384 * 192 + 192 * 10) as f64;
        let f = Arch::Cnn.flops(s);
        assert_eq!(f.forward, conv1 + rest);
        assert_eq!(f.train, 3.0 * conv1 + 3.0 * rest - conv1);
        assert_eq!(Arch::Logreg.flops(s).train, 2.0 * (3072 * 10) as f64 * 2.0);
    }

    /// The layer plan must list the parameters exactly as the Burn module visits them, or the
    /// batched trainer would read the flat vector in the wrong order.
    #[test]
    fn layer_plans_match_module_parameter_order() {
        let device = Device::flex();
        for s in [
            InputShape {
                channels: 1,
                height: 28,
                width: 28,
                classes: 10,
            },
            InputShape {
                channels: 3,
                height: 32,
                width: 32,
                classes: 10,
            },
        ] {
            let plan = |a: Arch| a.layers(s).into_iter().flat_map(Layer::param_shapes).collect::<Vec<_>>();
            assert_eq!(plan(Arch::Logreg), crate::flat::param_shapes(&Logreg::new(s, &device)));
            assert_eq!(plan(Arch::Mlp), crate::flat::param_shapes(&Mlp::new(s, &device)));
            assert_eq!(plan(Arch::Lenet), crate::flat::param_shapes(&ConvNet::lenet(s, &device)));
            assert_eq!(plan(Arch::Cnn), crate::flat::param_shapes(&ConvNet::cnn(s, &device)));
        }
    }

    #[test]
    fn arch_names_round_trip() {
        for a in Arch::ALL {
            assert_eq!(Arch::from_name(a.name()), Some(a));
        }
        assert_eq!(Arch::from_name("analytic"), None);
    }

    #[test]
    fn feature_map_sides() {
        assert_eq!(after_two_stages(32), 5);
        assert_eq!(after_two_stages(28), 4);
    }
}
