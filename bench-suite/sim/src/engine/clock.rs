//! The clock and the rounds: where a run is (virtual time, round t, K^t), the wait for a round
//! (events taken in time order: arrivals, a worker leaving or coming back, a population's slot
//! events; docs/semantics.md, sections 2, 3 step 1, 17 and 18), evaluation (section 3 step 4,
//! section 12), the next K and threshold (sections 4 and 5) and the rows the run records
//! (section 12) with the communication counters (section 8).

use abs_policies::Threshold;

use super::config::KLoss;
use super::events::Event;
use super::inbox::Delivery;
use super::jobs::JobRecord;
use super::records::{EvalRecord, RoundRecord};
use super::round::{Engine, SimError};
use super::slots::is_live;
use crate::learner::Learner;

/// Changes of presence per worker processed without an arrival before a run is declared stuck.
const CHANGES_WITHOUT_ARRIVAL: u64 = 10_000;

/// Where the run is, and what picks the next K and the next evaluation.
pub(super) struct Clock {
    /// The time of the latest round (its end: what its row and evaluation record).
    pub now: f64,
    /// The time of the latest event processed (>= `now`).
    pub latest: f64,
    /// t: rounds completed, and the version of the global model.
    pub round: u64,
    /// K^t.
    pub k: u32,
    /// F_0, set by the first loss estimate.
    pub f0: Option<f64>,
    pub latest_eval_loss: f64,
    /// With `eval_interval`: the virtual time from which the next round end evaluates.
    pub next_eval: f64,
}

/// Cumulative communication counters.
#[derive(Default)]
pub(super) struct Comm {
    pub uploads: u64,
    pub downloads: u64,
    pub restarts: u64,
}

/// What the run records as it goes: a row per round, an evaluation row when one is due, a row per
/// job started, and the counters the rows carry.
#[derive(Default)]
pub(super) struct Ledger {
    pub rounds: Vec<RoundRecord>,
    pub evals: Vec<EvalRecord>,
    pub jobs: Vec<JobRecord>,
    pub comm: Comm,
}

/// Whether the model after round `version - 1`, ending at `now`, is evaluated: every `every`
/// rounds, or with `interval`, at the first round end at or after `next` (then `next` moves to the
/// first multiple of the interval after `now`). Shared with verify, which replays it from the rows.
pub fn eval_due(every: u64, interval: Option<f64>, version: u64, now: f64, next: &mut f64) -> bool {
    match interval {
        None => version.is_multiple_of(every),
        Some(x) if now >= *next => {
            *next = ((now / x).floor() + 1.0) * x;
            true
        }
        Some(_) => false,
    }
}

impl<L: Learner + ?Sized> Engine<'_, L> {
    /// Takes events in time order (arrivals, skipping cancelled jobs, and changes of presence)
    /// until round t can close: K^t arrivals, or at least one and no job left in flight on a present
    /// worker (docs/semantics.md, "17. Availability"). Returns false, and stops there, when the
    /// next event comes after `max_time`.
    pub(super) fn wait_for_round(&mut self) -> Result<bool, SimError> {
        self.inbox.arrivals.clear();
        let mut changes = 0u64;
        loop {
            let arrived = self.inbox.arrivals.len();
            if arrived >= self.clock.k as usize || (arrived >= 1 && self.slots.in_flight == 0) {
                return Ok(true);
            }
            let workers = &self.slots.workers;
            let Some(presence) = &self.slots.presence else {
                // no absences: the next event is the next live job's arrival (in a population, or
                // its client's departure, or an idle slot looking for a client again)
                match self.slots.queue.pop_live(|e| is_live(workers, e)) {
                    Some(e) if e.finish > self.cfg.max_time => return Ok(false),
                    Some(e) if e.event == Event::Arrival => {
                        self.arrive(e)?;
                        changes = 0;
                    }
                    Some(e) => {
                        self.no_arrival_yet(&mut changes, e.finish)?;
                        self.slot_event(e)?;
                    }
                    None => return Err(self.ran_dry()),
                }
                continue;
            };
            let change = presence.peek();
            match (self.slots.queue.peek_live(|e| is_live(workers, e)), change) {
                // an arrival goes first when a change of presence is due at the same time
                (Some(e), c) if c.is_none_or(|c| e.finish <= c.time) => {
                    if e.finish > self.cfg.max_time {
                        return Ok(false);
                    }
                    self.slots.queue.pop();
                    self.arrive(e)?;
                    changes = 0;
                }
                (_, Some(c)) => {
                    if c.time > self.cfg.max_time {
                        return Ok(false);
                    }
                    self.no_arrival_yet(&mut changes, c.time)?;
                    self.change_presence(c.worker)?;
                }
                _ => return Err(self.ran_dry()),
            }
        }
    }

    /// Counts an event at `time` that brought no arrival (a change of presence, a lost job, a
    /// slot looking again); too many in a row stop the run (docs/semantics.md, section 17).
    fn no_arrival_yet(&self, changes: &mut u64, time: f64) -> Result<(), SimError> {
        *changes += 1;
        if *changes > CHANGES_WITHOUT_ARRIVAL * u64::from(self.cfg.workers) {
            return Err(SimError::NoProgress {
                round: self.clock.round,
                time,
                changes: *changes,
            });
        }
        Ok(())
    }

    pub(super) fn ran_dry(&self) -> SimError {
        SimError::QueueRanDry {
            round: self.clock.round,
            k: self.clock.k,
        }
    }

    /// Evaluates w^{version} every `eval_every` rounds; says whether it reached a target that stops
    /// the run.
    pub(super) fn evaluate_if_due(&mut self, version: u64) -> Result<bool, SimError> {
        let clock = &mut self.clock;
        if !eval_due(
            self.cfg.eval_every,
            self.cfg.eval_interval,
            version,
            clock.now,
            &mut clock.next_eval,
        ) {
            return Ok(false);
        }
        self.evaluate(version)?;
        Ok(self.ledger.evals.last().is_some_and(|e| self.reached_target(e)))
    }

    /// K^{t+1} from the loss estimate F_t (every `k_update_every` rounds), and the staleness
    /// threshold it implies.
    pub(super) fn next_k_and_threshold(&mut self, version: u64, train_loss: f64) -> (u32, Threshold) {
        let f_t = match self.cfg.k_loss {
            KLoss::Reported => train_loss,
            KLoss::Eval => self.clock.latest_eval_loss,
        };
        let f_0 = *self.clock.f0.get_or_insert(f_t);
        let n = self.cfg.workers;
        let k_next = if version.is_multiple_of(self.cfg.k_update_every) {
            self.cfg.policy.k.next(self.clock.k, f_0, f_t, n)
        } else {
            self.clock.k
        };
        (k_next, self.cfg.policy.bound.threshold(n, k_next))
    }

    pub(super) fn record_round(&mut self, d: &Delivery, tau: Threshold, restarts: u32) {
        let arrivals = self.inbox.arrivals.len();
        let comm = &self.ledger.comm;
        self.ledger.rounds.push(RoundRecord {
            round: self.clock.round,
            time: self.clock.now,
            k: self.clock.k,
            tau_max: tau.as_f64(),
            arrivals: arrivals as u32,
            restarts,
            mean_staleness: d.stale_sum as f64 / arrivals as f64,
            max_staleness: d.stale_max,
            uploads: comm.uploads,
            downloads: comm.downloads,
            comm: comm.uploads + comm.restarts,
            train_loss: d.train_loss,
        });
    }

    /// Evaluates w^{round} (the current global model) and records it.
    pub(super) fn evaluate(&mut self, round: u64) -> Result<(), SimError> {
        let e = self.learner.evaluate(&self.global);
        if let Some(failure) = self.learner.take_failure() {
            return Err(SimError::Learner(failure.in_round(self.clock.round)));
        }
        self.clock.latest_eval_loss = e.loss;
        let comm = &self.ledger.comm;
        self.ledger.evals.push(EvalRecord {
            round,
            time: self.clock.now,
            uploads: comm.uploads,
            downloads: comm.downloads,
            comm: comm.uploads + comm.restarts,
            test_loss: e.loss,
            test_accuracy: e.accuracy,
        });
        Ok(())
    }

    pub(super) fn reached_target(&self, e: &EvalRecord) -> bool {
        self.cfg.stop_at_target && self.cfg.target_accuracy.is_some_and(|t| e.test_accuracy >= t)
    }
}
