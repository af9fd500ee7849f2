//! A Python learner behind the harness's [`ExternalModel`] border (`model: external`). The
//! package wraps the user's object in an adapter (abs_bench/_plugins.py) that speaks in bytes:
//! parameters and sample indices cross as native-endian `f32`/`u32` buffers, which numpy reads
//! without a copy (`np.frombuffer`).

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use abs_models::external::{ExternalModel, Failure, JobFacts};
use abs_sim::learner::Eval;
use abs_sim::validation::EvalSplit;

/// The adapter object of a Python learner.
pub struct PyModel {
    adapter: Py<PyAny>,
    /// The first exception it raised, kept for a sweep to raise again once it stops.
    pub raised: Option<PyErr>,
}

impl PyModel {
    pub fn new(adapter: Py<PyAny>) -> PyModel {
        PyModel { adapter, raised: None }
    }

    /// `result`, keeping a copy of its exception.
    fn kept<T>(&mut self, result: PyResult<T>) -> Result<T, Failure> {
        result.map_err(|e| {
            Python::attach(|py| {
                self.raised.get_or_insert_with(|| e.clone_ref(py));
            });
            Box::new(e) as Failure
        })
    }
}

/// `count` values, each as its native-endian bytes, written straight into a Python bytes object
/// (what numpy's `frombuffer` reads).
pub fn ne_bytes<'py, const N: usize>(
    py: Python<'py>,
    count: usize,
    values: impl IntoIterator<Item = [u8; N]>,
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, N * count, |buf| {
        for (chunk, v) in buf.chunks_exact_mut(N).zip(values) {
            chunk.copy_from_slice(&v);
        }
        Ok(())
    })
}

/// `values` as the bytes of native-endian f32s.
pub fn f32_bytes<'py>(py: Python<'py>, values: &[f32]) -> PyResult<Bound<'py, PyBytes>> {
    ne_bytes(py, values.len(), values.iter().map(|v| v.to_ne_bytes()))
}

fn u32_bytes<'py>(py: Python<'py>, values: &[u32]) -> PyResult<Bound<'py, PyBytes>> {
    ne_bytes(py, values.len(), values.iter().map(|v| v.to_ne_bytes()))
}

/// Native-endian f32s from `bytes` into `out`, which must hold exactly as many.
pub fn read_f32s(bytes: &[u8], out: &mut [f32], what: &str) -> PyResult<()> {
    if bytes.len() != 4 * out.len() {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{what}: {} values where the model has {}",
            bytes.len() / 4,
            out.len()
        )));
    }
    for (v, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *v = f32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Ok(())
}

impl ExternalModel for PyModel {
    fn dim(&mut self) -> Result<usize, Failure> {
        let got = Python::attach(|py| self.adapter.bind(py).call_method0("dim")?.extract::<usize>());
        self.kept(got)
    }

    fn init(&mut self, seed: u64) -> Result<Vec<f32>, Failure> {
        let got = Python::attach(|py| {
            let got = self.adapter.bind(py).call_method1("init", (seed,))?;
            let bytes = got.cast::<PyBytes>()?.as_bytes();
            let mut w = vec![0.0; bytes.len() / 4];
            read_f32s(bytes, &mut w, "init")?;
            Ok(w)
        });
        self.kept(got)
    }

    fn train(&mut self, base: &[f32], job: &JobFacts<'_>, delta: &mut [f32]) -> Result<f64, Failure> {
        let got = Python::attach(|py| {
            let args = (
                f32_bytes(py, base)?,
                job.holder,
                job.client,
                job.job,
                job.steps,
                job.batch_size,
                job.lr,
                u32_bytes(py, job.samples)?,
                job.seed,
            );
            let got = self.adapter.bind(py).call_method1("train", args)?;
            let (bytes, loss): (Bound<'_, PyBytes>, f64) = got.extract()?;
            read_f32s(bytes.as_bytes(), delta, "train's delta")?;
            Ok(loss)
        });
        self.kept(got)
    }

    fn evaluate(&mut self, params: &[f32], split: EvalSplit, samples: &[u32]) -> Result<Eval, Failure> {
        let split = match split {
            EvalSplit::Test => "test",
            EvalSplit::Validation => "validation",
        };
        let got = Python::attach(|py| {
            let got = self
                .adapter
                .bind(py)
                .call_method1("evaluate", (f32_bytes(py, params)?, split, u32_bytes(py, samples)?))?;
            let (loss, accuracy): (f64, f64) = got.extract()?;
            Ok(Eval { loss, accuracy })
        });
        self.kept(got)
    }
}
