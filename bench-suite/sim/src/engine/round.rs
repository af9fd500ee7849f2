//! The discrete-event engine: N workers, one parameter server, a virtual clock (spec sections 2-3).

use std::fmt;
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

/// A run that could not go on (a trace that ran out of rows).
#[derive(Debug, Clone, PartialEq)]
pub struct SimError(pub String);

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for SimError {}

impl From<TraceError> for SimError {
    fn from(e: TraceError) -> Self {
        SimError(e.0)
    }
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

/// One simulation: the state that evolves round by round.
struct Engine<'a, L: Learner + ?Sized> {
    cfg: &'a EngineConfig,
    learner: &'a mut L,
    times: &'a mut JobTimes,
    workers: Vec<Worker>,
    queue: JobQueue,
    global: Arc<Vec<f32>>,
    comm: Comm,
    now: f64,
}

impl<L: Learner + ?Sized> Engine<'_, L> {
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

    fn eval_record(&mut self, round: u64) -> EvalRecord {
        let e = self.learner.evaluate(&self.global);
        EvalRecord {
            round,
            time: self.now,
            uploads: self.comm.uploads,
            downloads: self.comm.downloads,
            comm: self.comm.uploads + self.comm.restarts,
            test_loss: e.loss,
            test_accuracy: e.accuracy,
        }
    }

    fn reached_target(&self, e: &EvalRecord) -> bool {
        self.cfg.stop_at_target && self.cfg.target_accuracy.is_some_and(|t| e.test_accuracy >= t)
    }
}

/// Runs one simulation to its stopping rule.
pub fn simulate<L: Learner + ?Sized>(cfg: &EngineConfig, learner: &mut L, times: &mut JobTimes) -> Result<RunRecords, SimError> {
    let n = cfg.workers;
    let init = Arc::new(learner.init());
    let dim = init.len();
    let mut eng = Engine {
        cfg,
        learner,
        times,
        workers: (0..n)
            .map(|_| Worker {
                base: Arc::clone(&init),
                version: 0,
                job: 0,
                finish: 0.0,
            })
            .collect(),
        queue: JobQueue::with_capacity(n as usize),
        global: init,
        comm: Comm::default(),
        now: 0.0,
    };
    for w in 0..n {
        eng.start_job(w, 0, true)?;
    }

    let mut rounds = Vec::new();
    let mut evals = vec![eng.eval_record(0)];
    let mut latest_eval_loss = evals[0].test_loss;
    let mut stop = if eng.reached_target(&evals[0]) {
        Some(StopReason::Target)
    } else {
        None
    };
    let mut k = cfg.policy.k.initial();
    let mut f0: Option<f64> = match cfg.k_loss {
        KLoss::Reported => None,
        KLoss::Eval => Some(latest_eval_loss),
    };
    let mut arrivals: Vec<InFlight> = Vec::with_capacity(n as usize);
    let mut deltas: Vec<Vec<f32>> = Vec::new();
    let mut losses: Vec<f64> = Vec::new();
    let mut t: u64 = 0;

    while stop.is_none() {
        if t >= cfg.max_rounds {
            stop = Some(StopReason::MaxRounds);
            break;
        }
        // Wait for the first K finishers.
        arrivals.clear();
        while arrivals.len() < k as usize {
            let workers = &eng.workers;
            match eng.queue.pop_live(|w, job| workers[w as usize].job == job) {
                Some(e) => arrivals.push(e),
                None => return Err(SimError(format!("internal: event queue ran dry in round {t} with K = {k}"))),
            }
        }
        let round_end = arrivals.last().map_or(eng.now, |e| e.finish);
        if round_end > cfg.max_time {
            stop = Some(StopReason::MaxTime);
            break;
        }
        eng.now = round_end;

        // Deliver: train each arriving job from the model version it started from (lazy compute).
        if deltas.len() < arrivals.len() {
            deltas.resize_with(arrivals.len(), || vec![0.0; dim]);
        }
        let (mut stale_sum, mut stale_max) = (0u64, 0u64);
        let mut coefs = Vec::with_capacity(arrivals.len());
        let mut bases = Vec::with_capacity(arrivals.len());
        for a in &arrivals {
            let worker = &eng.workers[a.worker as usize];
            let staleness = t - worker.version;
            bases.push(Arc::clone(&worker.base));
            stale_sum += staleness;
            stale_max = stale_max.max(staleness);
            coefs.push(cfg.policy.weight.weight(staleness, k) as f32);
        }
        let jobs: Vec<TrainJob<'_>> = arrivals
            .iter()
            .zip(&bases)
            .map(|(a, base)| TrainJob {
                base: base.as_slice(),
                job: JobId {
                    worker: a.worker,
                    job: a.job,
                },
            })
            .collect();
        losses.clear();
        losses.resize(arrivals.len(), 0.0);
        eng.learner
            .train_batch(&jobs, cfg.local_steps, &mut deltas[..arrivals.len()], &mut losses);
        // release the bases first, so the copy-on-write update below copies only when a worker holds w^t
        drop(jobs);
        drop(bases);
        let train_loss = losses.iter().sum::<f64>() / arrivals.len() as f64;
        eng.comm.uploads += arrivals.len() as u64;

        // Global update (eq. 3); copy-on-write only if some worker still holds w^t as its base.
        let updates: Vec<(f32, &[f32])> = coefs.iter().copied().zip(deltas.iter().map(Vec::as_slice)).collect();
        aggregate(Arc::make_mut(&mut eng.global).as_mut_slice(), &updates, cfg.server_lr);
        let version = t + 1;
        let diverged = !train_loss.is_finite();

        // Periodic evaluation of w^{t+1}.
        if version.is_multiple_of(cfg.eval_every) {
            let e = eng.eval_record(version);
            latest_eval_loss = e.test_loss;
            if eng.reached_target(&e) {
                stop = Some(StopReason::Target);
            }
            evals.push(e);
        }

        // K^{t+1} and the threshold it implies.
        let f_t = match cfg.k_loss {
            KLoss::Reported => train_loss,
            KLoss::Eval => latest_eval_loss,
        };
        let f_0 = *f0.get_or_insert(f_t);
        let k_next = if version.is_multiple_of(cfg.k_update_every) {
            cfg.policy.k.next(k, f_0, f_t, n)
        } else {
            k
        };
        let tau = cfg.policy.bound.threshold(n, k_next);

        // Arrivals download w^{t+1} and start again; stragglers age, and some restart.
        for a in &arrivals {
            eng.start_job(a.worker, version, false)?;
        }
        let mut restarts = 0u32;
        // Unbounded async policies restart nobody: skip the O(N) scan.
        if cfg.policy.sync || tau != Threshold::Unbounded {
            for w in 0..n {
                let v = eng.workers[w as usize].version;
                if v == version {
                    continue; // fresh: arrived this round
                }
                if cfg.policy.sync || tau.must_restart(version - v, cfg.restart_when) {
                    eng.start_job(w, version, false)?;
                    restarts += 1;
                }
            }
        }
        eng.comm.restarts += u64::from(restarts);
        let live = eng.workers.iter().enumerate().map(|(w, s)| InFlight {
            finish: s.finish,
            worker: w as u32,
            job: s.job,
        });
        eng.queue.compact_if_needed(live);

        rounds.push(RoundRecord {
            round: t,
            time: eng.now,
            k,
            tau_max: tau.as_f64(),
            arrivals: arrivals.len() as u32,
            restarts,
            mean_staleness: stale_sum as f64 / arrivals.len() as f64,
            max_staleness: stale_max,
            uploads: eng.comm.uploads,
            downloads: eng.comm.downloads,
            comm: eng.comm.uploads + eng.comm.restarts,
            train_loss,
        });
        if diverged {
            stop = Some(StopReason::Diverged);
        }
        k = k_next;
        t = version;
    }

    let completed = rounds.len() as u64;
    if evals.last().map(|e| e.round) != Some(completed) {
        evals.push(eng.eval_record(completed));
    }
    let stop = stop.unwrap_or(StopReason::MaxRounds);
    Ok(RunRecords {
        rounds,
        evals,
        stop,
        params: eng.global.as_ref().clone(),
    })
}

#[cfg(test)]
#[path = "round_tests.rs"]
mod tests;
