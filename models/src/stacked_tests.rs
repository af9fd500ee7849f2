//! Replica batching against one-by-one training: same data draws, same arithmetic up to summation
//! order, replicas independent of their companions, bits stable across thread counts.

use std::cell::Cell;
use std::sync::Arc;

use burn::tensor::Device;

use crate::data::{Dataset, load};
use crate::{Arch, TrainOptions, burn_learner};
use abs_sim::catalog::Kernels;
use abs_sim::catalog::{DataSource, SyntheticShape, SyntheticSpec};
use abs_sim::learner::{JobId, Learner, TrainJob};
use abs_sim::{Partition, Seeds};

/// Largest |stacked - one-by-one| over a job's delta, relative to the largest |delta|: the stated
/// tolerance of replica batching after a few SGD steps.
const TOLERANCE: f32 = 1e-5;

thread_local! {
    /// Lockstep steps run on this thread, so a test can tell the stacked path really ran.
    pub(super) static STACKED_STEPS: Cell<u64> = const { Cell::new(0) };
}

fn stacked_steps() -> u64 {
    STACKED_STEPS.with(Cell::get)
}

fn data(shape: SyntheticShape) -> Arc<Dataset> {
    load(
        DataSource::Synthetic(SyntheticSpec {
            shape,
            train_samples: 300,
            test_samples: 50,
            seed: 7,
            signal_percent: 30,
        }),
        None,
    )
    .unwrap()
}

fn learner(arch: Arch, data: &Arc<Dataset>, batching: bool) -> Box<dyn Learner> {
    let opts = TrainOptions {
        lr: 0.05,
        batch_size: 8,
        holders: abs_sim::population::Holders::Workers(4),
        partition: Partition::Iid,
        eval_samples: None,
        eval_batch: 64,
        replica_batching: batching,
        // stacking is compared with Burn's own one-by-one kernels
        kernels: Kernels::Burn,
        holdout: abs_sim::validation::Holdout::Samples(0),
        evaluate_on: abs_sim::validation::EvalSplit::Test,
        clients: None,
    };
    burn_learner(arch, Arc::clone(data), opts, Seeds::new(11), Device::flex()).unwrap()
}

/// Three bases that differ (as stale replicas do) and three jobs of different workers.
fn bases(l: &mut dyn Learner, n: usize) -> Vec<Vec<f32>> {
    let w = l.init();
    (0..n)
        .map(|r| {
            w.iter()
                .enumerate()
                .map(|(i, v)| v * (1.0 + 0.05 * r as f32) + 1e-3 * ((i + r) % 7) as f32)
                .collect()
        })
        .collect()
}

fn job(r: usize) -> JobId {
    JobId {
        worker: r as u32 % 4,
        job: 5 + r as u64,
    }
}

fn train(l: &mut dyn Learner, bases: &[Vec<f32>], steps: u32) -> (Vec<Vec<f32>>, Vec<f64>) {
    let jobs: Vec<TrainJob<'_>> = bases.iter().enumerate().map(|(r, b)| TrainJob { base: b, job: job(r) }).collect();
    let mut deltas = vec![vec![0.0; l.dim()]; bases.len()];
    let mut losses = vec![0.0; bases.len()];
    l.train_batch(&jobs, steps, &mut deltas, &mut losses);
    (deltas, losses)
}

fn bits(d: &[Vec<f32>]) -> Vec<Vec<u32>> {
    d.iter().map(|v| v.iter().map(|x| x.to_bits()).collect()).collect()
}

fn agrees_with_one_by_one(arch: Arch, shape: SyntheticShape) {
    let data = data(shape);
    let mut single = learner(arch, &data, false);
    let mut stacked = learner(arch, &data, true);
    let bases = bases(single.as_mut(), 3);
    let before = stacked_steps();
    let (want, want_loss) = train(single.as_mut(), &bases, 3);
    assert_eq!(stacked_steps(), before, "one by one without the option");
    let (got, got_loss) = train(stacked.as_mut(), &bases, 3);
    assert_eq!(stacked_steps(), before + 3, "{}: three lockstep steps", arch.name());
    let mut worst = 0.0f32;
    for (r, (w, g)) in want.iter().zip(&got).enumerate() {
        let scale = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let err = w.iter().zip(g).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(scale > 0.0, "{}: job {r} trained", arch.name());
        assert!(
            err <= TOLERANCE * scale,
            "{}: job {r}: max difference {err} vs largest delta {scale}",
            arch.name()
        );
        worst = worst.max(err / scale);
        let rel = (want_loss[r] - got_loss[r]).abs() / want_loss[r].abs();
        assert!(rel <= 1e-5, "{}: job {r}: loss {} vs {}", arch.name(), got_loss[r], want_loss[r]);
    }
    eprintln!("{} {shape:?}: worst relative difference {worst:e}", arch.name());
}

#[test]
fn stacked_logreg_matches_one_by_one() {
    agrees_with_one_by_one(Arch::Logreg, SyntheticShape::Mnist);
}

#[test]
fn stacked_mlp_matches_one_by_one() {
    agrees_with_one_by_one(Arch::Mlp, SyntheticShape::Mnist);
}

#[test]
fn stacked_lenet_matches_one_by_one() {
    agrees_with_one_by_one(Arch::Lenet, SyntheticShape::Mnist);
    agrees_with_one_by_one(Arch::Lenet, SyntheticShape::Cifar10);
}

#[test]
fn stacked_cnn_matches_one_by_one() {
    agrees_with_one_by_one(Arch::Cnn, SyntheticShape::Cifar10);
}

#[test]
fn a_replica_does_not_depend_on_its_companions() {
    let data = data(SyntheticShape::Mnist);
    let mut l = learner(Arch::Lenet, &data, true);
    let mut b = bases(l.as_mut(), 3);
    let (first, _) = train(l.as_mut(), &b, 2);
    b[1].iter_mut().for_each(|v| *v = -*v);
    let (second, _) = train(l.as_mut(), &b, 2);
    assert_eq!(bits(&first[..1]), bits(&second[..1]), "replica 0 unchanged");
    assert_eq!(bits(&first[2..]), bits(&second[2..]), "replica 2 unchanged");
    assert_ne!(bits(&first[1..2]), bits(&second[1..2]), "replica 1 changed");
}

#[test]
fn stacked_bits_do_not_depend_on_thread_count() {
    let data = data(SyntheticShape::Cifar10);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut l = learner(Arch::Lenet, &data, true);
            let b = bases(l.as_mut(), 4);
            let (d, losses) = train(l.as_mut(), &b, 2);
            (bits(&d), losses.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
        })
    };
    let one = run(1);
    assert_eq!(one, run(1));
    assert_eq!(one, run(2));
}

#[test]
fn a_single_job_takes_the_one_by_one_path() {
    let data = data(SyntheticShape::Mnist);
    let mut single = learner(Arch::Lenet, &data, false);
    let mut stacked = learner(Arch::Lenet, &data, true);
    let b = bases(single.as_mut(), 1);
    let before = stacked_steps();
    assert_eq!(bits(&train(single.as_mut(), &b, 2).0), bits(&train(stacked.as_mut(), &b, 2).0));
    assert_eq!(stacked_steps(), before);
}
