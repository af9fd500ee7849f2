//! Server steps a run supplies: built-in rules written out again give the built-in records bit for
//! bit, a step that fails stops the run, a step that asks for bases gets them; and a learner that
//! reports a failure stops the run.

use super::*;
use crate::engine::{
    AnalyticLearner, AnalyticSpec, Availability, AvailabilitySpec, ComputeTimeSpec, EngineConfig, Granularity, JobTimes, RunRecords,
    SimError, simulate, simulate_timed, simulate_with,
};
use crate::learner::{Eval, JobId, Learner, LearnerFailure, TrainJob};
use crate::partition::Partition;
use crate::population::Holders;
use crate::seeds::Seeds;
use abs_policies::{Policy, PolicyName, PolicyParams, SaForm};

fn config(name: PolicyName, p: &PolicyParams, rounds: u64) -> EngineConfig {
    EngineConfig {
        workers: p.workers,
        local_steps: 2,
        policy: Policy::resolve(name.knobs(), p).unwrap(),
        eval_every: 5,
        max_rounds: rounds,
        ..EngineConfig::default()
    }
}

fn learner(workers: u32, seed: u64) -> AnalyticLearner {
    let spec = AnalyticSpec {
        dim: 4,
        train_samples: 64 * workers,
        test_samples: 128,
        separation: 1.0,
    };
    AnalyticLearner::new(&spec, Holders::Workers(workers), Partition::Iid, 0.2, 8, Seeds::new(seed))
}

fn times(cfg: &EngineConfig, seed: u64) -> JobTimes {
    let ct = ComputeTimeSpec::GammaCvb {
        mean: 1.0,
        v_task: 0.5,
        v_mach: 0.5,
    };
    JobTimes::new(&ct, Granularity::Job, cfg.local_steps, cfg.workers, &Seeds::new(seed)).unwrap()
}

/// A run on the analytic learner with random job times, with `step` in place of the policy's.
fn run(cfg: &EngineConfig, seed: u64, step: Option<&mut dyn ServerStep>) -> Result<RunRecords, SimError> {
    simulate_with(cfg, &mut learner(cfg.workers, seed), &mut times(cfg, seed), step, &mut |_| {})
}

/// A run that must go through, with `step`.
fn run_ok(cfg: &EngineConfig, seed: u64, step: &mut dyn ServerStep) -> RunRecords {
    run(cfg, seed, Some(step)).unwrap()
}

/// w[i] += server_lr * sum_n c_n delta_n[i] with c_n = S(s_n) / `by` computed in f64 and rounded
/// to f32 once, summed in arrival order one element at a time (docs/semantics.md, section 6).
fn weighted_sgd(global: &mut [f32], updates: &[Update<'_>], by: f64, s: fn(u64) -> f64, server_lr: f32) {
    let coefs: Vec<f32> = updates.iter().map(|u| (s(u.staleness) / by) as f32).collect();
    for (i, w) in global.iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for (c, u) in coefs.iter().zip(updates) {
            acc += c * u.delta[i];
        }
        *w += server_lr * acc;
    }
}

/// The paper's step written out: plain SGD with weights S(s) / |A^t|.
struct Paper {
    s: fn(u64) -> f64,
}

impl ServerStep for Paper {
    fn step(&mut self, global: &mut [f32], updates: &[Update<'_>], round: &RoundFacts) -> Result<(), StepFailure> {
        weighted_sgd(global, updates, updates.len() as f64, self.s, round.server_lr);
        Ok(())
    }
}

/// FedBuff's step written out: each update scaled by (1 + s)^(-1/2), divided by K^t even when
/// absences closed the round with fewer, then plain server SGD.
struct FedBuff;

impl ServerStep for FedBuff {
    fn step(&mut self, global: &mut [f32], updates: &[Update<'_>], round: &RoundFacts) -> Result<(), StepFailure> {
        let s = |s: u64| 1.0 / (s as f64 + 1.0).sqrt();
        weighted_sgd(global, updates, f64::from(round.k), s, round.server_lr);
        Ok(())
    }
}

/// Parameters for `workers` workers: k0 = 2, and FedAsync's alpha.
fn params(workers: u32) -> PolicyParams {
    PolicyParams {
        workers,
        k0: 2,
        alpha: Some(0.6),
        ..PolicyParams::default()
    }
}

/// Asserts that two runs' records are equal, printing only where they part.
#[track_caller]
fn assert_same(a: &RunRecords, b: &RunRecords, what: &str) {
    let first = a.rounds.iter().zip(&b.rounds).position(|(x, y)| x != y);
    assert!(a == b, "{what}: records differ (first differing row: {first:?})");
}

#[test]
fn the_papers_rule_written_out_gives_the_built_in_records() {
    let p = params(6);
    for (name, s) in [
        (PolicyName::Abs, (|_| 1.0) as fn(u64) -> f64),
        (PolicyName::SaAdasync, |s: u64| 1.0 / s.max(1) as f64),
    ] {
        let mut cfg = config(name, &p, 60);
        cfg.server_lr = 0.7;
        for seed in 0..3 {
            let built_in = run(&cfg, seed, None).unwrap();
            assert_same(&run_ok(&cfg, seed, &mut Paper { s }), &built_in, &format!("{name}, seed {seed}"));
            assert_same(
                &simulate(&cfg, &mut learner(6, seed), &mut times(&cfg, seed)).unwrap(),
                &built_in,
                "simulate",
            );
            assert!(
                built_in.rounds.iter().any(|r| r.max_staleness > 1),
                "stale updates weigh less under sa"
            );
        }
    }
}

#[test]
fn fedbuffs_rule_written_out_gives_the_built_in_records() {
    let p = PolicyParams {
        k: Some(3),
        sa_form: SaForm::InvSqrtPlusOne,
        ..params(6)
    };
    let mut cfg = config(PolicyName::Fedbuff, &p, 60);
    for seed in 0..3 {
        assert_same(
            &run_ok(&cfg, seed, &mut FedBuff),
            &run(&cfg, seed, None).unwrap(),
            &format!("seed {seed}"),
        );
    }
    // with absences some rounds close with fewer than K, and both still divide by K
    let spec = AvailabilitySpec::TwoState {
        mean_up: 1.0,
        mean_down: 3.0,
    };
    cfg.availability = Some(Availability::new(&spec, 6, &Seeds::new(1)).unwrap());
    cfg.server_lr = 0.5;
    let built_in = run(&cfg, 1, None).unwrap();
    assert!(built_in.rounds.iter().any(|r| r.arrivals < r.k), "some round must close early");
    assert_same(&run_ok(&cfg, 1, &mut FedBuff), &built_in, "with absences");
}

/// The error type of a caller's step, to get back from the run's error.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("refused round {0}")]
struct Refused(u64);

/// The built-in step until round `at`, which it refuses.
struct RefuseAt {
    at: u64,
    inner: BuiltinStep,
    calls: u64,
}

impl ServerStep for RefuseAt {
    fn step(&mut self, global: &mut [f32], updates: &[Update<'_>], round: &RoundFacts) -> Result<(), StepFailure> {
        self.calls += 1;
        if round.round == self.at {
            return Err(StepFailure::new(Refused(round.round)));
        }
        self.inner.step(global, updates, round)
    }
}

#[test]
fn a_step_that_fails_stops_the_run_with_its_own_error() {
    let cfg = config(PolicyName::Abs, &params(6), 60);
    let mut step = RefuseAt {
        at: 3,
        inner: BuiltinStep::new(cfg.policy.server),
        calls: 0,
    };
    let e = run(&cfg, 0, Some(&mut step)).unwrap_err();
    assert_eq!(step.calls, 4, "rounds 0 to 3, then nothing");
    assert_eq!(e.to_string(), "server step failed in round 3: refused round 3");
    let SimError::Step(failure) = e else {
        panic!("{e:?}");
    };
    assert_eq!(failure.round(), 3);
    assert_eq!(failure.downcast_ref::<Refused>(), Some(&Refused(3)));
    assert_eq!(*failure.downcast::<Refused>().unwrap(), Refused(3));
}

/// The built-in step, checking that each update's base is the model of its version.
struct CheckBases {
    inner: BuiltinStep,
    /// w^t as each round's step received it.
    models: Vec<Vec<f32>>,
    checked: usize,
}

impl ServerStep for CheckBases {
    fn needs_bases(&self) -> bool {
        true
    }

    fn step(&mut self, global: &mut [f32], updates: &[Update<'_>], round: &RoundFacts) -> Result<(), StepFailure> {
        assert_eq!(self.models.len() as u64, round.round);
        self.models.push(global.to_vec());
        for u in updates {
            assert_eq!(u.base_version + u.staleness, round.round);
            assert_eq!(
                u.base,
                Some(self.models[u.base_version as usize].as_slice()),
                "round {}",
                round.round
            );
            self.checked += 1;
        }
        self.inner.step(global, updates, round)
    }
}

#[test]
fn a_step_that_needs_bases_gets_the_model_of_each_base_version() {
    for name in [PolicyName::Abs, PolicyName::Async, PolicyName::Fedbuff, PolicyName::Fedasync] {
        let p = PolicyParams { k: Some(3), ..params(6) };
        let cfg = config(name, &p, 40);
        let mut step = CheckBases {
            inner: BuiltinStep::new(cfg.policy.server),
            models: Vec::new(),
            checked: 0,
        };
        let records = run_ok(&cfg, 2, &mut step);
        assert_same(
            &records,
            &run(&cfg, 2, None).unwrap(),
            &format!("{name}: asking for bases changes nothing"),
        );
        assert!(records.rounds.iter().any(|r| r.max_staleness > 0), "{name}");
        assert_eq!(
            step.checked as u64,
            records.rounds.iter().map(|r| u64::from(r.arrivals)).sum::<u64>()
        );
    }
}

/// A step that records whether it was handed bases, without asking for them.
#[derive(Default)]
struct NoBases(bool);

impl ServerStep for NoBases {
    fn step(&mut self, _global: &mut [f32], updates: &[Update<'_>], _round: &RoundFacts) -> Result<(), StepFailure> {
        self.0 |= updates.iter().any(|u| u.base.is_some());
        Ok(())
    }
}

#[test]
fn bases_are_released_before_a_step_that_does_not_ask() {
    // FedAsync's own step mixes, so it asks; another step on the same policy does not get them
    let cfg = config(PolicyName::Fedasync, &params(4), 10);
    let mut step = NoBases::default();
    run_ok(&cfg, 0, &mut step);
    assert!(!step.0);
}

// ---------- learner failures ----------

/// The error a failing learner reports.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
struct Raised(&'static str);

/// The analytic learner, failing at its `train_at`-th batch or its `eval_at`-th evaluation.
struct Failing {
    inner: AnalyticLearner,
    train_at: usize,
    eval_at: usize,
    batches: usize,
    evals: usize,
    failure: Option<LearnerFailure>,
}

impl Failing {
    fn new(workers: u32, seed: u64, train_at: usize, eval_at: usize) -> Self {
        Failing {
            inner: learner(workers, seed),
            train_at,
            eval_at,
            batches: 0,
            evals: 0,
            failure: None,
        }
    }
}

impl Learner for Failing {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn init(&mut self) -> Vec<f32> {
        self.inner.init()
    }
    fn train(&mut self, base: &[f32], job: JobId, steps: u32, delta: &mut [f32]) -> f64 {
        self.inner.train(base, job, steps, delta)
    }
    fn train_batch(&mut self, jobs: &[TrainJob<'_>], steps: u32, deltas: &mut [Vec<f32>], losses: &mut [f64]) {
        self.batches += 1;
        if self.batches == self.train_at {
            // a failed call returns whatever it has: here nothing trained
            self.failure = Some(LearnerFailure::new(Raised("training failed")));
            return;
        }
        self.inner.train_batch(jobs, steps, deltas, losses);
    }
    fn evaluate(&mut self, params: &[f32]) -> Eval {
        self.evals += 1;
        if self.evals == self.eval_at {
            self.failure = Some(LearnerFailure::new(Raised("evaluation failed")));
        }
        self.inner.evaluate(params)
    }
    fn take_failure(&mut self) -> Option<LearnerFailure> {
        self.failure.take()
    }
}

#[test]
fn a_learner_that_reports_a_failure_stops_the_run() {
    let cfg = config(PolicyName::Abs, &params(6), 60);
    let failed = |learner: &mut Failing| simulate(&cfg, learner, &mut times(&cfg, 0)).unwrap_err();
    // the 4th batch is round 3's
    let mut learner = Failing::new(6, 0, 4, 0);
    let e = failed(&mut learner);
    assert_eq!(e.to_string(), "learner failed in round 3: training failed");
    let SimError::Learner(failure) = e else {
        panic!("{e:?}");
    };
    assert_eq!(
        (failure.round(), failure.downcast_ref::<Raised>()),
        (3, Some(&Raised("training failed")))
    );
    assert_eq!(learner.batches, 4, "nothing trained after the failure");
    // evaluations: w^0 at the start, then after rounds 4 and 9 (eval_every 5)
    for (eval_at, round) in [(1, 0), (3, 9)] {
        let e = failed(&mut Failing::new(6, 0, 0, eval_at));
        assert!(matches!(&e, SimError::Learner(f) if f.round() == round), "{e}");
    }
    // the final evaluation, after the last round
    let short = config(PolicyName::Abs, &params(6), 7);
    let e = simulate(&short, &mut Failing::new(6, 0, 0, 3), &mut times(&short, 0)).unwrap_err();
    assert!(matches!(&e, SimError::Learner(f) if f.round() == 7), "{e}");
    // and through the timing wrapper
    let e = simulate_timed(&cfg, &mut Failing::new(6, 0, 4, 0), &mut times(&cfg, 0), &mut |_| {}).unwrap_err();
    assert!(matches!(&e, SimError::Learner(f) if f.round() == 3), "{e}");
}
