//! The Burn side of abs-bench: image data sets, the Burn models (`logreg`, `mlp`, `lenet`, `cnn`),
//! the project's own CPU kernels, backend selection, and the [`BurnLearner`] that implements the
//! simulation core's [`abs_sim::Learner`] over flat parameter vectors.
//!
//! Tensors never leave this crate: the engine sees flat `f32` vectors only.

pub mod backend;
pub mod burn_learner;
pub mod data;
pub mod external;
pub mod flat;
pub mod kernels;
pub mod nets;
mod stacked;

pub use burn_learner::{BurnLearner, DataPlan, TrainOptions, burn_learner};
pub use data::{DataError, Dataset};
pub use external::{ExternalLearner, ExternalModel, JobFacts};
pub use nets::{Arch, Flops, InputShape, Layer};
