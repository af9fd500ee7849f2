//! `abs-bench verify`: a finished run's records checked against each other and against the models
//! that produced them (`abs_sim::verify` holds the checks; this reads the files).

use std::path::{Path, PathBuf};

use abs_sim::verify::{RunLog, Verified, VerifyError, verify};

use crate::error::{Error, Result};
use crate::output::{evals_from, jobs_from, read_manifest, read_records, rounds_from};

/// What verifying one cell folder found.
#[derive(Debug, Clone, PartialEq)]
pub enum CellCheck {
    Verified(Verified),
    /// The run wrote no job log (a sweep without `jobs_log: true`): nothing to check against.
    NoJobLog,
    /// An invariant does not hold, or a file cannot be read as what it should hold.
    Failed(String),
}

/// The cell folders under `dir`: `dir` itself when it holds a manifest, else every finished cell
/// of a results folder (`dir/cells/*/`, temporaries skipped), in name order.
pub fn cell_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.join("manifest.json").is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let cells = dir.join("cells");
    let entries = std::fs::read_dir(&cells).map_err(|_| {
        Error::Usage(format!(
            "{}: neither a run folder (no manifest.json) nor a results folder (no cells/)",
            dir.display()
        ))
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Verifies one run folder: its id, and every invariant of its job log against its rounds and
/// evaluations.
pub fn verify_cell(dir: &Path) -> CellCheck {
    match check(dir) {
        Ok(c) => c,
        Err(e) => CellCheck::Failed(e.to_string()),
    }
}

fn check(dir: &Path) -> Result<CellCheck> {
    let manifest = read_manifest(dir)?;
    let cfg = &manifest.config;
    let id = cfg.hash();
    let in_cells = dir.parent().and_then(Path::file_name).is_some_and(|n| n == "cells");
    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if manifest.config_hash != id || (in_cells && folder != id) {
        return Ok(CellCheck::Failed(format!(
            "the cell id does not match its config: folder {folder}, manifest {}, config {id}",
            manifest.config_hash
        )));
    }
    if !dir.join("jobs.parquet").is_file() {
        return Ok(CellCheck::NoJobLog);
    }
    let rounds = read_records(dir, "rounds", rounds_from)?;
    let evals = read_records(dir, "evals", evals_from)?;
    let jobs = read_records(dir, "jobs", jobs_from)?;
    let params = match (manifest.model_parameters, &cfg.network) {
        (Some(p), _) => p,
        (None, None) => 0,
        (None, Some(_)) => {
            return Ok(CellCheck::Failed(
                "the manifest does not record the model's parameters, which the network's transfer times need".into(),
            ));
        }
    };
    let log = RunLog {
        rounds: &rounds,
        evals: &evals,
        jobs: &jobs,
    };
    Ok(match verify(cfg, params, log) {
        Ok(v) => CellCheck::Verified(v),
        Err(e @ (VerifyError::Violation(_) | VerifyError::Unverifiable(_))) => CellCheck::Failed(e.to_string()),
    })
}
