//! A run's data set handed to Python as the built-in models see it, so that a Python learner
//! trains on the same normalised images and labels that the run's sample indices point into.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use abs_bench::error::Error;
use abs_models::data::Split;
use abs_sim::config::{RawConfig, load_run_config_text};

use crate::errors::{UsageError, config_error, to_py};

/// The data set of the config `text`: a dict with `name`, `channels`, `height`, `width`,
/// `classes`, `digest`, and per split (`train`, `test`) its images (native-endian f32 bytes,
/// sample-major, channels then rows then columns, normalised as the built-in models see them) and
/// labels (u8 bytes).
#[pyfunction]
#[pyo3(signature = (text, origin, data_dir=None))]
pub fn dataset<'py>(py: Python<'py>, text: String, origin: String, data_dir: Option<PathBuf>) -> PyResult<Bound<'py, PyDict>> {
    let flags = RawConfig {
        data_dir,
        ..RawConfig::default()
    };
    let cfg = load_run_config_text(&text, &origin, &[], flags)
        .map_err(|e| config_error(py, &e))?
        .config;
    let Some(source) = cfg.data_source() else {
        return Err(UsageError::new_err(format!(
            "{origin}: model {} has no data set of images (model analytic makes its own task)",
            cfg.model
        )));
    };
    let data = py
        .detach(|| abs_models::data::load(source, cfg.data_dir.as_deref()))
        .map_err(|e| to_py(py, Error::Data(e)))?;
    let images = |split: &Split| {
        let mut out = Vec::with_capacity(split.len() * data.image_len());
        for i in 0..split.len() {
            data.push_normalised(split, i, &mut out);
        }
        crate::learner::f32_bytes(py, &out)
    };
    let d = PyDict::new(py);
    d.set_item("name", data.name)?;
    d.set_item("channels", data.channels)?;
    d.set_item("height", data.height)?;
    d.set_item("width", data.width)?;
    d.set_item("classes", data.classes)?;
    d.set_item("digest", data.digest())?;
    d.set_item("train_images", images(&data.train)?)?;
    d.set_item("train_labels", PyBytes::new(py, &data.train.labels))?;
    d.set_item("test_images", images(&data.test)?)?;
    d.set_item("test_labels", PyBytes::new(py, &data.test.labels))?;
    Ok(d)
}
