//! The discrete-event engine: N workers, one parameter server, a virtual clock; a round is a few
//! named steps (docs/semantics.md, "3. A round").

use std::collections::VecDeque;
use std::sync::Arc;

use abs_policies::{Apply, Dispatch, Policy, PolicyName, PolicyParams, RestartWhen, ServerOptimizer, ServerState, Threshold, aggregate};
use serde::{Deserialize, Serialize};

use super::availability::{Availability, Presence};
use super::compute_time::{JobTimes, TraceError};
use super::events::{Event, InFlight, JobQueue};
use super::jobs::{Cause, Fate, JobRecord};
use super::network::{Links, transfer_seconds};
use super::records::{EvalRecord, RoundRecord, RunRecords, StopReason};
use crate::learner::{JobId, Learner, TrainJob};
use crate::population::{Crowd, Population};

/// Which loss estimate drives the adaptive K (`k_loss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KLoss {
    /// F_t = the mean loss reported by round t's arrivals (the paper's estimator).
    #[default]
    Reported,
    /// F_t = the loss of the latest periodic evaluation.
    Eval,
}

/// What the engine needs to know about a run, beyond the learner and the job times.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub workers: u32,
    pub local_steps: u32,
    pub policy: Policy,
    pub restart_when: RestartWhen,
    pub server_lr: f32,
    pub k_loss: KLoss,
    pub k_update_every: u64,
    pub eval_every: u64,
    /// Evaluate by virtual time instead (docs/semantics.md, section 12): after the first round
    /// ending at or after each multiple of this many seconds; `None`: every `eval_every` rounds.
    pub eval_interval: Option<f64>,
    pub max_rounds: u64,
    pub max_time: f64,
    pub target_accuracy: Option<f64>,
    pub stop_at_target: bool,
    pub upload_latency: f64,
    pub download_latency: f64,
    /// Every worker's link, where communication time is modelled (docs/semantics.md, "16. The
    /// network"); `None`: transfers take only their latencies.
    pub network: Option<Links>,
    /// Workers' absences (docs/semantics.md, "17. Availability"); `None`: always present.
    pub availability: Option<Availability>,
    /// A population of clients of which `workers` train at once, one per slot (docs/semantics.md,
    /// "18. A population of clients"); `None`: each worker is its own client.
    pub population: Option<Population>,
}

/// The config table's defaults for the engine's keys (a policy of `abs` on 10 workers).
impl Default for EngineConfig {
    fn default() -> Self {
        let params = PolicyParams::default();
        EngineConfig {
            workers: params.workers,
            local_steps: 10,
            policy: Policy::resolve(PolicyName::Abs.knobs(), &params).expect("abs resolves with the default parameters"),
            restart_when: RestartWhen::default(),
            server_lr: 1.0,
            k_loss: KLoss::default(),
            k_update_every: 1,
            eval_every: 10,
            eval_interval: None,
            max_rounds: 2000,
            max_time: f64::INFINITY,
            target_accuracy: None,
            stop_at_target: false,
            upload_latency: 0.0,
            download_latency: 0.0,
            network: None,
            availability: None,
            population: None,
        }
    }
}

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
}

/// Changes of presence per worker processed without an arrival before a run is declared stuck.
const CHANGES_WITHOUT_ARRIVAL: u64 = 10_000;

/// w <- (1 - c) w + c (base + delta), element by element: with c = 1 the client's model replaces w
/// exactly.
fn mix_in(w: &mut [f32], c: f32, base: &[f32], delta: &[f32]) {
    for ((wi, &b), &d) in w.iter_mut().zip(base).zip(delta) {
        *wi = (1.0 - c) * *wi + c * (b + d);
    }
}

/// A worker's (in a population, a slot's) latest job and the model version it started from.
struct Worker {
    base: Arc<Vec<f32>>,
    /// v_n: the round whose global model the worker holds.
    version: u64,
    /// Index of the latest job (jobs numbered from 0, cancelled and lost ones included).
    job: u64,
    /// Jobs started so far.
    started: u64,
    /// When the pending event happens: the latest job's arrival, its client's departure, or a
    /// waiting slot's next look for a client.
    finish: f64,
    /// Whether the latest job is still computing or uploading (not arrived, cancelled or lost).
    in_flight: bool,
    /// Whether the latest job's update has arrived and waits for its round to close.
    pending: bool,
    /// Whether the worker is away (docs/semantics.md, "17. Availability").
    away: bool,
    /// The latest job's row in the job log.
    log: usize,
    /// What the slot's pending event is: the job's arrival, or (populations) its client's
    /// departure first; `finish` is then the departure.
    event: Event,
    /// A population's slot that found no client: it looks again at `finish`.
    waiting: bool,
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

/// Cumulative communication counters.
#[derive(Default)]
struct Comm {
    uploads: u64,
    downloads: u64,
    restarts: u64,
}

/// What one round's deliveries brought: their loss and their staleness (their weights in the
/// update are in `Engine::coefs`).
struct Delivery {
    train_loss: f64,
    stale_sum: u64,
    stale_max: u64,
}

/// One simulation: the server's state, the workers' jobs and the records so far.
struct Engine<'a, L: Learner + ?Sized> {
    cfg: &'a EngineConfig,
    learner: &'a mut L,
    times: &'a mut JobTimes,
    workers: Vec<Worker>,
    queue: JobQueue,
    /// w^t, shared copy-on-write with the workers that started from it.
    global: Arc<Vec<f32>>,
    comm: Comm,
    now: f64,
    /// t: rounds completed, and the version of `global`.
    round: u64,
    /// K^t.
    k: u32,
    /// F_0, set by the first loss estimate.
    f0: Option<f64>,
    latest_eval_loss: f64,
    /// Round t's arrivals, in arrival order.
    arrivals: Vec<InFlight>,
    /// Reused buffers for the arrivals' deltas and losses.
    deltas: Vec<Vec<f32>>,
    losses: Vec<f64>,
    /// With dispatch on arrival, each arrival's base, base version and job-log row, taken when it
    /// arrived (its worker has started again since).
    arrived_from: Vec<(Arc<Vec<f32>>, u64, usize)>,
    /// The arrivals' bases, kept until the server step only where it mixes client models in.
    mix_bases: Vec<Arc<Vec<f32>>>,
    /// Arrivals dropped (over `max_staleness`) during the wait for the current round.
    dropped: u64,
    /// Reused buffers for the arrivals' staleness and their coefficients in the server step.
    staleness_of: Vec<u64>,
    coefs: Vec<f32>,
    /// The server optimizer's moments, and a reused buffer for the pseudo-gradient.
    server_state: ServerState,
    pseudo_gradient: Vec<f32>,
    rounds: Vec<RoundRecord>,
    evals: Vec<EvalRecord>,
    jobs: Vec<JobRecord>,
    /// Reused buffer: who starts a job at the end of the current round, and why.
    starting: Vec<(u32, Cause)>,
    /// With `eval_interval`: the virtual time from which the next round end evaluates.
    next_eval: f64,
    /// (base version, worker, job) of every job started since the oldest one still in flight, in
    /// start order, so in base-version order (a job trains from the model current when it
    /// starts): the round's end stops the stalest jobs from the front, O(restarts) rather than
    /// O(N). Entries of jobs no longer in flight are dropped when they reach the front.
    by_start: VecDeque<(u64, u32, u64)>,
    /// The jobs a round's end stops (worker, fate, staleness), reused.
    stopping: Vec<(u32, Fate, u64)>,
    /// Jobs in flight on present workers.
    in_flight: usize,
    /// The time of the latest event processed (>= `now`, the time of the latest round).
    clock: f64,
    /// Bits in one model transfer, where a network is modelled.
    bits: f64,
    presence: Option<Presence>,
    /// The slots' clients, in a population.
    crowd: Option<Crowd>,
    /// Slots waiting for a client.
    waiting: usize,
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
    let mut engine = Engine::start(cfg, learner, times)?;
    let stop = engine.run(observe)?;
    Ok(engine.finish(stop))
}

impl<'a, L: Learner + ?Sized> Engine<'a, L> {
    /// Time 0: w^0 is drawn, every worker downloads it and starts its job 0, and w^0 is evaluated.
    fn start(cfg: &'a EngineConfig, learner: &'a mut L, times: &'a mut JobTimes) -> Result<Self, SimError> {
        let n = cfg.workers as usize;
        let init = Arc::new(learner.init());
        let bits = cfg.network.as_ref().map_or(0.0, |l| l.bits(init.len()));
        let (presence, away) = match &cfg.availability {
            Some(a) => {
                let (p, away) = Presence::start(a, cfg.workers);
                (Some(p), away)
            }
            None => (None, vec![false; n]),
        };
        let worker = |w: usize| Worker {
            base: Arc::clone(&init),
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
        let mut engine = Engine {
            cfg,
            learner,
            times,
            workers: (0..n).map(worker).collect(),
            queue: JobQueue::with_capacity(n),
            global: Arc::clone(&init),
            comm: Comm::default(),
            now: 0.0,
            round: 0,
            k: cfg.policy.k.initial(),
            f0: None,
            latest_eval_loss: f64::NAN,
            arrivals: Vec::with_capacity(n),
            deltas: Vec::new(),
            losses: Vec::new(),
            arrived_from: Vec::new(),
            dropped: 0,
            mix_bases: Vec::new(),
            staleness_of: Vec::with_capacity(n),
            coefs: Vec::with_capacity(n),
            server_state: ServerState::default(),
            pseudo_gradient: Vec::new(),
            rounds: Vec::new(),
            evals: Vec::new(),
            jobs: Vec::with_capacity(4 * n),
            starting: Vec::with_capacity(n),
            next_eval: cfg.eval_interval.unwrap_or(0.0),
            by_start: VecDeque::with_capacity(2 * n),
            stopping: Vec::with_capacity(n),
            in_flight: 0,
            clock: 0.0,
            bits,
            presence,
            crowd: cfg
                .population
                .as_ref()
                .map(|p| Crowd::new(p, cfg.workers))
                .transpose()
                .map_err(SimError::Population)?,
            waiting: 0,
        };
        let first: Vec<(u32, Cause)> = (0..cfg.workers)
            .filter(|&w| !away[w as usize])
            .map(|w| (w, Cause::Initial))
            .collect();
        engine.fill_slots(&first, 0, 0.0)?;
        engine.evaluate(0);
        if cfg.k_loss == KLoss::Eval {
            engine.f0 = Some(engine.latest_eval_loss);
        }
        Ok(engine)
    }

    /// Rounds until a stopping rule fires.
    fn run(&mut self, observe: &mut dyn FnMut(&Progress)) -> Result<StopReason, SimError> {
        if self.evals.last().is_some_and(|e| self.reached_target(e)) {
            return Ok(StopReason::Target);
        }
        loop {
            if self.round >= self.cfg.max_rounds {
                return Ok(StopReason::MaxRounds);
            }
            if !self.wait_for_round()? {
                return Ok(StopReason::MaxTime);
            }
            self.now = self.clock;
            let stop = self.round_after_arrivals()?;
            observe(&self.progress());
            if let Some(stop) = stop {
                return Ok(stop);
            }
        }
    }

    fn progress(&self) -> Progress {
        let by_rounds = self.round as f64 / self.cfg.max_rounds as f64;
        let by_time = if self.cfg.max_time.is_finite() {
            self.now / self.cfg.max_time
        } else {
            0.0
        };
        Progress {
            rounds: self.round,
            time: self.now,
            accuracy: self.evals.last().map_or(f64::NAN, |e| e.test_accuracy),
            fraction: by_rounds.max(by_time).clamp(0.0, 1.0),
        }
    }

    /// The rest of round t once its K arrivals are in: deliver, aggregate, evaluate when due, pick
    /// K^{t+1} and tau_max, restart, record. Returns why the run stops after this round, if it does.
    fn round_after_arrivals(&mut self) -> Result<Option<StopReason>, SimError> {
        let delivery = self.deliver();
        self.aggregate();
        let version = self.round + 1;
        let reached_target = self.evaluate_if_due(version);
        let (k_next, tau) = self.next_k_and_threshold(version, delivery.train_loss);
        let restarts = self.restart(version, tau)?;
        self.record_round(&delivery, tau, restarts);
        self.k = k_next;
        self.round = version;
        Ok(if !delivery.train_loss.is_finite() {
            Some(StopReason::Diverged)
        } else if reached_target {
            Some(StopReason::Target)
        } else {
            None
        })
    }

    /// Takes events in time order (arrivals, skipping cancelled jobs, and changes of presence)
    /// until round t can close: K^t arrivals, or at least one and no job left in flight on a present
    /// worker (docs/semantics.md, "17. Availability"). Returns false, and stops there, when the
    /// next event comes after `max_time`.
    fn wait_for_round(&mut self) -> Result<bool, SimError> {
        self.arrivals.clear();
        let mut changes = 0u64;
        loop {
            let arrived = self.arrivals.len();
            if arrived >= self.k as usize || (arrived >= 1 && self.in_flight == 0) {
                return Ok(true);
            }
            let workers = &self.workers;
            let is_live = |e: &InFlight| {
                let w = &workers[e.worker as usize];
                match e.event {
                    Event::Retry => w.waiting && w.started == e.job,
                    _ => w.job == e.job && w.in_flight,
                }
            };
            let Some(presence) = &self.presence else {
                // no absences: the next event is the next live job's arrival (in a population, or
                // its client's departure, or an idle slot looking for a client again)
                match self.queue.pop_live(is_live) {
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
            match (self.queue.peek_live(is_live), change) {
                // an arrival goes first when a change of presence is due at the same time
                (Some(e), c) if c.is_none_or(|c| e.finish <= c.time) => {
                    if e.finish > self.cfg.max_time {
                        return Ok(false);
                    }
                    self.queue.pop();
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
                round: self.round,
                time,
                changes: *changes,
            });
        }
        Ok(())
    }

    fn ran_dry(&self) -> SimError {
        SimError::QueueRanDry {
            round: self.round,
            k: self.k,
        }
    }

    /// A job's update reaches the server; with dispatch on arrival its worker receives the current
    /// model and starts again at once.
    fn arrive(&mut self, e: InFlight) -> Result<(), SimError> {
        self.clock = e.finish;
        if let Some(crowd) = &mut self.crowd {
            crowd.release(e.worker);
        }
        let worker = &mut self.workers[e.worker as usize];
        worker.in_flight = false;
        self.in_flight -= 1;
        match self.cfg.policy.server.dispatch {
            Dispatch::AtRoundEnd => {
                worker.pending = true;
                self.arrivals.push(e);
            }
            Dispatch::OnArrival => {
                let staleness = self.round - worker.version;
                if self.cfg.policy.server.drops(staleness) {
                    self.jobs[worker.log].settle(Fate::Dropped, e.finish, self.round, Some(staleness));
                    self.dropped += 1;
                } else {
                    self.arrived_from.push((Arc::clone(&worker.base), worker.version, worker.log));
                    self.arrivals.push(e);
                    if self.arrivals.len() >= self.k as usize {
                        // it completes the buffer: the server steps first, and it receives the
                        // new model when the round closes, at this same instant
                        worker.pending = true;
                        return Ok(());
                    }
                }
                self.fill_slot(e.worker, self.round, Cause::Arrival, e.finish, 1)?;
            }
        }
        Ok(())
    }

    /// A population's slot event other than an arrival: its client leaves (losing the job, and
    /// another client takes the slot at once), or a slot that found no client looks again.
    fn slot_event(&mut self, e: InFlight) -> Result<(), SimError> {
        self.clock = e.finish;
        let w = e.worker;
        let worker = &mut self.workers[w as usize];
        let cause = match e.event {
            Event::Departure => {
                worker.in_flight = false;
                self.in_flight -= 1;
                self.jobs[worker.log].settle(Fate::Unavailable, e.finish, self.round, None);
                if let Some(crowd) = &mut self.crowd {
                    crowd.release(w);
                }
                Cause::Lost
            }
            Event::Retry => {
                worker.waiting = false;
                self.waiting -= 1;
                Cause::Waited
            }
            Event::Arrival => return self.arrive(e),
        };
        self.fill_slot(w, self.round, cause, e.finish, 1)
    }

    /// The next change of presence: worker `w` leaves (losing a job in flight) or comes back
    /// (receiving w^t and starting its next job).
    fn change_presence(&mut self, w: u32) -> Result<(), SimError> {
        let leaving = !self.workers[w as usize].away;
        let Some(c) = self.presence.as_mut().and_then(|p| p.take(leaving)) else {
            return Err(self.ran_dry());
        };
        self.clock = c.time;
        let worker = &mut self.workers[w as usize];
        if leaving {
            worker.away = true;
            if worker.in_flight {
                worker.in_flight = false;
                self.in_flight -= 1;
                self.jobs[worker.log].settle(Fate::Unavailable, c.time, self.round, None);
            }
        } else {
            worker.away = false;
            // a worker whose update waits for this round starts again when the round closes
            if !worker.pending {
                self.start_job(w, self.round, Cause::Rejoin, c.time, 1)?;
            }
        }
        Ok(())
    }

    /// Trains each arriving job from the model version it started from (lazy compute: a job is
    /// computed only when it is delivered) and weighs it by its staleness.
    fn deliver(&mut self) -> Delivery {
        let count = self.arrivals.len();
        let dim = self.global.len();
        if self.deltas.len() < count {
            self.deltas.resize_with(count, || vec![0.0; dim]);
        }
        let (mut stale_sum, mut stale_max) = (0u64, 0u64);
        let mut staleness_of = std::mem::take(&mut self.staleness_of);
        staleness_of.clear();
        let mut bases = Vec::with_capacity(count);
        let mut ids = Vec::with_capacity(count);
        for (i, a) in self.arrivals.iter().enumerate() {
            let (base, version, log) = match self.arrived_from.get(i) {
                Some((base, version, log)) => (base, *version, *log),
                None => {
                    let worker = &self.workers[a.worker as usize];
                    (&worker.base, worker.version, worker.log)
                }
            };
            let staleness = self.round - version;
            bases.push(Arc::clone(base));
            // a population's job trains on its client's data, its draws keyed by its row
            ids.push(match self.jobs[log].client {
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
            staleness_of.push(staleness);
            self.jobs[log].settle(Fate::Delivered, self.now, self.round, Some(staleness));
        }
        self.arrived_from.clear();
        // count = K^t unless absences closed the round early
        self.cfg.policy.server.coefficients(&staleness_of, self.k, &mut self.coefs);
        self.staleness_of = staleness_of;
        let jobs: Vec<TrainJob<'_>> = (ids.iter().zip(&bases))
            .map(|(&job, base)| TrainJob {
                base: base.as_slice(),
                job,
            })
            .collect();
        self.losses.clear();
        self.losses.resize(count, 0.0);
        let (deltas, losses) = (&mut self.deltas[..count], &mut self.losses);
        self.learner.train_batch(&jobs, self.cfg.local_steps, deltas, losses);
        // the bases are released here (kept only to mix client models in), so the copy-on-write
        // update copies only when a worker still holds w^t
        drop(jobs);
        if matches!(self.cfg.policy.server.apply, Apply::Mix { .. }) {
            self.mix_bases = bases;
        } else {
            drop(bases);
        }
        // uploads count the round's dropped arrivals too: they were sent, not aggregated
        self.comm.uploads += count as u64 + std::mem::take(&mut self.dropped);
        Delivery {
            train_loss: self.losses.iter().sum::<f64>() / count as f64,
            stale_sum,
            stale_max,
        }
    }

    /// The server step (docs/semantics.md, "6. Aggregation and weighting"): w^{t+1} = w^t +
    /// server_lr * sum_i coef_i * delta_i with plain SGD, the server optimizer's step on that
    /// pseudo-gradient otherwise, or each client model mixed in turn. Copies w^t first only if a
    /// worker still holds it as its base.
    fn aggregate(&mut self) {
        let server = self.cfg.policy.server;
        let global = Arc::make_mut(&mut self.global).as_mut_slice();
        let updates: Vec<(f32, &[f32])> = self.coefs.iter().copied().zip(self.deltas.iter().map(Vec::as_slice)).collect();
        match (server.apply, server.optimizer) {
            (Apply::Deltas, ServerOptimizer::Sgd) => aggregate(global, &updates, self.cfg.server_lr),
            (Apply::Deltas, optimizer) => {
                self.pseudo_gradient.clear();
                self.pseudo_gradient.resize(global.len(), 0.0);
                aggregate(&mut self.pseudo_gradient, &updates, 1.0);
                self.server_state.step(optimizer, self.cfg.server_lr, global, &self.pseudo_gradient);
            }
            (Apply::Mix { .. }, _) => {
                for ((c, delta), base) in updates.iter().zip(self.mix_bases.drain(..)) {
                    mix_in(global, *c, &base, delta);
                }
            }
        }
    }

    /// Evaluates w^{version} every `eval_every` rounds; says whether it reached a target that stops
    /// the run.
    fn evaluate_if_due(&mut self, version: u64) -> bool {
        if !eval_due(self.cfg.eval_every, self.cfg.eval_interval, version, self.now, &mut self.next_eval) {
            return false;
        }
        self.evaluate(version);
        self.evals.last().is_some_and(|e| self.reached_target(e))
    }

    /// K^{t+1} from the loss estimate F_t (every `k_update_every` rounds), and the staleness
    /// threshold it implies.
    fn next_k_and_threshold(&mut self, version: u64, train_loss: f64) -> (u32, Threshold) {
        let f_t = match self.cfg.k_loss {
            KLoss::Reported => train_loss,
            KLoss::Eval => self.latest_eval_loss,
        };
        let f_0 = *self.f0.get_or_insert(f_t);
        let n = self.cfg.workers;
        let k_next = if version.is_multiple_of(self.cfg.k_update_every) {
            self.cfg.policy.k.next(self.k, f_0, f_t, n)
        } else {
            self.k
        };
        (k_next, self.cfg.policy.bound.threshold(n, k_next))
    }

    /// Arrivals download w^{t+1} and start again; stragglers age, and those over the threshold
    /// (or all of them, for sync policies) restart from w^{t+1}. Returns the restarts.
    fn restart(&mut self, version: u64, tau: Threshold) -> Result<u32, SimError> {
        // the arrivals still waiting for a model (all of them, or with dispatch on arrival the one
        // that completed the buffer) receive w^{t+1}; one that left meanwhile starts again when it
        // comes back
        let mut starting = std::mem::take(&mut self.starting);
        starting.clear();
        for a in &self.arrivals {
            let worker = &mut self.workers[a.worker as usize];
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
        let mut stopping = std::mem::take(&mut self.stopping);
        stopping.clear();
        while let Some(&(base, w, job)) = self.by_start.front() {
            let worker = &self.workers[w as usize];
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
            self.by_start.pop_front();
        }
        // in worker order, as the job log and the shared link have always seen them
        stopping.sort_unstable_by_key(|s| s.0);
        let restarts = stopping.len() as u32;
        for &(w, fate, staleness) in &stopping {
            if let Some(crowd) = &mut self.crowd {
                crowd.release(w);
            }
            let worker = &mut self.workers[w as usize];
            worker.in_flight = false;
            self.in_flight -= 1;
            self.jobs[worker.log].settle(fate, self.now, self.round, Some(staleness));
            starting.push((w, Cause::Restart));
        }
        self.stopping = stopping;
        self.fill_slots(&starting, version, self.now)?;
        self.starting = starting;
        self.comm.restarts += u64::from(restarts);
        let live = (self.workers.iter().enumerate())
            .filter(|(_, s)| s.in_flight || s.waiting)
            .map(|(w, s)| InFlight {
                finish: s.finish,
                worker: w as u32,
                job: if s.waiting { s.started } else { s.job },
                event: if s.waiting { Event::Retry } else { s.event },
            });
        self.queue.compact_if_needed(self.in_flight + self.waiting, live);
        Ok(restarts)
    }

    fn record_round(&mut self, d: &Delivery, tau: Threshold, restarts: u32) {
        let arrivals = self.arrivals.len();
        self.rounds.push(RoundRecord {
            round: self.round,
            time: self.now,
            k: self.k,
            tau_max: tau.as_f64(),
            arrivals: arrivals as u32,
            restarts,
            mean_staleness: d.stale_sum as f64 / arrivals as f64,
            max_staleness: d.stale_max,
            uploads: self.comm.uploads,
            downloads: self.comm.downloads,
            comm: self.comm.uploads + self.comm.restarts,
            train_loss: d.train_loss,
        });
    }

    /// The records, with a last evaluation of the final model if the last round had none.
    fn finish(mut self, stop: StopReason) -> RunRecords {
        let completed = self.rounds.len() as u64;
        if self.evals.last().map(|e| e.round) != Some(completed) {
            self.evaluate(completed);
        }
        for row in self.jobs.iter_mut().filter(|r| r.end.is_nan()) {
            row.end = self.clock;
        }
        RunRecords {
            rounds: self.rounds,
            evals: self.evals,
            jobs: self.jobs,
            stop,
            params: self.global.as_ref().clone(),
        }
    }

    /// Sends the current global model (version `version`) to `w` at time `at`, with `together`
    /// downloads sent at that instant, and starts its next job.
    fn start_job(&mut self, w: u32, version: u64, cause: Cause, at: f64, together: u32) -> Result<(), SimError> {
        self.start_job_on(w, None, version, cause, at, together)
    }

    /// Gives slot `w` its next job: at once for a worker, or in a population to the client a
    /// selection finds; a slot that finds none waits and looks again `retry_s` later.
    fn fill_slot(&mut self, w: u32, version: u64, cause: Cause, at: f64, together: u32) -> Result<(), SimError> {
        let Some(crowd) = &mut self.crowd else {
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
    fn fill_slots(&mut self, starting: &[(u32, Cause)], version: u64, at: f64) -> Result<(), SimError> {
        let Some(crowd) = &mut self.crowd else {
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
        let worker = &mut self.workers[w as usize];
        worker.waiting = true;
        worker.finish = at + retry_s;
        self.waiting += 1;
        self.queue.push(InFlight {
            finish: worker.finish,
            worker: w,
            job: worker.started,
            event: Event::Retry,
        });
    }

    /// [`Self::start_job`] on `client` of a population (its compute time, and its departure if it
    /// leaves before the job arrives), or on the worker itself.
    fn start_job_on(&mut self, w: u32, client: Option<u64>, version: u64, cause: Cause, at: f64, together: u32) -> Result<(), SimError> {
        let row = self.jobs.len() as u64;
        let (compute, crowd) = match (client, &mut self.crowd) {
            (Some(c), Some(crowd)) => (crowd.job_time(c, row), Some(crowd)),
            _ => (self.times.draw(w)?, None),
        };
        let (download, upload, links) = match &self.cfg.network {
            None => (self.cfg.download_latency, self.cfg.upload_latency, None),
            Some(l) => {
                let (up, down) = l.holder(w, client);
                (
                    transfer_seconds(self.cfg.download_latency, self.bits, l.shared(down, together)),
                    transfer_seconds(self.cfg.upload_latency, self.bits, up),
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
        let worker = &mut self.workers[w as usize];
        worker.job = worker.started;
        worker.started += 1;
        worker.base = Arc::clone(&self.global);
        worker.version = version;
        worker.finish = event_time;
        worker.event = event;
        worker.in_flight = true;
        worker.log = self.jobs.len();
        self.in_flight += 1;
        self.by_start.push_back((version, w, worker.job));
        self.queue.push(InFlight {
            finish: event_time,
            worker: w,
            job: worker.job,
            event,
        });
        self.jobs.push(JobRecord {
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
        self.comm.downloads += 1;
        Ok(())
    }

    /// Evaluates w^{round} (the current global model) and records it.
    fn evaluate(&mut self, round: u64) {
        let e = self.learner.evaluate(&self.global);
        self.latest_eval_loss = e.loss;
        self.evals.push(EvalRecord {
            round,
            time: self.now,
            uploads: self.comm.uploads,
            downloads: self.comm.downloads,
            comm: self.comm.uploads + self.comm.restarts,
            test_loss: e.loss,
            test_accuracy: e.accuracy,
        });
    }

    fn reached_target(&self, e: &EvalRecord) -> bool {
        self.cfg.stop_at_target && self.cfg.target_accuracy.is_some_and(|t| e.test_accuracy >= t)
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
