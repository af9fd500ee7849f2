//! A sweep file run into a results folder from Python: the CLI's `sweep`, stage by stage, resumed
//! where a folder already holds finished cells.

use std::path::PathBuf;

use pyo3::prelude::*;

use abs_bench::cli::sweep::SweepArgs;

use crate::errors::to_py;

/// Runs the sweep file `path` into `out` as `abs-bench sweep` does.
#[pyfunction]
#[pyo3(signature = (path, out, *, jobs=None, force=false, jobs_log=false, dry_run=false))]
pub fn sweep(py: Python<'_>, path: PathBuf, out: PathBuf, jobs: Option<usize>, force: bool, jobs_log: bool, dry_run: bool) -> PyResult<()> {
    let args = SweepArgs {
        jobs,
        force,
        jobs_log,
        dry_run,
        ..SweepArgs::new(path, out)
    };
    py.detach(move || abs_bench::cli::sweep::sweep(args)).map_err(|e| to_py(py, e))
}
