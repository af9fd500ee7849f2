//! The Burn learner against arithmetic it must agree with: finite differences, exact round trips,
//! bit-identical reruns across thread counts, and learning well above chance.

use super::*;
use crate::data::load;
use crate::flat::{load_flat, to_flat};
use crate::nets::ConvNet;
use abs_sim::catalog::Kernels;
use abs_sim::catalog::{DataSource, SyntheticShape, SyntheticSpec};

fn mnist_like(train: u32) -> Arc<Dataset> {
    load(
        DataSource::Synthetic(SyntheticSpec {
            shape: SyntheticShape::Mnist,
            train_samples: train,
            test_samples: 300,
            seed: 5,
            signal_percent: 30,
        }),
        None,
    )
    .unwrap()
}

fn cifar_like(train: u32, test: u32) -> Arc<Dataset> {
    load(
        DataSource::Synthetic(SyntheticSpec {
            train_samples: train,
            test_samples: test,
            ..SyntheticSpec::default()
        }),
        None,
    )
    .unwrap()
}

fn opts(lr: f64, batch: u32, workers: u32) -> TrainOptions {
    TrainOptions {
        lr,
        batch_size: batch,
        holders: abs_sim::population::Holders::Workers(workers),
        partition: Partition::Iid,
        eval_samples: None,
        eval_batch: 128,
        replica_batching: false,
        kernels: Kernels::default(),
        holdout: abs_sim::validation::Holdout::Samples(0),
        evaluate_on: abs_sim::validation::EvalSplit::Test,
        clients: None,
    }
}

/// Checks the gradient implied by one SGD step (`-delta / lr`) against central differences of the
/// mini-batch loss the learner reports at the base point, on the coordinates with the largest gradient.
fn gradient_check(arch: Arch, eps: f32) {
    let data = mnist_like(400);
    let lr = 1e-3;
    let mut l = burn_learner(arch, data, opts(lr, 16, 1), Seeds::new(2), Device::flex()).unwrap();
    let w = l.init();
    let job = JobId { worker: 0, job: 3 };
    let mut delta = vec![0.0; w.len()];
    l.train(&w, job, 1, &mut delta);
    let grad: Vec<f64> = delta.iter().map(|d| -f64::from(*d) / lr).collect();
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_by(|&a, &b| grad[b].abs().total_cmp(&grad[a].abs()));
    let mut scratch = vec![0.0; w.len()];
    for &i in order.iter().take(12) {
        let mut plus = w.clone();
        plus[i] += eps;
        let mut minus = w.clone();
        minus[i] -= eps;
        let lp = l.train(&plus, job, 1, &mut scratch);
        let lm = l.train(&minus, job, 1, &mut scratch);
        let fd = (lp - lm) / (f64::from(plus[i]) - f64::from(minus[i]));
        let err = (fd - grad[i]).abs();
        assert!(
            err <= 0.03 * grad[i].abs() + 2e-4,
            "{}: coordinate {i}: finite difference {fd} vs gradient {}",
            arch.name(),
            grad[i]
        );
    }
}

#[test]
fn logreg_gradient_matches_finite_differences() {
    gradient_check(Arch::Logreg, 1e-2);
}

#[test]
fn mlp_gradient_matches_finite_differences() {
    gradient_check(Arch::Mlp, 2e-3);
}

#[test]
fn flat_round_trip_is_exact() {
    let device = Device::flex().autodiff();
    let shape = InputShape {
        channels: 3,
        height: 32,
        width: 32,
        classes: 10,
    };
    let model = ConvNet::lenet(shape, &device);
    let shapes = param_shapes(&model);
    let n: usize = shapes.iter().map(|s| s.iter().product::<usize>()).sum();
    assert_eq!(n, 62_006, "lenet on 3x32x32 has PyTorch's parameter count");
    let w = host_init(&shapes, &mut Seeds::new(1).stream(Purpose::ModelInit, 0, 0));
    let back = to_flat(&load_flat(model, &w, &device));
    assert_eq!(
        back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        w.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn a_job_is_bit_identical_across_runs_and_thread_counts() {
    let data = cifar_like(256, 64);
    let job = JobId { worker: 1, job: 4 };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut l = burn_learner(Arch::Lenet, Arc::clone(&data), opts(0.05, 32, 2), Seeds::new(9), Device::flex()).unwrap();
            let w = l.init();
            let mut delta = vec![0.0; w.len()];
            let loss = l.train(&w, job, 3, &mut delta);
            (loss.to_bits(), delta.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
        })
    };
    let one = run(1);
    assert_eq!(one, run(1), "same seed, same job, same bits");
    assert_eq!(one, run(2), "thread count must not change the bits");
    assert!(one.1.iter().any(|&b| b != 0), "the job did train");
}

#[test]
fn lenet_learns_synthetic_data_far_above_chance() {
    let data = cifar_like(2000, 500);
    let mut l = burn_learner(Arch::Lenet, data, opts(0.05, 32, 1), Seeds::new(3), Device::flex()).unwrap();
    let mut w = l.init();
    let before = l.evaluate(&w);
    let mut delta = vec![0.0; w.len()];
    for job in 0..30 {
        l.train(&w.clone(), JobId { worker: 0, job }, 10, &mut delta);
        w.iter_mut().zip(&delta).for_each(|(a, d)| *a += d);
    }
    let after = l.evaluate(&w);
    assert!(before.accuracy < 0.25, "untrained accuracy {}", before.accuracy);
    assert!(after.accuracy > 0.6, "after 300 steps: {after:?}");
    assert!(after.loss < before.loss);
}

#[test]
fn eval_subset_is_seeded_and_sized() {
    let data = mnist_like(100);
    let mut o = opts(0.1, 8, 2);
    o.eval_samples = Some(50);
    let shape = InputShape {
        channels: 1,
        height: 28,
        width: 28,
        classes: 10,
    };
    let make = |data| BurnLearner::new(|d| Logreg::new(shape, d), data, o, Seeds::new(1), Device::flex()).unwrap();
    let (a, b) = (make(Arc::clone(&data)), make(data));
    assert_eq!(a.eval_indices.len(), 50);
    assert_eq!(a.eval_indices, b.eval_indices);
    assert_eq!(a.shard_sizes(), vec![50, 50]);
}

/// A validation split is held out of the shards and, with `evaluate_on: validation`, is what an
/// evaluation measures: its subset is drawn from the held-out training samples, never the test set.
#[test]
fn a_validation_split_is_held_out_and_evaluated_on_request() {
    let data = mnist_like(400);
    let shape = InputShape {
        channels: 1,
        height: 28,
        width: 28,
        classes: 10,
    };
    let make = |holdout, evaluate_on, eval_samples| {
        let mut o = opts(0.1, 8, 4);
        (o.holdout, o.evaluate_on, o.eval_samples) = (holdout, evaluate_on, eval_samples);
        BurnLearner::new(|d| Logreg::new(shape, d), Arc::clone(&data), o, Seeds::new(1), Device::flex()).unwrap()
    };
    let held = abs_sim::validation::held_out(400, 100).unwrap();
    let test = make(Holdout::Samples(100), EvalSplit::Test, None);
    assert_eq!(test.shard_sizes(), vec![75; 4], "300 kept samples in 4 shards");
    assert_eq!(test.eval_indices.len(), 300, "the whole test set");
    let validation = make(Holdout::Share(0.25), EvalSplit::Validation, None);
    assert_eq!(validation.eval_indices, held, "a quarter of 400 is the same 100 held out");
    let subset = make(Holdout::Samples(100), EvalSplit::Validation, Some(30));
    assert_eq!(subset.eval_indices.len(), 30);
    assert!(subset.eval_indices.iter().all(|i| held.binary_search(i).is_ok()));
    // the same weights measured on the two splits
    let (mut t, mut v) = (test, validation);
    let w = t.init();
    assert_ne!(t.evaluate(&w), v.evaluate(&w));
    let mut o = opts(0.1, 8, 4);
    o.holdout = Holdout::Samples(400);
    assert!(BurnLearner::new(|d| Logreg::new(shape, d), Arc::clone(&data), o, Seeds::new(1), Device::flex()).is_err());
}

#[test]
fn default_options_are_the_run_config_defaults() {
    let cfg = abs_sim::config::RunConfig::resolve(abs_sim::config::RawConfig::default(), "defaults").unwrap();
    let o = TrainOptions::default();
    assert_eq!(
        (o.lr, o.batch_size, o.holders, o.partition, o.replica_batching, Some(o.kernels)),
        (
            cfg.lr,
            cfg.batch_size,
            cfg.holders(),
            cfg.partition,
            cfg.replica_batching,
            cfg.kernels
        )
    );
}
