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
///
/// Its methods cannot fail. A learner that can (one written in another language, whose calls may
/// raise) returns any values from the call that failed and reports the failure through
/// [`Learner::take_failure`], which the engine asks after `init`, every `train_batch` and every
/// `evaluate`: a failure stops the run with
/// [`SimError::Learner`](crate::engine::SimError::Learner).
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

    /// How many training samples `holder` (a job's `JobId::worker`: its worker, or in a
    /// population its client) holds, where the learner knows: what `weight_by_samples` weighs
    /// an update by. The default knows nothing.
    fn samples_of(&self, holder: u32) -> Option<u64> {
        let _ = holder;
        None
    }

    /// The failure of the latest call, if it failed; taking it clears it. The default never fails.
    fn take_failure(&mut self) -> Option<LearnerFailure> {
        None
    }
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

/// Defines a failure type that carries any error, boxed, and the round in which the engine met it:
/// a caller downcasts the error back to its own type (a Python binding to the exception it raised).
macro_rules! boxed_failure {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            error: Box<dyn std::error::Error + Send + Sync + 'static>,
            round: u64,
        }

        impl $name {
            /// The failure `error` (any error, or a message); the engine sets its round.
            pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
                $name { error: error.into(), round: 0 }
            }

            /// The round t in which the run met it.
            pub fn round(&self) -> u64 {
                self.round
            }

            /// The error as given.
            pub fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                &*self.error
            }

            /// The error as given, to downcast or re-raise.
            pub fn into_error(self) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self.error
            }

            /// The error as `E`, if it is one.
            pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
                self.error.downcast_ref()
            }

            /// The error as `E`, or the failure back if it is not one.
            pub fn downcast<E: std::error::Error + 'static>(self) -> Result<Box<E>, Self> {
                let round = self.round;
                self.error.downcast().map_err(|error| $name { error, round })
            }

            pub(crate) fn in_round(mut self, round: u64) -> Self {
                self.round = round;
                self
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.error.fmt(f)
            }
        }

        impl std::error::Error for $name {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.error.source()
            }
        }
    };
}
pub(crate) use boxed_failure;

boxed_failure! {
    /// Why a learner could not go on: any error, boxed (a caller gets its own type back with
    /// [`LearnerFailure::downcast`]). The run stops in that round with
    /// [`SimError::Learner`](crate::engine::SimError::Learner).
    LearnerFailure
}
