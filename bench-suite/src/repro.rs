//! `abs-bench repro`: the same config run several times, on different thread counts, must give
//! bit-identical records.

use crate::error::{Error, Result};
use crate::run::run;
use abs_sim::config::RunConfig;

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
