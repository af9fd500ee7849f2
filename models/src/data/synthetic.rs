//! A learnable stand-in for image data, generated in process from a seed: each class has a random
//! prototype image; a sample is its class prototype blended with uniform noise. For tests and smoke
//! runs only; it is always reported as `synthetic`.

use abs_sim::catalog::SyntheticSpec;
use rand::RngExt;

use abs_sim::seeds::{Purpose, Seeds};

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
