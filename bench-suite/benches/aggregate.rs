//! Bandwidth of the aggregation kernel `w += sum a_n delta_n` against a plain copy of the same bytes.
//!
//! Run: `cargo bench -p abs-bench --bench aggregate`. Throughput is the bytes of deltas read per
//! call (N x P x 4); the `copy` baseline moves those same bytes with `copy_from_slice`.

use std::hint::black_box;

use abs_policies::{aggregate, aggregate_naive};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// lenet's 62,006 parameters and a CNN-sized 1.07M.
const SIZES: [usize; 2] = [62_006, 1_070_000];
const COUNTS: [usize; 4] = [8, 16, 32, 64];

fn deltas(n: usize, p: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|i| (0..p).map(|j| ((i * 31 + j * 17) % 1000) as f32 * 1e-3).collect())
        .collect()
}

fn bench_aggregate(c: &mut Criterion) {
    for p in SIZES {
        let mut group = c.benchmark_group(format!("aggregate_p{p}"));
        group.sample_size(20);
        for n in COUNTS {
            let ds = deltas(n, p);
            let ups: Vec<(f32, &[f32])> = ds.iter().map(|d| (1.0 / n as f32, d.as_slice())).collect();
            let mut w = vec![0.5f32; p];
            group.throughput(Throughput::Bytes((n * p * 4) as u64));
            group.bench_with_input(BenchmarkId::new("kernel", n), &n, |b, _| {
                b.iter(|| aggregate(black_box(&mut w), black_box(&ups), 1.0))
            });
            if p == SIZES[0] {
                group.bench_with_input(BenchmarkId::new("naive", n), &n, |b, _| {
                    b.iter(|| aggregate_naive(black_box(&mut w), black_box(&ups), 1.0))
                });
            }
            let mut dst = vec![0.0f32; p];
            group.bench_with_input(BenchmarkId::new("copy", n), &n, |b, _| {
                b.iter(|| {
                    for (_, d) in &ups {
                        dst.copy_from_slice(black_box(d));
                    }
                    black_box(&dst);
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // criterion's HTML plots look for system fonts, which a fresh machine lacks (plotters panics with
    // FontUnavailable); the numbers, saved baselines and comparisons do not need them.
    config = Criterion::default().without_plots();
    targets = bench_aggregate
}
criterion_main!(benches);
