//! The simulation: a virtual clock, job times, the engine and the learners it drives.

mod analytic;
mod compute_time;
mod engine;
mod events;
mod records;
mod timing;

pub use abs_models::{Eval, JobId, Learner, Purpose, RNG_ALGORITHM, Seeds};
pub use analytic::{AnalyticLearner, AnalyticSpec, normal_cdf};
pub use compute_time::{ComputeTimeSpec, Granularity, JobTimes, Trace, TraceError};
pub use engine::{EngineConfig, KLoss, SimError, simulate};
pub use events::{InFlight, JobQueue};
pub use records::{EvalRecord, RoundRecord, RunRecords, StopReason};
pub use timing::{HostTimes, Timed, simulate_timed};
