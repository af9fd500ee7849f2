//! The discrete-event engine: N workers, one parameter server, a virtual clock; a round is a few
//! named steps (docs/semantics.md, "3. A round"). This file holds the engine's state, the entry
//! points and the round loop; the parts it calls live beside it:
//! - `clock.rs`: where the run is, the wait for a round (events in time order), evaluation, the
//!   next K and threshold, and the rows recorded (sections 2, 4, 5, 12);
//! - `inbox.rs`: the round's arrivals as they reach the server, trained when it closes (section 3,
//!   steps 1-2);
//! - `step.rs`: the server step (section 6);
//! - `slots.rs`: the workers or a population's slots: starting, stopping and restarting jobs,
//!   presence (section 3 step 6, sections 17 and 18).

use std::sync::Arc;

use super::clock::{Clock, Ledger};
use super::compute_time::{JobTimes, TraceError};
use super::inbox::Inbox;
use super::jobs::Cause;
use super::records::{RunRecords, StopReason};
use super::slots::Slots;
use super::step::{BuiltinStep, ServerStep, StepFailure};
use crate::learner::{Learner, LearnerFailure};

pub use super::clock::eval_due;
pub use super::config::{EngineConfig, KLoss};

/// A run that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A job time could not be drawn (a trace that ran out of rows).
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// Fewer live jobs than K: a bug in the engine, never a config's fault.
    #[error("internal: event queue ran dry in round {round} with K = {k}")]
    QueueRanDry { round: u64, k: u32 },
    /// A population that cannot be set up (its laws were checked with the config).
    #[error("clients: {0}")]
    Population(String),
    /// Absences so frequent that no job finishes: the wait for a round would never end.
    #[error(
        "availability: {changes} departures and returns in a row without a single update arriving (round {round}, virtual time {time:.1}): workers are never present long enough to finish a job; raise mean_up or shorten the jobs"
    )]
    NoProgress { round: u64, time: f64, changes: u64 },
    /// The server step a run supplied failed: the run stopped in that round.
    #[error("server step failed in round {}: {}", .0.round(), .0)]
    Step(#[source] StepFailure),
    /// The learner reported a failure ([`Learner::take_failure`]): the run stopped in that round.
    #[error("learner failed in round {}: {}", .0.round(), .0)]
    Learner(#[source] LearnerFailure),
}

/// One simulation: the global model, the slots' jobs, the clock, the server's inbox and step, and
/// the records so far.
pub(super) struct Engine<'a, L: Learner + ?Sized> {
    pub cfg: &'a EngineConfig,
    pub learner: &'a mut L,
    pub times: &'a mut JobTimes,
    /// w^t, shared copy-on-write with the workers that started from it.
    pub global: Arc<Vec<f32>>,
    pub slots: Slots,
    pub clock: Clock,
    pub inbox: Inbox,
    pub step: &'a mut dyn ServerStep,
    pub ledger: Ledger,
}

/// Where a running simulation is, reported after every round (for progress displays; it never
/// changes what is simulated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Rounds completed.
    pub rounds: u64,
    /// Virtual seconds.
    pub time: f64,
    /// The latest evaluation's test accuracy.
    pub accuracy: f64,
    /// How far the run is towards `max_rounds` or `max_time`, whichever is nearer, in [0, 1].
    pub fraction: f64,
}

/// Runs one simulation to its stopping rule (docs/semantics.md, "3. A round").
pub fn simulate<L: Learner + ?Sized>(cfg: &EngineConfig, learner: &mut L, times: &mut JobTimes) -> Result<RunRecords, SimError> {
    simulate_observed(cfg, learner, times, &mut |_| {})
}

/// [`simulate`], calling `observe` after every round.
pub fn simulate_observed<L: Learner + ?Sized>(
    cfg: &EngineConfig,
    learner: &mut L,
    times: &mut JobTimes,
    observe: &mut dyn FnMut(&Progress),
) -> Result<RunRecords, SimError> {
    simulate_with(cfg, learner, times, None, observe)
}

/// [`simulate_observed`] with the server step `step` in place of the policy's ([`BuiltinStep`]),
/// when given (docs/semantics.md, "6. Aggregation and weighting"). The policy still decides which
/// updates each round takes; a step that fails stops the run with [`SimError::Step`].
pub fn simulate_with<L: Learner + ?Sized>(
    cfg: &EngineConfig,
    learner: &mut L,
    times: &mut JobTimes,
    step: Option<&mut dyn ServerStep>,
    observe: &mut dyn FnMut(&Progress),
) -> Result<RunRecords, SimError> {
    let mut builtin;
    let step: &mut dyn ServerStep = match step {
        Some(step) => step,
        None => {
            builtin = BuiltinStep::new(cfg.policy.server).weighting_by_samples(cfg.weight_by_samples);
            &mut builtin
        }
    };
    let mut engine = Engine::start(cfg, learner, times, step)?;
    let stop = engine.run(observe)?;
    engine.finish(stop)
}

impl<'a, L: Learner + ?Sized> Engine<'a, L> {
    /// w^0, every present worker's first job (or every slot filled from the population), and the
    /// evaluation of w^0.
    fn start(cfg: &'a EngineConfig, learner: &'a mut L, times: &'a mut JobTimes, step: &'a mut dyn ServerStep) -> Result<Self, SimError> {
        let n = cfg.workers as usize;
        let init = Arc::new(learner.init());
        if let Some(failure) = learner.take_failure() {
            return Err(SimError::Learner(failure.in_round(0)));
        }
        let slots = Slots::new(cfg, &init)?;
        let first: Vec<(u32, Cause)> = (0..cfg.workers)
            .filter(|&w| !slots.workers[w as usize].away)
            .map(|w| (w, Cause::Initial))
            .collect();
        let mut engine = Engine {
            cfg,
            learner,
            times,
            global: init,
            slots,
            clock: Clock {
                now: 0.0,
                latest: 0.0,
                round: 0,
                k: cfg.policy.k.initial(),
                f0: None,
                latest_eval_loss: f64::NAN,
                next_eval: cfg.eval_interval.unwrap_or(0.0),
            },
            inbox: Inbox {
                arrivals: Vec::with_capacity(n),
                staleness: Vec::with_capacity(n),
                keep_bases: step.needs_bases(),
                ..Inbox::default()
            },
            step,
            ledger: Ledger {
                jobs: Vec::with_capacity(4 * n),
                ..Ledger::default()
            },
        };
        engine.fill_slots(&first, 0, 0.0)?;
        engine.evaluate(0)?;
        if cfg.k_loss == KLoss::Eval {
            engine.clock.f0 = Some(engine.clock.latest_eval_loss);
        }
        Ok(engine)
    }

    /// Rounds until a stopping rule fires.
    fn run(&mut self, observe: &mut dyn FnMut(&Progress)) -> Result<StopReason, SimError> {
        if self.ledger.evals.last().is_some_and(|e| self.reached_target(e)) {
            return Ok(StopReason::Target);
        }
        loop {
            if self.clock.round >= self.cfg.max_rounds {
                return Ok(StopReason::MaxRounds);
            }
            if !self.wait_for_round()? {
                return Ok(StopReason::MaxTime);
            }
            self.clock.now = self.clock.latest;
            let stop = self.round_after_arrivals()?;
            observe(&self.progress());
            if let Some(stop) = stop {
                return Ok(stop);
            }
        }
    }

    fn progress(&self) -> Progress {
        let by_rounds = self.clock.round as f64 / self.cfg.max_rounds as f64;
        let by_time = if self.cfg.max_time.is_finite() {
            self.clock.now / self.cfg.max_time
        } else {
            0.0
        };
        Progress {
            rounds: self.clock.round,
            time: self.clock.now,
            accuracy: self.ledger.evals.last().map_or(f64::NAN, |e| e.test_accuracy),
            fraction: by_rounds.max(by_time).clamp(0.0, 1.0),
        }
    }

    /// The rest of round t once its K arrivals are in: deliver, aggregate, evaluate when due, pick
    /// K^{t+1} and tau_max, restart, record. Returns why the run stops after this round, if it does.
    fn round_after_arrivals(&mut self) -> Result<Option<StopReason>, SimError> {
        let delivery = self.deliver()?;
        self.server_step()?;
        let version = self.clock.round + 1;
        let reached_target = self.evaluate_if_due(version)?;
        let (k_next, tau) = self.next_k_and_threshold(version, delivery.train_loss);
        let restarts = self.restart(version, tau)?;
        self.record_round(&delivery, tau, restarts);
        self.clock.k = k_next;
        self.clock.round = version;
        Ok(if !delivery.train_loss.is_finite() {
            Some(StopReason::Diverged)
        } else if reached_target {
            Some(StopReason::Target)
        } else {
            None
        })
    }

    /// The records, with a last evaluation of the final model if the last round had none.
    fn finish(mut self, stop: StopReason) -> Result<RunRecords, SimError> {
        let completed = self.ledger.rounds.len() as u64;
        if self.ledger.evals.last().map(|e| e.round) != Some(completed) {
            self.evaluate(completed)?;
        }
        let end = self.clock.latest;
        for row in self.ledger.jobs.iter_mut().filter(|r| r.end.is_nan()) {
            row.end = end;
        }
        Ok(RunRecords {
            rounds: self.ledger.rounds,
            evals: self.ledger.evals,
            jobs: self.ledger.jobs,
            stop,
            params: self.global.as_ref().clone(),
        })
    }
}

#[cfg(test)]
#[path = "round_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "system_tests.rs"]
mod system_tests;

#[cfg(test)]
#[path = "population_tests.rs"]
mod population_tests;
