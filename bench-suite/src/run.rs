//! One run: config -> data, learner and job times -> engine -> records.

use std::fmt;

use abs_models::{TrainOptions, burn_learner};

use crate::config::RunConfig;
use crate::sim::{AnalyticLearner, HostTimes, JobTimes, RunRecords, Seeds, SimError, simulate_timed};

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

/// What a run produced, and on what.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    pub records: RunRecords,
    /// The backend that computed it, in words.
    pub backend: String,
    /// The data set's name and where it was read from.
    pub data: String,
    /// Where the host time went (not part of any result).
    pub host: HostTimes,
}

/// Images per forward pass when evaluating.
const EVAL_BATCH: usize = 500;

/// Simulates `cfg` to its stopping rule.
pub fn run(cfg: &RunConfig) -> Result<RunOutput, RunError> {
    let seeds = Seeds::new(cfg.seed);
    let engine = cfg.engine_config().map_err(|e| RunError(e.to_string()))?;
    let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.workers, &seeds).map_err(|e| RunError(e.0))?;
    match (cfg.model.arch(), cfg.data_source()) {
        (Some(arch), Some(source)) => {
            let (device, backend) = abs_models::backend::select(cfg.backend).map_err(RunError)?;
            let data = abs_models::data::load(source, cfg.data_dir.as_deref()).map_err(|e| RunError(e.0))?;
            let opts = TrainOptions {
                lr: cfg.lr,
                batch_size: cfg.batch_size,
                workers: cfg.workers,
                partition: cfg.partition,
                eval_samples: cfg.eval_samples,
                eval_batch: EVAL_BATCH,
            };
            let described = match &data.source_dir {
                Some(dir) => format!("{} ({})", data.name, dir.display()),
                None => data.name.to_string(),
            };
            let mut learner = burn_learner(arch, data, opts, seeds, device).map_err(RunError)?;
            let (records, host) = simulate_timed(&engine, learner.as_mut(), &mut times)?;
            Ok(RunOutput {
                records,
                backend,
                data: described,
                host,
            })
        }
        _ => {
            let spec = cfg.analytic.unwrap_or_default();
            let mut learner = AnalyticLearner::new(&spec, cfg.workers, cfg.partition, cfg.lr, cfg.batch_size, seeds);
            if let Some(w) = learner.shard_sizes().iter().position(|&s| s == 0) {
                return Err(RunError(format!(
                    "worker {w} received an empty shard: use more analytic.train_samples or a larger dirichlet alpha"
                )));
            }
            let (records, host) = simulate_timed(&engine, &mut learner, &mut times)?;
            Ok(RunOutput {
                records,
                backend: "cpu (analytic learner, plain Rust)".to_string(),
                data: "synthetic (analytic task)".to_string(),
                host,
            })
        }
    }
}
