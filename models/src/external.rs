//! A learner the caller supplies (`model: external`; docs/extending.md): the model and its
//! training are the caller's, the data plan (shards, a population's client samples, the
//! validation split, the evaluated samples) and the random streams are the run's, so that an
//! external learner sees the same jobs and samples as a built-in one and a deterministic one
//! reruns bit for bit.

use rand::RngExt;

use crate::burn_learner::{DataPlan, TrainOptions};
use crate::data::Dataset;
use abs_sim::learner::{Eval, JobId, Learner, LearnerFailure};
use abs_sim::seeds::{Purpose, Seeds};
use abs_sim::validation::EvalSplit;

/// Whatever an external model reports as its failure (a Python exception, kept whole so the
/// caller can raise it again).
pub type Failure = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What one job trains: the facts a built-in learner uses, handed to an external one.
#[derive(Debug, Clone, Copy)]
pub struct JobFacts<'a> {
    /// The worker, or in a population the client, whose data the job trains on.
    pub holder: u32,
    /// Whether `holder` is a client of a population (else a worker).
    pub client: bool,
    /// The job's index (per worker in start order; in a population, its row in the job log).
    pub job: u64,
    /// U: local SGD steps.
    pub steps: u32,
    pub batch_size: u32,
    pub lr: f64,
    /// The holder's training samples (indices into the training set), validation split held out.
    pub samples: &'a [u32],
    /// A seed for the job's mini-batch draws, from the run's mini-batch stream of this
    /// (holder, job): the same whatever else the run does.
    pub seed: u64,
}

/// A model trained outside the harness, over flat `f32` parameter vectors.
pub trait ExternalModel {
    /// Number of parameters.
    fn dim(&mut self) -> Result<usize, Failure>;
    /// The initial parameters, drawn from `seed` (the run's model-init stream).
    fn init(&mut self, seed: u64) -> Result<Vec<f32>, Failure>;
    /// Trains `job` from `base`, writes the delta (trained minus base) into `delta` and returns
    /// the mean mini-batch loss.
    fn train(&mut self, base: &[f32], job: &JobFacts<'_>, delta: &mut [f32]) -> Result<f64, Failure>;
    /// Evaluates `params` on `samples` of the test set (`EvalSplit::Test`) or of the training set
    /// (`EvalSplit::Validation`: the held-out samples).
    fn evaluate(&mut self, params: &[f32], split: EvalSplit, samples: &[u32]) -> Result<Eval, Failure>;
}

/// An [`ExternalModel`] behind the engine's [`Learner`] border. A failure is kept for the engine,
/// which asks after every call and stops the run with it; later calls do nothing.
pub struct ExternalLearner<'m> {
    model: &'m mut dyn ExternalModel,
    plan: DataPlan,
    opts: TrainOptions,
    seeds: Seeds,
    dim: usize,
    failure: Option<Failure>,
}

impl<'m> ExternalLearner<'m> {
    /// The learner of `model` on `data` planned as a built-in learner would be with `opts`.
    pub fn new(model: &'m mut dyn ExternalModel, data: &Dataset, opts: TrainOptions, seeds: Seeds) -> Result<Self, Failure> {
        let plan = DataPlan::new(data, &opts, &seeds)?;
        let dim = model.dim()?;
        Ok(ExternalLearner {
            model,
            plan,
            opts,
            seeds,
            dim,
            failure: None,
        })
    }

    fn keep<T>(&mut self, result: Result<T, Failure>, otherwise: T) -> T {
        result.unwrap_or_else(|e| {
            self.failure.get_or_insert(e);
            otherwise
        })
    }
}

impl Learner for ExternalLearner<'_> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn take_failure(&mut self) -> Option<LearnerFailure> {
        self.failure.take().map(LearnerFailure::new)
    }

    fn init(&mut self) -> Vec<f32> {
        let seed = self.seeds.stream(Purpose::ModelInit, 0, 0).random::<u64>();
        let dim = self.dim;
        let got = self.model.init(seed).and_then(|w| match w.len() == dim {
            true => Ok(w),
            false => Err(format!("init returned {} parameters, the model declares {dim}", w.len()).into()),
        });
        self.keep(got, vec![0.0; dim])
    }

    fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64 {
        if self.failure.is_some() {
            return f64::NAN;
        }
        let samples = self.plan.shards.of(job.worker);
        let facts = JobFacts {
            holder: job.worker,
            client: matches!(self.opts.holders, abs_sim::population::Holders::Clients(_)),
            job: job.job,
            steps,
            batch_size: self.opts.batch_size,
            lr: self.opts.lr,
            samples: &samples,
            seed: self
                .seeds
                .stream(Purpose::MiniBatch, u64::from(job.worker), job.job)
                .random::<u64>(),
        };
        let got = self.model.train(base, &facts, delta);
        drop(samples);
        self.keep(got, f64::NAN)
    }

    fn samples_of(&self, holder: u32) -> Option<u64> {
        Some(self.plan.shards.count(holder))
    }

    fn evaluate(&mut self, params: &[f32]) -> Eval {
        let nothing = Eval {
            loss: f64::NAN,
            accuracy: 0.0,
        };
        if self.failure.is_some() {
            return nothing;
        }
        let got = self.model.evaluate(params, self.opts.evaluate_on, &self.plan.eval_indices);
        self.keep(got, nothing)
    }
}
