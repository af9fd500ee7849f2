//! Hand-worked traces with communication time and absences (docs/semantics.md, sections 16, 17).

use super::*;
use crate::doubles::NoWork;
use crate::engine::{Availability, AvailabilitySpec, BandwidthSpec, ComputeTimeSpec, Fate, Granularity, Links, NetworkSpec};
use crate::seeds::Seeds;
use abs_policies::{Policy, PolicyName, PolicyParams};
use std::path::PathBuf;

fn policy_cfg(name: PolicyName, workers: u32, k: u32, rounds: u64) -> EngineConfig {
    let params = PolicyParams {
        workers,
        k: Some(k),
        k0: k,
        ..PolicyParams::default()
    };
    EngineConfig {
        workers,
        local_steps: 1,
        policy: Policy::resolve(name.knobs(), &params).unwrap(),
        eval_every: u64::MAX,
        eval_interval: None,
        max_rounds: rounds,
        ..EngineConfig::default()
    }
}

fn constant_times(workers: u32, value: f64) -> JobTimes {
    JobTimes::new(&ComputeTimeSpec::Constant { value }, Granularity::Job, 1, workers, &Seeds::new(0)).unwrap()
}

/// Workers whose jobs take 1, 2 and 5 virtual seconds (the round tests' trace).
fn times_1_2_5() -> JobTimes {
    let path = super::tests::trace_1_2_5();
    JobTimes::new(&ComputeTimeSpec::Trace { path }, Granularity::Job, 1, 3, &Seeds::new(0)).unwrap()
}

fn away(rows: &[(u32, f64, f64)], workers: u32) -> Availability {
    static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("abs-system-away-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path: PathBuf = dir.join(format!("away-{n}.csv"));
    let mut csv = String::from("worker,from,to\n");
    for (w, from, to) in rows {
        csv.push_str(&format!("{w},{from},{to}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    Availability::new(&AvailabilitySpec::Trace { path }, workers, &Seeds::new(0)).unwrap()
}

fn links(mbps: Vec<f64>, server_mbps: Option<f64>) -> Links {
    let spec = NetworkSpec {
        bandwidth: BandwidthSpec::Cycle { mbps },
        upload_ratio: 1.0,
        server_mbps,
        // 8e6 bits: one second at 8 Mbit/s
        model_bytes: Some(1e6),
        compression: 1.0,
    };
    Links::new(&spec, 2, &Seeds::new(0)).unwrap()
}

fn round_times(r: &RunRecords) -> Vec<f64> {
    r.rounds.iter().map(|x| x.time).collect()
}

/// 8 and 4 Mbit/s links, 8e6-bit models, latencies 0.5 s, jobs of 1 s, K = 1: worker 0's job takes
/// 0.5 + 1 (down) + 1 + 0.5 + 1 (up) = 4 s, worker 1's 0.5 + 2 + 1 + 0.5 + 2 = 6 s.
#[test]
fn bytes_bandwidths_and_latencies_give_the_finish_times() {
    let mut cfg = policy_cfg(PolicyName::KAsync, 2, 1, 4);
    (cfg.upload_latency, cfg.download_latency) = (0.5, 0.5);
    cfg.network = Some(links(vec![8.0, 4.0], None));
    let r = simulate(&cfg, &mut NoWork, &mut constant_times(2, 1.0)).unwrap();
    assert_eq!(round_times(&r), [4.0, 6.0, 8.0, 12.0]);
    let j = &r.jobs[0];
    assert_eq!((j.worker, j.download_s, j.compute_s, j.upload_s, j.finish), (0, 1.5, 1.0, 1.5, 4.0));
    assert_eq!((j.download_mbps, j.upload_mbps, j.downloads_together), (Some(8.0), Some(8.0), 2));
    assert_eq!((r.jobs[1].download_s, r.jobs[1].finish), (2.5, 6.0));
    // without a network the same run takes latencies only: 0.5 + 1 + 0.5 = 2 s per job
    cfg.network = None;
    let plain = simulate(&cfg, &mut NoWork, &mut constant_times(2, 1.0)).unwrap();
    assert_eq!(round_times(&plain), [2.0, 2.0, 4.0, 4.0]);
    assert_eq!((plain.jobs[0].download_s, plain.jobs[0].upload_mbps), (0.5, None));
}

/// A server link of 8 Mbit/s: the two downloads at time 0 get 4 Mbit/s each (worker 0's own 8 is
/// not reached), so worker 0's first job takes 0.5 + 2 + 1 + 0.5 + 1 = 5 s; later it downloads
/// alone at its own 8 Mbit/s.
#[test]
fn a_shared_server_link_stretches_simultaneous_downloads() {
    let mut cfg = policy_cfg(PolicyName::KAsync, 2, 1, 3);
    (cfg.upload_latency, cfg.download_latency) = (0.5, 0.5);
    cfg.network = Some(links(vec![8.0, 4.0], Some(8.0)));
    let r = simulate(&cfg, &mut NoWork, &mut constant_times(2, 1.0)).unwrap();
    assert_eq!(
        (r.jobs.iter().map(|j| (j.download_s, j.finish, j.downloads_together)))
            .take(4)
            .collect::<Vec<_>>(),
        [(2.5, 5.0, 2), (2.5, 6.0, 2), (1.5, 9.0, 1), (2.5, 12.0, 1)]
    );
    assert_eq!(round_times(&r), [5.0, 6.0, 9.0]);
}

/// K = 2 of 3 (times 1, 2, 5); worker 1 is away from 1.5 to 3: its job 0 (due at 2) is lost at 1.5;
/// it comes back at 3 with w^0 and its job 1 ends at 5, tying with worker 2's job 0 and going first
/// (lower index). Round 0 is at 5 with workers 0 and 1, round 1 at 6 with workers 2 and 0.
#[test]
fn a_worker_that_leaves_mid_job_loses_it_and_comes_back() {
    let mut cfg = policy_cfg(PolicyName::KAsync, 3, 2, 2);
    cfg.availability = Some(away(&[(1, 1.5, 3.0)], 3));
    let r = simulate(&cfg, &mut NoWork, &mut times_1_2_5()).unwrap();
    assert_eq!(round_times(&r), [5.0, 6.0]);
    let lost = r.jobs.iter().find(|j| (j.worker, j.job) == (1, 0)).unwrap();
    assert_eq!(
        (lost.fate, lost.end, lost.round, lost.staleness),
        (Fate::Unavailable, 1.5, Some(0), None)
    );
    let back = r.jobs.iter().find(|j| (j.worker, j.job) == (1, 1)).unwrap();
    assert_eq!(
        (back.cause, back.start, back.base_version, back.finish),
        (Cause::Rejoin, 3.0, 0, 5.0)
    );
    assert_eq!((back.fate, back.round, back.staleness), (Fate::Delivered, Some(0), Some(0)));
    let w2 = r.jobs.iter().find(|j| (j.worker, j.job) == (2, 0)).unwrap();
    assert_eq!((w2.fate, w2.round, w2.staleness), (Fate::Delivered, Some(1), Some(1)));
    // the lost job uploads nothing; the return is one more download: 3 + 1 rejoin + 2 after round 0
    assert_eq!((r.rounds[0].uploads, r.rounds[0].downloads, r.rounds[0].comm), (2, 6, 2));
}

/// K = 2 of 3 but workers 1 and 2 leave at 0.5 for a long time: the server does not wait for them.
/// Each round closes with the one update that can still come (worker 0's, every second).
#[test]
fn with_fewer_than_k_present_a_round_takes_what_can_still_arrive() {
    let mut cfg = policy_cfg(PolicyName::KAsync, 3, 2, 3);
    cfg.availability = Some(away(&[(1, 0.5, 100.0), (2, 0.5, 100.0)], 3));
    let r = simulate(&cfg, &mut NoWork, &mut times_1_2_5()).unwrap();
    assert_eq!(round_times(&r), [1.0, 2.0, 3.0]);
    assert!(r.rounds.iter().all(|x| x.k == 2 && x.arrivals == 1), "{:?}", r.rounds);
    // everyone away: the wait goes on until someone is back (worker 0 at 10, its job ends at 11)
    cfg.availability = Some(away(&[(0, 0.5, 10.0), (1, 0.5, 100.0), (2, 0.5, 100.0)], 3));
    let r = simulate(&cfg, &mut NoWork, &mut times_1_2_5()).unwrap();
    assert_eq!(round_times(&r)[0], 11.0);
    // a sync policy (K = N) waits for the present workers only, and restarts only them
    let mut sync = policy_cfg(PolicyName::LocalSgd, 3, 3, 2);
    sync.availability = Some(away(&[(2, 0.5, 100.0)], 3));
    let r = simulate(&sync, &mut NoWork, &mut times_1_2_5()).unwrap();
    assert_eq!(round_times(&r), [2.0, 4.0]);
    assert_eq!((r.rounds[0].arrivals, r.rounds[0].restarts), (2, 0));
}

/// A worker away at time 0 starts nothing until it comes back, and its first job is job 0.
#[test]
fn a_worker_away_at_time_zero_joins_on_its_return() {
    let mut cfg = policy_cfg(PolicyName::KAsync, 3, 1, 4);
    cfg.availability = Some(away(&[(0, 0.0, 2.5)], 3));
    let r = simulate(&cfg, &mut NoWork, &mut times_1_2_5()).unwrap();
    let first = r.jobs.iter().find(|j| j.worker == 0).unwrap();
    assert_eq!(
        (first.job, first.cause, first.start, first.base_version),
        (0, Cause::Rejoin, 2.5, 1)
    );
    assert_eq!(round_times(&r), [2.0, 3.5, 4.0, 4.5]);
}

/// Workers present for a millisecond at a time never finish a job of a second: the run stops with
/// an error that says so instead of waiting forever.
#[test]
fn absences_too_frequent_for_any_job_stop_the_run_with_a_clear_error() {
    let mut cfg = policy_cfg(PolicyName::KAsync, 3, 1, 10);
    let spec = AvailabilitySpec::TwoState {
        mean_up: 1e-3,
        mean_down: 1e-3,
    };
    cfg.availability = Some(Availability::new(&spec, 3, &Seeds::new(0)).unwrap());
    let e = simulate(&cfg, &mut NoWork, &mut constant_times(3, 1.0)).unwrap_err();
    assert!(matches!(e, SimError::NoProgress { round: 0, .. }), "{e}");
    assert!(e.to_string().contains("raise mean_up"), "{e}");
}
