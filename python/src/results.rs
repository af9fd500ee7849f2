//! A results folder read back from Python: one tidy row per cell (as `results --parquet`), and
//! every evaluation of every cell with its labels and config (as `results --curves`). A sweep run
//! with plug-ins is read with their stamps (role, name and version), so its cells' ids match.

use std::path::PathBuf;

use pyo3::prelude::*;

use abs_bench::error::Error;

use crate::errors::to_py;
use crate::frames::Frame;

/// One row per finished cell of `dir` (or of the sweep `sweep`'s reported cells): id, label,
/// condition, every config key, and the metrics (final accuracy, time, comm and uploads to
/// `target` (default: each cell's own), held, ...).
#[pyfunction]
#[pyo3(signature = (dir, sweep=None, target=None, stamps=Vec::new()))]
pub fn results(
    py: Python<'_>,
    dir: PathBuf,
    sweep: Option<PathBuf>,
    target: Option<f64>,
    stamps: Vec<(String, String)>,
) -> PyResult<Frame> {
    if let Some(t) = target
        && !(t > 0.0 && t <= 1.0)
    {
        return Err(crate::errors::UsageError::new_err(format!(
            "target {t}: expected an accuracy in (0, 1]"
        )));
    }
    py.detach(|| {
        let loaded = abs_bench::results::load_folder_with(&dir, sweep.as_deref(), &stamps)?;
        abs_bench::results::cell_metrics(&loaded, target)
            .and_then(|lf| lf.collect())
            .map_err(Error::frame("tabulate the cells of", &dir))
    })
    .map(Frame::new)
    .map_err(|e| to_py(py, e))
}

/// Every evaluation of every finished cell of `dir` (or of the sweep's reported cells), beside
/// its cell's id, label, condition and config columns.
#[pyfunction]
#[pyo3(signature = (dir, sweep=None, stamps=Vec::new()))]
pub fn curves(py: Python<'_>, dir: PathBuf, sweep: Option<PathBuf>, stamps: Vec<(String, String)>) -> PyResult<Frame> {
    py.detach(|| {
        let loaded = abs_bench::results::load_folder_with(&dir, sweep.as_deref(), &stamps)?;
        abs_bench::results::curves(&loaded).map_err(Error::frame("gather the evaluations of", &dir))
    })
    .map(Frame::new)
    .map_err(|e| to_py(py, e))
}
