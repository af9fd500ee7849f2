//! With the `wgpu` feature: training steps on wgpu (a GPU, or lavapipe on a CPU-only machine) give
//! the same parameters as on flex within 1e-4 relative. Run: `make test-wgpu` (with a Vulkan
//! driver: a GPU, or lavapipe, which it installs).
#![cfg(feature = "wgpu")]

use std::sync::Arc;

use abs_models::data::{Dataset, load};
use abs_models::{Arch, TrainOptions, burn_learner};
use abs_sim::catalog::{Backend, DataSource, Kernels, SyntheticSpec};
use abs_sim::{JobId, Partition, Seeds, TrainJob};
use burn::tensor::Device;

#[test]
fn auto_picks_a_real_gpu_or_says_it_fell_back() {
    let (_, described) = abs_models::backend::select(Backend::Auto).unwrap();
    assert!(
        described.starts_with("wgpu") || described.contains("auto: no GPU adapter found"),
        "{described}"
    );
}

/// The wgpu device; fails when there is no adapter, as the parity tests need one.
fn wgpu() -> Device {
    let (gpu, described) = abs_models::backend::select(Backend::Wgpu).unwrap();
    assert!(
        described.starts_with("wgpu"),
        "no wgpu adapter here (install mesa-vulkan-drivers for lavapipe): {described}"
    );
    gpu
}

fn small_cifar_like() -> Arc<Dataset> {
    load(
        DataSource::Synthetic(SyntheticSpec {
            train_samples: 256,
            test_samples: 64,
            ..SyntheticSpec::default()
        }),
        None,
    )
    .unwrap()
}

#[test]
fn training_steps_agree_between_flex_and_wgpu() {
    let gpu = wgpu();
    let data = small_cifar_like();
    let opts = TrainOptions {
        lr: 0.05,
        batch_size: 32,
        holders: abs_sim::population::Holders::Workers(2),
        partition: Partition::Iid,
        eval_samples: None,
        eval_batch: 64,
        replica_batching: false,
        kernels: Kernels::Burn,
        holdout: abs_sim::validation::Holdout::Samples(0),
        evaluate_on: abs_sim::validation::EvalSplit::Test,
        clients: None,
    };
    for arch in [Arch::Logreg, Arch::Lenet] {
        let (cpu, _) = abs_models::backend::select(Backend::Flex).unwrap();
        let mut on_cpu = burn_learner(arch, data.clone(), opts, Seeds::new(4), cpu).unwrap();
        let mut on_gpu = burn_learner(arch, data.clone(), opts, Seeds::new(4), gpu.clone()).unwrap();
        let w = on_cpu.init();
        assert_eq!(w, on_gpu.init(), "initial parameters come from the host");
        let (mut dc, mut dg) = (vec![0.0; w.len()], vec![0.0; w.len()]);
        let job = JobId { worker: 1, job: 2 };
        let lc = on_cpu.train(&w, job, 5, &mut dc);
        let lg = on_gpu.train(&w, job, 5, &mut dg);
        assert!((lc - lg).abs() <= 1e-4 * lc.abs(), "{}: loss {lc} vs {lg}", arch.name());
        let scale = w.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
        for (i, (a, b)) in dc.iter().zip(&dg).enumerate() {
            // parameters after the job, w + delta, agree within 1e-4 of the parameters' scale
            assert!(
                ((w[i] + a) - (w[i] + b)).abs() <= 1e-4 * scale,
                "{}: parameter {i}: {} vs {}",
                arch.name(),
                w[i] + a,
                w[i] + b
            );
        }
        let (ec, eg) = (on_cpu.evaluate(&w), on_gpu.evaluate(&w));
        assert!(
            (ec.loss - eg.loss).abs() <= 1e-4 * ec.loss,
            "{}: eval {ec:?} vs {eg:?}",
            arch.name()
        );
    }
}

/// Replica batching is meant for backends with good grouped kernels (GPUs): three lenet jobs
/// stacked on wgpu agree with the same jobs trained one by one on flex.
#[test]
fn stacked_jobs_on_wgpu_agree_with_flex_one_by_one() {
    let (gpu, data) = (wgpu(), small_cifar_like());
    let opts = |replica_batching| TrainOptions {
        lr: 0.05,
        batch_size: 16,
        holders: abs_sim::population::Holders::Workers(3),
        partition: Partition::Iid,
        eval_samples: None,
        eval_batch: 64,
        replica_batching,
        kernels: Kernels::Burn,
        holdout: abs_sim::validation::Holdout::Samples(0),
        evaluate_on: abs_sim::validation::EvalSplit::Test,
        clients: None,
    };
    let (cpu, _) = abs_models::backend::select(Backend::Flex).unwrap();
    let mut on_cpu = burn_learner(Arch::Lenet, data.clone(), opts(false), Seeds::new(6), cpu).unwrap();
    let mut on_gpu = burn_learner(Arch::Lenet, data, opts(true), Seeds::new(6), gpu).unwrap();
    let w = on_cpu.init();
    let bases: Vec<Vec<f32>> = (0..3).map(|r| w.iter().map(|v| v * (1.0 + 0.1 * r as f32)).collect()).collect();
    let jobs: Vec<TrainJob<'_>> = bases
        .iter()
        .enumerate()
        .map(|(r, b)| TrainJob {
            base: b,
            job: JobId { worker: r as u32, job: 1 },
        })
        .collect();
    let train = |l: &mut Box<dyn abs_sim::Learner>| {
        let mut deltas = vec![vec![0.0; w.len()]; 3];
        let mut losses = vec![0.0; 3];
        l.train_batch(&jobs, 3, &mut deltas, &mut losses);
        (deltas, losses)
    };
    let ((dc, lc), (dg, lg)) = (train(&mut on_cpu), train(&mut on_gpu));
    for r in 0..3 {
        assert!((lc[r] - lg[r]).abs() <= 1e-4 * lc[r].abs(), "job {r}: loss {} vs {}", lc[r], lg[r]);
        let scale = bases[r].iter().map(|v| v.abs()).fold(0.0f32, f32::max);
        let worst = dc[r].iter().zip(&dg[r]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst <= 1e-4 * scale, "job {r}: parameters differ by {worst} (scale {scale})");
    }
}
