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

/// Writes `rounds.parquet`, `evals.parquet`, `manifest.json` (and the CSVs when asked) into `dir`.
pub fn write_run(dir: &Path, records: &RunRecords, manifest: &Manifest, csv: bool) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    let mut rounds = rounds_frame(&records.rounds).map_err(Error::frame("build", dir.join("rounds.parquet")))?;
    let mut evals = evals_frame(&records.evals).map_err(Error::frame("build", dir.join("evals.parquet")))?;
    write_frame(dir, "rounds", &mut rounds, csv)?;
    write_frame(dir, "evals", &mut evals, csv)?;
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
