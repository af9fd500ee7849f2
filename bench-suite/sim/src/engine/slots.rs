//! The slots: N workers, or in a population N slots that its clients take in turn
//! (docs/semantics.md, "18. A population of clients"). Each holds its latest job and the model
//! version it started from; the engine's moves on them are here: starting a job (its download,
//! compute and upload times, sections 9 and 16), filling a slot from the population, stopping and
//! restarting jobs at a round's end (section 3, step 6; section 4), and changes of presence: a
//! worker leaving or coming back (section 17), a client leaving or an empty slot looking again
//! (section 18).

use std::collections::VecDeque;
use std::sync::Arc;

use abs_policies::Threshold;

use super::availability::Presence;
use super::config::EngineConfig;
use super::events::{Event, InFlight, JobQueue};
use super::jobs::{Cause, Fate, JobRecord};
use super::network::transfer_seconds;
use super::round::{Engine, SimError};
use crate::learner::Learner;
use crate::population::Crowd;

/// A worker's (in a population, a slot's) latest job and the model version it started from.
pub(super) struct Worker {
    pub base: Arc<Vec<f32>>,
    /// v_n: the round whose global model the worker holds.
    pub version: u64,
    /// Index of the latest job (jobs numbered from 0, cancelled and lost ones included).
    pub job: u64,
    /// Jobs started so far.
    pub started: u64,
    /// When the pending event happens: the latest job's arrival, its client's departure, or a
    /// waiting slot's next look for a client.
    pub finish: f64,
    /// Whether the latest job is still computing or uploading (not arrived, cancelled or lost).
    pub in_flight: bool,
    /// Whether the latest job's update has arrived and waits for its round to close.
    pub pending: bool,
    /// Whether the worker is away (docs/semantics.md, "17. Availability").
    pub away: bool,
    /// The latest job's row in the job log.
    pub log: usize,
    /// What the slot's pending event is: the job's arrival, or (populations) its client's
    /// departure first; `finish` is then the departure.
    pub event: Event,
    /// A population's slot that found no client: it looks again at `finish`.
    pub waiting: bool,
}

/// Every slot, the queue of their pending events, who is present, and the reused buffers of a
/// round's end.
pub(super) struct Slots {
    pub workers: Vec<Worker>,
    pub queue: JobQueue,
    /// (base version, worker, job) of every job started since the oldest one still in flight, in
    /// start order, so in base-version order (a job trains from the model current when it
    /// starts): the round's end stops the stalest jobs from the front, O(restarts) rather than
    /// O(N). Entries of jobs no longer in flight are dropped when they reach the front.
    pub by_start: VecDeque<(u64, u32, u64)>,
    /// Reused buffer: who starts a job at the end of the current round, and why.
    pub starting: Vec<(u32, Cause)>,
    /// The jobs a round's end stops (worker, fate, staleness), reused.
    pub stopping: Vec<(u32, Fate, u64)>,
    /// Jobs in flight on present workers.
    pub in_flight: usize,
    /// Slots waiting for a client.
    pub waiting: usize,
    /// Bits in one model transfer, where a network is modelled.
    pub bits: f64,
    /// Departures and returns, with absences.
    pub presence: Option<Presence>,
    /// The slots' clients, in a population.
    pub crowd: Option<Crowd>,
}

impl Slots {
    /// N slots holding w^0 (`init`), none started yet; with absences, some away from the start.
    pub fn new(cfg: &EngineConfig, init: &Arc<Vec<f32>>) -> Result<Slots, SimError> {
        let n = cfg.workers as usize;
        let (presence, away) = match &cfg.availability {
            Some(a) => {
                let (p, away) = Presence::start(a, cfg.workers);
                (Some(p), away)
            }
            None => (None, vec![false; n]),
        };
        let worker = |w: usize| Worker {
            base: Arc::clone(init),
            version: 0,
            job: 0,
            started: 0,
            finish: 0.0,
            in_flight: false,
            pending: false,
            away: away[w],
            log: 0,
            event: Event::Arrival,
            waiting: false,
        };
        Ok(Slots {
            workers: (0..n).map(worker).collect(),
            queue: JobQueue::with_capacity(n),
            by_start: VecDeque::with_capacity(2 * n),
            starting: Vec::with_capacity(n),
            stopping: Vec::with_capacity(n),
            in_flight: 0,
            waiting: 0,
            bits: cfg.network.as_ref().map_or(0.0, |l| l.bits(init.len())),
            presence,
            crowd: cfg
                .population
                .as_ref()
                .map(|p| Crowd::new(p, cfg.workers))
                .transpose()
                .map_err(SimError::Population)?,
        })
    }
}

/// Whether a queued event is still to happen: its job is the slot's latest and in flight, or its
/// slot still waits for a client (cancelled jobs' entries stay in the queue, skipped here).
pub(super) fn is_live(workers: &[Worker], e: &InFlight) -> bool {
    let w = &workers[e.worker as usize];
    match e.event {
        Event::Retry => w.waiting && w.started == e.job,
        _ => w.job == e.job && w.in_flight,
    }
}

impl<L: Learner + ?Sized> Engine<'_, L> {
    /// Arrivals download w^{t+1} and start again; stragglers age, and those over the threshold
    /// (or all of them, for sync policies) restart from w^{t+1}. Returns the restarts.
    pub(super) fn restart(&mut self, version: u64, tau: Threshold) -> Result<u32, SimError> {
        // the arrivals still waiting for a model (all of them, or with dispatch on arrival the one
        // that completed the buffer) receive w^{t+1}; one that left meanwhile starts again when it
        // comes back
        let mut starting = std::mem::take(&mut self.slots.starting);
        starting.clear();
        for a in &self.inbox.arrivals {
            let worker = &mut self.slots.workers[a.worker as usize];
            if worker.pending {
                worker.pending = false;
                if !worker.away {
                    starting.push((a.worker, Cause::Next));
                }
            }
        }
        // the jobs still in flight that the round's end stops: the stalest first, from the front
        // of the start-ordered queue (a stop rule stops every job at least as stale as one it
        // stops), until one goes on; unbounded async policies stop none
        let may_stop = self.cfg.policy.may_stop_stragglers(tau);
        let mut stopping = std::mem::take(&mut self.slots.stopping);
        stopping.clear();
        while let Some(&(base, w, job)) = self.slots.by_start.front() {
            let worker = &self.slots.workers[w as usize];
            if worker.in_flight && worker.job == job {
                if !may_stop {
                    break;
                }
                let staleness = version - base;
                match Fate::at_round_end(self.cfg.policy.at_round_end(staleness, tau, self.cfg.restart_when)) {
                    Some(fate) => stopping.push((w, fate, staleness)),
                    None => break,
                }
            }
            self.slots.by_start.pop_front();
        }
        // in worker order, as the job log and the shared link have always seen them
        stopping.sort_unstable_by_key(|s| s.0);
        let restarts = stopping.len() as u32;
        for &(w, fate, staleness) in &stopping {
            if let Some(crowd) = &mut self.slots.crowd {
                crowd.release(w);
            }
            let worker = &mut self.slots.workers[w as usize];
            worker.in_flight = false;
            self.slots.in_flight -= 1;
            self.ledger.jobs[worker.log].settle(fate, self.clock.now, self.clock.round, Some(staleness));
            starting.push((w, Cause::Restart));
        }
        self.slots.stopping = stopping;
        self.fill_slots(&starting, version, self.clock.now)?;
        self.slots.starting = starting;
        self.ledger.comm.restarts += u64::from(restarts);
        let slots = &mut self.slots;
        let live = (slots.workers.iter().enumerate())
            .filter(|(_, s)| s.in_flight || s.waiting)
            .map(|(w, s)| InFlight {
                finish: s.finish,
                worker: w as u32,
                job: if s.waiting { s.started } else { s.job },
                event: if s.waiting { Event::Retry } else { s.event },
            });
        slots.queue.compact_if_needed(slots.in_flight + slots.waiting, live);
        Ok(restarts)
    }

    /// Sends the current global model (version `version`) to `w` at time `at`, with `together`
    /// downloads sent at that instant, and starts its next job.
    pub(super) fn start_job(&mut self, w: u32, version: u64, cause: Cause, at: f64, together: u32) -> Result<(), SimError> {
        self.start_job_on(w, None, version, cause, at, together)
    }

    /// Gives slot `w` its next job: at once for a worker, or in a population to the client a
    /// selection finds; a slot that finds none waits and looks again `retry_s` later.
    pub(super) fn fill_slot(&mut self, w: u32, version: u64, cause: Cause, at: f64, together: u32) -> Result<(), SimError> {
        let Some(crowd) = &mut self.slots.crowd else {
            return self.start_job(w, version, cause, at, together);
        };
        match crowd.fill(w, at) {
            Some(client) => self.start_job_on(w, Some(client), version, cause, at, together),
            None => {
                self.wait(w, at);
                Ok(())
            }
        }
    }

    /// [`Self::fill_slot`] for every slot of `starting` at once, sending w^{version} at `at`: the
    /// downloads sent (to every worker, or to the clients found) share the server's link.
    pub(super) fn fill_slots(&mut self, starting: &[(u32, Cause)], version: u64, at: f64) -> Result<(), SimError> {
        let Some(crowd) = &mut self.slots.crowd else {
            let together = starting.len() as u32;
            for &(w, cause) in starting {
                self.start_job(w, version, cause, at, together)?;
            }
            return Ok(());
        };
        let picked: Vec<(u32, Cause, Option<u64>)> = starting.iter().map(|&(w, cause)| (w, cause, crowd.fill(w, at))).collect();
        let together = picked.iter().filter(|p| p.2.is_some()).count() as u32;
        for (w, cause, client) in picked {
            match client {
                Some(c) => self.start_job_on(w, Some(c), version, cause, at, together)?,
                None => self.wait(w, at),
            }
        }
        Ok(())
    }

    /// A population's slot that found no client: it looks again `retry_s` after `at`.
    fn wait(&mut self, w: u32, at: f64) {
        let retry_s = self.cfg.population.as_ref().map_or(f64::INFINITY, |p| p.selection.retry_s);
        let worker = &mut self.slots.workers[w as usize];
        worker.waiting = true;
        worker.finish = at + retry_s;
        self.slots.waiting += 1;
        self.slots.queue.push(InFlight {
            finish: worker.finish,
            worker: w,
            job: worker.started,
            event: Event::Retry,
        });
    }

    /// [`Self::start_job`] on `client` of a population (its compute time, and its departure if it
    /// leaves before the job arrives), or on the worker itself.
    fn start_job_on(&mut self, w: u32, client: Option<u64>, version: u64, cause: Cause, at: f64, together: u32) -> Result<(), SimError> {
        let row = self.ledger.jobs.len() as u64;
        let (compute, crowd) = match (client, &mut self.slots.crowd) {
            (Some(c), Some(crowd)) => (crowd.job_time(c, row), Some(crowd)),
            _ => (self.times.draw(w)?, None),
        };
        let (download, upload, links) = match &self.cfg.network {
            None => (self.cfg.download_latency, self.cfg.upload_latency, None),
            Some(l) => {
                let (up, down) = l.holder(w, client);
                (
                    transfer_seconds(self.cfg.download_latency, self.slots.bits, l.shared(down, together)),
                    transfer_seconds(self.cfg.upload_latency, self.slots.bits, up),
                    Some((up, down)),
                )
            }
        };
        let finish = at + download + compute + upload;
        // a client that leaves before its update arrives loses the job then
        let departure = match (client, crowd) {
            (Some(c), Some(crowd)) => crowd.departure(c, at),
            _ => f64::INFINITY,
        };
        let (event_time, event) = if departure < finish {
            (departure, Event::Departure)
        } else {
            (finish, Event::Arrival)
        };
        let worker = &mut self.slots.workers[w as usize];
        worker.job = worker.started;
        worker.started += 1;
        worker.base = Arc::clone(&self.global);
        worker.version = version;
        worker.finish = event_time;
        worker.event = event;
        worker.in_flight = true;
        worker.log = self.ledger.jobs.len();
        self.slots.in_flight += 1;
        self.slots.by_start.push_back((version, w, worker.job));
        self.slots.queue.push(InFlight {
            finish: event_time,
            worker: w,
            job: worker.job,
            event,
        });
        self.ledger.jobs.push(JobRecord {
            worker: w,
            job: worker.job,
            client,
            base_version: version,
            cause,
            start: at,
            download_s: download,
            compute_s: compute,
            upload_s: upload,
            finish,
            fate: Fate::Running,
            end: f64::NAN,
            round: None,
            staleness: None,
            upload_mbps: links.map(|l| l.0),
            download_mbps: links.map(|l| l.1),
            downloads_together: together,
        });
        self.ledger.comm.downloads += 1;
        Ok(())
    }

    /// A population's slot event other than an arrival: its client leaves (losing the job, and
    /// another client takes the slot at once), or a slot that found no client looks again.
    pub(super) fn slot_event(&mut self, e: InFlight) -> Result<(), SimError> {
        self.clock.latest = e.finish;
        let w = e.worker;
        let worker = &mut self.slots.workers[w as usize];
        let cause = match e.event {
            Event::Departure => {
                worker.in_flight = false;
                self.slots.in_flight -= 1;
                self.ledger.jobs[worker.log].settle(Fate::Unavailable, e.finish, self.clock.round, None);
                if let Some(crowd) = &mut self.slots.crowd {
                    crowd.release(w);
                }
                Cause::Lost
            }
            Event::Retry => {
                worker.waiting = false;
                self.slots.waiting -= 1;
                Cause::Waited
            }
            Event::Arrival => return self.arrive(e),
        };
        self.fill_slot(w, self.clock.round, cause, e.finish, 1)
    }

    /// The next change of presence: worker `w` leaves (losing a job in flight) or comes back
    /// (receiving w^t and starting its next job).
    pub(super) fn change_presence(&mut self, w: u32) -> Result<(), SimError> {
        let leaving = !self.slots.workers[w as usize].away;
        let Some(c) = self.slots.presence.as_mut().and_then(|p| p.take(leaving)) else {
            return Err(self.ran_dry());
        };
        self.clock.latest = c.time;
        let worker = &mut self.slots.workers[w as usize];
        if leaving {
            worker.away = true;
            if worker.in_flight {
                worker.in_flight = false;
                self.slots.in_flight -= 1;
                self.ledger.jobs[worker.log].settle(Fate::Unavailable, c.time, self.clock.round, None);
            }
        } else {
            worker.away = false;
            // a worker whose update waits for this round starts again when the round closes
            if !worker.pending {
                self.start_job(w, self.clock.round, Cause::Rejoin, c.time, 1)?;
            }
        }
        Ok(())
    }
}
