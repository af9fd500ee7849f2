//! A learner in plain Rust whose answer is known: binary logistic regression on a Gaussian mixture.
//!
//! Features are `x = (2y - 1) mu + noise`, noise ~ N(0, I_d), labels y ~ Bernoulli(1/2), with
//! `|mu| = separation`. The Bayes-optimal classifier has accuracy `Phi(separation)` and the
//! population logistic loss is minimised by `w = 2 mu`, bias 0; engine tests check convergence
//! against both. It trains in microseconds, so the engine can be tested exactly and fast.

use crate::partition::Partition;
use crate::population::{Holders, Shards};
use crate::validation::{EvalSplit, Holdout};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::learner::{Eval, JobId, Learner};
use crate::seeds::{Purpose, Seeds};

/// The analytic task's size (`analytic: {dim, train_samples, test_samples, separation}`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticSpec {
    /// Feature dimension d (the model has d + 1 parameters).
    pub dim: u32,
    pub train_samples: u32,
    pub test_samples: u32,
    /// |mu|: the distance of each class mean from the origin.
    pub separation: f64,
}

impl Default for AnalyticSpec {
    fn default() -> Self {
        AnalyticSpec {
            dim: 20,
            train_samples: 8192,
            test_samples: 2048,
            separation: 1.5,
        }
    }
}

/// The standard normal CDF, for the Bayes accuracy `Phi(separation)`.
pub fn normal_cdf(x: f64) -> f64 {
    // Abramowitz-Stegun 7.1.26 on erf; |error| < 1.5e-7.
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * z);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 { 0.5 * (1.0 + erf) } else { 0.5 * (1.0 - erf) }
}

/// Logistic regression on seeded synthetic data, one shard per worker.
pub struct AnalyticLearner {
    dim: usize,
    /// row-major features, `dim` per sample
    train_x: Vec<f32>,
    train_y: Vec<f32>,
    test_x: Vec<f32>,
    test_y: Vec<f32>,
    shards: Shards,
    mu: Vec<f64>,
    lr: f32,
    batch: usize,
    seeds: Seeds,
    work: Vec<f32>,
    grad: Vec<f64>,
    /// The held-out training samples evaluations measure (`None`: the test set).
    eval_on: Option<Vec<u32>>,
}

/// A learner's validation split: how many training samples to hold out, and what to evaluate on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Validation {
    pub holdout: Holdout,
    pub evaluate_on: EvalSplit,
}

fn draw_set(n: usize, mu: &[f64], rng: &mut impl Rng) -> (Vec<f32>, Vec<f32>) {
    let mut xs = Vec::with_capacity(n * mu.len());
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let y = if rng.random::<bool>() { 1.0 } else { 0.0 };
        let sign = 2.0 * y - 1.0;
        for m in mu {
            let noise: f64 = StandardNormal.sample(rng);
            xs.push((sign * m + noise) as f32);
        }
        ys.push(y as f32);
    }
    (xs, ys)
}

/// log(1 + e^-m), stable for large |m|.
fn softplus_neg(m: f64) -> f64 {
    if m > 0.0 { (-m).exp().ln_1p() } else { -m + m.exp().ln_1p() }
}

impl AnalyticLearner {
    /// Generates the data and the shards; the caller has validated that every shard is non-empty.
    pub fn new(
        spec: &AnalyticSpec,
        holders: Holders,
        partition_scheme: Partition,
        lr: f64,
        batch_size: u32,
        seeds: Seeds,
    ) -> AnalyticLearner {
        let whole = Validation {
            holdout: Holdout::default(),
            evaluate_on: EvalSplit::Test,
        };
        Self::with_validation(spec, holders, partition_scheme, lr, batch_size, seeds, whole).expect("nothing held out")
    }

    /// [`AnalyticLearner::new`] with `validation.holdout` training samples kept out of every shard,
    /// evaluated on instead of the test set with `evaluate_on: validation`. Err: the split would
    /// leave no training sample.
    pub fn with_validation(
        spec: &AnalyticSpec,
        holders: Holders,
        partition_scheme: Partition,
        lr: f64,
        batch_size: u32,
        seeds: Seeds,
        validation: Validation,
    ) -> Result<AnalyticLearner, String> {
        let dim = spec.dim as usize;
        let mut rng = seeds.stream(Purpose::DataGeneration, 0, 0);
        let dir: Vec<f64> = (0..dim).map(|_| StandardNormal.sample(&mut rng)).collect();
        let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
        let mu: Vec<f64> = dir.iter().map(|v| v / norm * spec.separation).collect();
        let (train_x, train_y) = draw_set(spec.train_samples as usize, &mu, &mut seeds.stream(Purpose::DataGeneration, 1, 0));
        let (test_x, test_y) = draw_set(spec.test_samples as usize, &mu, &mut seeds.stream(Purpose::DataGeneration, 2, 0));
        let labels: Vec<u32> = train_y.iter().map(|&y| y as u32).collect();
        let held = crate::validation::held_out(labels.len(), validation.holdout.of(labels.len()))?;
        let shards = Shards::holding_out(&labels, 2, holders, partition_scheme, &seeds, &held)?;
        let eval_on = (validation.evaluate_on == EvalSplit::Validation).then_some(held);
        Ok(AnalyticLearner {
            dim,
            train_x,
            train_y,
            test_x,
            test_y,
            shards,
            mu,
            lr: lr as f32,
            batch: batch_size as usize,
            seeds,
            work: vec![0.0; dim + 1],
            grad: vec![0.0; dim + 1],
            eval_on,
        })
    }

    /// The class mean mu; the loss minimiser is `2 mu` with bias 0.
    pub fn mu(&self) -> &[f64] {
        &self.mu
    }

    /// Sizes of the workers' shards (none for a population's clients, who always hold a sample).
    pub fn shard_sizes(&self) -> Vec<usize> {
        self.shards.worker_sizes()
    }

    fn margin(&self, w: &[f32], x: &[f32]) -> f64 {
        let mut z = f64::from(w[self.dim]);
        for (wi, xi) in w[..self.dim].iter().zip(x) {
            z += f64::from(*wi) * f64::from(*xi);
        }
        z
    }
}

impl Learner for AnalyticLearner {
    fn dim(&self) -> usize {
        self.dim + 1
    }

    fn init(&mut self) -> Vec<f32> {
        let mut rng = self.seeds.stream(Purpose::ModelInit, 0, 0);
        (0..=self.dim)
            .map(|_| 0.01 * Distribution::<f64>::sample(&StandardNormal, &mut rng) as f32)
            .collect()
    }

    fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64 {
        let mut rng = self.seeds.stream(Purpose::MiniBatch, u64::from(job.worker), job.job);
        let shard = self.shards.of(job.worker);
        let mut w = std::mem::take(&mut self.work);
        let mut grad = std::mem::take(&mut self.grad);
        w.copy_from_slice(base);
        let mut loss_sum = 0.0;
        for _ in 0..steps {
            grad.iter_mut().for_each(|g| *g = 0.0);
            let mut batch_loss = 0.0;
            for _ in 0..self.batch {
                let i = shard[rng.random_range(0..shard.len())] as usize;
                let x = &self.train_x[i * self.dim..(i + 1) * self.dim];
                let sign = 2.0 * f64::from(self.train_y[i]) - 1.0;
                let m = sign * self.margin(&w, x);
                batch_loss += softplus_neg(m);
                // d/dz log(1 + e^{-s z}) = -s sigma(-s z)
                let coef = -sign / (1.0 + m.exp());
                for (g, xi) in grad[..self.dim].iter_mut().zip(x) {
                    *g += coef * f64::from(*xi);
                }
                grad[self.dim] += coef;
            }
            let scale = f64::from(self.lr) / self.batch as f64;
            for (wi, g) in w.iter_mut().zip(&grad) {
                *wi -= (scale * g) as f32;
            }
            loss_sum += batch_loss / self.batch as f64;
        }
        for ((d, wi), b) in delta.iter_mut().zip(&w).zip(base) {
            *d = wi - b;
        }
        self.work = w;
        self.grad = grad;
        loss_sum / f64::from(steps)
    }

    fn samples_of(&self, holder: u32) -> Option<u64> {
        Some(self.shards.count(holder))
    }

    fn evaluate(&mut self, params: &[f32]) -> Eval {
        let (xs, ys, indices) = match &self.eval_on {
            Some(held) => (&self.train_x, &self.train_y, Some(held.as_slice())),
            None => (&self.test_x, &self.test_y, None),
        };
        let n = indices.map_or(ys.len(), <[u32]>::len);
        let (mut loss, mut correct) = (0.0, 0usize);
        for j in 0..n {
            let i = indices.map_or(j, |idx| idx[j] as usize);
            let x = &xs[i * self.dim..(i + 1) * self.dim];
            let z = self.margin(params, x);
            let sign = 2.0 * f64::from(ys[i]) - 1.0;
            loss += softplus_neg(sign * z);
            if (z > 0.0) == (ys[i] > 0.5) {
                correct += 1;
            }
        }
        Eval {
            loss: loss / n as f64,
            accuracy: correct as f64 / n as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.5) - 0.933_192_8).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_3).abs() < 1e-6);
    }

    #[test]
    fn one_worker_sgd_reaches_bayes_accuracy() {
        let spec = AnalyticSpec {
            dim: 5,
            train_samples: 2000,
            test_samples: 4000,
            separation: 1.5,
        };
        let mut l = AnalyticLearner::new(&spec, Holders::Workers(1), Partition::Iid, 0.5, 32, Seeds::new(3));
        let mut w = l.init();
        let mut delta = vec![0.0; l.dim()];
        let first = l.evaluate(&w);
        for job in 0..60 {
            l.train(&w.clone(), JobId { worker: 0, job }, 10, &mut delta);
            w.iter_mut().zip(&delta).for_each(|(a, d)| *a += d);
        }
        let e = l.evaluate(&w);
        let bayes = normal_cdf(1.5);
        assert!(e.loss < first.loss, "{e:?} vs {first:?}");
        assert!((e.accuracy - bayes).abs() < 0.025, "accuracy {} vs Bayes {bayes}", e.accuracy);
        // direction of w approaches that of mu
        let dot: f64 = w.iter().zip(l.mu()).map(|(a, b)| f64::from(*a) * b).sum();
        let nw: f64 = w[..5].iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
        assert!(dot / (nw * 1.5) > 0.98, "cosine {}", dot / (nw * 1.5));
    }

    #[test]
    fn a_validation_split_is_held_out_of_training_and_evaluated_on_request() {
        let spec = AnalyticSpec {
            dim: 4,
            train_samples: 400,
            test_samples: 100,
            separation: 1.0,
        };
        let make = |holdout, evaluate_on| {
            let v = Validation { holdout, evaluate_on };
            AnalyticLearner::with_validation(&spec, Holders::Workers(4), Partition::Iid, 0.1, 8, Seeds::new(9), v)
        };
        let mut plain = make(Holdout::Samples(0), EvalSplit::Test).unwrap();
        let mut held = make(Holdout::Share(0.25), EvalSplit::Test).unwrap();
        let mut validated = make(Holdout::Samples(100), EvalSplit::Validation).unwrap();
        assert_eq!(held.shard_sizes(), vec![75; 4], "300 samples left to train on");
        let w = plain.init();
        assert_eq!(held.init(), w, "the model's start does not move");
        // the same weights, measured on the test set with and without the split, on the held-out
        // samples with it: the test measurement ignores the split, the validation one does not
        let trained: Vec<f32> = w.iter().enumerate().map(|(i, v)| v + 0.3 * (i as f32 - 1.5)).collect();
        assert_eq!(plain.evaluate(&trained), held.evaluate(&trained));
        assert_ne!(held.evaluate(&trained), validated.evaluate(&trained));
        // and it is what the held-out samples themselves give
        let idx = crate::validation::held_out(400, 100).unwrap();
        let correct = idx
            .iter()
            .filter(|&&i| {
                let x = &validated.train_x[i as usize * 4..(i as usize + 1) * 4];
                (validated.margin(&trained, x) > 0.0) == (validated.train_y[i as usize] > 0.5)
            })
            .count();
        assert_eq!(validated.evaluate(&trained).accuracy, correct as f64 / 100.0);
        assert!(
            make(Holdout::Samples(400), EvalSplit::Validation).is_err(),
            "nothing left to train on"
        );
    }

    #[test]
    fn same_job_same_delta() {
        let spec = AnalyticSpec {
            dim: 4,
            train_samples: 400,
            test_samples: 100,
            separation: 1.0,
        };
        let mut a = AnalyticLearner::new(&spec, Holders::Workers(4), Partition::Iid, 0.1, 8, Seeds::new(9));
        let mut b = AnalyticLearner::new(&spec, Holders::Workers(4), Partition::Iid, 0.1, 8, Seeds::new(9));
        let w = a.init();
        assert_eq!(w, b.init());
        let (mut da, mut db) = (vec![0.0; 5], vec![0.0; 5]);
        let la = a.train(&w, JobId { worker: 2, job: 5 }, 3, &mut da);
        b.train(&w, JobId { worker: 1, job: 0 }, 3, &mut db); // other work in between changes nothing
        let lb = b.train(&w, JobId { worker: 2, job: 5 }, 3, &mut db);
        assert_eq!((la, da.clone()), (lb, db));
        assert_eq!(a.shard_sizes(), vec![100; 4]);
    }
}
