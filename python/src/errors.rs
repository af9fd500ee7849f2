//! The package's exceptions, one per kind of failure, each carrying what the harness knows (a
//! config mistake: its origin, key and line).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use abs_bench::error::Error;
use abs_bench::run::RunError;

create_exception!(_native, AbsBenchError, PyException, "Anything abs-bench refuses or fails to do.");
create_exception!(
    _native,
    ConfigError,
    AbsBenchError,
    "A config or sweep mistake: `origin` (the file, or what built the config), `key` and `line` (None where unknown)."
);
create_exception!(
    _native,
    DataError,
    AbsBenchError,
    "A data set that cannot be read or does not fit the config."
);
create_exception!(
    _native,
    RunErrorPy,
    AbsBenchError,
    "A run that failed after its config was accepted."
);
create_exception!(
    _native,
    UsageError,
    AbsBenchError,
    "An argument or folder that cannot be used, with what is expected."
);
create_exception!(
    _native,
    CellsFailed,
    AbsBenchError,
    "Cells of a sweep that failed; the finished ones are kept and a rerun resumes."
);

/// The exception of `error`: its message is the CLI's line.
pub fn to_py(py: Python<'_>, error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        // a Python learner's or step's own exception, raised again with its type and traceback
        Error::Run(RunError::External { role, round, error }) => match error.downcast::<PyErr>() {
            Ok(e) => {
                let e = *e;
                // say where the harness was when it raised (PEP 678 notes, Python 3.11+)
                let at = round.map_or(String::new(), |r| format!(" in round {r}"));
                let _ = e
                    .value(py)
                    .call_method1("add_note", (format!("abs-bench: raised by the {role}{at}"),));
                e
            }
            Err(other) => RunErrorPy::new_err(format!("the {role} failed: {other}")),
        },
        Error::Config(c) => config_error(py, &c),
        Error::Data(_) => DataError::new_err(message),
        Error::Run(_) => RunErrorPy::new_err(message),
        Error::Usage(_) => UsageError::new_err(message),
        Error::CellsFailed { .. } => CellsFailed::new_err(message),
        _ => AbsBenchError::new_err(message),
    }
}

/// A [`ConfigError`] with the key, line and origin as attributes.
pub fn config_error(py: Python<'_>, c: &abs_sim::config::ConfigError) -> PyErr {
    let err = ConfigError::new_err(c.to_string());
    let value = err.value(py);
    // attributes on a fresh exception instance cannot fail
    let _ = value.setattr("origin", &c.origin);
    let _ = value.setattr("key", c.key.clone());
    let _ = value.setattr("line", c.line);
    err
}

/// Registers the exceptions in the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("AbsBenchError", py.get_type::<AbsBenchError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("RunError", py.get_type::<RunErrorPy>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("CellsFailed", py.get_type::<CellsFailed>())?;
    Ok(())
}
