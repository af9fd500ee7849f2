//! One run: config -> learner and job times -> engine -> records.

use std::fmt;

use crate::config::{ModelName, RunConfig};
use crate::sim::{AnalyticLearner, JobTimes, RunRecords, Seeds, SimError, simulate};

/// A run that failed after its config was accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError(pub String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for RunError {}

impl From<SimError> for RunError {
    fn from(e: SimError) -> Self {
        RunError(e.0)
    }
}

/// Which backend computed a run, for manifests.
pub fn backend_name(cfg: &RunConfig) -> &'static str {
    match cfg.model {
        ModelName::Analytic => "cpu (analytic learner, plain Rust)",
        _ => "unavailable",
    }
}

/// Simulates `cfg` to its stopping rule.
pub fn run(cfg: &RunConfig) -> Result<RunRecords, RunError> {
    let seeds = Seeds::new(cfg.seed);
    let engine = cfg.engine_config().map_err(|e| RunError(e.to_string()))?;
    let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.workers, &seeds).map_err(|e| RunError(e.0))?;
    match cfg.model {
        ModelName::Analytic => {
            let spec = cfg.analytic.unwrap_or_default();
            let mut learner = AnalyticLearner::new(&spec, cfg.workers, cfg.partition, cfg.lr, cfg.batch_size, seeds);
            if let Some(w) = learner.shard_sizes().iter().position(|&s| s == 0) {
                return Err(RunError(format!(
                    "worker {w} received an empty shard: use more analytic.train_samples or a larger dirichlet alpha"
                )));
            }
            Ok(simulate(&engine, &mut learner, &mut times)?)
        }
        other => Err(RunError(format!("model {other} is not available in this build"))),
    }
}
