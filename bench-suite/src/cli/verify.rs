//! `abs-bench verify`: every invariant of the simulation checked from a run's job log.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::verify::{CellCheck, cell_dirs, verify_cell};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A run folder (from `run --out`) or a results folder (from `sweep`; every cell in it).
    dir: PathBuf,
}

pub fn verify(args: VerifyArgs) -> Result<()> {
    let dirs = cell_dirs(&args.dir)?;
    let (mut verified, mut jobs, mut no_log, mut failed) = (0usize, 0usize, 0usize, Vec::new());
    for dir in &dirs {
        match verify_cell(dir) {
            CellCheck::Verified(v) => {
                verified += 1;
                jobs += v.jobs;
            }
            CellCheck::NoJobLog => no_log += 1,
            CellCheck::Failed(why) => {
                eprintln!("{}: {why}", dir.display());
                failed.push(format!("{}: {why}", dir.display()));
            }
        }
    }
    let without = if no_log > 0 {
        format!("; {no_log} without a job log (run sweeps with `jobs_log: true` or `--jobs-log`)")
    } else {
        String::new()
    };
    println!(
        "{}: {verified} of {} runs verified ({jobs} jobs){without}",
        args.dir.display(),
        dirs.len()
    );
    if let Some(first) = failed.first() {
        return Err(Error::Unverified(format!(
            "{} of {} runs failed; the first: {first}",
            failed.len(),
            dirs.len()
        )));
    }
    if verified == 0 {
        return Err(Error::Unverified(format!(
            "{}: no run with a job log to verify",
            args.dir.display()
        )));
    }
    Ok(())
}
