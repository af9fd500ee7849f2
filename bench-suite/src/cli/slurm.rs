//! `abs-bench slurm`: a ready sbatch script for a sweep, and optionally its submission.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{Error, Result};
use crate::runner::SlurmJob;

#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// The sweep file.
    sweep: PathBuf,
    /// Results folder every task writes into (on a file system every node sees).
    #[arg(long, default_value = "out/sweep")]
    out: PathBuf,
    /// Array tasks, one shard each (default: the number of cells, at most 8).
    #[arg(long)]
    shards: Option<u32>,
    /// CPU cores per task (each task runs one cell per core).
    #[arg(long, default_value_t = 4)]
    cpus_per_task: u32,
    /// Memory per task, as SLURM writes it.
    #[arg(long, default_value = "4G")]
    mem: String,
    /// Time limit per task, as SLURM writes it.
    #[arg(long, default_value = "02:00:00")]
    time: String,
    /// SLURM partition (default: the cluster's default).
    #[arg(long)]
    partition: Option<String>,
    /// Where to write the script (default: OUT/<sweep name>.sbatch).
    #[arg(long)]
    script: Option<PathBuf>,
    /// Submit it with sbatch.
    #[arg(long)]
    submit: bool,
    /// With --submit: wait until every task ends (sbatch --wait); exit non-zero if one failed.
    #[arg(long, requires = "submit")]
    wait: bool,
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(Error::io("resolve", p))
}

pub fn slurm(a: SlurmArgs) -> Result<()> {
    // the shards are drawn from the distinct cells, as `sweep` draws them
    let mut sweep = abs_sim::sweep::load_sweep_with(&a.sweep, &Default::default())?;
    // the script may be written on a login node without the data; the tasks stamp it themselves
    crate::data_identity::stamp_sweep(&mut sweep, crate::data_identity::Missing::AssumeRelease)?;
    // a tuned sweep's array runs its tuning cells, then (written again) its chosen settings
    let cells = match crate::runner::Phase::of(&a.out, &mut sweep)? {
        crate::runner::Phase::Cells(cells) => cells,
        crate::runner::Phase::Tuning { cells, unfinished } => {
            println!(
                "{}: tuned: this array runs the {} cells of its current tuning stage ({unfinished} unfinished); when it is done, run `abs-bench slurm` again for the next stage, until it writes the chosen settings",
                a.sweep.display(),
                cells.len()
            );
            cells
        }
    };
    let (cells, _) = abs_sim::sweep::distinct(cells);
    let shards = a.shards.unwrap_or_else(|| (cells.len() as u32).clamp(1, 8));
    if shards == 0 || shards as usize > cells.len().max(1) {
        return Err(Error::Usage(format!(
            "--shards {shards}: expected 1 to {} (the sweep has {} cells)",
            cells.len().max(1),
            cells.len()
        )));
    }
    if a.cpus_per_task == 0 {
        return Err(Error::Usage("--cpus-per-task 0: expected at least 1".into()));
    }
    let stem = a.sweep.file_stem().map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
    let job = SlurmJob {
        binary: std::env::current_exe().map_err(Error::io("find", "the abs-bench binary"))?,
        sweep: absolute(&a.sweep)?,
        out: absolute(&a.out)?,
        shards,
        name: format!("abs-{stem}"),
        cpus_per_task: a.cpus_per_task,
        mem: a.mem.clone(),
        time: a.time.clone(),
        partition: a.partition.clone(),
    };
    std::fs::create_dir_all(job.logs()).map_err(Error::io("create", job.logs()))?;
    let script = a.script.clone().unwrap_or_else(|| job.out.join(format!("{stem}.sbatch")));
    std::fs::write(&script, job.script()).map_err(Error::io("write", &script))?;
    println!(
        "{}: {} cells in {shards} shards; wrote {} (submit: sbatch {})",
        a.sweep.display(),
        cells.len(),
        script.display(),
        script.display()
    );
    if !a.submit {
        return Ok(());
    }
    let mut sbatch = std::process::Command::new("sbatch");
    if a.wait {
        sbatch.arg("--wait");
    }
    let status = sbatch.arg(&script).status().map_err(|e| {
        Error::Usage(format!(
            "cannot run sbatch ({e}): submit {} on a SLURM login node",
            script.display()
        ))
    })?;
    if !status.success() {
        return Err(Error::Usage(format!(
            "sbatch {} ended with {status}: the tasks' logs are in {}",
            script.display(),
            job.logs().display()
        )));
    }
    Ok(())
}
