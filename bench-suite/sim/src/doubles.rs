//! Stand-ins for a real learner, for tests and benches of the engine alone.

use abs_policies::{Policy, PolicyName, PolicyParams};

use crate::engine::{ComputeTimeSpec, EngineConfig, Granularity};
use crate::learner::{Eval, JobId, Learner};
use crate::population::{ClientTimes, Diurnal, Population, Schedule, Selection};
use crate::seeds::Seeds;

/// Returns a zero delta and a constant loss: all that is left to time is the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWork;

impl Learner for NoWork {
    fn dim(&self) -> usize {
        1
    }
    fn init(&mut self) -> Vec<f32> {
        vec![0.0]
    }
    fn train(&mut self, _base: &[f32], _job: JobId, _steps: u32, delta: &mut [f32]) -> f64 {
        delta[0] = 0.0;
        1.0
    }
    fn evaluate(&mut self, _params: &[f32]) -> Eval {
        Eval { loss: 1.0, accuracy: 0.0 }
    }
}

/// An engine config for benches: `name` on `workers` workers (k = N/10 for fixed-K policies,
/// k0 = 2), `rounds` rounds, no evaluation; every other value is the default.
pub fn engine_config(name: PolicyName, workers: u32, rounds: u64) -> EngineConfig {
    let params = PolicyParams {
        workers,
        k: Some((workers / 10).max(1)),
        k0: 2.min(workers),
        ..PolicyParams::default()
    };
    EngineConfig {
        workers,
        policy: Policy::resolve(name.knobs(), &params).expect("valid bench policy"),
        eval_every: u64::MAX,
        eval_interval: None,
        max_rounds: rounds,
        ..EngineConfig::default()
    }
}

/// A population for benches and tests: `clients` clients with the default compute law, selection
/// and client laws, present by the default diurnal shape (or always, without `diurnal`).
pub fn population(clients: u64, diurnal: bool, seed: u64) -> Population {
    let seeds = Seeds::new(seed);
    let times = ClientTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 1, &seeds).expect("the default law is per client");
    Population {
        clients,
        selection: Selection::default(),
        presence: if diurnal {
            Schedule::Diurnal(Diurnal::default())
        } else {
            Schedule::Always
        },
        times,
        seeds,
    }
}
