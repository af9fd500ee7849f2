//! One run from Python: a config (a file, or YAML text the package made from a dict) simulated
//! with the engine released from the GIL, its records handed back as frames.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use abs_bench::error::Error;
use abs_bench::output::{Manifest, Outputs, evals_frame, jobs_frame, rounds_frame};
use abs_sim::config::{LoadedConfig, RawConfig, load_run_config, load_run_config_text};

use abs_bench::run::Extensions;

use crate::errors::{config_error, to_py};
use crate::frames::Frame;
use crate::learner::PyModel;
use crate::step::PyStep;

/// Where a config comes from.
enum Source {
    Path(PathBuf),
    Text { text: String, origin: String },
}

/// Runs one config and returns a dict: `rounds`, `evals`, `jobs` (frames), `manifest` (its JSON),
/// `warnings` (keys set but ignored). With `out`, also writes the folder `abs-bench run --out`
/// writes.
#[pyfunction]
#[pyo3(signature = (*, path=None, text=None, origin=None, sets=Vec::new(), out=None, data_dir=None, learner=None, server_step=None))]
#[allow(clippy::too_many_arguments)]
pub fn run<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    origin: Option<String>,
    sets: Vec<String>,
    out: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    learner: Option<(Py<PyAny>, String)>,
    server_step: Option<(Py<PyAny>, String, bool)>,
) -> PyResult<Bound<'py, PyDict>> {
    let source = match (path, text) {
        (Some(p), None) => Source::Path(p),
        (None, Some(text)) => Source::Text {
            text,
            origin: origin.unwrap_or_else(|| "the config text".into()),
        },
        _ => {
            return Err(crate::errors::UsageError::new_err(
                "give the config as exactly one of a path or YAML text",
            ));
        }
    };
    let flags = RawConfig {
        data_dir,
        ..RawConfig::default()
    };
    let loaded = match &source {
        Source::Path(p) => load_run_config(p, &sets, flags),
        Source::Text { text, origin } => load_run_config_text(text, origin, &sets, flags),
    }
    .map_err(|e| config_error(py, &e))?;
    let LoadedConfig { config: mut cfg, warnings } = loaded;
    if learner.is_some() != (cfg.model == abs_sim::catalog::ModelName::External) {
        return Err(crate::errors::UsageError::new_err(match learner {
            Some(_) => format!(
                "a learner was given, but the config's model is {}: set `model: external` to train it",
                cfg.model
            ),
            None => "the config's model is external: give the learner that trains it (run(config, learner=...))".to_string(),
        }));
    }
    let mut model = learner.map(|(adapter, id)| {
        stamp(&mut cfg, "learner", id);
        PyModel::new(adapter)
    });
    let mut step = server_step.map(|(adapter, id, needs_bases)| {
        stamp(&mut cfg, "server_step", id);
        PyStep::new(adapter, needs_bases)
    });
    let done = py.detach(move || -> Result<_, Error> {
        if cfg.model.is_burn() {
            abs_models::backend::select(cfg.backend).map_err(Error::Usage)?;
        }
        abs_bench::data_identity::stamp(&mut cfg)?;
        let started = std::time::Instant::now();
        let ext = Extensions {
            model: model.as_mut().map(|m| m as &mut dyn abs_models::ExternalModel),
            server_step: step.as_mut().map(|s| s as &mut dyn abs_sim::engine::ServerStep),
        };
        let output = abs_bench::run::run_with(&cfg, ext, &mut |_| {})?;
        let manifest = Manifest::new(
            &cfg,
            &output.records,
            &output.backend,
            &output.data,
            started.elapsed().as_secs_f64(),
            output.host,
        );
        if let Some(dir) = &out {
            let outputs = Outputs { csv: false, jobs: true };
            abs_bench::output::write_run(dir, &output.records, &manifest, outputs)?;
        }
        let frame = |what: &'static str, f: polars::prelude::PolarsResult<polars::prelude::DataFrame>| {
            f.map_err(|source| Error::Frame {
                action: "build",
                path: PathBuf::from(what),
                source,
            })
        };
        let rounds = frame("the rounds frame", rounds_frame(&output.records.rounds))?;
        let evals = frame("the evaluations frame", evals_frame(&output.records.evals))?;
        let jobs = frame("the job log", jobs_frame(&output.records.jobs))?;
        let manifest = serde_json::to_string(&manifest).map_err(|source| Error::Json {
            what: "the manifest",
            path: PathBuf::new(),
            source,
        })?;
        Ok((rounds, evals, jobs, manifest))
    });
    let (rounds, evals, jobs, manifest) = done.map_err(|e| to_py(py, e))?;
    let result = PyDict::new(py);
    result.set_item("rounds", Frame::new(rounds))?;
    result.set_item("evals", Frame::new(evals))?;
    result.set_item("jobs", Frame::new(jobs))?;
    result.set_item("manifest", manifest)?;
    result.set_item("warnings", warnings)?;
    Ok(result)
}

/// Names what the caller plugged in for `role` in the config's `extensions`, so that it enters the
/// cell id.
pub fn stamp(cfg: &mut abs_sim::config::RunConfig, role: &str, id: String) {
    cfg.extensions.get_or_insert_with(Default::default).insert(role.to_string(), id);
}
