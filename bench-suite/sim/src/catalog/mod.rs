//! What a config can name: the data sets, the models, the kernels and the backends, each with the
//! facts every other part of the project reads from here (shapes, targets, where files are looked
//! for and how to get them, which models have convolutions).

mod backend;
mod datasets;
mod models;

pub use backend::Backend;
pub use datasets::{DATA_DIR_ENV, DataSource, DatasetName, SyntheticShape, SyntheticSpec};
pub use models::{Kernels, ModelName, NATIVE_KERNELS_REVISION};
