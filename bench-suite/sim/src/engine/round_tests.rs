//! Hand-worked traces, exact equivalences between policies, and invariants on random configs.

use super::*;
use crate::engine::{AnalyticLearner, AnalyticSpec, ComputeTimeSpec, Fate, Granularity, JobRecord, RoundRecord};
use crate::learner::{Eval, JobId};
use crate::partition::Partition;
use crate::population::Holders;
use crate::seeds::Seeds;
use abs_policies::{KRounding, Policy, PolicyName, PolicyParams, RestartWhen, SaForm, StalenessBound, ThresholdForm};
use proptest::prelude::*;
use std::path::PathBuf;

/// A learner whose every delta is a one-hot vector of its own, so that the number of non-zero
/// entries of a base model is the number of updates aggregated into it. Losses come from a script
/// in call order (then stay at the last value).
struct Probe {
    dim: usize,
    calls: Vec<(u32, u64, usize)>,
    losses: Vec<f64>,
}

impl Probe {
    fn new(losses: &[f64]) -> Self {
        Probe {
            dim: 256,
            calls: Vec::new(),
            losses: losses.to_vec(),
        }
    }
}

impl Learner for Probe {
    fn dim(&self) -> usize {
        self.dim
    }
    fn init(&mut self) -> Vec<f32> {
        vec![0.0; self.dim]
    }
    fn train(&mut self, base: &[f32], job: JobId, _steps: u32, delta: &mut [f32]) -> f64 {
        let aggregated = base.iter().filter(|v| **v != 0.0).count();
        let i = self.calls.len();
        self.calls.push((job.worker, job.job, aggregated));
        delta.fill(0.0);
        delta[i % self.dim] = 1.0;
        self.losses.get(i).or(self.losses.last()).copied().unwrap_or(1.0)
    }
    fn evaluate(&mut self, _params: &[f32]) -> Eval {
        Eval { loss: 1.0, accuracy: 0.0 }
    }
}

/// Three workers whose every job takes 1, 2 and 5 virtual seconds: written once per test process
/// (tests run in parallel, and a file rewritten while another test reads it would be half there).
pub(super) fn trace_1_2_5() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("abs-engine-trace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t125.csv");
        let mut csv = String::from("worker,job,time\n");
        for (w, t) in [(0, 1.0), (1, 2.0), (2, 5.0)] {
            for j in 0..60 {
                csv.push_str(&format!("{w},{j},{t}\n"));
            }
        }
        std::fs::write(&path, csv).unwrap();
        path
    })
    .clone()
}

fn params(workers: u32) -> PolicyParams {
    PolicyParams {
        workers,
        k: Some(2),
        k0: 1,
        k_exponent: 0.5,
        k_rounding: KRounding::Ceil,
        k_monotone: true,
        zeta: 1.0,
        threshold_form: ThresholdForm::NOverK,
        staleness_bound: Some(2.0),
        sa_form: SaForm::Inv,
        alpha: Some(0.6),
        ..PolicyParams::default()
    }
}

fn engine_cfg(name: PolicyName, p: &PolicyParams, max_rounds: u64) -> EngineConfig {
    EngineConfig {
        workers: p.workers,
        local_steps: 1,
        policy: Policy::resolve(name.knobs(), p).unwrap(),
        restart_when: RestartWhen::Greater,
        server_lr: 1.0,
        k_loss: KLoss::Reported,
        k_update_every: 1,
        eval_every: 1_000_000,
        eval_interval: None,
        max_rounds,
        max_time: f64::INFINITY,
        target_accuracy: None,
        stop_at_target: false,
        upload_latency: 0.0,
        download_latency: 0.0,
        network: None,
        availability: None,
        population: None,
        weight_by_samples: false,
    }
}

fn run_trace(name: PolicyName, p: &PolicyParams, rounds: u64, losses: &[f64]) -> (RunRecords, Vec<(u32, u64, usize)>) {
    run_trace_with(&engine_cfg(name, p, rounds), losses)
}

/// [`run_trace`] with an engine config of the caller's.
fn run_trace_with(cfg: &EngineConfig, losses: &[f64]) -> (RunRecords, Vec<(u32, u64, usize)>) {
    let spec = ComputeTimeSpec::Trace { path: trace_1_2_5() };
    let mut times = JobTimes::new(&spec, Granularity::Job, 1, 3, &Seeds::new(0)).unwrap();
    let mut probe = Probe::new(losses);
    let rec = simulate(cfg, &mut probe, &mut times).unwrap();
    (rec, probe.calls)
}

fn col<T>(rec: &RunRecords, f: impl Fn(&RoundRecord) -> T) -> Vec<T> {
    rec.rounds.iter().map(f).collect()
}

const INF: f64 = f64::INFINITY;

#[test]
fn async_trace_by_hand() {
    let (rec, calls) = run_trace(PolicyName::Async, &params(3), 8, &[1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 5.0]);
    assert_eq!(col(&rec, |r| r.k), vec![1; 8]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0, 0, 2, 1, 0, 2, 1, 7]);
    assert_eq!(col(&rec, |r| r.restarts), vec![0; 8]);
    assert_eq!(col(&rec, |r| r.tau_max), vec![INF; 8]);
    assert_eq!(col(&rec, |r| r.uploads), (1..=8).collect::<Vec<u64>>());
    assert_eq!(col(&rec, |r| r.downloads), (4..=11).collect::<Vec<u64>>());
    assert_eq!(col(&rec, |r| r.comm), (1..=8).collect::<Vec<u64>>());
    // (worker, job, version of the base it trained from); with K = 1 the version is the count.
    assert_eq!(
        calls,
        vec![
            (0, 0, 0),
            (0, 1, 1),
            (1, 0, 0),
            (0, 2, 2),
            (0, 3, 4),
            (1, 1, 3),
            (0, 4, 5),
            (2, 0, 0)
        ]
    );
    assert_eq!(rec.stop, StopReason::MaxRounds);
}

#[test]
fn bounded_trace_by_hand() {
    let mut p = params(3);
    p.k = Some(1);
    p.staleness_bound = Some(2.0);
    let (rec, calls) = run_trace(PolicyName::Bounded, &p, 6, &[1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![1.0, 2.0, 2.0, 3.0, 4.0, 4.0]);
    assert_eq!(col(&rec, |r| r.tau_max), vec![2.0; 6]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0, 0, 2, 1, 0, 2]);
    assert_eq!(col(&rec, |r| r.restarts), vec![0, 0, 1, 0, 0, 1]);
    assert_eq!(col(&rec, |r| r.comm), vec![1, 2, 4, 5, 6, 8]);
    assert_eq!(col(&rec, |r| r.downloads), vec![4, 5, 7, 8, 9, 11]);
    assert_eq!(calls, vec![(0, 0, 0), (0, 1, 1), (1, 0, 0), (0, 2, 2), (0, 3, 4), (1, 1, 3)]);
}

#[test]
fn k_sync_trace_by_hand() {
    let (rec, calls) = run_trace(PolicyName::KSync, &params(3), 4, &[1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![2.0, 4.0, 6.0, 8.0]);
    assert_eq!(col(&rec, |r| r.k), vec![2; 4]);
    assert_eq!(col(&rec, |r| r.restarts), vec![1; 4]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0; 4]);
    assert_eq!(col(&rec, |r| r.uploads), vec![2, 4, 6, 8]);
    assert_eq!(col(&rec, |r| r.comm), vec![3, 6, 9, 12]);
    assert_eq!(col(&rec, |r| r.downloads), vec![6, 9, 12, 15]);
    // the base of round t's jobs holds 2t updates
    assert_eq!(calls[..4], [(0, 0, 0), (1, 0, 0), (0, 1, 2), (1, 1, 2)]);
}

#[test]
fn local_sgd_trace_by_hand() {
    let (rec, calls) = run_trace(PolicyName::LocalSgd, &params(3), 3, &[1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![5.0, 10.0, 15.0]);
    assert_eq!(col(&rec, |r| r.k), vec![3; 3]);
    assert_eq!(col(&rec, |r| r.restarts), vec![0; 3]);
    assert_eq!(col(&rec, |r| r.comm), vec![3, 6, 9]);
    assert_eq!(col(&rec, |r| r.downloads), vec![6, 9, 12]);
    assert_eq!(calls[3..6], [(0, 1, 3), (1, 1, 3), (2, 1, 3)]);
}

#[test]
fn k_async_trace_by_hand() {
    let (rec, calls) = run_trace(PolicyName::KAsync, &params(3), 4, &[1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![2.0, 4.0, 5.0, 6.0]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0, 0, 2, 1]);
    assert_eq!(col(&rec, |r| r.mean_staleness), vec![0.0, 0.0, 1.0, 0.5]);
    assert_eq!(col(&rec, |r| r.restarts), vec![0; 4]);
    assert_eq!(
        calls,
        vec![
            (0, 0, 0),
            (1, 0, 0),
            (0, 1, 2),
            (1, 1, 2),
            (0, 2, 4),
            (2, 0, 0),
            (0, 3, 6),
            (1, 2, 4)
        ]
    );
}

#[test]
fn abs_trace_with_scripted_losses() {
    // F_0 = 4 keeps K = 1; F_1 = 1 gives K = ceil(sqrt 4) = 2, tau = floor(3/2) = 1;
    // F_2 = 0.5 gives K = ceil(sqrt 8) = 3, tau = 1; F_3 = 0.25 would give 4, capped at N = 3.
    let (rec, calls) = run_trace(PolicyName::Abs, &params(3), 4, &[4.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25]);
    assert_eq!(col(&rec, |r| r.k), vec![1, 1, 2, 3]);
    assert_eq!(col(&rec, |r| r.tau_max), vec![3.0, 1.0, 1.0, 1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![1.0, 2.0, 4.0, 7.0]);
    assert_eq!(col(&rec, |r| r.arrivals), vec![1, 1, 2, 3]);
    assert_eq!(col(&rec, |r| r.restarts), vec![0, 2, 0, 0]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0, 0, 0, 1]);
    assert_eq!(col(&rec, |r| r.train_loss), vec![4.0, 1.0, 0.5, 0.25]);
    assert_eq!(col(&rec, |r| r.uploads), vec![1, 2, 4, 7]);
    assert_eq!(col(&rec, |r| r.comm), vec![1, 4, 6, 9]);
    assert_eq!(col(&rec, |r| r.downloads), vec![4, 7, 9, 12]);
    // bases: after round 1 everybody holds w^2 (2 updates); w2 trains job 1 from it in round 3
    assert_eq!(
        calls,
        vec![(0, 0, 0), (0, 1, 1), (0, 2, 2), (1, 1, 2), (0, 3, 4), (1, 2, 4), (2, 1, 2)]
    );
}

#[test]
fn trace_that_runs_out_is_an_error_not_a_panic() {
    let spec = ComputeTimeSpec::Trace { path: trace_1_2_5() };
    let mut times = JobTimes::new(&spec, Granularity::Job, 1, 3, &Seeds::new(0)).unwrap();
    let e = simulate(
        &engine_cfg(PolicyName::Async, &params(3), 1000),
        &mut Probe::new(&[1.0]),
        &mut times,
    )
    .unwrap_err();
    assert!(e.to_string().contains("ran out of rows"), "{e}");
}

// ---------- equivalences on the analytic learner with random job times ----------

fn analytic_run(name: PolicyName, p: &PolicyParams, seed: u64, rounds: u64) -> RunRecords {
    analytic_run_with(engine_cfg(name, p, rounds), p, seed)
}

/// [`analytic_run`] with an engine config of the caller's.
fn analytic_run_with(mut cfg: EngineConfig, p: &PolicyParams, seed: u64) -> RunRecords {
    let seeds = Seeds::new(seed);
    let spec = AnalyticSpec {
        dim: 4,
        train_samples: 64 * p.workers,
        test_samples: 128,
        separation: 1.0,
    };
    let mut learner = AnalyticLearner::new(&spec, Holders::Workers(p.workers), Partition::Iid, 0.2, 8, seeds);
    let ct = ComputeTimeSpec::GammaCvb {
        mean: 1.0,
        v_task: 0.5,
        v_mach: 0.5,
    };
    let mut times = JobTimes::new(&ct, Granularity::Job, 2, p.workers, &seeds).unwrap();
    cfg.local_steps = 2;
    cfg.eval_every = 5;
    simulate(&cfg, &mut learner, &mut times).unwrap()
}

#[test]
fn k_async_with_k_equal_n_is_local_sgd() {
    let mut p = params(6);
    p.k = Some(6);
    for seed in 0..3 {
        assert_eq!(
            analytic_run(PolicyName::KAsync, &p, seed, 40),
            analytic_run(PolicyName::LocalSgd, &p, seed, 40)
        );
    }
}

#[test]
fn bounded_with_infinite_bound_is_k_async() {
    let mut p = params(6);
    p.k = Some(2);
    p.staleness_bound = Some(f64::INFINITY);
    for seed in 0..3 {
        let b = analytic_run(PolicyName::Bounded, &p, seed, 60);
        assert_eq!(b, analytic_run(PolicyName::KAsync, &p, seed, 60));
        assert!(
            b.rounds.iter().any(|r| r.max_staleness > 2),
            "the comparison must see stale updates"
        );
    }
}

#[test]
fn abs_with_infinite_zeta_is_adasync() {
    let mut p = params(8);
    p.k0 = 2;
    p.zeta = f64::INFINITY;
    for seed in 0..3 {
        let a = analytic_run(PolicyName::Abs, &p, seed, 80);
        assert_eq!(a, analytic_run(PolicyName::Adasync, &p, seed, 80));
        assert!(
            a.rounds.iter().map(|r| r.k).max() > Some(2),
            "K must adapt for the comparison to mean something"
        );
    }
    // and a finite zeta does change things
    p.zeta = 0.5;
    assert_ne!(
        analytic_run(PolicyName::Abs, &p, 0, 80),
        analytic_run(PolicyName::Adasync, &p, 0, 80)
    );
}

#[test]
fn sa_adasync_equals_adasync_until_an_update_is_stale() {
    // sa(s) = 1/s for s >= 1 and 1 for s = 0, so weights agree while every staleness is <= 1.
    let mut p = params(8);
    p.k0 = 2;
    let ada = analytic_run(PolicyName::Adasync, &p, 4, 80);
    let sa = analytic_run(PolicyName::SaAdasync, &p, 4, 80);
    let first_stale = ada.rounds.iter().position(|r| r.max_staleness > 1).expect("some update is stale");
    assert!(first_stale > 0);
    assert_eq!(ada.rounds[..=first_stale], sa.rounds[..=first_stale]);
    assert_ne!(ada.rounds, sa.rounds);
}

#[test]
fn analytic_learner_converges_under_local_sgd_and_abs() {
    let bayes = crate::engine::normal_cdf(1.5);
    for name in [PolicyName::LocalSgd, PolicyName::Abs] {
        let mut p = params(10);
        p.k0 = 2;
        let seeds = Seeds::new(11);
        let spec = AnalyticSpec {
            dim: 20,
            train_samples: 8000,
            test_samples: 4000,
            separation: 1.5,
        };
        let mut learner = AnalyticLearner::new(&spec, Holders::Workers(10), Partition::Iid, 0.1, 32, seeds);
        let mut times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, 10, &seeds).unwrap();
        let mut cfg = engine_cfg(name, &p, 300);
        cfg.local_steps = 10;
        cfg.eval_every = 50;
        let rec = simulate(&cfg, &mut learner, &mut times).unwrap();
        let (first, last) = (&rec.evals[0], rec.evals.last().unwrap());
        // initial loss is log 2 = 0.693; the Bayes-optimal logistic loss here is about 0.16
        assert!(last.test_loss < 0.25, "{name}: final test loss {}", last.test_loss);
        assert!(last.test_loss < first.test_loss);
        assert!(
            last.test_accuracy > bayes - 0.02,
            "{name}: accuracy {} vs Bayes {bayes}",
            last.test_accuracy
        );
    }
}

#[test]
fn target_accuracy_stops_the_run() {
    let p = params(4);
    let seeds = Seeds::new(2);
    let spec = AnalyticSpec {
        dim: 5,
        train_samples: 1000,
        test_samples: 500,
        separation: 1.5,
    };
    let mut learner = AnalyticLearner::new(&spec, Holders::Workers(4), Partition::Iid, 0.1, 16, seeds);
    let mut times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 5, 4, &seeds).unwrap();
    let mut cfg = engine_cfg(PolicyName::Abs, &p, 10_000);
    cfg.eval_every = 5;
    cfg.target_accuracy = Some(0.85);
    cfg.stop_at_target = true;
    let rec = simulate(&cfg, &mut learner, &mut times).unwrap();
    assert_eq!(rec.stop, StopReason::Target);
    assert!(rec.evals.last().unwrap().test_accuracy >= 0.85);
    assert!(rec.rounds.len() < 10_000);
    assert_eq!(rec.rounds.len() % 5, 0);
}

#[test]
fn max_time_stops_before_the_clock_passes_it() {
    let p = params(4);
    let seeds = Seeds::new(2);
    let spec = AnalyticSpec {
        dim: 3,
        train_samples: 400,
        test_samples: 100,
        separation: 1.0,
    };
    let mut learner = AnalyticLearner::new(&spec, Holders::Workers(4), Partition::Iid, 0.1, 4, seeds);
    let mut times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 1, 4, &seeds).unwrap();
    let mut cfg = engine_cfg(PolicyName::Abs, &p, 100_000);
    cfg.max_time = 30.0;
    let rec = simulate(&cfg, &mut learner, &mut times).unwrap();
    assert_eq!(rec.stop, StopReason::MaxTime);
    assert!(rec.rounds.last().unwrap().time <= 30.0);
    assert!(rec.rounds.last().unwrap().time > 25.0);
}

#[test]
fn diverging_loss_is_recorded_and_stops() {
    let spec = ComputeTimeSpec::Trace { path: trace_1_2_5() };
    let mut times = JobTimes::new(&spec, Granularity::Job, 1, 3, &Seeds::new(0)).unwrap();
    let mut probe = Probe::new(&[1.0, 2.0, f64::NAN]);
    let rec = simulate(&engine_cfg(PolicyName::Async, &params(3), 50), &mut probe, &mut times).unwrap();
    assert_eq!(rec.stop, StopReason::Diverged);
    assert_eq!(rec.rounds.len(), 3);
    assert!(rec.rounds[2].train_loss.is_nan());
}

// ---------- invariants on random configs ----------

fn any_policy() -> impl Strategy<Value = PolicyName> {
    proptest::sample::select(PolicyName::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_configs(
        name in any_policy(),
        workers in 1u32..12,
        k_frac in 0.0f64..1.0,
        k0_frac in 0.0f64..1.0,
        zeta in proptest::sample::select(vec![0.5, 1.0, 2.0, 4.0, f64::INFINITY]),
        bound in proptest::sample::select(vec![1.0, 2.0, 4.0, f64::INFINITY]),
        seed in 0u64..1_000,
    ) {
        let mut p = params(workers);
        p.k = Some(1 + (k_frac * f64::from(workers - 1)).round() as u32);
        p.k0 = 1 + (k0_frac * f64::from(workers - 1)).round() as u32;
        p.zeta = zeta;
        p.staleness_bound = Some(bound);
        let rec = analytic_run(name, &p, seed, 60);
        let again = analytic_run(name, &p, seed, 60);
        prop_assert_eq!(&rec, &again, "same seed, same rows");

        let policy = Policy::resolve(name.knobs(), &p).unwrap();
        let bounded = !matches!(policy.bound, StalenessBound::None);
        let mut restarts = 0u64;
        for (i, r) in rec.rounds.iter().enumerate() {
            restarts += u64::from(r.restarts);
            prop_assert!(r.k >= 1 && r.k <= workers);
            prop_assert_eq!(r.arrivals, r.k);
            prop_assert_eq!(r.comm, r.uploads + restarts);
            prop_assert_eq!(r.downloads, u64::from(workers) + r.uploads + restarts);
            if policy.sync {
                prop_assert_eq!(r.max_staleness, 0);
            }
            if i > 0 {
                let prev = &rec.rounds[i - 1];
                prop_assert!(r.time >= prev.time);
                prop_assert!(r.k >= prev.k, "K decreased under the monotone schedule");
                if bounded {
                    prop_assert!(r.max_staleness as f64 <= prev.tau_max, "staleness {} above tau_max {}", r.max_staleness, prev.tau_max);
                }
            } else {
                prop_assert_eq!(r.max_staleness, 0);
            }
        }
    }
}

#[test]
fn policies_share_random_numbers_for_a_seed() {
    // Round 0 waits for the same two first finishers under every policy with K^0 = 2: same times,
    // same w^0, same mini-batches for (worker, job 0), hence the same row.
    let mut p = params(8);
    p.k0 = 2;
    p.k = Some(2);
    let runs: Vec<RunRecords> = [
        PolicyName::Abs,
        PolicyName::KAsync,
        PolicyName::Bounded,
        PolicyName::SaAdasync,
        PolicyName::KSync,
    ]
    .iter()
    .map(|&n| analytic_run(n, &p, 7, 3))
    .collect();
    for r in &runs[1..] {
        assert_eq!(r.evals[0], runs[0].evals[0], "same initial model");
        let (a, b) = (&r.rounds[0], &runs[0].rounds[0]);
        assert_eq!((a.time, a.train_loss, a.max_staleness), (b.time, b.train_loss, b.max_staleness));
    }
    // and a different seed draws differently
    let other = analytic_run(PolicyName::Abs, &p, 8, 3);
    assert_ne!(other.rounds[0].time, runs[0].rounds[0].time);
}

#[test]
fn progress_is_reported_after_every_round_and_changes_nothing() {
    let cfg = crate::doubles::engine_config(PolicyName::Abs, 8, 50);
    let times = || JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 10, 8, &Seeds::new(3)).unwrap();
    let mut seen = Vec::new();
    let observed = simulate_observed(&cfg, &mut crate::doubles::NoWork, &mut times(), &mut |p| seen.push(*p)).unwrap();
    let plain = simulate(&cfg, &mut crate::doubles::NoWork, &mut times()).unwrap();
    assert_eq!(observed, plain);
    assert_eq!(seen.len(), 50);
    assert!(seen.windows(2).all(|w| w[0].fraction <= w[1].fraction && w[0].time <= w[1].time));
    let last = seen.last().unwrap();
    assert_eq!((last.rounds, last.fraction, last.time), (50, 1.0, plain.rounds[49].time));
}

/// The server step through the optimizer path with momentum 0 gives the bits of plain SGD.
#[test]
fn momentum_with_beta_zero_is_sgd_over_a_run() {
    use abs_policies::ServerOptimizer;
    let p = params(6);
    let run = |optimizer| {
        let mut cfg = engine_cfg(PolicyName::Abs, &p, 40);
        cfg.policy.server.optimizer = optimizer;
        cfg.server_lr = 0.7;
        analytic_run_with(cfg, &p, 3)
    };
    let sgd = run(ServerOptimizer::Sgd);
    assert_eq!(run(ServerOptimizer::Momentum { beta: 0.0 }), sgd);
    assert_ne!(run(ServerOptimizer::Momentum { beta: 0.9 }).params, sgd.params);
}

/// FedAsync's mix with alpha 1 and a constant S replaces the global model by the client's: on
/// the 1-2-5 trace with K = 1, each job's base holds the updates of its own chain only (async SGD
/// would have summed them all; compare `async_trace_by_hand`).
#[test]
fn a_mix_with_alpha_one_replaces_the_model_by_the_clients() {
    use abs_policies::{Apply, StalenessFn};
    let p = params(3);
    let mut cfg = engine_cfg(PolicyName::Async, &p, 8);
    cfg.policy.server.apply = Apply::Mix { alpha: 1.0 };
    cfg.policy.server.staleness = StalenessFn::Constant;
    let (rec, calls) = run_trace_with(&cfg, &[1.0]);
    assert_eq!(
        calls,
        vec![
            (0, 0, 0),
            (0, 1, 1),
            (1, 0, 0),
            (0, 2, 2),
            (0, 3, 3),
            (1, 1, 1),
            (0, 4, 4),
            (2, 0, 0)
        ]
    );
    // the last arrival (worker 2's first job, from w^0) leaves its own one-hot delta only
    assert_eq!(rec.params.iter().filter(|v| **v != 0.0).count(), 1);
}

/// Dispatch on arrival (FedBuff's) on the 1-2-5 trace with K = 2 and a constant S: an arrived
/// worker starts again at once from the model of the round still open (the one that completes the
/// buffer gets the new model, at the same instant), so rounds close sooner than k-async's
/// (2, 4, 5, 6) and some bases are a version older.
#[test]
fn dispatch_on_arrival_trace_by_hand() {
    use abs_policies::{Dispatch, Normalisation, StalenessFn};
    let p = params(3);
    let mut cfg = engine_cfg(PolicyName::KAsync, &p, 4);
    cfg.policy.server.dispatch = Dispatch::OnArrival;
    cfg.policy.server.normalisation = Normalisation::K;
    cfg.policy.server.staleness = StalenessFn::Constant;
    let (rec, calls) = run_trace_with(&cfg, &[1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![2.0, 3.0, 4.0, 5.0]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0, 1, 1, 3]);
    assert_eq!(col(&rec, |r| r.mean_staleness), vec![0.0, 0.5, 0.5, 2.0]);
    assert_eq!(col(&rec, |r| r.restarts), vec![0; 4]);
    assert_eq!(col(&rec, |r| r.uploads), vec![2, 4, 6, 8]);
    // 3 at time 0, then one per arrival, sent as it arrives
    assert_eq!(col(&rec, |r| r.downloads), vec![5, 7, 9, 11]);
    assert_eq!(
        calls,
        vec![
            (0, 0, 0),
            (0, 1, 0),
            (1, 0, 0),
            (0, 2, 2),
            (0, 3, 4),
            (1, 1, 2),
            (0, 4, 4),
            (2, 0, 0)
        ]
    );
    let starts: Vec<(u32, u64, Cause, f64, u64)> = rec
        .jobs
        .iter()
        .map(|j| (j.worker, j.job, j.cause, j.start, j.base_version))
        .collect();
    // worker 0's job 1 arrived first in round 0 (dispatched at once, from w^0); its job 2 completed
    // the buffer (dispatched with w^1 when the round closed)
    assert!(starts.contains(&(0, 1, Cause::Arrival, 1.0, 0)), "{starts:?}");
    assert!(starts.contains(&(0, 2, Cause::Next, 2.0, 1)), "{starts:?}");
    assert!(starts.contains(&(1, 1, Cause::Arrival, 2.0, 1)), "{starts:?}");
}

/// Dividing by K instead of by the number aggregated changes nothing when every round gets its
/// K arrivals (no absences): FedBuff's normalisation with a constant S and dispatch at the round's
/// end is k-async.
#[test]
fn dividing_by_k_with_constant_s_and_round_end_dispatch_is_k_async() {
    use abs_policies::Normalisation;
    let mut p = params(6);
    p.k = Some(3);
    for seed in 0..2 {
        let reference = analytic_run(PolicyName::KAsync, &p, seed, 40);
        let mut cfg = engine_cfg(PolicyName::KAsync, &p, 40);
        cfg.policy.server.normalisation = Normalisation::K;
        assert_eq!(analytic_run_with(cfg, &p, seed), reference);
    }
}

/// Delay-adaptive ASGD scales an update by N / max(N, s): while every delay is <= N it is `async`
/// bit for bit; the first staler update makes it differ.
#[test]
fn delay_adaptive_asgd_is_async_while_every_delay_is_within_n() {
    let p = PolicyParams {
        sa_form: SaForm::DelayAdaptive,
        ..params(3)
    };
    let run = |name, rounds| run_trace(name, &p, rounds, &[1.0]).0;
    // the 1-2-5 trace's staleness: 0, 0, 2, 1, 0, 2, 1, 7 (async_trace_by_hand)
    assert_eq!(run(PolicyName::AsyncDelayAdaptive, 7), run(PolicyName::Async, 7));
    let (delayed, plain) = (run(PolicyName::AsyncDelayAdaptive, 8), run(PolicyName::Async, 8));
    assert_eq!(delayed.rounds, plain.rounds);
    let scaled: Vec<f32> = delayed
        .params
        .iter()
        .zip(&plain.params)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| *a)
        .collect();
    assert_eq!(scaled, [3.0 / 7.0], "the update of staleness 7 counts 3/7");
}

/// Ringmaster ASGD (a job whose delay would reach R is cancelled and restarted from the current
/// model) is `bounded` with K = 1 and S = R - 1: no update is aggregated with a delay of R or
/// more, and every restart happens at the round where its delay would have reached R.
#[test]
fn ringmaster_asgd_is_bounded_with_k_one_and_s_r_minus_one() {
    for r in [2u64, 3, 5] {
        let p = PolicyParams {
            k: Some(1),
            staleness_bound: Some((r - 1) as f64),
            ..params(6)
        };
        let rec = analytic_run(PolicyName::Bounded, &p, 1, 200);
        assert!(rec.rounds.iter().all(|row| row.max_staleness < r), "R = {r}");
        let restarts: Vec<Option<u64>> = rec.jobs.iter().filter(|j| j.fate == Fate::Restarted).map(|j| j.staleness).collect();
        assert!(!restarts.is_empty(), "R = {r}: the comparison must see restarts");
        assert!(restarts.iter().all(|s| *s == Some(r)), "R = {r}: {restarts:?}");
    }
}

/// FedAsync on the 1-2-5 trace (alpha 0.6, S = (1+s)^(-1/2)): round 0 mixes worker 0's first
/// model in with 0.6, round 1 its second (base w^1, s = 0) with 0.6, round 2 worker 1's (base w^0,
/// s = 2) with 0.6 / sqrt(3). Each delta is a one-hot vector of its own.
#[test]
fn fedasync_trace_by_hand() {
    let p = PolicyParams {
        sa_form: SaForm::Polynomial { a: 0.5 },
        alpha: Some(0.6),
        ..params(3)
    };
    let (rec, _) = run_trace_with(&engine_cfg(PolicyName::Fedasync, &p, 3), &[1.0]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0, 0, 2]);
    assert_eq!(col(&rec, |r| r.time), vec![1.0, 2.0, 2.0]);
    // w^1 = 0.6 e0; w^2 = 0.4 w^1 + 0.6 (w^1 + e1) = 0.6 e0 + 0.6 e1; w^3 = (1 - c) w^2 + c e2
    let c = 0.6 / 3f64.sqrt();
    let want = [0.6 * (1.0 - c), 0.6 * (1.0 - c), c];
    for (i, w) in want.iter().enumerate() {
        assert!((f64::from(rec.params[i]) - w).abs() < 1e-6, "w[{i}] = {} , want {w}", rec.params[i]);
    }
    assert!(rec.params[3..].iter().all(|v| *v == 0.0));
}

/// FedBuff on the 1-2-5 trace with K = 2: the rounds of `dispatch_on_arrival_trace_by_hand`,
/// each update scaled by (1+s)^(-1/2) and divided by K. Staleness per round: (0, 0), (1, 0),
/// (0, 1), (1, 3).
#[test]
fn fedbuff_trace_by_hand() {
    let p = PolicyParams {
        k: Some(2),
        sa_form: SaForm::InvSqrtPlusOne,
        ..params(3)
    };
    let (rec, _) = run_trace_with(&engine_cfg(PolicyName::Fedbuff, &p, 4), &[1.0]);
    assert_eq!(col(&rec, |r| r.time), vec![2.0, 3.0, 4.0, 5.0]);
    let half_root = (0.5f64.sqrt() / 2.0) as f32;
    let want = [0.5, 0.5, half_root, 0.5, 0.5, half_root, half_root, 0.25];
    assert_eq!(rec.params[..8], want);
    assert!(rec.params[8..].iter().all(|v| *v == 0.0));
}

/// FedBuff's `max_staleness` on the 1-2-5 trace with K = 2 and max_staleness 1: worker 2's first
/// update (staleness 3 in the wait for round 3) is dropped, counted as an upload, and worker 2
/// starts again at once; the round then closes at the next arrival instead.
#[test]
fn fedbuff_drops_arrivals_over_max_staleness() {
    let p = PolicyParams {
        k: Some(2),
        sa_form: SaForm::InvSqrtPlusOne,
        max_staleness: Some(1),
        ..params(3)
    };
    let (rec, calls) = run_trace_with(&engine_cfg(PolicyName::Fedbuff, &p, 4), &[1.0]);
    let dropped: Vec<&JobRecord> = rec.jobs.iter().filter(|j| j.fate == Fate::Dropped).collect();
    assert_eq!(dropped.len(), 1);
    let d = dropped[0];
    assert_eq!((d.worker, d.job, d.round, d.staleness, d.end), (2, 0, Some(3), Some(3), 5.0));
    // round 3 waits for worker 0's next arrival (its job 5, started at 5, back at 6)
    assert_eq!(col(&rec, |r| r.time), vec![2.0, 3.0, 4.0, 6.0]);
    assert_eq!(col(&rec, |r| r.max_staleness), vec![0, 1, 1, 1]);
    assert_eq!(col(&rec, |r| r.uploads), vec![2, 4, 6, 9], "the dropped update was uploaded");
    assert!(
        rec.jobs
            .iter()
            .any(|j| (j.worker, j.job, j.cause, j.start) == (2, 1, Cause::Arrival, 5.0))
    );
    assert!(!calls.iter().any(|c| (c.0, c.1) == (2, 0)), "a dropped update is never trained on");
}
