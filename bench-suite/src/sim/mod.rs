//! The simulation: a virtual clock, job times, the engine and the learners it drives.

mod analytic;
mod compute_time;
mod engine;
mod events;
mod learner;
mod records;
mod seeds;

pub use analytic::{AnalyticLearner, AnalyticSpec, normal_cdf};
pub use compute_time::{ComputeTimeSpec, Granularity, JobTimes, Trace, TraceError};
pub use engine::{EngineConfig, KLoss, SimError, simulate};
pub use events::{InFlight, JobQueue};
pub use learner::{Eval, JobId, Learner};
pub use records::{EvalRecord, RoundRecord, RunRecords, StopReason};
pub use seeds::{Purpose, RNG_ALGORITHM, Seeds};
