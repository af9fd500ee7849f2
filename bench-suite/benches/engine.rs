//! Rounds per second of the engine alone, with a learner that does no work.
//!
//! Run: `cargo bench -p abs-bench --bench engine`. Each iteration simulates `ROUNDS` rounds of
//! `abs` (K stays at k0 = 2 since the loss never moves) and of `k_async` with k = N/10, on
//! gamma_cvb job times; throughput is rounds. `population_select` measures what a population adds
//! per job (abs_sim::population): a slot frees, a client idle and present (diurnal) is selected
//! uniformly, its attributes drawn, for M = 10^4, 10^6 and 10^8 clients and C = 1,000 slots;
//! throughput is jobs.

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

const JOBS: u64 = 100_000;

fn bench_population(c: &mut Criterion) {
    use abs_sim::population::{ClientDraws, ClientLaw, Clients, Diurnal, Selection, Selector};
    use abs_sim::seeds::Purpose;
    use std::collections::HashSet;
    let mut group = c.benchmark_group("population_select");
    group.sample_size(10);
    group.throughput(Throughput::Elements(JOBS));
    const SLOTS: usize = 1_000;
    for m in [10_000u64, 1_000_000, 100_000_000] {
        group.bench_with_input(BenchmarkId::from_parameter(m), &m, |b, &m| {
            b.iter(|| {
                let seeds = Seeds::new(1);
                let mut clients = Clients::new(&seeds, ClientLaw::default(), 100_000).expect("law");
                let away = ClientDraws::new(&seeds, Purpose::ClientAvailability);
                let diurnal = Diurnal::default();
                let mut selector = Selector::new(Selection::Uniform { max_tries: 1_000 }, m, &seeds);
                let mut slots: Vec<u64> = (0..SLOTS as u64).collect();
                let mut busy: HashSet<u64> = slots.iter().copied().collect();
                let mut speed = 0.0;
                for job in 0..JOBS {
                    let slot = (job as usize * 7_919) % SLOTS;
                    busy.remove(&slots[slot]);
                    let t = job as f64 * 0.01;
                    let picked = selector.select(|c| !busy.contains(&c) && diurnal.present(&away, c, clients.phase_h(c), t));
                    if let Some(c) = picked {
                        speed += clients.get(c).speed;
                        busy.insert(c);
                        slots[slot] = c;
                    }
                }
                black_box((speed, selector.misses))
            })
        });
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
