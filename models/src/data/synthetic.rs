//! A learnable stand-in for image data, generated in process from a seed: each class has a random
//! prototype image; a sample is its class prototype blended with uniform noise. For tests and smoke
//! runs only; it is always reported as `synthetic`.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::seeds::{Purpose, Seeds};

/// Which real data set's shape to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SyntheticShape {
    /// 3 x 32 x 32, like CIFAR-10.
    #[default]
    Cifar10,
    /// 1 x 28 x 28, like MNIST.
    Mnist,
}

impl SyntheticShape {
    pub fn dims(self) -> (usize, usize, usize) {
        match self {
            SyntheticShape::Cifar10 => (3, 32, 32),
            SyntheticShape::Mnist => (1, 28, 28),
        }
    }
}

/// The synthetic data set's size and seed (`synthetic: {shape, train_samples, test_samples, seed}`).
/// Its seed is separate from the run's, so runs with different seeds share one data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticSpec {
    pub shape: SyntheticShape,
    pub train_samples: u32,
    pub test_samples: u32,
    pub seed: u64,
    /// Weight of the class prototype against the noise, in percent (0..=100).
    pub signal_percent: u8,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            shape: SyntheticShape::Cifar10,
            train_samples: 10_000,
            test_samples: 2_000,
            seed: 0,
            signal_percent: 50,
        }
    }
}

pub const CLASSES: u8 = 10;

/// (train pixels, train labels, test pixels, test labels), channel-major like CIFAR-10.
pub fn generate(spec: &SyntheticSpec) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    let (c, h, w) = spec.shape.dims();
    let size = c * h * w;
    let seeds = Seeds::new(spec.seed);
    let protos: Vec<Vec<u8>> = (0..CLASSES)
        .map(|k| {
            let mut rng = seeds.stream(Purpose::DataGeneration, 100 + u64::from(k), 0);
            (0..size).map(|_| rng.random::<u8>()).collect()
        })
        .collect();
    let signal = f32::from(spec.signal_percent.min(100)) / 100.0;
    let draw = |n: u32, stream: u64| {
        let mut rng = seeds.stream(Purpose::DataGeneration, stream, 0);
        let mut pixels = Vec::with_capacity(n as usize * size);
        let mut labels = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let k = rng.random_range(0..CLASSES);
            labels.push(k);
            for &p in &protos[k as usize] {
                let noise = f32::from(rng.random::<u8>());
                pixels.push((signal * f32::from(p) + (1.0 - signal) * noise).round() as u8);
            }
        }
        (pixels, labels)
    };
    let (train_x, train_y) = draw(spec.train_samples, 1);
    let (test_x, test_y) = draw(spec.test_samples, 2);
    (train_x, train_y, test_x, test_y)
}
