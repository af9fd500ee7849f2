//! One cell into the results folder: written to a temporary folder and renamed, so a killed sweep
//! never leaves a half-written cell; a failed cell leaves `OUT/failed/<id>.json` (its error) and is
//! retried by the next run.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::output::Outputs;
use crate::run::{Plugins, run_into, run_into_with};
use abs_sim::engine::Progress;
use abs_sim::sweep::Cell;

/// What happened to one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellOutcome {
    /// Already in the results folder.
    Skipped,
    Done,
    Failed(String),
}

/// Set when a cell could not be written for lack of space: the cells after it are not started
/// (they would fail the same way), and the sweep ends listing them.
static DISK_FULL: AtomicBool = AtomicBool::new(false);

/// The folder holding a finished cell.
pub fn cell_dir(out: &Path, cell: &Cell) -> PathBuf {
    out.join("cells").join(&cell.id)
}

/// Runs one cell unless its results are already there (`force` reruns it), reporting each round
/// to `observe`.
pub fn run_cell(out: &Path, cell: &Cell, force: bool, observe: &mut dyn FnMut(&Progress)) -> CellOutcome {
    run_cell_with(out, cell, force, None, observe)
}

/// [`run_cell`] with the caller's parts lent to the run.
pub fn run_cell_with(
    out: &Path,
    cell: &Cell,
    force: bool,
    plugins: Option<&dyn Plugins>,
    observe: &mut dyn FnMut(&Progress),
) -> CellOutcome {
    let dir = cell_dir(out, cell);
    if is_finished(out, cell) && !force {
        return CellOutcome::Skipped;
    }
    let failed = out.join("failed").join(format!("{}.json", cell.id));
    if DISK_FULL.load(Ordering::Relaxed) {
        return CellOutcome::Failed("not run: the disk of the results folder is full (an earlier cell could not be written)".into());
    }
    remove_stale_temporaries(out, &cell.id);
    let tmp = out.join("cells").join(format!(".tmp-{}-{}", cell.id, std::process::id()));
    let result = run_catching_panics(cell, &tmp, plugins, observe).and_then(|()| {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot replace {}: {e}", dir.display()))?;
        }
        std::fs::rename(&tmp, &dir).map_err(|e| format!("cannot move {} to {}: {e}", tmp.display(), dir.display()))
    });
    match result {
        Ok(()) => {
            let _ = std::fs::remove_file(&failed);
            CellOutcome::Done
        }
        Err(e) => {
            // what was written of it is of no use, and takes space
            let _ = std::fs::remove_dir_all(&tmp);
            if e.contains("os error 28") {
                DISK_FULL.store(true, Ordering::Relaxed);
            }
            let record = serde_json::json!({ "id": cell.id, "label": cell.label, "point": cell.point, "error": e, "config": cell.config });
            let _ = std::fs::create_dir_all(out.join("failed"));
            let _ = std::fs::write(&failed, format!("{record:#}\n"));
            CellOutcome::Failed(e)
        }
    }
}

/// Runs the cell's config into `tmp`; a panic deep in a backend becomes this cell's error, not
/// the sweep's end.
fn run_catching_panics(cell: &Cell, tmp: &Path, plugins: Option<&dyn Plugins>, observe: &mut dyn FnMut(&Progress)) -> Result<(), String> {
    let outputs = Outputs {
        csv: false,
        jobs: cell.jobs_log,
    };
    let run = || match plugins {
        None => run_into(&cell.config, tmp, outputs, observe).map(|_| ()).map_err(|e| e.to_string()),
        Some(p) => {
            let mut result = Err("the plug-ins were not lent".to_string());
            p.lend(&mut |ext| {
                result = run_into_with(&cell.config, tmp, outputs, ext, observe)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
            })?;
            result
        }
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(format!("the run panicked: {what}"))
        }
    }
}

/// Whether the cell's results are in the folder, whole (with its job log, when the cell asks for
/// one: a cell finished without it is run again, to bit-identical results plus the log). A damaged
/// cell (see [`damage`]) is not finished, so the next sweep runs it again.
pub fn is_finished(out: &Path, cell: &Cell) -> bool {
    let dir = cell_dir(out, cell);
    dir.join("manifest.json").is_file() && damage(&dir, &cell.id, cell.jobs_log).is_none()
}

/// What is wrong with the cell folder `dir` of cell `id`, if anything: a manifest that does not
/// parse or names another cell, or a frame that is missing or not a whole Parquet file (a
/// truncated copy, a disk that filled up). Cheap: it reads the manifest and each file's ends.
pub fn damage(dir: &Path, id: &str, jobs_log: bool) -> Option<String> {
    let manifest = match crate::output::read_manifest(dir) {
        Ok(m) => m,
        Err(crate::error::Error::Json { source, .. }) => return Some(format!("manifest.json is not a manifest: {source}")),
        Err(crate::error::Error::Io { source, .. }) => return Some(format!("manifest.json cannot be read: {source}")),
        Err(e) => return Some(e.to_string()),
    };
    if manifest.config_hash != id {
        return Some(format!("manifest.json is of cell {}, not {id}", manifest.config_hash));
    }
    let frames: &[&str] = if jobs_log {
        &["rounds", "evals", "jobs"]
    } else {
        &["rounds", "evals"]
    };
    frames.iter().find_map(|name| {
        let file = format!("{name}.parquet");
        whole_parquet(&dir.join(&file)).err().map(|why| format!("{file} {why}"))
    })
}

/// Whether `path` starts and ends with Parquet's magic bytes.
fn whole_parquet(path: &Path) -> Result<(), &'static str> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|_| "is missing")?;
    let len = f.metadata().map_err(|_| "cannot be read")?.len();
    let (mut head, mut tail) = ([0u8; 4], [0u8; 4]);
    let ok = len >= 12
        && f.read_exact(&mut head).is_ok()
        && f.seek(SeekFrom::End(-4)).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && &head == b"PAR1"
        && &tail == b"PAR1";
    if ok { Ok(()) } else { Err("is not a whole Parquet file") }
}

/// Removes what a killed earlier attempt at this cell left behind (only this cell's shard runs it,
/// so nobody else is writing these).
fn remove_stale_temporaries(out: &Path, id: &str) {
    let prefix = format!(".tmp-{id}-");
    if let Ok(entries) = std::fs::read_dir(out.join("cells")) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abs_sim::sweep::expand;

    #[test]
    fn finished_cells_are_skipped_and_failures_recorded() {
        let scratch = tempfile::tempdir().unwrap();
        let out = scratch.path().to_path_buf();
        let yaml =
            "base: {model: analytic, max_rounds: 5, analytic: {dim: 3, train_samples: 200, test_samples: 50}}\ngrid: {seed: [0, 1]}\n";
        let cells = expand(yaml, "s.yaml").unwrap();
        let stale = out.join("cells").join(format!(".tmp-{}-999999", cells[0].id));
        std::fs::create_dir_all(&stale).unwrap();
        assert_eq!(run_cell(&out, &cells[0], false, &mut |_| {}), CellOutcome::Done);
        assert!(!stale.exists(), "a killed attempt's temporary folder is cleaned up");
        assert!(cell_dir(&out, &cells[0]).join("rounds.parquet").is_file());
        assert_eq!(run_cell(&out, &cells[0], false, &mut |_| {}), CellOutcome::Skipped);
        assert_eq!(run_cell(&out, &cells[0], true, &mut |_| {}), CellOutcome::Done);
        // a cell whose trace file is missing fails without touching the others
        let bad = expand(
            "base: {model: analytic, max_rounds: 5, compute_time: {model: trace, path: /nonexistent.csv}}\n",
            "s.yaml",
        )
        .unwrap();
        assert!(matches!(run_cell(&out, &bad[0], false, &mut |_| {}), CellOutcome::Failed(e) if e.contains("/nonexistent.csv")));
        assert!(out.join("failed").join(format!("{}.json", bad[0].id)).is_file());
        assert!(!cell_dir(&out, &bad[0]).exists());
        let leftovers = std::fs::read_dir(out.join("cells"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0);
    }
}
