//! Writing a run's results: Parquet (and optionally CSV) frames plus a JSON manifest.

mod frames;
mod manifest;

use std::fs::File;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

pub use frames::{evals_frame, rounds_frame};
pub use manifest::Manifest;

use abs_sim::engine::RunRecords;

/// Writes `contents` to `path` through a temporary name, so a crash never leaves half a file.
fn write_atomically(path: &Path, contents: impl FnOnce(&mut File) -> Result<(), String>) -> Result<(), String> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    contents(&mut f)?;
    f.sync_all().map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), path.display()))
}

fn write_frame(dir: &Path, name: &str, df: &mut DataFrame, csv: bool) -> Result<(), String> {
    let path = dir.join(format!("{name}.parquet"));
    write_atomically(&path, |f| {
        ParquetWriter::new(f)
            .finish(df)
            .map(|_| ())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    })?;
    if csv {
        let path = dir.join(format!("{name}.csv"));
        write_atomically(&path, |f| {
            CsvWriter::new(f)
                .finish(df)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        })?;
    }
    Ok(())
}

/// Writes `rounds.parquet`, `evals.parquet`, `manifest.json` (and the CSVs when asked) into `dir`.
pub fn write_run(dir: &Path, records: &RunRecords, manifest: &Manifest, csv: bool) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut rounds = rounds_frame(&records.rounds).map_err(|e| e.to_string())?;
    let mut evals = evals_frame(&records.evals).map_err(|e| e.to_string())?;
    write_frame(dir, "rounds", &mut rounds, csv)?;
    write_frame(dir, "evals", &mut evals, csv)?;
    let json = serde_json::to_string_pretty(manifest).map_err(|e| e.to_string())?;
    write_atomically(&dir.join("manifest.json"), |f| {
        f.write_all(format!("{json}\n").as_bytes()).map_err(|e| e.to_string())
    })
}
