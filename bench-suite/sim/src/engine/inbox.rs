//! The server's inbox: a round's arrivals as they reach the server (dropped over `max_staleness`,
//! or with dispatch on arrival their workers started again at once; docs/semantics.md, section 6),
//! then trained when the round closes (lazy compute: a job is computed only when it is delivered;
//! section 3, step 2) and handed to the server step (section 3, step 3; section 6).

use std::sync::Arc;

use abs_policies::Dispatch;

use super::events::InFlight;
use super::jobs::{Cause, Fate};
use super::round::{Engine, SimError};
use super::step::{RoundFacts, Update};
use crate::learner::{JobId, Learner, TrainJob};

/// What reached the server during the wait for the current round, and the reused buffers that
/// train it.
#[derive(Default)]
pub(super) struct Inbox {
    /// Round t's arrivals, in arrival order.
    pub arrivals: Vec<InFlight>,
    /// With dispatch on arrival, each arrival's base, base version and job-log row, taken when it
    /// arrived (its worker has started again since).
    pub arrived_from: Vec<(Arc<Vec<f32>>, u64, usize)>,
    /// Arrivals dropped (over `max_staleness`) during the wait for the current round.
    pub dropped: u64,
    /// The arrivals' bases: held while they train, and until the server step only where it needs
    /// them (`keep_bases`; a base still held when the step writes w^t makes it copy w^t first).
    pub bases: Vec<Arc<Vec<f32>>>,
    pub keep_bases: bool,
    /// The arrivals' job identities (a population's job is keyed by its client and its row).
    pub ids: Vec<JobId>,
    /// The arrivals' staleness, t - v_n, and in a population their clients.
    pub staleness: Vec<u64>,
    pub clients: Vec<Option<u64>>,
    /// The arrivals' deltas and mean losses (the deltas buffer keeps the largest round's count).
    pub deltas: Vec<Vec<f32>>,
    pub losses: Vec<f64>,
}

/// What one round's deliveries brought: their loss and their staleness.
pub(super) struct Delivery {
    pub train_loss: f64,
    pub stale_sum: u64,
    pub stale_max: u64,
}

impl<L: Learner + ?Sized> Engine<'_, L> {
    /// A job's update reaches the server; with dispatch on arrival its worker receives the current
    /// model and starts again at once.
    pub(super) fn arrive(&mut self, e: InFlight) -> Result<(), SimError> {
        self.clock.latest = e.finish;
        if let Some(crowd) = &mut self.slots.crowd {
            crowd.release(e.worker);
        }
        let worker = &mut self.slots.workers[e.worker as usize];
        worker.in_flight = false;
        self.slots.in_flight -= 1;
        match self.cfg.policy.server.dispatch {
            Dispatch::AtRoundEnd => {
                worker.pending = true;
                self.inbox.arrivals.push(e);
            }
            Dispatch::OnArrival => {
                let round = self.clock.round;
                let staleness = round - worker.version;
                if self.cfg.policy.server.drops(staleness) {
                    self.ledger.jobs[worker.log].settle(Fate::Dropped, e.finish, round, Some(staleness));
                    self.inbox.dropped += 1;
                } else {
                    self.inbox.arrived_from.push((Arc::clone(&worker.base), worker.version, worker.log));
                    self.inbox.arrivals.push(e);
                    if self.inbox.arrivals.len() >= self.clock.k as usize {
                        // it completes the buffer: the server steps first, and it receives the
                        // new model when the round closes, at this same instant
                        worker.pending = true;
                        return Ok(());
                    }
                }
                self.fill_slot(e.worker, round, Cause::Arrival, e.finish, 1)?;
            }
        }
        Ok(())
    }

    /// Trains each arriving job from the model version it started from (lazy compute: a job is
    /// computed only when it is delivered), settles its row and counts its upload.
    pub(super) fn deliver(&mut self) -> Result<Delivery, SimError> {
        let inbox = &mut self.inbox;
        let count = inbox.arrivals.len();
        let dim = self.global.len();
        if inbox.deltas.len() < count {
            inbox.deltas.resize_with(count, || vec![0.0; dim]);
        }
        let (mut stale_sum, mut stale_max) = (0u64, 0u64);
        inbox.staleness.clear();
        inbox.bases.clear();
        inbox.ids.clear();
        inbox.clients.clear();
        let round = self.clock.round;
        for (i, a) in inbox.arrivals.iter().enumerate() {
            let (base, version, log) = match inbox.arrived_from.get(i) {
                Some((base, version, log)) => (base, *version, *log),
                None => {
                    let worker = &self.slots.workers[a.worker as usize];
                    (&worker.base, worker.version, worker.log)
                }
            };
            let staleness = round - version;
            inbox.bases.push(Arc::clone(base));
            // a population's job trains on its client's data, its draws keyed by its row
            let client = self.ledger.jobs[log].client;
            inbox.clients.push(client);
            inbox.ids.push(match client {
                Some(client) => JobId {
                    worker: client as u32,
                    job: log as u64,
                },
                None => JobId {
                    worker: a.worker,
                    job: a.job,
                },
            });
            stale_sum += staleness;
            stale_max = stale_max.max(staleness);
            inbox.staleness.push(staleness);
            self.ledger.jobs[log].settle(Fate::Delivered, self.clock.now, round, Some(staleness));
        }
        inbox.arrived_from.clear();
        let jobs: Vec<TrainJob<'_>> = (inbox.ids.iter().zip(&inbox.bases))
            .map(|(&job, base)| TrainJob {
                base: base.as_slice(),
                job,
            })
            .collect();
        inbox.losses.clear();
        inbox.losses.resize(count, 0.0);
        self.learner
            .train_batch(&jobs, self.cfg.local_steps, &mut inbox.deltas[..count], &mut inbox.losses);
        if let Some(failure) = self.learner.take_failure() {
            return Err(SimError::Learner(failure.in_round(round)));
        }
        // the bases are released here unless the server step reads them, so the copy-on-write
        // update copies only when a worker still holds w^t
        drop(jobs);
        if !inbox.keep_bases {
            inbox.bases.clear();
        }
        // uploads count the round's dropped arrivals too: they were sent, not aggregated
        self.ledger.comm.uploads += count as u64 + std::mem::take(&mut inbox.dropped);
        Ok(Delivery {
            train_loss: inbox.losses.iter().sum::<f64>() / count as f64,
            stale_sum,
            stale_max,
        })
    }

    /// The server step on the round's delivered updates (docs/semantics.md, "6. Aggregation and
    /// weighting"): w^t becomes w^{t+1}, copied first only if a worker still holds w^t as its base.
    pub(super) fn server_step(&mut self) -> Result<(), SimError> {
        let global = Arc::make_mut(&mut self.global).as_mut_slice();
        let inbox = &self.inbox;
        let round = self.clock.round;
        let mut bases = inbox.bases.iter();
        let want_samples = self.step.needs_samples();
        let updates: Vec<Update<'_>> = (inbox.arrivals.iter().zip(&inbox.deltas))
            .zip(inbox.staleness.iter().zip(&inbox.clients).zip(&inbox.losses))
            .map(|((a, delta), ((&staleness, &client), &loss))| Update {
                delta,
                staleness,
                worker: a.worker,
                client,
                base_version: round - staleness,
                base: bases.next().map(|b| b.as_slice()),
                loss,
                samples: if want_samples {
                    self.learner.samples_of(client.map_or(a.worker, |c| c as u32))
                } else {
                    None
                },
            })
            .collect();
        let facts = RoundFacts {
            round,
            k: self.clock.k,
            workers: self.cfg.workers,
            server_lr: self.cfg.server_lr,
            time: self.clock.now,
        };
        let stepped = self.step.step(global, &updates, &facts);
        drop(updates);
        self.inbox.bases.clear();
        stepped.map_err(|f| SimError::Step(f.in_round(round)))
    }
}
