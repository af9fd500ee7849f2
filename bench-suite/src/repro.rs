//! `abs-bench repro`: the same config run several times, on different thread counts, must give
//! bit-identical records; a finished cell rerun from its manifest must give the records it holds.

use crate::error::{Error, Result};
use crate::run::run;
use abs_sim::config::RunConfig;
use abs_sim::engine::RunRecords;

/// One of the runs a reproducibility check made.
#[derive(Debug, Clone)]
pub struct ReproRun {
    pub threads: usize,
    pub digest: String,
    pub rounds: usize,
    pub seconds: f64,
}

/// Runs `cfg` once per entry of `threads` (each inside a rayon pool of that many threads) and fails
/// with the first difference unless every run is bit-identical to the first.
pub fn check(cfg: &RunConfig, threads: &[usize]) -> Result<Vec<ReproRun>> {
    let mut first = None;
    let mut runs = Vec::new();
    for &t in threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build()
            .map_err(|source| Error::Threads { threads: t, source })?;
        let started = std::time::Instant::now();
        let out = pool.install(|| run(cfg))?;
        let records = out.records;
        runs.push(ReproRun {
            threads: t,
            digest: records.digest(),
            rounds: records.rounds.len(),
            seconds: started.elapsed().as_secs_f64(),
        });
        match &first {
            None => first = Some(records),
            Some(reference) => {
                if let Some(diff) = reference.first_difference(&records) {
                    return Err(Error::NotReproducible(format!(
                        "run {} ({t} thread{}) differs from run 1 ({} thread{}) at {diff}",
                        runs.len(),
                        if t == 1 { "" } else { "s" },
                        threads[0],
                        if threads[0] == 1 { "" } else { "s" },
                    )));
                }
            }
        }
    }
    Ok(runs)
}

/// The default plan: twice on every core, once on a different thread count.
pub fn default_threads(cores: usize) -> Vec<usize> {
    let other = if cores > 1 { 1 } else { 2 };
    vec![cores.max(1), cores.max(1), other]
}

/// A finished cell rerun from its manifest: what was compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellRerun {
    pub rounds: usize,
    pub evals: usize,
    /// Jobs compared (0 when the cell has no job log).
    pub jobs: usize,
}

/// Runs the recorded config of the cell in `dir` again and compares every round, evaluation and
/// (when logged) job with what the cell holds, bit for bit.
pub fn check_cell(dir: &std::path::Path) -> Result<CellRerun> {
    use crate::output::{evals_from, jobs_from, read_manifest, read_records, rounds_from};
    use abs_sim::catalog::{Kernels, NATIVE_KERNELS_REVISION};
    let m = read_manifest(dir)?;
    let cfg = m.config;
    if cfg.kernels == Some(Kernels::Native) && cfg.kernels_revision != Some(NATIVE_KERNELS_REVISION) {
        return Err(Error::NotReproducible(format!(
            "{}: computed by the native kernels' revision {:?}, this binary has revision {NATIVE_KERNELS_REVISION}: another floating-point realisation, so another cell",
            dir.display(),
            cfg.kernels_revision
        )));
    }
    let rounds = read_records(dir, "rounds", rounds_from)?;
    let evals = read_records(dir, "evals", evals_from)?;
    let jobs = if dir.join("jobs.parquet").is_file() {
        Some(read_records(dir, "jobs", jobs_from)?)
    } else {
        None
    };
    let again = run(&cfg)?.records;
    let stored = RunRecords {
        rounds,
        evals,
        jobs: Vec::new(),
        stop: m.stop_reason,
        params: again.params.clone(),
    };
    if let Some(d) = stored.first_difference(&again) {
        return Err(Error::NotReproducible(format!("{}: stored vs rerun: {d}", dir.display())));
    }
    if let Some(jobs) = &jobs {
        let bits = |j: &abs_sim::engine::JobRecord| format!("{j:?}");
        if let Some((a, b)) = jobs.iter().zip(&again.jobs).find(|(a, b)| bits(a) != bits(b)) {
            return Err(Error::NotReproducible(format!(
                "{}: job log, stored {a:?} vs rerun {b:?}",
                dir.display()
            )));
        }
        if jobs.len() != again.jobs.len() {
            return Err(Error::NotReproducible(format!(
                "{}: job log, {} jobs stored vs {} rerun",
                dir.display(),
                jobs.len(),
                again.jobs.len()
            )));
        }
    }
    Ok(CellRerun {
        rounds: stored.rounds.len(),
        evals: stored.evals.len(),
        jobs: jobs.map_or(0, |j| j.len()),
    })
}
