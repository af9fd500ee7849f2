//! The simulation core of abs-bench: everything between a YAML file and the records of a run,
//! with no tensor library, data frame or plotting crate in its dependency tree.
//!
//! Data flows one way: [`config`] (YAML layers, checks, the cell id) and [`sweep`] (grids of
//! configs into cells) -> [`engine`] (the discrete-event simulation of one run, driving a
//! [`Learner`]) -> records. A model plugs in through the [`Learner`] trait over flat `f32`
//! vectors; [`engine::AnalyticLearner`] is the plain-Rust one the tests use, and abs-models holds
//! the Burn ones. docs/semantics.md states what is simulated.

pub mod catalog;
pub mod config;
pub mod doubles;
pub mod engine;
pub mod learner;
pub mod partition;
pub mod population;
pub mod seeds;
pub mod stats;
pub mod sweep;
pub mod validation;
pub mod verify;

pub use learner::{Eval, JobId, Learner, LearnerFailure, TrainJob, train_one_by_one};
pub use partition::{Partition, partition};
pub use seeds::{Purpose, RNG_ALGORITHM, Seeds};
