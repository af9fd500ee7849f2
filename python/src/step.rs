//! A Python server step behind the engine's [`ServerStep`] trait: the policy still decides which
//! updates a round takes (K, the bound, dispatch); the Python object turns them into the next
//! model. The adapter (abs_bench/_plugins.py) receives the model and the deltas as native-endian
//! f32 bytes and returns the new model the same way.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use abs_sim::engine::{RoundFacts, ServerStep, StepFailure, Update};

use crate::learner::{f32_bytes, ne_bytes, read_f32s};

/// What Python's `Update` holds besides the arrays: staleness, worker, client, base version,
/// loss, sample count.
type UpdateFacts = (u64, u32, Option<u64>, u64, f64, Option<u64>);

/// The adapter object of a Python server step.
pub struct PyStep {
    adapter: Py<PyAny>,
    needs_bases: bool,
    /// The first exception it raised, kept for a sweep to raise again once it stops.
    pub raised: Option<PyErr>,
}

impl PyStep {
    pub fn new(adapter: Py<PyAny>, needs_bases: bool) -> PyStep {
        PyStep {
            adapter,
            needs_bases,
            raised: None,
        }
    }
}

impl ServerStep for PyStep {
    fn needs_bases(&self) -> bool {
        self.needs_bases
    }

    fn needs_samples(&self) -> bool {
        true
    }

    fn step(&mut self, global: &mut [f32], updates: &[Update<'_>], round: &RoundFacts) -> Result<(), StepFailure> {
        let got = Python::attach(|py| {
            let all = |part: for<'u> fn(&Update<'u>) -> &'u [f32]| {
                let count = updates.iter().map(|u| part(u).len()).sum();
                ne_bytes(py, count, updates.iter().flat_map(|u| part(u).iter().map(|v| v.to_ne_bytes())))
            };
            let deltas = all(|u| u.delta)?;
            let bases = if self.needs_bases {
                Some(all(|u| u.base.unwrap_or_default())?)
            } else {
                None
            };
            let facts: Vec<UpdateFacts> = updates
                .iter()
                .map(|u| (u.staleness, u.worker, u.client, u.base_version, u.loss, u.samples))
                .collect();
            let args = (
                f32_bytes(py, global)?,
                deltas,
                facts,
                bases,
                (round.round, round.k, round.workers, round.server_lr, round.time),
            );
            let got = self.adapter.bind(py).call_method1("step", args)?;
            read_f32s(got.cast::<PyBytes>()?.as_bytes(), global, "the step's new model")
        });
        got.map_err(|e| {
            Python::attach(|py| {
                self.raised.get_or_insert_with(|| e.clone_ref(py));
            });
            StepFailure::new(e)
        })
    }
}
