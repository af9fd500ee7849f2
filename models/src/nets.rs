//! The models of spec section 7, sized by the data set's image shape.
//!
//! Parameters are visited in field declaration order, weight before bias, which fixes the order of
//! the flat parameter vector: `lenet` is conv1.w [6,C,5,5], conv1.b, conv2.w [16,6,5,5], conv2.b,
//! fc1.w [F,120], fc1.b, fc2.w [120,84], fc2.b, fc3.w [84,10], fc3.b (Burn stores a linear layer's
//! weight as [in, out], the transpose of PyTorch's).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// The image shape a model is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub classes: usize,
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
    pub fn name(self) -> &'static str {
        match self {
            Arch::Logreg => "logreg",
            Arch::Mlp => "mlp",
            Arch::Lenet => "lenet",
            Arch::Cnn => "cnn",
        }
    }
}

/// Side of the feature map after two (5x5 valid conv, 2x2 pool) stages.
fn after_two_stages(side: usize) -> usize {
    ((side.saturating_sub(4)) / 2).saturating_sub(4) / 2
}

fn pool() -> MaxPool2d {
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
}

impl ConvNet {
    /// `lenet`: 6 and 16 channels, fc 120 and 84.
    pub fn lenet(s: InputShape, device: &Device) -> Self {
        Self::with_widths(s, [6, 16], [120, 84], device)
    }

    /// `cnn` (the paper's): 64 and 64 channels, fc 384 and 192.
    pub fn cnn(s: InputShape, device: &Device) -> Self {
        Self::with_widths(s, [64, 64], [384, 192], device)
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
        }
    }
}

impl Net for ConvNet {
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(relu(self.conv1.forward(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        let x = relu(self.fc1.forward(x.flatten(1, 3)));
        self.fc3.forward(relu(self.fc2.forward(x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_map_sides() {
        assert_eq!(after_two_stages(32), 5);
        assert_eq!(after_two_stages(28), 4);
    }
}
