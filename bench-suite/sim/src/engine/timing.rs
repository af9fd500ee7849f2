//! Where a run's host time goes: a learner wrapper that clocks `train` and `evaluate`, so that the
//! engine's own overhead (everything else) can be reported per run.

use std::time::Instant;

use crate::learner::{Eval, JobId, Learner, LearnerFailure, TrainJob};
use serde::{Deserialize, Serialize};

/// Host seconds of one simulation, split by who spent them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HostTimes {
    /// The whole simulation (the engine's loop, training and evaluation; not data loading).
    pub simulate_s: f64,
    /// Inside `Learner::train`.
    pub train_s: f64,
    /// Inside `Learner::evaluate`.
    pub eval_s: f64,
    pub jobs_trained: u64,
    pub evaluations: u64,
}

impl HostTimes {
    /// The engine's share of the simulation: (simulate - train - eval) / simulate.
    pub fn engine_fraction(&self) -> f64 {
        if self.simulate_s > 0.0 {
            ((self.simulate_s - self.train_s - self.eval_s) / self.simulate_s).max(0.0)
        } else {
            0.0
        }
    }
}

/// Wraps a learner and adds up the time spent in it.
pub struct Timed<'a, L: Learner + ?Sized> {
    inner: &'a mut L,
    pub times: HostTimes,
}

impl<'a, L: Learner + ?Sized> Timed<'a, L> {
    pub fn new(inner: &'a mut L) -> Self {
        Timed {
            inner,
            times: HostTimes::default(),
        }
    }
}

impl<L: Learner + ?Sized> Learner for Timed<'_, L> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn init(&mut self) -> Vec<f32> {
        self.inner.init()
    }

    fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64 {
        let t = Instant::now();
        let loss = self.inner.train(base, job, steps, delta);
        self.times.train_s += t.elapsed().as_secs_f64();
        self.times.jobs_trained += 1;
        loss
    }

    fn train_batch(&mut self, jobs: &[TrainJob<'_>], steps: u32, deltas: &mut [Vec<f32>], losses: &mut [f64]) {
        let t = Instant::now();
        self.inner.train_batch(jobs, steps, deltas, losses);
        self.times.train_s += t.elapsed().as_secs_f64();
        self.times.jobs_trained += jobs.len() as u64;
    }

    fn samples_of(&self, holder: u32) -> Option<u64> {
        self.inner.samples_of(holder)
    }

    fn evaluate(&mut self, params: &[f32]) -> Eval {
        let t = Instant::now();
        let e = self.inner.evaluate(params);
        self.times.eval_s += t.elapsed().as_secs_f64();
        self.times.evaluations += 1;
        e
    }

    fn take_failure(&mut self) -> Option<LearnerFailure> {
        self.inner.take_failure()
    }
}

/// Simulates with `learner` wrapped in a [`Timed`], calling `observe` after every round; returns
/// the records and where the time went.
pub fn simulate_timed<L: Learner + ?Sized>(
    config: &super::EngineConfig,
    learner: &mut L,
    times: &mut super::JobTimes,
    observe: &mut dyn FnMut(&super::Progress),
) -> Result<(super::RunRecords, HostTimes), super::SimError> {
    simulate_timed_with(config, learner, times, None, observe)
}

/// [`simulate_timed`] with the server step `step` in place of the policy's, when given (see
/// [`super::simulate_with`]); the step's time counts as the engine's.
pub fn simulate_timed_with<L: Learner + ?Sized>(
    config: &super::EngineConfig,
    learner: &mut L,
    times: &mut super::JobTimes,
    step: Option<&mut dyn super::ServerStep>,
    observe: &mut dyn FnMut(&super::Progress),
) -> Result<(super::RunRecords, HostTimes), super::SimError> {
    let started = Instant::now();
    let mut timed = Timed::new(learner);
    let records = super::simulate_with(config, &mut timed, times, step, observe)?;
    let mut host = timed.times;
    host.simulate_s = started.elapsed().as_secs_f64();
    Ok((records, host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doubles::{NoWork, engine_config};
    use crate::engine::{ComputeTimeSpec, Granularity, JobTimes, simulate};
    use crate::seeds::Seeds;
    use abs_policies::PolicyName;

    #[test]
    fn timing_counts_every_call_and_changes_no_result() {
        let mut cfg = engine_config(PolicyName::Abs, 10, 300);
        cfg.eval_every = 50;
        let times = || JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, 10, &Seeds::new(4)).unwrap();
        let plain = simulate(&cfg, &mut NoWork, &mut times()).unwrap();
        let (timed, host) = simulate_timed(&cfg, &mut NoWork, &mut times(), &mut |_| {}).unwrap();
        assert_eq!(plain, timed);
        // lazy compute: a job is trained exactly when it is delivered
        assert_eq!(host.jobs_trained, timed.rounds.last().unwrap().uploads);
        assert_eq!(host.evaluations, timed.evals.len() as u64);
        assert!(host.simulate_s >= host.train_s + host.eval_s);
        assert!((0.0..=1.0).contains(&host.engine_fraction()));
    }

    /// A [`NoWork`] learner that records the size of every batch of jobs it is handed.
    struct Batches(Vec<usize>, NoWork);

    impl Learner for Batches {
        fn dim(&self) -> usize {
            self.1.dim()
        }
        fn init(&mut self) -> Vec<f32> {
            self.1.init()
        }
        fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64 {
            self.1.train(base, job, steps, delta)
        }
        fn train_batch(&mut self, jobs: &[TrainJob<'_>], steps: u32, deltas: &mut [Vec<f32>], losses: &mut [f64]) {
            self.0.push(jobs.len());
            crate::learner::train_one_by_one(&mut self.1, jobs, steps, deltas, losses);
        }
        fn evaluate(&mut self, params: &[f32]) -> Eval {
            self.1.evaluate(params)
        }
    }

    /// Replica batching needs every round's deliveries in one call, through the timing wrapper too.
    #[test]
    fn each_round_delivers_its_arrivals_in_one_batch() {
        let cfg = engine_config(PolicyName::Abs, 20, 200);
        let times = || JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, 20, &Seeds::new(3)).unwrap();
        let mut learner = Batches(Vec::new(), NoWork);
        let (records, host) = simulate_timed(&cfg, &mut learner, &mut times(), &mut |_| {}).unwrap();
        let arrivals: Vec<usize> = records.rounds.iter().map(|r| r.arrivals as usize).collect();
        assert_eq!(learner.0, arrivals);
        assert!(arrivals.iter().any(|&a| a > 1), "ABS delivers several jobs per round");
        assert_eq!(host.jobs_trained, arrivals.iter().sum::<usize>() as u64);
    }
}
