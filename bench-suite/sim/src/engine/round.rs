//! The discrete-event engine: N workers, one parameter server, a virtual clock; a round is a few
//! named steps (docs/semantics.md, "3. A round").

use std::sync::Arc;

use abs_policies::{Policy, PolicyName, PolicyParams, RestartWhen, Threshold, aggregate};
use serde::{Deserialize, Serialize};

use super::compute_time::{JobTimes, TraceError};
use super::events::{InFlight, JobQueue};
use super::records::{EvalRecord, RoundRecord, RunRecords, StopReason};
use crate::learner::{JobId, Learner, TrainJob};

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
    pub max_rounds: u64,
    pub max_time: f64,
    pub target_accuracy: Option<f64>,
    pub stop_at_target: bool,
    pub upload_latency: f64,
    pub download_latency: f64,
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
            max_rounds: 2000,
            max_time: f64::INFINITY,
            target_accuracy: None,
            stop_at_target: false,
            upload_latency: 0.0,
            download_latency: 0.0,
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
}

/// A worker's job in flight and the model version it started from.
struct Worker {
    base: Arc<Vec<f32>>,
    /// v_n: the round whose global model the worker holds.
    version: u64,
    /// Index of the job in flight (jobs numbered from 0, cancelled ones included).
    job: u64,
    finish: f64,
}

/// Cumulative communication counters.
#[derive(Default)]
struct Comm {
    uploads: u64,
    downloads: u64,
    restarts: u64,
}

/// What one round's deliveries brought: their weights in the update and their staleness.
struct Delivery {
    coefs: Vec<f32>,
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
    rounds: Vec<RoundRecord>,
    evals: Vec<EvalRecord>,
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
        let worker = |_| Worker {
            base: Arc::clone(&init),
            version: 0,
            job: 0,
            finish: 0.0,
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
            rounds: Vec::new(),
            evals: Vec::new(),
        };
        for w in 0..cfg.workers {
            engine.start_job(w, 0, true)?;
        }
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
            self.wait_for_first_k()?;
            let round_end = self.arrivals.last().map_or(self.now, |e| e.finish);
            if round_end > self.cfg.max_time {
                return Ok(StopReason::MaxTime);
            }
            self.now = round_end;
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
        self.aggregate(&delivery.coefs);
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

    /// Pops finished jobs off the queue, skipping cancelled ones, until K have arrived.
    fn wait_for_first_k(&mut self) -> Result<(), SimError> {
        self.arrivals.clear();
        while self.arrivals.len() < self.k as usize {
            let workers = &self.workers;
            match self.queue.pop_live(|w, job| workers[w as usize].job == job) {
                Some(e) => self.arrivals.push(e),
                None => {
                    return Err(SimError::QueueRanDry {
                        round: self.round,
                        k: self.k,
                    });
                }
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
        let mut coefs = Vec::with_capacity(count);
        let mut bases = Vec::with_capacity(count);
        for a in &self.arrivals {
            let worker = &self.workers[a.worker as usize];
            let staleness = self.round - worker.version;
            bases.push(Arc::clone(&worker.base));
            stale_sum += staleness;
            stale_max = stale_max.max(staleness);
            coefs.push(self.cfg.policy.weight.weight(staleness, self.k) as f32);
        }
        let jobs: Vec<TrainJob<'_>> = (self.arrivals.iter().zip(&bases))
            .map(|(a, base)| TrainJob {
                base: base.as_slice(),
                job: JobId {
                    worker: a.worker,
                    job: a.job,
                },
            })
            .collect();
        self.losses.clear();
        self.losses.resize(count, 0.0);
        let (deltas, losses) = (&mut self.deltas[..count], &mut self.losses);
        self.learner.train_batch(&jobs, self.cfg.local_steps, deltas, losses);
        // the bases are released here, so the copy-on-write update copies only when a worker
        // still holds w^t
        drop(jobs);
        drop(bases);
        self.comm.uploads += count as u64;
        Delivery {
            coefs,
            train_loss: self.losses.iter().sum::<f64>() / count as f64,
            stale_sum,
            stale_max,
        }
    }

    /// w^{t+1} = w^t + server_lr * sum_i coef_i * delta_i; copies w^t first only if a worker
    /// still holds it as its base.
    fn aggregate(&mut self, coefs: &[f32]) {
        let updates: Vec<(f32, &[f32])> = coefs.iter().copied().zip(self.deltas.iter().map(Vec::as_slice)).collect();
        aggregate(Arc::make_mut(&mut self.global).as_mut_slice(), &updates, self.cfg.server_lr);
    }

    /// Evaluates w^{version} every `eval_every` rounds; says whether it reached a target that stops
    /// the run.
    fn evaluate_if_due(&mut self, version: u64) -> bool {
        if !version.is_multiple_of(self.cfg.eval_every) {
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
        for i in 0..self.arrivals.len() {
            self.start_job(self.arrivals[i].worker, version, false)?;
        }
        let mut restarts = 0u32;
        // unbounded async policies restart nobody: skip the O(N) scan
        if self.cfg.policy.sync || tau != Threshold::Unbounded {
            for w in 0..self.cfg.workers {
                let v = self.workers[w as usize].version;
                if v == version {
                    continue; // fresh: arrived this round
                }
                if self.cfg.policy.sync || tau.must_restart(version - v, self.cfg.restart_when) {
                    self.start_job(w, version, false)?;
                    restarts += 1;
                }
            }
        }
        self.comm.restarts += u64::from(restarts);
        let live = self.workers.iter().enumerate().map(|(w, s)| InFlight {
            finish: s.finish,
            worker: w as u32,
            job: s.job,
        });
        self.queue.compact_if_needed(live);
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
        RunRecords {
            rounds: self.rounds,
            evals: self.evals,
            stop,
            params: self.global.as_ref().clone(),
        }
    }

    /// Sends the current global model (version `version`) to `w` and starts its next job now.
    fn start_job(&mut self, w: u32, version: u64, first: bool) -> Result<(), SimError> {
        let compute = self.times.draw(w)?;
        let finish = self.now + self.cfg.download_latency + compute + self.cfg.upload_latency;
        let worker = &mut self.workers[w as usize];
        if !first {
            worker.job += 1;
        }
        worker.base = Arc::clone(&self.global);
        worker.version = version;
        worker.finish = finish;
        self.queue.push(InFlight {
            finish,
            worker: w,
            job: worker.job,
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
