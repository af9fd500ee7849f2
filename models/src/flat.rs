//! Moving a model's parameters in and out of one flat `f32` vector, in visiting order, and drawing
//! the initial parameters on the host from the run's model-init stream.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_distr::{Distribution, Uniform};

struct Shapes(Vec<Vec<usize>>);

impl ModuleVisitor for Shapes {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        self.0.push(p.lazy_shape().as_slice().to_vec());
    }
}

/// The shape of every parameter tensor, in the flat vector's order (no parameter is materialised).
pub fn param_shapes<M: Module>(m: &M) -> Vec<Vec<usize>> {
    let mut v = Shapes(Vec::new());
    m.visit(&mut v);
    v.0
}

/// Initial parameters as PyTorch and Burn draw them by default: every weight and bias of a layer
/// uniform in +-1/sqrt(fan_in), with fan_in = in x kh x kw for convolutions ([out, in, kh, kw]) and
/// in for linear layers ([in, out]); a bias (rank 1) takes the fan_in of the weight before it.
pub fn host_init(shapes: &[Vec<usize>], rng: &mut impl Rng) -> Vec<f32> {
    let mut out = Vec::with_capacity(shapes.iter().map(|s| s.iter().product::<usize>()).sum());
    let mut fan_in = 1usize;
    for s in shapes {
        fan_in = match s.len() {
            4 => s[1] * s[2] * s[3],
            2 => s[0],
            _ => fan_in,
        };
        let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
        let dist =
            Uniform::new_inclusive(-bound, bound).unwrap_or_else(|_| Uniform::new_inclusive(0.0, 0.0).expect("a point range is valid"));
        out.extend((0..s.iter().product::<usize>()).map(|_| dist.sample(rng)));
    }
    out
}

struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        let t = p.val().without_autodiff();
        let n = t.shape().num_elements();
        self.0.push(t.reshape([n]));
    }
}

/// All parameters as one vector (one read-back from the device).
pub fn to_flat<M: Module>(m: &M) -> Vec<f32> {
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    if c.0.is_empty() {
        return Vec::new();
    }
    Tensor::cat(c.0, 0).into_data().try_into_vec::<f32>().expect("parameters are f32")
}

struct Scatter<'a> {
    src: &'a [f32],
    pos: usize,
    device: Device,
}

impl ModuleMapper for Scatter<'_> {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let shape = p.lazy_shape();
        let n = shape.num_elements();
        let data = TensorData::new(self.src[self.pos..self.pos + n].to_vec(), shape);
        self.pos += n;
        let t = Tensor::<D>::from_data(data, &self.device);
        // a parameter on an autodiff device must stay a gradient leaf, or it silently stops training
        let t = if self.device.is_autodiff() { t.require_grad() } else { t };
        Param::initialized(p.id, t)
    }
}

/// Replaces every parameter of `m` by the matching slice of `flat`, on `device`.
///
/// # Panics
/// If `flat` does not hold exactly the model's parameter count (an engine bug, never user input).
pub fn load_flat<M: Module>(m: M, flat: &[f32], device: &Device) -> M {
    let mut s = Scatter {
        src: flat,
        pos: 0,
        device: device.clone(),
    };
    let m = m.map(&mut s);
    assert_eq!(s.pos, flat.len(), "flat vector length differs from the model's parameter count");
    m
}
