//! `abs-bench sweep`: a grid of configs into a results folder, resumable and shardable.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::data_identity::Missing;
use crate::error::{Error, Result};
use crate::run::Plugins;
use crate::runner::{Phase, Shard, describe, run_pending_with};
use abs_sim::sweep::Cell;

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The sweep file (YAML: base, policies, conditions, grid, zip, exclude, quick, figure,
    /// jobs_log; docs/config.md).
    pub sweep: PathBuf,
    /// Results folder.
    #[arg(long, default_value = "out/sweep")]
    pub out: PathBuf,
    /// Print the cell count and a table of cells; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rerun cells that are already finished.
    #[arg(long)]
    pub force: bool,
    /// Cells at once (default: one per core); each gets cores/jobs backend threads.
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Run only shard INDEX/COUNT (0-based) of the cells; default from $SLURM_ARRAY_TASK_ID or
    /// $JOB_COMPLETION_INDEX (see docs/cluster.md).
    #[arg(long, value_name = "INDEX/COUNT")]
    pub shard: Option<String>,
    /// Every cell also writes its job log, jobs.parquet (as `jobs_log: true` in the sweep file); a
    /// cell finished without one is run again, to the same results plus its log.
    #[arg(long)]
    pub jobs_log: bool,
}

impl SweepArgs {
    /// The sweep file `sweep` into `out`, with every flag at its default (the library's entry).
    pub fn new(sweep: PathBuf, out: PathBuf) -> SweepArgs {
        SweepArgs {
            sweep,
            out,
            dry_run: false,
            force: false,
            jobs: None,
            shard: None,
            jobs_log: false,
        }
    }
}

/// Runs (or lists, with `dry_run`) a sweep stage by stage into its results folder.
pub fn sweep(a: SweepArgs) -> Result<()> {
    sweep_with(a, None)
}

/// [`sweep`] with the caller's parts lent to every cell (one cell at a time), their names and
/// versions in every cell's id.
pub fn sweep_with(a: SweepArgs, plugins: Option<&dyn Plugins>) -> Result<()> {
    let mut sweep = abs_sim::sweep::load_sweep_with(&a.sweep, &Default::default())?;
    if a.jobs_log {
        sweep.cells.iter_mut().for_each(|c| c.jobs_log = true);
        sweep.tuning.iter_mut().flat_map(|t| t.cells_mut()).for_each(|c| c.jobs_log = true);
    }
    let learner_lent = plugins.is_some_and(|p| p.stamps().iter().any(|(role, _)| role == "learner"));
    if !learner_lent
        && sweep
            .first_cells()
            .iter()
            .any(|c| c.config.model == abs_sim::catalog::ModelName::External)
    {
        return Err(Error::Usage(format!("{}: {}", a.sweep.display(), super::run::EXTERNAL_FROM_PYTHON)));
    }
    for w in abs_sim::sweep::ignored_key_warnings(&sweep.first_cells()) {
        eprintln!("warning: {}: {w}", a.sweep.display());
    }
    // a listing may be made where the data is not; a run needs it
    let missing = if a.dry_run { Missing::AssumeRelease } else { Missing::Refuse };
    crate::data_identity::stamp_sweep(&mut sweep, missing)?;
    if let Some(p) = plugins {
        let stamps = p.stamps();
        crate::data_identity::stamp_sweep_with(&mut sweep, |cells| {
            crate::data_identity::stamp_extensions(cells, &stamps);
            Ok(())
        })?;
    }
    // this task's shard, given or from the scheduler (None: the whole sweep)
    let shard = match a.shard.as_deref() {
        Some(text) => Some(Shard::parse(text).map_err(Error::Usage)?),
        None => Shard::from_env(|k| std::env::var(k).ok()).map_err(Error::Usage)?,
    };
    let sharded = shard.is_some();
    let shard = shard.unwrap_or(Shard::ALL);
    // forced: every stage runs again, each chosen from cells this run computed
    let mut forced: Vec<String> = Vec::new();
    // stage by stage: the tuning's rungs and extensions as they become due, then the chosen settings
    loop {
        let phase = if a.force && sweep.tuning.is_some() {
            Phase::forced(&a.out, &mut sweep, &forced)?
        } else {
            Phase::of(&a.out, &mut sweep)?
        };
        let stage = match phase {
            Phase::Cells(cells) => return run_phase(&a, shard, cells, plugins),
            Phase::Tuning { cells, unfinished } => {
                eprintln!(
                    "{}: tuning: {unfinished} of the {} cells of its current stage to run; the next stage, and then the chosen settings, run once they are all finished",
                    a.sweep.display(),
                    cells.len()
                );
                cells
            }
        };
        forced.extend(stage.iter().map(|c| c.id.clone()));
        run_phase(&a, shard, stage.clone(), plugins)?;
        if a.dry_run || (sharded && a.force) {
            return Ok(());
        }
        // a shard goes on while the stage is complete; otherwise the other shards' share is missing
        if sharded && !stage.iter().all(|c| crate::runner::is_finished(&a.out, c)) {
            return Ok(());
        }
    }
}

/// Lists or runs this shard's part of `cells`.
fn run_phase(a: &SweepArgs, shard: Shard, cells: Vec<Cell>, plugins: Option<&dyn Plugins>) -> Result<()> {
    let (cells, same) = abs_sim::sweep::distinct(cells);
    for s in same {
        eprintln!("note: {}: {s}", a.sweep.display());
    }
    let mine = shard.select(&cells);
    let in_shard = if shard == Shard::ALL {
        String::new()
    } else {
        format!(" (shard {shard}: {} of {} cells)", mine.len(), cells.len())
    };
    if a.dry_run {
        println!("{}: {} cells{in_shard}", a.sweep.display(), mine.len());
        let conditions = cells.iter().any(|c| !c.condition.is_empty());
        let width = cells.iter().map(|c| c.condition.chars().count()).max().unwrap_or(0).max(9);
        let condition = |name: &str| if conditions { format!("{name:<width$}  ") } else { String::new() };
        println!("{:>5}  {:<16}  {:<14}  {}point", "cell", "id", "policy", condition("condition"));
        for (i, c) in cells.iter().enumerate().filter(|(i, _)| shard.holds(*i)) {
            let point = serde_json::to_string(&c.point).unwrap_or_default();
            println!("{i:>5}  {:<16}  {:<14}  {}{point}", c.id, c.label, condition(&c.condition));
        }
        return Ok(());
    }
    run_cells(a, &mine, &in_shard, plugins)
}

/// Runs this shard's unfinished cells, saying what it will do first and what failed at the end.
fn run_cells(a: &SweepArgs, mine: &[abs_sim::sweep::Cell], in_shard: &str, plugins: Option<&dyn Plugins>) -> Result<()> {
    let (sweep, out) = (a.sweep.display(), a.out.display());
    let mut todo = 0;
    let failed = run_pending_with(&a.out, mine, a.jobs, a.force, plugins, |plan| {
        todo = plan.todo;
        let b = plan.budget;
        let plural = if b.threads == 1 { "" } else { "s" };
        eprintln!(
            "{sweep}: {} cells{in_shard}, {} already finished; running {} ({} at a time, {} thread{plural} each) into {out}",
            plan.cells, plan.finished, plan.todo, b.jobs, b.threads
        );
    })?;
    let failed: Vec<String> = failed.into_iter().map(|(c, e)| format!("{}: {e}", describe(&c))).collect();
    if failed.is_empty() {
        println!(
            "{sweep}: {} cells{in_shard} finished in {}",
            mine.len(),
            cells_dir(&a.out).display()
        );
        return Ok(());
    }
    Err(Error::CellsFailed {
        failed: failed.len(),
        of: todo,
        folder: a.out.join("failed"),
        lines: failed,
    })
}

fn cells_dir(out: &Path) -> PathBuf {
    out.join("cells")
}
