//! The simulation of one run: a virtual clock, job times, the round-by-round engine and the
//! plain-Rust learner its tests drive (docs/semantics.md states the semantics).

mod analytic;
mod availability;
mod clock;
mod compute_time;
mod config;
mod events;
mod inbox;
mod jobs;
mod network;
mod records;
mod round;
mod slots;
mod step;
mod timing;

pub use analytic::{AnalyticLearner, AnalyticSpec, Validation, normal_cdf};
pub use availability::{Absences, Availability, AvailabilitySpec, read_patterns};
pub use compute_time::{ComputeTimeSpec, Granularity, JobTimes, Trace, TraceError};
pub use events::{Event, InFlight, JobQueue};
pub use jobs::{Cause, Fate, JobRecord};
pub use network::{BandwidthSpec, ClientLinks, Links, NetworkSpec, transfer_seconds};
pub use records::{EvalRecord, RoundRecord, RunRecords, StopReason};
pub use round::{EngineConfig, KLoss, Progress, SimError, eval_due, simulate, simulate_observed, simulate_with};
pub use step::{BuiltinStep, RoundFacts, ServerStep, StepFailure, Update};
pub use timing::{HostTimes, Timed, simulate_timed, simulate_timed_with};
