//! `abs-bench results`: a results folder summarised, printed and optionally exported.

use std::path::{Path, PathBuf};

use clap::Args;
use polars::prelude::*;

use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ResultsArgs {
    /// The folder a sweep wrote (holding cells/).
    dir: PathBuf,
    /// Only this sweep's cells, labelled and ordered as in the file.
    #[arg(long)]
    sweep: Option<PathBuf>,
    /// Target test accuracy (default: each cell's `target_accuracy`, else its data set's default
    /// target, as `figures` uses: cifar10 0.45, fashion_mnist 0.80, mnist 0.95, synthetic 0.60).
    #[arg(long)]
    target: Option<f64>,
    /// Also write the summary as CSV.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Also write one tidy table of every cell as Parquet: its id, label and condition, every
    /// config key as a column (nested keys dotted), and the per-cell metrics of --cells (final
    /// accuracy, time, comm and uploads to the target, ...), for polars, DuckDB or pandas.
    #[arg(long, value_name = "FILE")]
    parquet: Option<PathBuf>,
    /// Also write the accuracy curves as Parquet: one row per evaluation of every cell (round,
    /// time, uploads, downloads, comm, test loss and accuracy) after its cell's id, label,
    /// condition and config columns, named as --parquet names them.
    #[arg(long, value_name = "FILE")]
    curves: Option<PathBuf>,
    /// One row per cell instead of per grid point.
    #[arg(long)]
    cells: bool,
    /// Compare every series with this one (a label), seed by seed: time, comm and uploads to the
    /// target as a geometric-mean ratio with its 95% paired-bootstrap interval and a verdict.
    #[arg(long, value_name = "LABEL", conflicts_with = "cells")]
    compare: Option<String>,
}

pub fn results(a: ResultsArgs) -> Result<()> {
    if let Some(t) = a.target
        && !(t > 0.0 && t <= 1.0)
    {
        return Err(Error::Usage(format!("--target {t}: expected an accuracy in (0, 1]")));
    }
    let loaded = crate::results::load_folder(&a.dir, a.sweep.as_deref())?;
    match a.target {
        Some(t) => eprintln!("target accuracy: {t} (--target)"),
        None => eprintln!(
            "target accuracy: {} (--target to choose another)",
            crate::results::default_target_used(&loaded)
        ),
    }
    if let Some(path) = &a.parquet {
        let mut table = crate::results::cell_metrics(&loaded, a.target)
            .and_then(|lf| lf.collect())
            .map_err(Error::frame("tabulate the cells of", &a.dir))?;
        write_parquet(path, &mut table)?;
        eprintln!("wrote {} ({} cells, {} columns)", path.display(), table.height(), table.width());
    }
    if let Some(path) = &a.curves {
        let mut table = crate::results::curves(&loaded).map_err(Error::frame("gather the evaluations of", &a.dir))?;
        write_parquet(path, &mut table)?;
        eprintln!(
            "wrote {} ({} evaluations of {} cells, {} columns)",
            path.display(),
            table.height(),
            loaded.cells.height(),
            table.width()
        );
    }
    if let Some(reference) = &a.compare {
        let rows = crate::results::compare_with(&loaded, a.target, reference)?;
        let table = crate::report::compact_frame(&rows).map_err(Error::frame("compare the results in", &a.dir))?;
        println!("{}", crate::results::format_table(&table));
        println!(
            "ratio: geometric mean over seeds of series / reference (below 1: the series is faster), 95% percentile \
             bootstrap over seeds; a seed that never reached the target counts at its run's end (docs/statistics.md)"
        );
        if let Some(path) = &a.csv {
            write_csv(
                path,
                &mut crate::report::full_frame(&rows).map_err(Error::frame("compare the results in", &a.dir))?,
            )?;
        }
        return Ok(());
    }
    let table = if a.cells {
        per_cell(&loaded, a.target)
    } else {
        crate::results::summarize(&loaded, a.target)
    };
    let mut table = table.map_err(Error::frame("summarise the results in", &a.dir))?;
    println!("{}", crate::results::format_table(&table));
    if let Some(path) = &a.csv {
        write_csv(path, &mut table)?;
    }
    Ok(())
}

/// One row per cell: its label, grid point and metrics.
fn per_cell(loaded: &crate::results::Loaded, target: Option<f64>) -> PolarsResult<DataFrame> {
    let metrics = [
        "rounds",
        "final_time",
        "final_comm",
        "final_accuracy",
        "max_drop",
        "target",
        "time_to_target",
        "comm_to_target",
        "held",
    ];
    let mut keep: Vec<Expr> = ["cell", "label"].iter().map(|k| col(*k)).collect();
    keep.extend(loaded.varying.iter().map(|k| col(k.as_str())));
    keep.extend(metrics.iter().map(|k| col(*k)));
    crate::results::cell_metrics(loaded, target).and_then(|lf| lf.select(keep).collect())
}

fn write_parquet(path: &Path, table: &mut DataFrame) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(Error::io("create", path))?;
    ParquetWriter::new(&mut f).finish(table).map_err(Error::frame("write", path))?;
    Ok(())
}

fn write_csv(path: &Path, table: &mut DataFrame) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(Error::io("create", path))?;
    CsvWriter::new(&mut f).finish(table).map_err(Error::frame("write", path))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
