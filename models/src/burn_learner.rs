//! The learner that trains replicas of a Burn model on image data: U local SGD steps from a flat
//! base vector per job, and batched evaluation of the global model.

use std::sync::Arc;

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::RngExt;

use crate::data::{Dataset, Split};
use crate::flat::{host_init, load_flat, param_shapes, to_flat};
use crate::nets::{Arch, ConvNet, InputShape, Layer, Logreg, Mlp, Net};
use crate::stacked::{StackedReplicas, place_image, starts_with_conv};
use abs_sim::catalog::Kernels;
use abs_sim::learner::{Eval, JobId, Learner, TrainJob, train_one_by_one};
use abs_sim::partition::Partition;
use abs_sim::population::{Holders, Shards};
use abs_sim::seeds::{Purpose, Seeds};
use abs_sim::validation::{EvalSplit, Holdout};

/// How a Burn learner trains and evaluates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    pub lr: f64,
    pub batch_size: u32,
    /// Who holds the training data: N workers (split by `partition`), or a population's clients.
    pub holders: Holders,
    pub partition: Partition,
    /// Evaluate on a fixed, seeded subset of this many test samples (all when `None`).
    pub eval_samples: Option<u32>,
    /// Images per forward pass when evaluating.
    pub eval_batch: usize,
    /// Train the jobs a round delivers together, stacked (see [`Learner::train_batch`]); the
    /// result equals one-by-one training up to floating-point summation order.
    pub replica_batching: bool,
    /// Which kernels compute the convolution stages of `lenet` and `cnn` (native on flex only).
    pub kernels: Kernels,
    /// Training samples held out of every shard as a validation split (0: none).
    pub holdout: Holdout,
    /// What evaluations measure: the test set, or the held-out samples.
    pub evaluate_on: EvalSplit,
    /// M, a population's client count (`clients`), which a natural partition checks against the
    /// data's; `None` without a population.
    pub clients: Option<u64>,
}

/// Images per forward pass when evaluating (as `abs-bench run` evaluates).
pub const EVAL_BATCH: usize = 500;

/// The run-config defaults (docs/config.md): lr 0.1, batch 32, 10 workers, iid shards, the whole
/// test set in forward passes of 500 images, one-by-one training, native kernels.
impl Default for TrainOptions {
    fn default() -> Self {
        let d = abs_sim::config::RawConfig::defaults();
        TrainOptions {
            lr: d.lr.unwrap_or_default(),
            batch_size: d.batch_size.unwrap_or_default(),
            holders: Holders::Workers(d.workers.unwrap_or_default()),
            partition: d.partition.unwrap_or_default(),
            eval_samples: None,
            eval_batch: EVAL_BATCH,
            replica_batching: d.replica_batching.unwrap_or_default(),
            kernels: Kernels::default(),
            holdout: d.holdout.unwrap_or_default(),
            evaluate_on: d.evaluate_on.unwrap_or_default(),
            clients: None,
        }
    }
}

/// Trains replicas of model `M` on worker shards of a shared data set.
pub struct BurnLearner<M: Net> {
    replica: Option<M>,
    evaluator: Option<M>,
    device: Device,
    eval_device: Device,
    data: Arc<Dataset>,
    shards: Shards,
    eval_indices: Vec<u32>,
    opts: TrainOptions,
    seeds: Seeds,
    shapes: Vec<Vec<usize>>,
    dim: usize,
    optim: ModuleOptimizer,
    loss: CrossEntropyLoss,
    /// The model as a layer list, for replica batching (`None`: jobs are always trained one by one).
    layers: Option<Vec<Layer>>,
}

/// Which training samples each holder draws from and which samples an evaluation measures: the
/// same for every learner of a run, built-in or external, so that they see the same data.
pub struct DataPlan {
    /// Each worker's or client's training samples (the validation split held out).
    pub shards: Shards,
    /// The samples evaluations measure, of the test set or (with `evaluate_on: validation`) of the
    /// training set, in ascending order.
    pub eval_indices: Vec<u32>,
}

impl DataPlan {
    /// The plan of a run on `data` with `opts`, its partition drawn from `seeds`.
    pub fn new(data: &Dataset, opts: &TrainOptions, seeds: &Seeds) -> Result<DataPlan, String> {
        let labels: Vec<u32> = data.train.labels.iter().map(|&l| u32::from(l)).collect();
        let held = abs_sim::validation::held_out(labels.len(), opts.holdout.of(labels.len()))?;
        let shards = match (opts.partition, data.train_clients.as_deref()) {
            (Partition::Natural, Some(owners)) => Shards::natural(owners, opts.holders, opts.clients, &held)?,
            _ => Shards::holding_out(&labels, data.classes as u32, opts.holders, opts.partition, seeds, &held)?,
        };
        if let (Some(w), Holders::Workers(n)) = (shards.first_empty(), opts.holders) {
            return Err(format!(
                "worker {w} received an empty shard of {} ({} training samples for {n} workers)",
                data.name,
                data.train.len(),
            ));
        }
        // what is evaluated: the test set, or the held-out training samples; then a fixed subset
        let mut idx: Vec<u32> = match opts.evaluate_on {
            EvalSplit::Test => (0..data.test.len() as u32).collect(),
            EvalSplit::Validation => held,
        };
        let n_eval = idx.len() as u32;
        let eval_indices: Vec<u32> = match opts.eval_samples {
            Some(k) if k < n_eval => {
                let mut rng = seeds.stream(Purpose::EvalSubset, 0, 0);
                // partial Fisher-Yates: the first k entries are a uniform sample without replacement
                for i in 0..k as usize {
                    let j = rng.random_range(i..idx.len());
                    idx.swap(i, j);
                }
                idx.truncate(k as usize);
                idx.sort_unstable();
                idx
            }
            _ => idx,
        };
        Ok(DataPlan { shards, eval_indices })
    }
}

/// Builds the learner for `arch`, as a trait object so the engine need not know the model type.
pub fn burn_learner(arch: Arch, data: Arc<Dataset>, opts: TrainOptions, seeds: Seeds, device: Device) -> Result<Box<dyn Learner>, String> {
    let shape = InputShape::of(&data);
    if matches!(arch, Arch::Lenet | Arch::Cnn) && (shape.height < 16 || shape.width < 16) {
        return Err(format!(
            "model {} needs images of at least 16x16, the data set has {}x{}",
            arch.name(),
            shape.height,
            shape.width
        ));
    }
    let layers = arch.layers(shape);
    Ok(match arch {
        Arch::Logreg => Box::new(BurnLearner::new(|d| Logreg::new(shape, d), data, opts, seeds, device)?.with_layers(layers)),
        Arch::Mlp => Box::new(BurnLearner::new(|d| Mlp::new(shape, d), data, opts, seeds, device)?.with_layers(layers)),
        Arch::Lenet => Box::new(
            BurnLearner::new(|d| ConvNet::lenet(shape, d).with_kernels(opts.kernels), data, opts, seeds, device)?.with_layers(layers),
        ),
        Arch::Cnn => Box::new(
            BurnLearner::new(|d| ConvNet::cnn(shape, d).with_kernels(opts.kernels), data, opts, seeds, device)?.with_layers(layers),
        ),
    })
}

impl<M: Net> BurnLearner<M> {
    /// `make` builds an (uninitialised) model on a device; parameters always come from `init`.
    pub fn new(make: impl Fn(&Device) -> M, data: Arc<Dataset>, opts: TrainOptions, seeds: Seeds, device: Device) -> Result<Self, String> {
        let device = device.autodiff();
        let eval_device = device.clone().without_autodiff();
        let replica = make(&device);
        let evaluator = make(&eval_device);
        let shapes = param_shapes(&replica);
        let dim = shapes.iter().map(|s| s.iter().product::<usize>()).sum();
        let DataPlan { shards, eval_indices } = DataPlan::new(&data, &opts, &seeds)?;
        Ok(BurnLearner {
            replica: Some(replica),
            evaluator: Some(evaluator),
            loss: CrossEntropyLossConfig::new().init(&device),
            device,
            eval_device,
            data,
            shards,
            eval_indices,
            opts,
            seeds,
            shapes,
            dim,
            optim: SgdConfig::new().init(),
            layers: None,
        })
    }

    /// Describes the model as `layers` (which must list its parameters in the flat order), so
    /// that `replica_batching` can stack replicas.
    pub fn with_layers(mut self, layers: Vec<Layer>) -> Self {
        self.layers = Some(layers);
        self
    }

    /// Sizes of the workers' shards.
    pub fn shard_sizes(&self) -> Vec<usize> {
        self.shards.worker_sizes()
    }

    fn batch_tensor(&self, split: &Split, indices: &[u32], device: &Device) -> (Tensor<4>, Vec<i64>) {
        let d = &self.data;
        let mut x = Vec::with_capacity(indices.len() * d.image_len());
        let mut y = Vec::with_capacity(indices.len());
        for &i in indices {
            d.push_normalised(split, i as usize, &mut x);
            y.push(i64::from(split.labels[i as usize]));
        }
        let shape = [indices.len(), d.channels, d.height, d.width];
        (Tensor::<4>::from_data(TensorData::new(x, shape), device), y)
    }

    /// The jobs of `jobs` in lockstep, stacked: each draws its mini-batches from its own stream,
    /// exactly as [`Learner::train`] does.
    fn train_stacked(&self, layers: &[Layer], jobs: &[TrainJob<'_>], steps: u32, deltas: &mut [Vec<f32>], losses: &mut [f64]) {
        let (k, batch) = (jobs.len(), self.opts.batch_size as usize);
        let d = &self.data;
        let bases: Vec<&[f32]> = jobs.iter().map(|j| j.base).collect();
        let mut replicas = StackedReplicas::new(layers, InputShape::of(d), &bases, &self.device);
        let mut rngs: Vec<_> = jobs
            .iter()
            .map(|j| self.seeds.stream(Purpose::MiniBatch, u64::from(j.job.worker), j.job.job))
            .collect();
        let conv_first = starts_with_conv(layers);
        let mut image = Vec::with_capacity(d.image_len());
        losses[..k].fill(0.0);
        for _ in 0..steps {
            let mut x = vec![0.0f32; k * batch * d.image_len()];
            let mut y = vec![0i64; k * batch];
            for (r, (job, rng)) in jobs.iter().zip(rngs.iter_mut()).enumerate() {
                let shard = self.shards.of(job.job.worker);
                for b in 0..batch {
                    let i = shard[rng.random_range(0..shard.len())] as usize;
                    image.clear();
                    d.push_normalised(&d.train, i, &mut image);
                    place_image(&mut x, &image, r, b, k, batch, conv_first);
                    y[r * batch + b] = i64::from(d.train.labels[i]);
                }
            }
            let step_losses = replicas.step(x, y, batch, self.opts.lr);
            let step_losses = step_losses.into_data().try_into_vec::<f32>().expect("losses are f32");
            for (l, v) in losses.iter_mut().zip(step_losses) {
                *l += f64::from(v);
            }
        }
        for l in &mut losses[..k] {
            *l /= f64::from(steps.max(1));
        }
        replicas.write_deltas(&bases, deltas);
    }
}

impl<M: Net> Learner for BurnLearner<M> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn init(&mut self) -> Vec<f32> {
        host_init(&self.shapes, &mut self.seeds.stream(Purpose::ModelInit, 0, 0))
    }

    fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64 {
        let mut model = load_flat(self.replica.take().expect("replica present between jobs"), base, &self.device);
        let mut rng = self.seeds.stream(Purpose::MiniBatch, u64::from(job.worker), job.job);
        let shard = self.shards.of(job.worker);
        let mut picks = vec![0u32; self.opts.batch_size as usize];
        let mut loss_sum = 0.0;
        for _ in 0..steps {
            for p in picks.iter_mut() {
                *p = shard[rng.random_range(0..shard.len())];
            }
            let (x, y) = self.batch_tensor(&self.data.train, &picks, &self.device);
            let y = Tensor::<1, Int>::from_data(TensorData::new(y, [picks.len()]), &self.device);
            let loss = self.loss.forward(model.forward(x), y);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            loss_sum += f64::from(loss.into_scalar::<f32>());
            model = self.optim.step(self.opts.lr, model, grads);
        }
        let w = to_flat(&model);
        for ((d, a), b) in delta.iter_mut().zip(&w).zip(base) {
            *d = a - b;
        }
        self.replica = Some(model);
        loss_sum / f64::from(steps.max(1))
    }

    fn train_batch(&mut self, jobs: &[TrainJob<'_>], steps: u32, deltas: &mut [Vec<f32>], losses: &mut [f64]) {
        match self.layers.as_deref() {
            Some(layers) if self.opts.replica_batching && jobs.len() > 1 => self.train_stacked(layers, jobs, steps, deltas, losses),
            _ => train_one_by_one(self, jobs, steps, deltas, losses),
        }
    }

    fn samples_of(&self, holder: u32) -> Option<u64> {
        Some(self.shards.count(holder))
    }

    fn evaluate(&mut self, params: &[f32]) -> Eval {
        let model = load_flat(
            self.evaluator.take().expect("evaluator present between evaluations"),
            params,
            &self.eval_device,
        );
        let classes = self.data.classes;
        let (mut loss, mut correct) = (0.0f64, 0usize);
        for chunk in self.eval_indices.chunks(self.opts.eval_batch.max(1)) {
            let split = match self.opts.evaluate_on {
                EvalSplit::Test => &self.data.test,
                EvalSplit::Validation => &self.data.train,
            };
            let (x, y) = self.batch_tensor(split, chunk, &self.eval_device);
            let logits = model.forward(x).into_data().try_into_vec::<f32>().expect("logits are f32");
            for (row, &label) in logits.chunks_exact(classes).zip(&y) {
                let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let lse = f64::from(max) + row.iter().map(|&v| f64::from(v - max).exp()).sum::<f64>().ln();
                loss += lse - f64::from(row[label as usize]);
                // ties go to the lowest class index; NaN logits count as wrong
                let best = row.iter().enumerate().fold(0, |b, (i, &v)| if v > row[b] { i } else { b });
                if best == label as usize && row[best].is_finite() {
                    correct += 1;
                }
            }
        }
        self.evaluator = Some(model);
        let n = self.eval_indices.len().max(1) as f64;
        Eval {
            loss: loss / n,
            accuracy: correct as f64 / n,
        }
    }
}

#[cfg(test)]
#[path = "burn_learner_tests.rs"]
mod tests;
