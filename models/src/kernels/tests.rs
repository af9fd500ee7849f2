//! The native kernels against Burn's (forward and every gradient, on shapes around lenet's and
//! cnn's), against finite differences, and against themselves on every instruction set.

use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::conv::{ConvShape, ForwardPlan, bias_grad_on, forward_image, input_grad_image, weight_grad_on};
use super::lanes::tests::runnable_isas;
use super::{Isa, conv_relu_pool, relu_pool};

fn random(rng: &mut impl Rng, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-scale..scale)).collect()
}

fn t4(v: Vec<f32>, d: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(v, d), device)
}

fn burn_conv_relu_pool(x: Tensor<4>, w: Tensor<4>, b: Tensor<1>) -> Tensor<4> {
    let y = conv2d(x, w, Some(b), ConvOptions::new([1, 1], [0, 0], [1, 1], 1));
    max_pool2d(burn::tensor::activation::relu(y), MaxPoolOptions::new([2, 2]))
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

/// Largest |a - b| relative to the largest |b| (a relative error for the tensor as a whole).
fn rel_err(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// Output, input gradient, weight gradient and bias gradient of `f` for a random upstream gradient.
fn run(f: fn(Tensor<4>, Tensor<4>, Tensor<1>) -> Tensor<4>, s: &ConvShape, seed: u64) -> [Vec<f32>; 4] {
    let device = Device::flex().autodiff();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = t4(
        random(&mut rng, s.batch * s.cin * s.plane(), 1.0),
        [s.batch, s.cin, s.height, s.width],
        &device,
    )
    .require_grad();
    let fan = (s.cin * s.kernel * s.kernel) as f32;
    let w = t4(
        random(&mut rng, s.cout * s.cin * s.kernel * s.kernel, 1.0 / fan.sqrt()),
        [s.cout, s.cin, s.kernel, s.kernel],
        &device,
    )
    .require_grad();
    let b = Tensor::<1>::from_data(TensorData::new(random(&mut rng, s.cout, 0.1), [s.cout]), &device).require_grad();
    let y = f(x.clone(), w.clone(), b.clone());
    let r = Tensor::<4>::from_data(TensorData::new(random(&mut rng, y.shape().num_elements(), 1.0), y.dims()), &device);
    let grads = (y.clone() * r).sum().backward();
    [
        values(y),
        values(x.grad(&grads).unwrap()),
        values(w.grad(&grads).unwrap()),
        values(b.grad(&grads).unwrap()),
    ]
}

fn shape(batch: usize, cin: usize, cout: usize, height: usize, width: usize) -> ConvShape {
    ConvShape {
        batch,
        cin,
        cout,
        height,
        width,
        kernel: 5,
    }
}

/// The shapes of lenet and cnn on both data sets, and odd ones around them.
fn shapes() -> Vec<ConvShape> {
    vec![
        shape(32, 3, 6, 32, 32),  // lenet conv1, CIFAR
        shape(32, 6, 16, 14, 14), // lenet conv2, CIFAR
        shape(32, 1, 6, 28, 28),  // lenet conv1, Fashion-MNIST
        shape(32, 6, 16, 12, 12), // lenet conv2, Fashion-MNIST
        shape(4, 3, 64, 32, 32),  // cnn conv1
        shape(4, 64, 64, 14, 14), // cnn conv2
        shape(1, 1, 1, 5, 5),
        shape(3, 2, 5, 9, 7),
        shape(64, 1, 3, 6, 11),
        shape(2, 7, 9, 17, 23),
        shape(5, 5, 13, 21, 10),
    ]
}

#[test]
fn conv_relu_pool_matches_burn_forward_and_gradients() {
    for (i, s) in shapes().iter().enumerate() {
        let native = run(conv_relu_pool, s, i as u64);
        let reference = run(burn_conv_relu_pool, s, i as u64);
        for (what, (a, b)) in ["output", "input gradient", "weight gradient", "bias gradient"]
            .iter()
            .zip(native.iter().zip(&reference))
        {
            let e = rel_err(a, b);
            assert!(e < 1e-5, "{s:?}: {what} differs from Burn's by {e:e} (relative)");
        }
    }
}

/// The packed forward pass (dense output rows) gives every real output the bits of the
/// row-strided one, on every instruction set and shape, whichever layout [`ForwardPlan::new`]
/// picks for it.
#[test]
fn packed_forward_gives_the_strided_bits() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for s in shapes() {
        let s = ConvShape { batch: 1, ..s };
        let x = random(&mut rng, s.cin * s.plane(), 1.0);
        let w = random(&mut rng, s.cout * s.cin * s.kernel * s.kernel, 0.3);
        let b = random(&mut rng, s.cout, 0.1);
        for isa in crate::kernels::lanes::tests::runnable_isas() {
            let real = |plan: &ForwardPlan| {
                let mut out = vec![f32::NAN; s.cout * plan.out_plane()];
                let mut pack = vec![0.0f32; plan.pack_len()];
                plan.run(isa, &x, &w, &b, &mut pack, &mut out);
                let mut real = Vec::new();
                for plane in out.chunks_exact(plan.out_plane()) {
                    for row in plane.chunks_exact(plan.row_stride()) {
                        real.extend(row[..s.out_width()].iter().map(|v| v.to_bits()));
                    }
                }
                real
            };
            let (strided, packed) = (ForwardPlan::with_packing(&s, false), ForwardPlan::with_packing(&s, true));
            assert!(packed.packed() && !strided.packed());
            assert!(real(&packed) == real(&strided), "{s:?}, {isa:?}");
        }
    }
}

/// The kernels split their work across the pool's threads (images, output channels, gradient
/// planes); every output and gradient must keep its bits whatever the thread count.
#[test]
fn thread_count_changes_no_bit() {
    let on = |threads: usize, s: &ConvShape, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| run(conv_relu_pool, s, seed))
    };
    for (i, s) in shapes().iter().enumerate() {
        let one = on(1, s, i as u64);
        for threads in [2, 3, 8] {
            let bits = |v: &[Vec<f32>; 4]| {
                v.iter()
                    .map(|x| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            };
            assert!(
                bits(&on(threads, s, i as u64)) == bits(&one),
                "{s:?}: {threads} threads differ from one"
            );
        }
    }
}

#[test]
fn relu_pool_matches_burn() {
    let device = Device::flex().autodiff();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for d in [[2, 3, 8, 8], [1, 2, 7, 9], [5, 1, 28, 28]] {
        let n: usize = d.iter().product();
        let x = t4(random(&mut rng, n, 1.0), d, &device).require_grad();
        let pool = |x| max_pool2d(burn::tensor::activation::relu(x), MaxPoolOptions::new([2, 2]));
        let (a, b) = (relu_pool(x.clone()), pool(x.clone()));
        let r = Tensor::<4>::from_data(TensorData::new(random(&mut rng, b.shape().num_elements(), 1.0), b.dims()), &device);
        let ga = values(x.grad(&(a.clone() * r.clone()).sum().backward()).unwrap());
        let gb = values(x.grad(&(b.clone() * r).sum().backward()).unwrap());
        assert_eq!(values(a), values(b), "{d:?}: forward");
        assert_eq!(ga, gb, "{d:?}: gradient");
    }
}

/// Central differences of `sum(r * conv_relu_pool(x, w, b))` in f64 around the f32 point, against
/// the analytic gradients, on every input and weight of a small case.
#[test]
fn conv_relu_pool_gradients_match_finite_differences() {
    let s = shape(2, 2, 3, 8, 9);
    let device = Device::flex().autodiff();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let xv = random(&mut rng, s.batch * s.cin * s.plane(), 1.0);
    let wv = random(&mut rng, s.cout * s.cin * 25, 0.3);
    let bv = random(&mut rng, s.cout, 0.1);
    let y_dims = [s.batch, s.cout, 2, 2];
    let rv = random(&mut rng, y_dims.iter().product(), 1.0);
    let loss = |xv: &[f32], wv: &[f32]| -> f64 {
        let plain = Device::flex();
        let y = conv_relu_pool(
            t4(xv.to_vec(), [s.batch, s.cin, s.height, s.width], &plain),
            t4(wv.to_vec(), [s.cout, s.cin, 5, 5], &plain),
            Tensor::from_data(TensorData::new(bv.clone(), [s.cout]), &plain),
        );
        values(y).iter().zip(&rv).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum()
    };
    let x = t4(xv.clone(), [s.batch, s.cin, s.height, s.width], &device).require_grad();
    let w = t4(wv.clone(), [s.cout, s.cin, 5, 5], &device).require_grad();
    let b = Tensor::<1>::from_data(TensorData::new(bv.clone(), [s.cout]), &device);
    let r = Tensor::<4>::from_data(TensorData::new(rv.clone(), y_dims), &device);
    let grads = (conv_relu_pool(x.clone(), w.clone(), b) * r).sum().backward();
    let (gx, gw) = (values(x.grad(&grads).unwrap()), values(w.grad(&grads).unwrap()));
    let eps = 1e-3f32;
    let l0 = loss(&xv, &wv);
    let (mut checked, mut central_ok) = (0, 0);
    for (which, base, analytic) in [("x", &xv, &gx), ("w", &wv, &gw)] {
        for i in 0..base.len() {
            let (mut up, mut down) = (base.clone(), base.clone());
            up[i] += eps;
            down[i] -= eps;
            let (lu, ld) = if which == "x" {
                (loss(&up, &wv), loss(&down, &wv))
            } else {
                (loss(&xv, &up), loss(&xv, &down))
            };
            let e = f64::from(eps);
            let a = f64::from(analytic[i]);
            let close = |numeric: f64| (numeric - a).abs() <= 1e-2 * (1.0 + a.abs());
            // a ReLU or pooling kink inside [-eps, eps] spoils the central quotient; the analytic
            // gradient must then match the one-sided quotient on the kink-free side
            if close((lu - ld) / (2.0 * e)) {
                central_ok += 1;
            } else {
                let (right, left) = ((lu - l0) / e, (l0 - ld) / e);
                assert!(
                    close(right) || close(left),
                    "{which}[{i}]: analytic {a}, central {}, right {right}, left {left}",
                    (lu - ld) / (2.0 * e)
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, xv.len() + wv.len());
    assert!(
        central_ok * 10 >= checked * 9,
        "only {central_ok} of {checked} central quotients matched"
    );
}

/// Every instruction-set path computes the same bits as the scalar one.
#[test]
fn every_isa_gives_the_same_bits() {
    let isas = runnable_isas();
    assert_eq!(isas[0], Isa::Scalar);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for s in [
        shape(3, 3, 6, 32, 32),
        shape(2, 6, 16, 14, 14),
        shape(2, 2, 5, 9, 7),
        shape(1, 1, 3, 5, 20),
    ] {
        let x = random(&mut rng, s.batch * s.cin * s.plane(), 1.0);
        let w = random(&mut rng, s.cout * s.cin * 25, 0.3);
        let b = random(&mut rng, s.cout, 0.1);
        let g = {
            // gradient planes: random values on real outputs, zero spill columns and tail
            let mut g = vec![0.0f32; s.batch * s.cout * s.grad_plane()];
            for plane in g.chunks_exact_mut(s.grad_plane()) {
                for (q, v) in plane[..s.span()].iter_mut().enumerate() {
                    if q % s.width < s.out_width() {
                        *v = rng.random_range(-1.0..1.0);
                    }
                }
            }
            g
        };
        let taps = s.forward_taps();
        let compute = |isa: Isa| {
            let mut y = vec![0.0f32; s.cout * s.strided_out_plane()];
            forward_image(isa, &s, &x[..s.cin * s.plane()], &w, &b, &taps, &mut y);
            let (mut dw, mut db) = (vec![0.0f32; w.len()], vec![0.0f32; s.cout]);
            weight_grad_on(isa, &s, &g, &x, 0..s.cout, &mut dw);
            bias_grad_on(isa, &s, &g, &mut db);
            let mut dx = vec![0.0f32; s.cin * s.input_grad_plane()];
            input_grad_image(isa, &s, &g[..s.cout * s.grad_plane()], &w, &taps, &mut dx);
            (y, dw, db, dx)
        };
        let reference = compute(Isa::Scalar);
        for &isa in &isas[1..] {
            assert!(compute(isa) == reference, "{s:?}: {isa:?} differs from the scalar path");
        }
    }
}
