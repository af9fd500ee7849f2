//! Rounds per second of the engine alone, with a learner that does no work.
//!
//! Run: `cargo bench -p abs-bench --bench engine`. Each iteration simulates `ROUNDS` rounds of
//! `abs` (K stays at k0 = 2 since the loss never moves) and of `k_async` with k = N/10, on
//! gamma_cvb job times; throughput is rounds.

use std::hint::black_box;

use abs_bench::sim::{ComputeTimeSpec, EngineConfig, Eval, Granularity, JobId, JobTimes, KLoss, Learner, Seeds, simulate};
use abs_policies::{KRounding, Policy, PolicyName, PolicyParams, RestartWhen, SaForm, ThresholdForm};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const ROUNDS: u64 = 20_000;

/// Returns a zero delta and a constant loss: all that is left is the engine.
struct NoWork;

impl Learner for NoWork {
    fn dim(&self) -> usize {
        1
    }
    fn init(&mut self) -> Vec<f32> {
        vec![0.0]
    }
    fn train(&mut self, _base: &[f32], _job: JobId, _steps: u32, delta: &mut [f32]) -> f64 {
        delta[0] = 0.0;
        1.0
    }
    fn evaluate(&mut self, _params: &[f32]) -> Eval {
        Eval { loss: 1.0, accuracy: 0.0 }
    }
}

fn config(name: PolicyName, workers: u32) -> EngineConfig {
    let params = PolicyParams {
        workers,
        k: Some((workers / 10).max(1)),
        k0: 2.min(workers),
        k_exponent: 0.5,
        k_rounding: KRounding::Ceil,
        k_monotone: true,
        zeta: 1.0,
        threshold_form: ThresholdForm::NOverK,
        staleness_bound: None,
        sa_form: SaForm::Inv,
    };
    EngineConfig {
        workers,
        local_steps: 10,
        policy: Policy::resolve(name.knobs(), &params).expect("valid bench policy"),
        restart_when: RestartWhen::Greater,
        server_lr: 1.0,
        k_loss: KLoss::Reported,
        k_update_every: 1,
        eval_every: u64::MAX,
        max_rounds: ROUNDS,
        max_time: f64::INFINITY,
        target_accuracy: None,
        stop_at_target: false,
        upload_latency: 0.0,
        download_latency: 0.0,
    }
}

fn bench_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_no_work");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROUNDS));
    for name in [PolicyName::Abs, PolicyName::KAsync] {
        for n in [10u32, 100, 1000] {
            let cfg = config(name, n);
            group.bench_with_input(BenchmarkId::new(name.as_str(), n), &n, |b, &n| {
                b.iter(|| {
                    let seeds = Seeds::new(1);
                    let mut times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, n, &seeds).expect("times");
                    black_box(simulate(&cfg, &mut NoWork, &mut times).expect("sim").rounds.len())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
