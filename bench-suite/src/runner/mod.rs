//! Running a sweep's cells into a results folder, in parallel, resumably, one shard at a time.
//!
//! Layout: `OUT/cells/<id>/{rounds.parquet, evals.parquet, manifest.json}` for finished cells and
//! `OUT/failed/<id>.json` for failed ones. A rerun skips finished cells and retries failed ones.
//!
//! Parallelism: `jobs` runner threads take cells in expansion order; each runs its cell inside its
//! own rayon pool of `threads` threads, which is where the Burn backend's kernels run, so
//! `jobs x threads <= cores`. Results do not depend on either number (each job's RNG stream is keyed
//! by seed, worker and job, and the kernels are deterministic across thread counts).

mod adopt;
mod cell;
mod progress;
mod shard;
mod slurm;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub use adopt::adopt_earlier;
pub use cell::{CellOutcome, cell_dir, damage, is_finished, run_cell, run_cell_with};
pub use progress::{CellProgress, Reporter, Silent, describe, terminal_bar};
pub use shard::Shard;
pub use slurm::SlurmJob;

use abs_sim::sweep::{Cell, Sweep};
use std::path::Path;

use crate::error::{Error, Result};
use crate::run::Plugins;

/// How many cells run at once and how many backend threads each gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Cells in parallel.
    pub jobs: usize,
    /// Rayon threads per cell (the Burn backend's kernels).
    pub threads: usize,
}

impl Budget {
    /// `jobs` cells at once (default: one per core, but never more than there are cells), each with
    /// an equal share of the cores, at least one thread.
    pub fn new(jobs: Option<usize>, cores: usize, cells: usize) -> Result<Budget> {
        let cores = cores.max(1);
        let jobs = match jobs {
            Some(0) => return Err(Error::Usage("--jobs 0: expected at least 1 cell at a time".into())),
            Some(j) => j,
            None => cores.min(cells.max(1)),
        };
        Ok(Budget {
            jobs,
            threads: (cores / jobs).max(1),
        })
    }

    /// This machine's cores, as the standard library sees them (cgroup limits included).
    pub fn cores() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs `cells` into `out` with the given budget and returns each cell's outcome, in the order of
/// `cells`. Finished cells are skipped unless `force`; a failed cell does not stop the others.
pub fn run_cells(out: &Path, cells: &[Cell], budget: Budget, force: bool, progress: &dyn CellProgress) -> Result<Vec<CellOutcome>> {
    run_cells_with(out, cells, budget, force, None, progress)
}

/// [`run_cells`] with the caller's parts lent to each cell's run.
pub fn run_cells_with(
    out: &Path,
    cells: &[Cell],
    budget: Budget,
    force: bool,
    plugins: Option<&dyn Plugins>,
    progress: &dyn CellProgress,
) -> Result<Vec<CellOutcome>> {
    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<CellOutcome>>> = Mutex::new(vec![None; cells.len()]);
    let workers = budget.jobs.min(cells.len()).max(1);
    let pools = (0..workers)
        .map(|_| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(budget.threads)
                .build()
                .map_err(|source| Error::Threads {
                    threads: budget.threads,
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    std::thread::scope(|scope| {
        for pool in &pools {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(cell) = cells.get(i) else { break };
                    progress.started(cell);
                    let started = Instant::now();
                    let mut observe = |p: &abs_sim::engine::Progress| progress.advanced(cell, p.fraction);
                    let outcome = pool.install(|| run_cell_with(out, cell, force, plugins, &mut observe));
                    progress.finished(cell, &outcome, started.elapsed().as_secs_f64());
                    outcomes.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
                }
            });
        }
    });
    progress.close();
    let outcomes = outcomes.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| CellOutcome::Failed("the runner thread stopped before this cell".into())))
        .collect())
}

/// What [`run_pending`] is about to do, for the caller to announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Cells asked for.
    pub cells: usize,
    /// Of those, already finished and skipped.
    pub finished: usize,
    /// Of those, about to run.
    pub todo: usize,
    pub budget: Budget,
}

/// The cells of a [`run_pending`] call that failed, each with its error, in the given order.
pub type Failed = Vec<(Cell, String)>;

/// The one way the CLI runs cells: skips those finished in `out` (unless `force`), sizes the thread
/// budget for the rest (`jobs` cells at once, default one per core), lets the caller announce the
/// [`Plan`], runs them with a progress reporter and returns the failed ones.
pub fn run_pending(out: &Path, cells: &[Cell], jobs: Option<usize>, force: bool, announce: impl FnOnce(&Plan)) -> Result<Failed> {
    run_pending_with(out, cells, jobs, force, None, announce)
}

/// [`run_pending`] with the caller's parts lent to each cell's run: one cell at a time, since
/// they are lent to one run at a time.
pub fn run_pending_with(
    out: &Path,
    cells: &[Cell],
    jobs: Option<usize>,
    force: bool,
    plugins: Option<&dyn Plugins>,
    announce: impl FnOnce(&Plan),
) -> Result<Failed> {
    let jobs = if plugins.is_some() { Some(1) } else { jobs };
    let adopted = if force { 0 } else { adopt_earlier(out, cells) };
    if adopted > 0 {
        eprintln!(
            "{}: {adopted} finished cells kept from their earlier ids (data folders and unread keys left cell ids; docs/semantics.md, \"Cell identity\")",
            out.display()
        );
    }
    let todo: Vec<Cell> = cells.iter().filter(|c| force || !is_finished(out, c)).cloned().collect();
    for c in &todo {
        let dir = cell_dir(out, c);
        if dir.join("manifest.json").is_file()
            && let Some(why) = damage(&dir, &c.id, c.jobs_log)
        {
            eprintln!("{}: {why}: running it again", dir.display());
        }
    }
    let budget = Budget::new(jobs, Budget::cores(), todo.len())?;
    announce(&Plan {
        cells: cells.len(),
        finished: cells.len() - todo.len(),
        todo: todo.len(),
        budget,
    });
    let reporter = Reporter::new(todo.len());
    let outcomes = run_cells_with(out, &todo, budget, force, plugins, &reporter)?;
    Ok(failures(&todo, &outcomes)
        .into_iter()
        .map(|(c, e)| (c.clone(), e.to_string()))
        .collect())
}

/// The cells whose outcome is a failure, each with its error (`cells` and `outcomes` as
/// [`run_cells`] takes and returns them).
pub fn failures<'a>(cells: &'a [Cell], outcomes: &'a [CellOutcome]) -> Vec<(&'a Cell, &'a str)> {
    cells
        .iter()
        .zip(outcomes)
        .filter_map(|(c, o)| match o {
            CellOutcome::Failed(e) => Some((c, e.as_str())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_never_oversubscribes_the_cores() {
        assert_eq!(Budget::new(None, 8, 100).unwrap(), Budget { jobs: 8, threads: 1 });
        assert_eq!(Budget::new(None, 8, 2).unwrap(), Budget { jobs: 2, threads: 4 });
        assert_eq!(Budget::new(Some(3), 8, 100).unwrap(), Budget { jobs: 3, threads: 2 });
        assert_eq!(Budget::new(Some(16), 8, 100).unwrap(), Budget { jobs: 16, threads: 1 });
        assert_eq!(Budget::new(None, 2, 0).unwrap(), Budget { jobs: 1, threads: 2 });
        assert!(Budget::new(Some(0), 8, 1).is_err());
        for cores in 1..10 {
            for jobs in 1..=cores {
                let b = Budget::new(Some(jobs), cores, 50).unwrap();
                assert!(b.jobs * b.threads <= cores, "{b:?} on {cores} cores");
            }
        }
    }

    #[test]
    fn parallel_runs_equal_sequential_runs() {
        let yaml = "base: {model: analytic, max_rounds: 40, eval_every: 10, analytic: {dim: 4, train_samples: 300, test_samples: 100}}\n\
                    policies: {abs: abs, async: async, kasync: {policy: k_async, k: 2}}\ngrid: {seed: [0, 1]}\n";
        let cells = abs_sim::sweep::expand(yaml, "t.yaml").unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path().to_path_buf();
        let (one, three) = (root.join("one"), root.join("three"));
        let a = run_cells(&one, &cells, Budget { jobs: 1, threads: 1 }, false, &Silent).unwrap();
        let b = run_cells(&three, &cells, Budget { jobs: 3, threads: 1 }, false, &Silent).unwrap();
        assert!(a.iter().chain(&b).all(|o| *o == CellOutcome::Done), "{a:?} {b:?}");
        for c in &cells {
            for f in ["rounds.parquet", "evals.parquet"] {
                let x = std::fs::read(cell_dir(&one, c).join(f)).unwrap();
                let y = std::fs::read(cell_dir(&three, c).join(f)).unwrap();
                assert!(x == y, "{f} of {} differs between 1 and 3 jobs", c.id);
            }
        }
        let again = run_cells(&three, &cells, Budget { jobs: 2, threads: 1 }, false, &Silent).unwrap();
        assert!(again.iter().all(|o| *o == CellOutcome::Skipped));
    }
}

/// What a sweep runs now: an untuned sweep's cells; a tuned sweep's current tuning stage until the
/// protocol has chosen every setting from the finished cells in `out`, then its chosen settings on
/// the reported seeds (`sweep.cells`).
#[derive(Debug)]
pub enum Phase {
    Cells(Vec<Cell>),
    /// The tuning stage due (docs/semantics.md, section 13, "Tuning"), with how many of its cells
    /// are not finished yet.
    Tuning {
        cells: Vec<Cell>,
        unfinished: usize,
    },
}

impl Phase {
    pub fn of(out: &Path, sweep: &mut Sweep) -> Result<Phase> {
        Self::from(crate::results::choose(out, sweep)?, sweep)
    }

    /// As [`Phase::of`], counting as finished only the cells in `ran` (`--force`: every stage runs
    /// again, each chosen from what this run computed).
    pub fn forced(out: &Path, sweep: &mut Sweep, ran: &[String]) -> Result<Phase> {
        Self::from(crate::results::choose_among(out, sweep, Some(ran))?, sweep)
    }

    fn from(choice: crate::results::Choice, sweep: &Sweep) -> Result<Phase> {
        Ok(match choice {
            crate::results::Choice::Made => Phase::Cells(sweep.cells.clone()),
            crate::results::Choice::Waiting { due, unfinished } => Phase::Tuning { cells: due, unfinished },
        })
    }
}
