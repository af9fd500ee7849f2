//! GFLOP/s of each native kernel at each convolution shape the models use (lenet and cnn on
//! 3x32x32 images, lenet on 1x28x28, batch 32), one thread: the forward pass (in the layout the
//! model runs, and row-strided beside it), the weight gradient and the input gradient of one batch,
//! and the ReLU + 2x2 pooling of the batch's output planes, forward and backward (in elements
//! pooled, on this CPU's path and the scalar one beside it).
//!
//! Run: `cargo bench -p abs-bench --bench kernels` (`make bench` runs it with the other benches
//! against the saved baseline). Throughput is counted in FLOPs (a multiply-add counts two, over
//! the real outputs only, as docs/performance.md counts them), so criterion's "elem/s" reads as
//! FLOP/s; `abs-bench bench` prints the core's FMA roof to compare them with.

use std::hint::black_box;

use abs_models::kernels::{
    ConvShape, ForwardPlan, Isa, bias_grad_on, input_grad_image, pooled, relu_pool_plane_backward_on, relu_pool_plane_on, weight_grad_on,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const BATCH: usize = 32;

/// (name, shape) of every convolution of lenet and cnn that the benchmarks time.
fn shapes() -> Vec<(&'static str, ConvShape)> {
    let s = |cin, cout, side| ConvShape {
        batch: BATCH,
        cin,
        cout,
        height: side,
        width: side,
        kernel: 5,
    };
    vec![
        ("lenet_conv1_3x32x32", s(3, 6, 32)),
        ("lenet_conv2_3x32x32", s(6, 16, 14)),
        ("lenet_conv1_1x28x28", s(1, 6, 28)),
        ("lenet_conv2_1x28x28", s(6, 16, 12)),
        ("cnn_conv1_3x32x32", s(3, 64, 32)),
        ("cnn_conv2_3x32x32", s(64, 64, 14)),
    ]
}

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let h = (i as u32 ^ seed).wrapping_mul(2_654_435_761).rotate_left(13);
            (h >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

fn bench_kernels(c: &mut Criterion) {
    let isa = Isa::detected();
    for (name, s) in shapes() {
        let x = values(s.batch * s.cin * s.plane(), 1);
        let w = values(s.cout * s.cin * s.kernel * s.kernel, 2);
        let bias = values(s.cout, 3);
        // a gradient plane holds zeros in its spill columns and past the span
        let mut g = vec![0.0f32; s.batch * s.cout * s.grad_plane()];
        let noise = values(g.len(), 4);
        for (plane, from) in g.chunks_exact_mut(s.grad_plane()).zip(noise.chunks_exact(s.grad_plane())) {
            for q in 0..s.span() {
                if q % s.width < s.out_width() {
                    plane[q] = from[q];
                }
            }
        }
        let taps = s.forward_taps();
        let mut group = c.benchmark_group(format!("kernels/{name}"));
        group.sample_size(20);
        group.throughput(Throughput::Elements(s.flops()));
        // the layout the model runs (packed for narrow planes), and the row-strided one beside it
        for (id, plan) in [
            ("forward", ForwardPlan::new(&s)),
            ("forward_strided", ForwardPlan::with_packing(&s, false)),
        ] {
            group.bench_function(BenchmarkId::from_parameter(id), |b| {
                let mut out = vec![0.0f32; s.cout * plan.out_plane()];
                let mut pack = vec![0.0f32; plan.pack_len()];
                b.iter(|| {
                    for n in 0..s.batch {
                        plan.run(
                            isa,
                            &x[n * s.cin * s.plane()..][..s.cin * s.plane()],
                            &w,
                            &bias,
                            &mut pack,
                            &mut out,
                        );
                    }
                    black_box(out[0])
                })
            });
        }
        group.bench_function(BenchmarkId::from_parameter("weight_grad"), |b| {
            let (mut dw, mut db) = (vec![0.0f32; w.len()], vec![0.0f32; s.cout]);
            b.iter(|| {
                weight_grad_on(isa, &s, &g, &x, 0..s.cout, &mut dw);
                bias_grad_on(isa, &s, &g, &mut db);
                black_box(dw[0])
            })
        });
        group.bench_function(BenchmarkId::from_parameter("input_grad"), |b| {
            let mut scratch = vec![0.0f32; s.cin * s.input_grad_plane()];
            let image = s.cout * s.grad_plane();
            b.iter(|| {
                for n in 0..s.batch {
                    scratch.fill(0.0);
                    input_grad_image(isa, &s, &g[n * image..][..image], &w, &taps, &mut scratch);
                }
                black_box(scratch[0])
            })
        });
        // pooling: every output plane of the batch, laid out as the forward pass leaves it
        let plan = ForwardPlan::new(&s);
        let (oh, ow) = (s.out_height(), s.out_width());
        let planes = s.batch * s.cout;
        let (ph, pw) = (pooled(oh), pooled(ow));
        let conv_out = values(planes * plan.out_plane(), 5);
        let dy = values(planes * ph * pw, 6);
        group.throughput(Throughput::Elements((planes * oh * ow) as u64));
        for (id, path) in [("pool", isa), ("pool_scalar", Isa::Scalar)] {
            let (mut out, mut codes) = (vec![0.0f32; planes * ph * pw], vec![0u8; planes * ph * pw]);
            group.bench_function(BenchmarkId::from_parameter(id), |b| {
                b.iter(|| {
                    for p in 0..planes {
                        let at = p * ph * pw;
                        relu_pool_plane_on(
                            path,
                            &conv_out[p * plan.out_plane()..][..plan.out_plane()],
                            plan.row_stride(),
                            oh,
                            ow,
                            &mut out[at..at + ph * pw],
                            &mut codes[at..at + ph * pw],
                        );
                    }
                    black_box(out[0])
                })
            });
            group.bench_function(BenchmarkId::from_parameter(format!("{id}_backward")), |b| {
                let mut dx = vec![0.0f32; planes * s.grad_plane()];
                b.iter(|| {
                    for p in 0..planes {
                        let at = p * ph * pw;
                        relu_pool_plane_backward_on(
                            path,
                            &dy[at..at + ph * pw],
                            &codes[at..],
                            oh,
                            ow,
                            &mut dx[p * s.grad_plane()..][..s.grad_plane()],
                            s.width,
                        );
                    }
                    black_box(dx[0])
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // as the other benches: criterion's plots need system fonts that a fresh machine lacks
    config = Criterion::default().without_plots();
    targets = bench_kernels
}
criterion_main!(benches);
