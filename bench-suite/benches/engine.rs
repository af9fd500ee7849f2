//! Rounds per second of the engine alone, with a learner that does no work.
//!
//! Run: `cargo bench -p abs-bench --bench engine`. Each iteration simulates `ROUNDS` rounds of
//! `abs` (K stays at k0 = 2 since the loss never moves) and of `k_async` with k = N/10, on
//! gamma_cvb job times; throughput is rounds.

use std::hint::black_box;

use abs_policies::PolicyName;
use abs_sim::Seeds;
use abs_sim::doubles::{NoWork, engine_config};
use abs_sim::engine::{ComputeTimeSpec, Granularity, JobTimes, simulate};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const ROUNDS: u64 = 20_000;

fn bench_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_no_work");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROUNDS));
    for name in [PolicyName::Abs, PolicyName::KAsync] {
        for n in [10u32, 100, 1000] {
            let cfg = engine_config(name, n, ROUNDS);
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

criterion_group! {
    name = benches;
    // criterion's HTML plots look for system fonts, which a fresh machine lacks (plotters panics with
    // FontUnavailable); the numbers, saved baselines and comparisons do not need them.
    config = Criterion::default().without_plots();
    targets = bench_engine
}
criterion_main!(benches);
