//! Rounds per second of the engine alone, with a learner that does no work.
//!
//! Run: `cargo bench -p abs-bench --bench engine`. Each iteration simulates `ROUNDS` rounds of
//! `abs` (K stays at k0 = 2 since the loss never moves) and of `k_async` with k = N/10, on
//! gamma_cvb job times; throughput is rounds. `population_engine` runs FedBuff (K = 10) on C =
//! 1,000 slots of a population of M = 10^4, 10^6 and 10^8 clients (diurnal availability, uniform
//! selection); throughput is jobs.

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

/// Rounds of the population runs: about 10 jobs each (FedBuff K = 10), 200,000 jobs an iteration.
const POPULATION_ROUNDS: u64 = 20_000;

/// FedBuff (K = 10) on C = 1,000 slots of a population of M clients present by the default
/// diurnal shape, with the no-work learner: a slot frees, a client is selected, its attributes and
/// job time drawn, its departure checked. Throughput is jobs (counted in one run beforehand).
fn bench_population(c: &mut Criterion) {
    use abs_policies::{Policy, PolicyParams};
    use abs_sim::doubles::population;
    const SLOTS: u32 = 1_000;
    let mut group = c.benchmark_group("population_engine");
    group.sample_size(10);
    for m in [10_000u64, 1_000_000, 100_000_000] {
        let params = PolicyParams {
            workers: SLOTS,
            k: Some(10),
            ..PolicyParams::default()
        };
        let cfg = abs_sim::engine::EngineConfig {
            population: Some(population(m, true, 1)),
            policy: Policy::resolve(PolicyName::Fedbuff.knobs(), &params).expect("fedbuff"),
            ..engine_config(PolicyName::Fedbuff, SLOTS, POPULATION_ROUNDS)
        };
        let run = || {
            let mut times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, SLOTS, &Seeds::new(1)).expect("times");
            simulate(&cfg, &mut NoWork, &mut times).expect("sim").jobs.len()
        };
        group.throughput(Throughput::Elements(run() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(m), &m, |b, _| b.iter(|| black_box(run())));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // criterion's HTML plots look for system fonts, which a fresh machine lacks (plotters panics with
    // FontUnavailable); the numbers, saved baselines and comparisons do not need them.
    config = Criterion::default().without_plots();
    targets = bench_engine, bench_population
}
criterion_main!(benches);
