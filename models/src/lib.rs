//! What trains a replica: the [`Learner`] trait the engine drives, seeded random streams, data
//! partitions, image data sets, the Burn models (`logreg`, `mlp`, `lenet`, `cnn`) and the
//! [`BurnLearner`] that trains one replica from a flat parameter vector.
//!
//! Tensors never leave this crate: the engine sees flat `f32` vectors only.

pub mod backend;
pub mod burn_learner;
pub mod data;
pub mod flat;
pub mod kernels;
pub mod learner;
pub mod nets;
pub mod partition;
pub mod seeds;
mod stacked;

pub use backend::Backend;
pub use burn_learner::{BurnLearner, TrainOptions, burn_learner};
pub use data::{DataError, DataSource, Dataset, SyntheticShape, SyntheticSpec};
pub use kernels::Kernels;
pub use learner::{Eval, JobId, Learner, TrainJob, train_one_by_one};
pub use nets::{Arch, InputShape, Layer};
pub use partition::{Partition, partition};
pub use seeds::{Purpose, RNG_ALGORITHM, Seeds};
