//! With the `wgpu` feature: training steps on wgpu (a GPU, or lavapipe on a CPU-only machine) give
//! the same parameters as on flex within 1e-4 relative. Run: `cargo test -p abs-models --features wgpu`.
#![cfg(feature = "wgpu")]

use abs_models::data::{DataSource, SyntheticSpec, load};
use abs_models::{Arch, Backend, JobId, Partition, Seeds, TrainOptions, burn_learner};

#[test]
fn auto_picks_a_real_gpu_or_says_it_fell_back() {
    let (_, described) = abs_models::backend::select(Backend::Auto).unwrap();
    assert!(
        described.starts_with("wgpu") || described.contains("auto: no GPU adapter found"),
        "{described}"
    );
}

#[test]
fn training_steps_agree_between_flex_and_wgpu() {
    let (gpu, described) = abs_models::backend::select(Backend::Wgpu).unwrap();
    assert!(
        described.starts_with("wgpu"),
        "no wgpu adapter here (install mesa-vulkan-drivers for lavapipe): {described}"
    );
    let data = load(
        DataSource::Synthetic(SyntheticSpec {
            train_samples: 256,
            test_samples: 64,
            ..SyntheticSpec::default()
        }),
        None,
    )
    .unwrap();
    let opts = TrainOptions {
        lr: 0.05,
        batch_size: 32,
        workers: 2,
        partition: Partition::Iid,
        eval_samples: None,
        eval_batch: 64,
        replica_batching: false,
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
