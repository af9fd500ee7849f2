//! The checks on hand-made logs, and a property test over runs of every policy and system.

use super::*;
use crate::config::parse_yaml;
use crate::engine::{AnalyticLearner, RunRecords, simulate};
use proptest::prelude::*;

fn config(yaml: &str) -> RunConfig {
    RunConfig::resolve(parse_yaml(yaml, "t.yaml").unwrap(), "t.yaml").unwrap()
}

fn simulate_config(cfg: &RunConfig) -> RunRecords {
    let seeds = Seeds::new(cfg.seed);
    let engine = cfg.engine_config_with_system().unwrap();
    let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.workers, &seeds).unwrap();
    let spec = cfg.analytic.unwrap_or_default();
    let mut learner = AnalyticLearner::new(&spec, cfg.holders(), cfg.partition, cfg.lr, cfg.batch_size, seeds);
    simulate(&engine, &mut learner, &mut times).unwrap()
}

fn check(cfg: &RunConfig, r: &RunRecords) -> Result<Verified, VerifyError> {
    let log = RunLog {
        rounds: &r.rounds,
        evals: &r.evals,
        jobs: &r.jobs,
    };
    verify(cfg, r.params.len(), log)
}

/// About 40 of 100,000 clients present at a time, each for 36 s a day: slots wait for clients,
/// and clients leave mid-job.
const POPULATION: &str = "clients: 100000\nconcurrency: 5\navailability: {model: diurnal, on_hours: 0.01, jitter_h: 0}\n\
                          selection: {max_tries: 2000, retry_s: 0.5}\nmax_time: 60";

const SMALL: &str = "model: analytic\nanalytic: {dim: 4, train_samples: 256, test_samples: 64}\nlocal_steps: 2\neval_every: 3\n";

fn policies() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "policy: abs",
        "policy: abs\nzeta: 0.5",
        "policy: adasync",
        "policy: sa_adasync",
        "policy: async",
        "policy: sa_async\nk: 2",
        "policy: k_async\nk: 2",
        "policy: k_sync\nk: 2",
        "policy: local_sgd",
        "policy: bounded\nk: 2\nstaleness_bound: 1",
        "policy: bounded\nk: 1\nstaleness_bound: 3\nrestart_when: greater_or_equal",
        "policy: fedbuff\nk: 2",
        "policy: fedbuff\nk: 2\nmax_staleness: 1",
        "policy: fedbuff\nk: 1\nmax_staleness: 0",
        "policy: fedbuff\nk: 1\nserver_optimizer: momentum",
        "policy: fedasync",
        "policy: fedasync\nalpha: 1\nsa_form: {hinge: {a: 10, b: 1}}",
        "policy: fedavgm",
        "policy: fedadam",
        "policy: async_delay_adaptive",
        "policy: {k: fixed, bound: fixed, dispatch: on_arrival, normalise: sum_of_weights}\nk: 2\nstaleness_bound: 1",
    ])
}

fn systems() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "",
        "upload_latency: 0.1\ndownload_latency: 0.2",
        "network: {bandwidth: {model: cycle, mbps: [1, 0.1]}}",
        "network: {bandwidth: {model: gamma, mean_mbps: 0.5, cv: 0.5}, server_mbps: 1, upload_ratio: 0.5}\ndownload_latency: 0.05",
        "availability: {model: two_state, mean_up: 5, mean_down: 2}",
        "availability: {model: two_state, mean_up: 1, mean_down: 3}\nnetwork: {bandwidth: {model: constant, mbps: 0.2}, server_mbps: 0.5}",
        "max_time: 7.5",
        "eval_interval: 1.5",
        "eval_interval: 0.25\navailability: {model: two_state, mean_up: 5, mean_down: 2}",
        "clients: 40\nconcurrency: 4",
        "clients: 40\nconcurrency: 4\nselection: {rule: round_robin}\npartition: {dirichlet: {alpha: 0.3}}",
        "clients: 40\nconcurrency: 4\nnetwork: {bandwidth: {model: gamma, mean_mbps: 0.5, cv: 0.5}, server_mbps: 1, upload_ratio: 0.5}",
        POPULATION,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every policy, with and without the network and absences, passes its own verification.
    #[test]
    fn every_policy_passes_verification(
        policy in policies(),
        system in systems(),
        workers in 2u32..8,
        seed in 0u64..500,
        rounds in 1u64..60,
    ) {
        let cfg = config(&format!("{SMALL}{policy}\n{system}\nworkers: {workers}\nseed: {seed}\nmax_rounds: {rounds}\n"));
        let r = simulate_config(&cfg);
        let v = check(&cfg, &r);
        prop_assert!(v.is_ok(), "{policy} / {system} / N {workers} seed {seed}: {v:?}");
        prop_assert_eq!(v.unwrap().jobs, r.jobs.len());
    }
}

/// A run with restarts, absences and a network, to corrupt.
fn sample() -> (RunConfig, RunRecords) {
    let cfg = config(&format!(
        "{SMALL}policy: bounded\nk: 2\nstaleness_bound: 1\nworkers: 6\nseed: 7\nmax_rounds: 40\n\
         availability: {{model: two_state, mean_up: 6, mean_down: 2}}\nnetwork: {{bandwidth: {{model: constant, mbps: 0.5}}}}\n"
    ));
    let r = simulate_config(&cfg);
    assert!(r.jobs.iter().any(|j| j.fate == Fate::Unavailable), "the sample loses jobs");
    assert!(r.jobs.iter().any(|j| j.fate == Fate::Restarted), "the sample restarts jobs");
    check(&cfg, &r).unwrap();
    (cfg, r)
}

fn first_index(r: &RunRecords, fate: Fate) -> usize {
    r.jobs.iter().position(|j| j.fate == fate).unwrap()
}

#[test]
fn each_kind_of_corruption_is_caught_and_named() {
    type Corruption = (&'static str, fn(&mut RunRecords), &'static str);
    let corruptions: Vec<Corruption> = vec![
        ("rows swapped", |r| r.rounds.swap(3, 4), "clock went back"),
        ("a row renumbered", |r| r.rounds[3].round = 4, "numbered"),
        (
            "a round moved back",
            |r| r.rounds[5].time = r.rounds[4].time - 0.5,
            "clock went back",
        ),
        ("a round after its K-th arrival", |r| r.rounds[5].time += 1e-3, "happened at"),
        ("an upload too many", |r| r.rounds[6].uploads += 1, "uploads, downloads"),
        ("a download too few", |r| r.rounds[6].downloads -= 1, "uploads, downloads"),
        ("comm off", |r| r.evals[2].comm += 1, "evaluation of round"),
        (
            "a tighter bound",
            |r| {
                let d = r.jobs.iter().find(|j| j.fate == Fate::Delivered && j.staleness == Some(1)).unwrap();
                let t = d.base_version as usize;
                r.rounds[t].tau_max = 0.0;
            },
            "the policy says it is restarted",
        ),
        (
            "a restart called a cancellation",
            |r| {
                let i = first_index(r, Fate::Restarted);
                r.jobs[i].fate = Fate::Cancelled;
            },
            "but the policy says restarted",
        ),
        (
            "staleness misreported",
            |r| {
                let i = first_index(r, Fate::Delivered);
                r.jobs[i].staleness = Some(5);
            },
            "staleness",
        ),
        (
            "a job logged twice",
            |r| {
                let j = r.jobs[3].clone();
                r.jobs.push(j);
            },
            "exactly one row",
        ),
        (
            "a job missing",
            |r| {
                r.jobs.remove(0);
            },
            "exactly one row",
        ),
        (
            "a delivered job called running",
            |r| {
                let i = first_index(r, Fate::Delivered);
                (r.jobs[i].fate, r.jobs[i].round, r.jobs[i].staleness) = (Fate::Running, None, None);
            },
            "",
        ),
        (
            "a compute time that is not the stream's",
            |r| r.jobs[2].compute_s *= 1.01,
            "compute-time model's stream",
        ),
        ("a download faster than the link", |r| r.jobs[2].download_s -= 0.01, "network model"),
        (
            "a lost job moved",
            |r| {
                let i = first_index(r, Fate::Unavailable);
                r.jobs[i].end = (r.jobs[i].end + r.jobs[i].start) / 2.0;
            },
            "did not leave",
        ),
        (
            "a lost job called delivered late",
            |r| {
                let i = first_index(r, Fate::Unavailable);
                r.jobs[i].fate = Fate::Running;
                r.jobs[i].round = None;
            },
            "",
        ),
    ];
    let (cfg, clean) = sample();
    for (name, corrupt, needle) in corruptions {
        let mut r = clean.clone();
        corrupt(&mut r);
        match check(&cfg, &r) {
            Err(VerifyError::Violation(m)) => assert!(m.contains(needle), "{name}: {m}"),
            other => panic!("{name}: not caught ({other:?})"),
        }
    }
}

#[test]
fn a_trace_that_is_gone_makes_the_run_unverifiable() {
    let dir = std::env::temp_dir().join(format!("abs-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("away.csv");
    std::fs::write(&path, "worker,from,to\n0,1,2\n").unwrap();
    let cfg = config(&format!(
        "{SMALL}workers: 3\nmax_rounds: 5\navailability: {{model: trace, path: {}}}\n",
        path.display()
    ));
    let r = simulate_config(&cfg);
    assert!(check(&cfg, &r).is_ok());
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(check(&cfg, &r), Err(VerifyError::Unverifiable(_))));
}

/// A trace edited after the run cannot verify it (its times would be drawn from other rows): the
/// digest stamped in the config says so, instead of a violation the run never had.
#[test]
fn a_trace_changed_since_the_run_makes_it_unverifiable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("away.csv");
    std::fs::write(&path, "worker,from,to\n0,1,2\n").unwrap();
    let mut cfg = config(&format!(
        "{SMALL}workers: 3\nmax_rounds: 5\navailability: {{model: trace, path: {}}}\n",
        path.display()
    ));
    cfg.stamp_traces().unwrap();
    let r = simulate_config(&cfg);
    assert!(check(&cfg, &r).is_ok());
    std::fs::write(&path, "worker,from,to\n0,1,4\n").unwrap();
    match check(&cfg, &r) {
        Err(VerifyError::Unverifiable(m)) => assert!(m.contains("changed since"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// Many workers, heavy-tailed job times and a fixed bound: every job is stopped at the first round
/// end that finds it over the bound (staleness S + 1, never later), in worker order within a round,
/// and no job over the bound is ever delivered (the engine finds them from the front of its
/// start-ordered queue, not by looking at every worker).
#[test]
fn a_bound_stops_each_stale_job_at_the_first_round_end_over_it() {
    let cfg = config(&format!(
        "{SMALL}policy: bounded\nk: 5\nstaleness_bound: 3\nworkers: 200\nseed: 3\nmax_rounds: 300\n\
         compute_time: {{model: pareto, scale: 0.5, shape: 1.3}}\n"
    ));
    let r = simulate_config(&cfg);
    check(&cfg, &r).unwrap();
    let restarted: Vec<&JobRecord> = r.jobs.iter().filter(|j| j.fate == Fate::Restarted).collect();
    assert!(restarted.len() > 100, "{} restarts", restarted.len());
    assert!(restarted.iter().all(|j| j.staleness == Some(4)), "stopped late");
    assert!(r.jobs.iter().filter(|j| j.fate == Fate::Delivered).all(|j| j.staleness <= Some(3)));
    // the restarted workers' new jobs start in worker order, as when every worker was looked at
    for version in 1..=300 {
        let workers: Vec<u32> = (r.jobs.iter())
            .filter(|j| j.cause == Cause::Restart && j.base_version == version)
            .map(|j| j.worker)
            .collect();
        assert!(workers.windows(2).all(|w| w[0] < w[1]), "version {version}: {workers:?}");
    }
    // a job log row per restart, and the round rows count them
    let counted: u64 = r.rounds.iter().map(|x| u64::from(x.restarts)).sum();
    assert_eq!(counted, restarted.len() as u64);
}

/// With `eval_interval`, the model is evaluated after the first round ending at or after each
/// multiple of the interval (rounds of one second here), then once more at the end; verify replays
/// the schedule and names a row that breaks it.
#[test]
fn eval_interval_evaluates_by_virtual_time() {
    let cfg = config(&format!(
        "{SMALL}policy: local_sgd\nworkers: 3\ncompute_time: {{model: constant, value: 1}}\neval_interval: 2.5\nmax_rounds: 9\n"
    ));
    let mut r = simulate_config(&cfg);
    let at: Vec<(u64, f64)> = r.evals.iter().map(|e| (e.round, e.time)).collect();
    assert_eq!(at, [(0, 0.0), (3, 3.0), (5, 5.0), (8, 8.0), (9, 9.0)]);
    check(&cfg, &r).unwrap();
    // a row moved to a round that was not due is caught
    r.evals[1].round = 4;
    let e = check(&cfg, &r).unwrap_err().to_string();
    assert!(e.contains("was due for an evaluation and has none"), "{e}");
    // without it, every eval_every rounds as before (here 3)
    let by_rounds = config(&format!(
        "{SMALL}policy: local_sgd\nworkers: 3\ncompute_time: {{model: constant, value: 1}}\nmax_rounds: 9\n"
    ));
    let rounds: Vec<u64> = simulate_config(&by_rounds).evals.iter().map(|e| e.round).collect();
    assert_eq!(rounds, [0, 3, 6, 9]);
}

#[test]
fn a_population_run_verifies_and_its_client_rules_are_checked() {
    let cfg = config(&format!("{SMALL}policy: fedbuff\nk: 2\n{POPULATION}\nseed: 3\nmax_rounds: 1000\n"));
    let r = simulate_config(&cfg);
    assert!(r.jobs.iter().any(|j| j.fate == Fate::Unavailable), "the sample loses jobs");
    assert!(r.jobs.iter().any(|j| j.cause == Cause::Waited), "slots wait");
    check(&cfg, &r).unwrap();
    type Corruption = (&'static str, fn(&mut RunRecords), &'static str);
    let corruptions: Vec<Corruption> = vec![
        (
            "another client",
            |r| {
                let j = r.jobs.iter_mut().find(|j| j.fate == Fate::Delivered).unwrap();
                j.client = j.client.map(|c| c + 1);
            },
            "",
        ),
        (
            "a client twice at once",
            |r| {
                let c = r.jobs[0].client;
                r.jobs[1].client = c;
            },
            "",
        ),
        (
            "a loss that was an arrival",
            |r| {
                let j = r.jobs.iter_mut().find(|j| j.fate == Fate::Unavailable).unwrap();
                j.end = j.finish - 1e-3;
            },
            "lost",
        ),
        (
            "a client outside the population",
            |r| r.jobs[2].client = Some(100_000),
            "in a population of",
        ),
        ("no client", |r| r.jobs[2].client = None, "no client"),
    ];
    for (what, corrupt, expected) in corruptions {
        let mut bad = r.clone();
        corrupt(&mut bad);
        let e = check(&cfg, &bad).expect_err(what).to_string();
        assert!(e.contains(expected), "{what}: {e}");
    }
}

#[test]
fn a_population_following_a_traces_patterns_verifies() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("away.csv");
    // three patterns: away often, away once, never away (no row for 2 but pattern 3 exists)
    let mut csv = String::from("worker,from,to\n");
    for k in 0..40 {
        csv.push_str(&format!("0,{},{}\n", 3.0 * f64::from(k) + 1.0, 3.0 * f64::from(k) + 2.0));
    }
    csv.push_str("1,5,9\n3,0,0.5\n");
    std::fs::write(&path, csv).unwrap();
    let cfg = config(&format!(
        "{SMALL}policy: k_async\nk: 2\nclients: 30\nconcurrency: 4\nseed: 2\nmax_rounds: 60\n\
         availability: {{model: trace, path: {}}}\nselection: {{retry_s: 0.25}}\n",
        path.display()
    ));
    let r = simulate_config(&cfg);
    assert!(
        r.jobs.iter().any(|j| j.fate == Fate::Unavailable),
        "clients of pattern 0 leave mid-job"
    );
    check(&cfg, &r).unwrap();
    // a job moved onto a client away at its start is caught
    let mut bad = r.clone();
    let population = cfg.engine_config_with_system().unwrap().population.unwrap();
    let presence = crate::population::Presence::new(population.presence, &Seeds::new(2));
    let (i, absent) = (bad.jobs.iter().enumerate())
        .filter(|(_, j)| j.fate == Fate::Delivered)
        .find_map(|(i, j)| (0..30u64).find(|&c| !presence.present(c, j.start)).map(|c| (i, c)))
        .unwrap();
    bad.jobs[i].client = Some(absent);
    assert!(check(&cfg, &bad).is_err());
}
