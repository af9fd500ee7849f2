//! The border between the engine and a model: the engine never sees tensors.

/// Which job of which worker is being trained: jobs are numbered from 0 per worker in start order,
/// cancelled ones included, so a job's random draws do not depend on the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId {
    pub worker: u32,
    pub job: u64,
}

/// The global model's loss and accuracy on the held-out set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eval {
    pub loss: f64,
    pub accuracy: f64,
}

/// One of the jobs delivered in a round: the base it started from and its identity.
#[derive(Debug, Clone, Copy)]
pub struct TrainJob<'a> {
    pub base: &'a [f32],
    pub job: JobId,
}

/// Trains and evaluates replicas of one model as flat `f32` parameter vectors.
pub trait Learner {
    /// Number of parameters.
    fn dim(&self) -> usize;

    /// The initial global model w^0, drawn from the model-init stream.
    fn init(&mut self) -> Vec<f32>;

    /// Runs `steps` local SGD steps from `base` for `job` (eq. 2), writes `w^U - base` into `delta`
    /// and returns the mean mini-batch loss over the steps.
    fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64;

    /// Trains every job of `jobs` for `steps` steps as [`train`](Learner::train) would, writing job
    /// i's delta into `deltas[i]` and its mean loss into `losses[i]`. The engine hands over all the
    /// jobs a round delivers at once so a learner may train them together (replica batching); the
    /// default trains them one by one.
    fn train_batch(&mut self, jobs: &[TrainJob<'_>], steps: u32, deltas: &mut [Vec<f32>], losses: &mut [f64]) {
        train_one_by_one(self, jobs, steps, deltas, losses);
    }

    /// Evaluates `params` on the held-out set.
    fn evaluate(&mut self, params: &[f32]) -> Eval;
}

/// Trains `jobs` one after another with [`Learner::train`]: what [`Learner::train_batch`] does by
/// default, and what a learner that can batch falls back to.
pub fn train_one_by_one<L: Learner + ?Sized>(
    learner: &mut L,
    jobs: &[TrainJob<'_>],
    steps: u32,
    deltas: &mut [Vec<f32>],
    losses: &mut [f64],
) {
    for ((j, d), l) in jobs.iter().zip(deltas.iter_mut()).zip(losses.iter_mut()) {
        *l = learner.train(j.base, j.job, steps, d);
    }
}
