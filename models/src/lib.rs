//! Data partitions now; Burn models, data sets and the learner that trains one replica with the
//! "real models and real data" issue. The simulator core runs on the analytic learner of
//! `abs-bench` until then.

pub mod partition;

pub use partition::{Partition, partition};
