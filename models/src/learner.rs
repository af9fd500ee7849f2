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

/// Trains and evaluates replicas of one model as flat `f32` parameter vectors.
pub trait Learner {
    /// Number of parameters.
    fn dim(&self) -> usize;

    /// The initial global model w^0, drawn from the model-init stream.
    fn init(&mut self) -> Vec<f32>;

    /// Runs `steps` local SGD steps from `base` for `job` (eq. 2), writes `w^U - base` into `delta`
    /// and returns the mean mini-batch loss over the steps.
    fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64;

    /// Evaluates `params` on the held-out set.
    fn evaluate(&mut self, params: &[f32]) -> Eval;
}
