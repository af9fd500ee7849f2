//! Instruction counts (Callgrind through gungraun): a regression gate that machine noise cannot
//! move. `make icount` compares against the baseline committed in `bench-suite/icount/` and fails
//! when a count grows by more than 10%; `make icount-baseline` records a new one.
//!
//! Counted: the aggregation kernel (N = 16 deltas of lenet's 62,006 floats), the engine alone with
//! a no-work learner (abs, N = 100, 2,000 rounds), and one `lenet` job (U = 10 steps, batch 32,
//! synthetic 3x32x32 images, flex backend, in a one-thread rayon pool). Set-up (data, learner,
//! inputs) is not counted: only the named `icount_*` functions and what they call.

use std::hint::black_box;
use std::sync::Arc;

use abs_models::data::load;
use abs_models::{Arch, TrainOptions, burn_learner};
use abs_policies::PolicyName;
use abs_sim::catalog::{Backend, DataSource, Kernels, SyntheticShape, SyntheticSpec};
use abs_sim::doubles::{NoWork, engine_config};
use abs_sim::engine::{ComputeTimeSpec, EngineConfig, Granularity, JobTimes, simulate};
use abs_sim::{JobId, Learner, Partition, Seeds};
use gungraun::{Callgrind, EntryPoint, LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main};

/// Counts only inside functions whose name matches `glob`, on every thread (rayon's included).
fn counting(glob: &str) -> LibraryBenchmarkConfig {
    let mut config = LibraryBenchmarkConfig::default();
    config
        .tool(Callgrind::with_args(["--collect-atstart=no".to_string(), format!("--toggle-collect={glob}")]).entry_point(EntryPoint::None));
    config
}

fn kernel_input(n: usize) -> (Vec<f32>, Vec<Vec<f32>>) {
    let p = 62_006;
    let deltas = (0..n)
        .map(|i| (0..p).map(|j| ((i * 31 + j * 17) % 1000) as f32 * 1e-3).collect())
        .collect();
    (vec![0.5; p], deltas)
}

#[inline(never)]
fn icount_aggregate(w: &mut [f32], deltas: &[Vec<f32>]) {
    let ups: Vec<(f32, &[f32])> = deltas.iter().map(|d| (1.0 / deltas.len() as f32, d.as_slice())).collect();
    abs_policies::aggregate(w, &ups, 1.0);
}

#[library_benchmark(config = counting("*icount_aggregate*"))]
#[bench::n16_p62k(args = (16), setup = kernel_input)]
fn aggregate_kernel((mut w, deltas): (Vec<f32>, Vec<Vec<f32>>)) -> Vec<f32> {
    icount_aggregate(&mut w, black_box(&deltas));
    w
}

fn engine_input(workers: u32) -> (EngineConfig, JobTimes) {
    let cfg = engine_config(PolicyName::Abs, workers, 2_000);
    let times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, workers, &Seeds::new(1)).expect("job times");
    (cfg, times)
}

#[inline(never)]
fn icount_engine(cfg: &EngineConfig, times: &mut JobTimes) -> usize {
    simulate(cfg, &mut NoWork, times).expect("simulation").rounds.len()
}

#[library_benchmark(config = counting("*icount_engine*"))]
#[bench::abs_n100(args = (100), setup = engine_input)]
fn engine_no_work((cfg, mut times): (EngineConfig, JobTimes)) -> usize {
    icount_engine(black_box(&cfg), &mut times)
}

/// The lenet job runs in a one-thread rayon pool, so its count does not depend on the machine's
/// cores (burn-flex sizes its parallel work by the pool it runs in). The learner is built inside
/// that pool, outside the counted function.
fn lenet_input(batch: u32) -> (u32, rayon::ThreadPool) {
    (
        batch,
        rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool"),
    )
}

fn lenet_learner(batch: u32) -> (Box<dyn Learner>, Vec<f32>) {
    let spec = SyntheticSpec {
        shape: SyntheticShape::Cifar10,
        train_samples: 2000,
        test_samples: 100,
        seed: 0,
        signal_percent: 30,
    };
    let data = load(DataSource::Synthetic(spec), None).expect("synthetic data");
    let opts = TrainOptions {
        lr: 0.05,
        batch_size: batch,
        holders: abs_sim::population::Holders::Workers(1),
        partition: Partition::Iid,
        eval_samples: None,
        eval_batch: abs_models::burn_learner::EVAL_BATCH,
        replica_batching: false,
        kernels: Kernels::Native,
        holdout: abs_sim::validation::Holdout::Samples(0),
        evaluate_on: abs_sim::validation::EvalSplit::Test,
        clients: None,
    };
    let (device, _) = abs_models::backend::select(Backend::Flex).expect("flex");
    let mut learner = burn_learner(Arch::Lenet, Arc::clone(&data), opts, Seeds::new(0), device).expect("lenet");
    let w = learner.init();
    let mut delta = vec![0.0; w.len()];
    learner.train(&w, JobId { worker: 0, job: 0 }, 10, &mut delta); // warm-up: first-call costs
    (learner, w)
}

#[inline(never)]
fn icount_lenet_job(learner: &mut dyn Learner, w: &[f32], delta: &mut [f32]) -> f64 {
    learner.train(w, JobId { worker: 0, job: 1 }, 10, delta)
}

#[library_benchmark(config = counting("*icount_lenet_job*"))]
#[bench::u10_b32(args = (32), setup = lenet_input)]
fn lenet_train_job((batch, pool): (u32, rayon::ThreadPool)) -> f64 {
    pool.install(|| {
        let (mut learner, w) = lenet_learner(batch);
        let mut delta = vec![0.0; w.len()];
        icount_lenet_job(learner.as_mut(), black_box(&w), &mut delta)
    })
}

library_benchmark_group!(name = gate, benchmarks = [aggregate_kernel, engine_no_work, lenet_train_job]);
main!(library_benchmark_groups = gate);
