//! A sweep file run into a results folder from Python: the CLI's `sweep`, stage by stage, resumed
//! where a folder already holds finished cells; a Python learner or server step lent to every
//! cell, one cell at a time.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;

use abs_bench::cli::sweep::SweepArgs;
use abs_bench::run::{Extensions, Plugins};

use crate::errors::to_py;
use crate::learner::PyModel;
use crate::step::PyStep;

/// A sweep's Python parts, lent to one cell's run at a time.
struct PyPlugins {
    model: Option<(Mutex<PyModel>, String)>,
    step: Option<(Mutex<PyStep>, String)>,
}

impl PyPlugins {
    /// The first exception a part raised, if any.
    fn raised(&self) -> Option<PyErr> {
        let from_model = self.model.as_ref().and_then(|(m, _)| m.lock().ok()?.raised.take());
        from_model.or_else(|| self.step.as_ref().and_then(|(s, _)| s.lock().ok()?.raised.take()))
    }

    fn has_raised(&self) -> bool {
        let model = self
            .model
            .as_ref()
            .is_some_and(|(m, _)| m.lock().map_or(true, |m| m.raised.is_some()));
        model
            || self
                .step
                .as_ref()
                .is_some_and(|(s, _)| s.lock().map_or(true, |s| s.raised.is_some()))
    }
}

impl Plugins for PyPlugins {
    fn stamps(&self) -> Vec<(String, String)> {
        let mut stamps = Vec::new();
        if let Some((_, id)) = &self.model {
            stamps.push(("learner".to_string(), id.clone()));
        }
        if let Some((_, id)) = &self.step {
            stamps.push(("server_step".to_string(), id.clone()));
        }
        stamps
    }

    fn lend(&self, run: &mut dyn FnMut(Extensions<'_>)) -> Result<(), String> {
        if self.has_raised() {
            return Err("not run: a Python part raised in an earlier cell (the sweep stops there; a rerun resumes)".into());
        }
        const POISONED: &str = "a Python part panicked in an earlier cell";
        let mut model = self.model.as_ref().map(|(m, _)| m.lock().map_err(|_| POISONED)).transpose()?;
        let mut step = self.step.as_ref().map(|(s, _)| s.lock().map_err(|_| POISONED)).transpose()?;
        run(Extensions {
            model: model.as_deref_mut().map(|m| m as &mut dyn abs_models::ExternalModel),
            server_step: step.as_deref_mut().map(|s| s as &mut dyn abs_sim::engine::ServerStep),
        });
        Ok(())
    }
}

/// Runs the sweep file `path` into `out` as `abs-bench sweep` does; with a learner or a server
/// step, every cell runs with it (one at a time), its name and version in every cell's id, and
/// an exception it raises stops the sweep and is raised here.
#[pyfunction]
#[pyo3(signature = (path, out, *, jobs=None, force=false, jobs_log=false, dry_run=false, learner=None, server_step=None))]
#[allow(clippy::too_many_arguments)]
pub fn sweep(
    py: Python<'_>,
    path: PathBuf,
    out: PathBuf,
    jobs: Option<usize>,
    force: bool,
    jobs_log: bool,
    dry_run: bool,
    learner: Option<(Py<PyAny>, String)>,
    server_step: Option<(Py<PyAny>, String, bool)>,
) -> PyResult<()> {
    let args = SweepArgs {
        jobs,
        force,
        jobs_log,
        dry_run,
        ..SweepArgs::new(path, out)
    };
    let plugins = PyPlugins {
        model: learner.map(|(adapter, id)| (Mutex::new(PyModel::new(adapter)), id)),
        step: server_step.map(|(adapter, id, bases)| (Mutex::new(PyStep::new(adapter, bases)), id)),
    };
    let plugged = plugins.model.is_some() || plugins.step.is_some();
    let done = py.detach(|| abs_bench::cli::sweep::sweep_with(args, plugged.then_some(&plugins as &dyn Plugins)));
    // a Python part's own exception first: the cells it failed are recorded and rerun on resume
    if let Some(e) = plugins.raised() {
        return Err(e);
    }
    done.map_err(|e| to_py(py, e))
}
