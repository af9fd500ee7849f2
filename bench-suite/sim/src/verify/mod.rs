//! Checks a run's records against each other and against the models that produced them: the
//! simulator auditing its own bookkeeping (docs/semantics.md, "15. The job log", lists the checks).
//!
//! Everything is recomputed from the job log and the resolved config: the rounds, counters and
//! staleness from the jobs' fates, and the jobs' times by drawing them again from their streams.

use std::collections::HashMap;

use abs_policies::Threshold;

use crate::config::RunConfig;
use crate::engine::{Cause, EvalRecord, Fate, JobRecord, JobTimes, RoundRecord, transfer_seconds};
use crate::seeds::Seeds;

mod absences;
mod clients;
mod counters;
mod rounds;
mod sequences;
mod staleness;
#[cfg(test)]
mod tests;
mod times;

use absences::check_absences;
use clients::check_clients;
use counters::check_counters;
use rounds::check_rounds;
use sequences::{check_sequences, jobs_by_worker};
use staleness::check_staleness;
use times::{check_clock, check_job_times};

/// Why a run's records failed verification, or could not be verified.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VerifyError {
    /// An invariant does not hold: the first one found, in words.
    #[error("{0}")]
    Violation(String),
    /// The models cannot be rebuilt (a trace file that is gone or changed since the run, a config
    /// that no longer resolves).
    #[error("cannot verify: {0}")]
    Unverifiable(String),
}

/// What a successful verification covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub jobs: usize,
    pub rounds: usize,
    pub evals: usize,
}

/// One run's records, as written.
#[derive(Debug, Clone, Copy)]
pub struct RunLog<'a> {
    pub rounds: &'a [RoundRecord],
    pub evals: &'a [EvalRecord],
    pub jobs: &'a [JobRecord],
}

fn fail<T>(message: String) -> Result<T, VerifyError> {
    Err(VerifyError::Violation(message))
}

fn job_name(j: &JobRecord) -> String {
    match j.client {
        Some(c) => format!("job {} of slot {} (client {c})", j.job, j.worker),
        None => format!("job {} of worker {}", j.job, j.worker),
    }
}

/// Verifies `log` as a run of `cfg` with a model of `params` parameters.
pub fn verify(cfg: &RunConfig, params: usize, log: RunLog<'_>) -> Result<Verified, VerifyError> {
    // the job times are drawn again from the traces: they must be the ones the run read
    cfg.check_traces().map_err(|e| VerifyError::Unverifiable(e.to_string()))?;
    let engine = cfg
        .engine_config_with_system()
        .map_err(|e| VerifyError::Unverifiable(e.to_string()))?;
    let by_worker = jobs_by_worker(cfg.slots(), log.jobs)?;
    check_clock(log)?;
    check_job_times(cfg, params, &engine, &by_worker)?;
    check_sequences(&by_worker)?;
    check_rounds(&engine, log)?;
    check_staleness(&engine, log)?;
    check_counters(log, cfg.eval_every, cfg.eval_interval)?;
    if let Some(a) = &engine.availability {
        check_absences(a, &by_worker)?;
    }
    if let Some(p) = &engine.population {
        check_clients(p, log.jobs)?;
    } else if let Some(j) = log.jobs.iter().find(|j| j.client.is_some()) {
        return fail(format!("{}: ran on a client, in a run without `clients`", job_name(j)));
    }
    Ok(Verified {
        jobs: log.jobs.len(),
        rounds: log.rounds.len(),
        evals: log.evals.len(),
    })
}
