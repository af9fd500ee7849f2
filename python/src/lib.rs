//! `abs_bench._native`: the only crate of abs-bench that knows Python. It hands runs, sweeps and
//! results of the harness to the pure-Python package `abs_bench` (python/abs_bench/), frames as
//! Arrow C streams; the core crates know nothing of it.

mod data;
mod errors;
mod frames;
mod learner;
mod results;
mod run;
mod step;
mod sweep;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<frames::Frame>()?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(data::dataset, m)?)?;
    m.add_function(wrap_pyfunction!(results::results, m)?)?;
    m.add_function(wrap_pyfunction!(results::curves, m)?)?;
    errors::register(m)
}
