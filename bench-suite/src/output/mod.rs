//! Writing a run's results: Parquet (and optionally CSV) frames plus a JSON manifest.

mod frames;
mod manifest;

use std::fs::File;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

pub use frames::{evals_frame, evals_from, jobs_frame, jobs_from, rounds_frame, rounds_from};
pub use manifest::Manifest;

use abs_sim::engine::RunRecords;

use crate::error::{Error, Result};

/// Writes `contents` to `path` through a temporary name, so a crash never leaves half a file.
fn write_atomically(path: &Path, contents: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = File::create(&tmp).map_err(Error::io("create", &tmp))?;
    contents(&mut f)?;
    f.sync_all().map_err(Error::io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io("rename a temporary file to", path))
}

fn write_frame(dir: &Path, name: &str, df: &mut DataFrame, csv: bool) -> Result<()> {
    let path = dir.join(format!("{name}.parquet"));
    write_atomically(&path, |f| {
        ParquetWriter::new(f).finish(df).map(|_| ()).map_err(Error::frame("write", &path))
    })?;
    if csv {
        let path = dir.join(format!("{name}.csv"));
        write_atomically(&path, |f| CsvWriter::new(f).finish(df).map_err(Error::frame("write", &path)))?;
    }
    Ok(())
}

/// Which files a run writes beside its rounds, evaluations and manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outputs {
    /// CSV copies of every frame.
    pub csv: bool,
    /// The job log, `jobs.parquet`.
    pub jobs: bool,
}

/// Writes `rounds.parquet`, `evals.parquet`, `manifest.json`, and `jobs.parquet` and the CSVs
/// when asked, into `dir`.
pub fn write_run(dir: &Path, records: &RunRecords, manifest: &Manifest, outputs: Outputs) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    let mut rounds = rounds_frame(&records.rounds).map_err(Error::frame("build", dir.join("rounds.parquet")))?;
    let mut evals = evals_frame(&records.evals).map_err(Error::frame("build", dir.join("evals.parquet")))?;
    write_frame(dir, "rounds", &mut rounds, outputs.csv)?;
    write_frame(dir, "evals", &mut evals, outputs.csv)?;
    if outputs.jobs {
        let mut jobs = jobs_frame(&records.jobs).map_err(Error::frame("build", dir.join("jobs.parquet")))?;
        write_frame(dir, "jobs", &mut jobs, outputs.csv)?;
    }
    write_manifest(dir, manifest)
}

/// Writes `dir/manifest.json` atomically (a reader sees the old file or the new one).
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join("manifest.json");
    let json = serde_json::to_string_pretty(manifest).map_err(|source| Error::Json {
        what: "cannot encode the manifest",
        path: path.clone(),
        source,
    })?;
    write_atomically(&path, |f| {
        f.write_all(format!("{json}\n").as_bytes()).map_err(Error::io("write", &path))
    })
}

/// Reads `dir/manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(Error::io("read", &path))?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        what: "not a manifest",
        path,
        source,
    })
}

/// Reads `dir/<name>.parquet` and turns its rows into records with `rows` (`rounds_from`, ...).
pub fn read_records<T>(dir: &Path, name: &str, rows: fn(&DataFrame) -> PolarsResult<Vec<T>>) -> Result<Vec<T>> {
    rows(&read_frame(dir, name)?).map_err(Error::frame("read", dir.join(format!("{name}.parquet"))))
}

/// Reads `dir/<name>.parquet` into a frame.
pub fn read_frame(dir: &Path, name: &str) -> Result<DataFrame> {
    let path = dir.join(format!("{name}.parquet"));
    let file = File::open(&path).map_err(Error::io("open", &path))?;
    ParquetReader::new(file).finish().map_err(Error::frame("read", &path))
}
