//! Checks a run's records against each other and against the models that produced them: the
//! simulator auditing its own bookkeeping (docs/semantics.md, "15. The job log", lists the checks).
//!
//! Everything is recomputed from the job log and the resolved config: the rounds, counters and
//! staleness from the jobs' fates, and the jobs' times by drawing them again from their streams.

use std::collections::HashMap;

use abs_policies::Threshold;

use crate::config::RunConfig;
use crate::engine::{Cause, EvalRecord, Fate, JobRecord, JobTimes, RoundRecord, transfer_seconds};
use crate::seeds::Seeds;

/// Why a run's records failed verification, or could not be verified.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VerifyError {
    /// An invariant does not hold: the first one found, in words.
    #[error("{0}")]
    Violation(String),
    /// The models cannot be rebuilt (a trace file that is gone, a config that no longer resolves).
    #[error("cannot verify: {0}")]
    Unverifiable(String),
}

/// What a successful verification covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub jobs: usize,
    pub rounds: usize,
    pub evals: usize,
}

/// One run's records, as written.
#[derive(Debug, Clone, Copy)]
pub struct RunLog<'a> {
    pub rounds: &'a [RoundRecord],
    pub evals: &'a [EvalRecord],
    pub jobs: &'a [JobRecord],
}

fn fail<T>(message: String) -> Result<T, VerifyError> {
    Err(VerifyError::Violation(message))
}

fn job_name(j: &JobRecord) -> String {
    format!("job {} of worker {}", j.job, j.worker)
}

/// Verifies `log` as a run of `cfg` with a model of `params` parameters.
pub fn verify(cfg: &RunConfig, params: usize, log: RunLog<'_>) -> Result<Verified, VerifyError> {
    let engine = cfg
        .engine_config_with_system()
        .map_err(|e| VerifyError::Unverifiable(e.to_string()))?;
    let by_worker = jobs_by_worker(cfg.workers, log.jobs)?;
    check_clock(log)?;
    check_job_times(cfg, params, &engine, &by_worker)?;
    check_sequences(&by_worker)?;
    check_rounds(&engine, log)?;
    check_staleness(&engine, log)?;
    check_counters(log, cfg.eval_every)?;
    if let Some(a) = &engine.availability {
        check_absences(a, &by_worker)?;
    }
    Ok(Verified {
        jobs: log.jobs.len(),
        rounds: log.rounds.len(),
        evals: log.evals.len(),
    })
}

/// Each worker's jobs in index order: indices 0, 1, 2... with no gap or repeat.
fn jobs_by_worker(workers: u32, jobs: &[JobRecord]) -> Result<Vec<Vec<&JobRecord>>, VerifyError> {
    let mut by = vec![Vec::new(); workers as usize];
    for j in jobs {
        if j.worker >= workers {
            return fail(format!("{}: no such worker (N = {workers})", job_name(j)));
        }
        by[j.worker as usize].push(j);
    }
    for list in &mut by {
        list.sort_by_key(|j| j.job);
        for (i, j) in list.iter().enumerate() {
            if j.job != i as u64 {
                return fail(format!(
                    "worker {}: job {} is logged where job {i} should be (each job needs exactly one row)",
                    j.worker, j.job
                ));
            }
        }
    }
    Ok(by)
}

/// The clock never goes back: rows in time order, every job ends no earlier than it started.
fn check_clock(log: RunLog<'_>) -> Result<(), VerifyError> {
    for pair in log.rounds.windows(2) {
        if pair[1].time < pair[0].time {
            return fail(format!(
                "round {} at {} comes before round {} at {}: the clock went back",
                pair[1].round, pair[1].time, pair[0].round, pair[0].time
            ));
        }
    }
    for pair in log.evals.windows(2) {
        if pair[1].time < pair[0].time || pair[1].round < pair[0].round {
            return fail(format!("evaluation of round {} goes back in time or rounds", pair[1].round));
        }
    }
    for j in log.jobs {
        if !(j.start >= 0.0 && j.end >= j.start && j.finish >= j.start) {
            return fail(format!(
                "{}: starts at {}, finishes at {}, ends at {}: the clock went back",
                job_name(j),
                j.start,
                j.finish,
                j.end
            ));
        }
    }
    Ok(())
}

/// Every job's compute time is its draw from the compute-time model's stream, and its transfer
/// times follow from the links; finish = start + download + compute + upload.
fn check_job_times(
    cfg: &RunConfig,
    params: usize,
    engine: &crate::engine::EngineConfig,
    by_worker: &[Vec<&JobRecord>],
) -> Result<(), VerifyError> {
    let seeds = Seeds::new(cfg.seed);
    let mut times = JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.workers, &seeds)
        .map_err(|e| VerifyError::Unverifiable(e.to_string()))?;
    // downloads sent at one instant: the initial ones, and those of each round's end
    let mut together: HashMap<(bool, u64), u32> = HashMap::new();
    for j in by_worker.iter().flatten() {
        match j.cause {
            Cause::Initial => *together.entry((true, 0)).or_default() += 1,
            Cause::Next | Cause::Restart => *together.entry((false, j.base_version)).or_default() += 1,
            Cause::Rejoin => {}
        }
    }
    for j in by_worker.iter().flatten() {
        let drawn = times.draw(j.worker).map_err(|e| VerifyError::Unverifiable(e.to_string()))?;
        if drawn.to_bits() != j.compute_s.to_bits() {
            return fail(format!(
                "{}: compute time {} but the compute-time model's stream gives {drawn} for it",
                job_name(j),
                j.compute_s
            ));
        }
        let sent_with = match j.cause {
            Cause::Initial => together[&(true, 0)],
            Cause::Next | Cause::Restart => together[&(false, j.base_version)],
            Cause::Rejoin => 1,
        };
        if j.downloads_together != sent_with {
            return fail(format!(
                "{}: sent with {} downloads, but {sent_with} started at that instant",
                job_name(j),
                j.downloads_together
            ));
        }
        let (down, up, mbps) = match &engine.network {
            None => (cfg.download_latency, cfg.upload_latency, (None, None)),
            Some(l) => {
                let bits = l.bits(params);
                let w = j.worker as usize;
                (
                    transfer_seconds(cfg.download_latency, bits, l.download_rate(j.worker, sent_with)),
                    transfer_seconds(cfg.upload_latency, bits, l.upload_mbps[w]),
                    (Some(l.upload_mbps[w]), Some(l.download_mbps[w])),
                )
            }
        };
        if down.to_bits() != j.download_s.to_bits() || up.to_bits() != j.upload_s.to_bits() {
            return fail(format!(
                "{}: download {} s and upload {} s, but the network model gives {down} s and {up} s",
                job_name(j),
                j.download_s,
                j.upload_s
            ));
        }
        if (j.upload_mbps, j.download_mbps) != mbps {
            return fail(format!("{}: its bandwidths are not the worker's links", job_name(j)));
        }
        let finish = j.start + j.download_s + j.compute_s + j.upload_s;
        if finish.to_bits() != j.finish.to_bits() {
            return fail(format!(
                "{}: finish {} is not start + download + compute + upload = {finish}",
                job_name(j),
                j.finish
            ));
        }
    }
    Ok(())
}

/// Each worker runs one job at a time, and each job follows from what became of the previous one.
fn check_sequences(by_worker: &[Vec<&JobRecord>]) -> Result<(), VerifyError> {
    for list in by_worker {
        for (i, j) in list.iter().enumerate() {
            let Some(prev) = i.checked_sub(1).map(|p| list[p]) else {
                if !matches!(j.cause, Cause::Initial | Cause::Rejoin) || (j.cause == Cause::Initial && j.start != 0.0) {
                    return fail(format!("{}: a first job must start at time 0 or on a return", job_name(j)));
                }
                continue;
            };
            let ok = match j.cause {
                Cause::Initial => false,
                Cause::Next => prev.fate == Fate::Delivered && j.start == prev.end && prev.round.map(|r| r + 1) == Some(j.base_version),
                Cause::Restart => prev.fate.is_restart() && j.start == prev.end && prev.round.map(|r| r + 1) == Some(j.base_version),
                // a worker that left after its update arrived comes back once it was delivered
                Cause::Rejoin => matches!(prev.fate, Fate::Unavailable | Fate::Delivered) && j.start >= prev.end,
            };
            if !ok {
                return fail(format!(
                    "{}: starts as `{}` at {} after job {} was {} at {}: not how one job follows another",
                    job_name(j),
                    j.cause.name(),
                    j.start,
                    prev.job,
                    prev.fate.name(),
                    prev.end
                ));
            }
        }
    }
    Ok(())
}

/// A round happens at its K-th arrival, from the earliest jobs; fates name existing rounds.
fn check_rounds(engine: &crate::engine::EngineConfig, log: RunLog<'_>) -> Result<(), VerifyError> {
    let rows = log.rounds;
    let mut delivered = vec![Vec::new(); rows.len()];
    for j in log.jobs {
        let row = |r: u64| rows.get(r as usize);
        match (j.fate, j.round) {
            (Fate::Running, None) => {
                if let Some(last) = rows.last()
                    && j.finish < last.time
                {
                    return fail(format!(
                        "{}: finished at {} before round {} at {} but was never delivered",
                        job_name(j),
                        j.finish,
                        last.round,
                        last.time
                    ));
                }
            }
            (Fate::Running, Some(_)) => return fail(format!("{}: running, yet it names a round", job_name(j))),
            (_, None) => return fail(format!("{}: {} names no round", job_name(j), j.fate.name())),
            (Fate::Unavailable, Some(r)) => {
                if j.end >= j.finish || j.end.is_nan() || r > rows.len() as u64 {
                    return fail(format!("{}: lost at {} although it finished at {}", job_name(j), j.end, j.finish));
                }
            }
            (fate, Some(r)) => {
                let Some(row) = row(r) else {
                    return fail(format!("{}: {} in round {r}, which did not happen", job_name(j), fate.name()));
                };
                if j.end != row.time {
                    return fail(format!(
                        "{}: {} at {} but round {r} happened at {}",
                        job_name(j),
                        fate.name(),
                        j.end,
                        row.time
                    ));
                }
                if fate == Fate::Delivered {
                    let after_previous = r == 0 || j.finish >= rows[r as usize - 1].time;
                    if j.finish > row.time || !after_previous {
                        return fail(format!(
                            "{}: finished at {} but was delivered in round {r} at {}",
                            job_name(j),
                            j.finish,
                            row.time
                        ));
                    }
                    delivered[r as usize].push(j);
                } else if j.finish < row.time {
                    return fail(format!(
                        "{}: {} at the end of round {r} at {}, but it had finished at {} and should have arrived",
                        job_name(j),
                        fate.name(),
                        row.time,
                        j.finish
                    ));
                }
                if fate == Fate::Cancelled && !engine.policy.sync {
                    return fail(format!("{}: cancelled by a sync round, but the policy is not sync", job_name(j)));
                }
                if fate == Fate::Restarted && engine.policy.sync {
                    return fail(format!("{}: restarted by a threshold, but the policy is sync", job_name(j)));
                }
            }
        }
    }
    for (t, (row, jobs)) in rows.iter().zip(&delivered).enumerate() {
        if row.round != t as u64 {
            return fail(format!("round row {t} is numbered {}", row.round));
        }
        if row.time > engine.max_time {
            return fail(format!("round {t} at {} is after max_time {}", row.time, engine.max_time));
        }
        if jobs.len() != row.arrivals as usize || jobs.is_empty() || row.arrivals > row.k {
            return fail(format!(
                "round {t}: {} arrivals recorded (K = {}) but {} jobs delivered in it",
                row.arrivals,
                row.k,
                jobs.len()
            ));
        }
        let last = jobs.iter().map(|j| j.finish).fold(f64::NEG_INFINITY, f64::max);
        let at_kth = if engine.availability.is_some() {
            // a round closed early by absences happens when the last job that could arrive is lost
            last <= row.time
        } else {
            last == row.time && row.arrivals == row.k
        };
        if !at_kth {
            return fail(format!(
                "round {t} at {} is not at its K-th arrival (K = {}, {} arrivals, the last at {last})",
                row.time, row.k, row.arrivals
            ));
        }
    }
    Ok(())
}

/// Every delivered update's staleness is within the threshold in force at each round end it lived
/// through; every restart was over it; the rows' staleness columns agree.
fn check_staleness(engine: &crate::engine::EngineConfig, log: RunLog<'_>) -> Result<(), VerifyError> {
    let rows = log.rounds;
    let when = engine.restart_when;
    let mut sums = vec![(0u64, 0u64); rows.len()];
    for j in log.jobs {
        let Some(r) = j.round else { continue };
        match j.fate {
            Fate::Delivered => {
                let s = r.checked_sub(j.base_version);
                if s.is_none() || j.staleness != s {
                    return fail(format!(
                        "{}: staleness {:?} in round {r} from base version {}",
                        job_name(j),
                        j.staleness,
                        j.base_version
                    ));
                }
                // it survived the end of rounds v..r-1, each testing (t + 1) - v
                for t in j.base_version..r {
                    let tested = t + 1 - j.base_version;
                    let row = &rows[t as usize];
                    if engine.policy.sync || Threshold::from_f64(row.tau_max).must_restart(tested, when) {
                        return fail(format!(
                            "{}: delivered in round {r} with staleness {}, but at the end of round {t} its staleness {tested} was over tau_max {} and it should have restarted",
                            job_name(j),
                            r - j.base_version,
                            row.tau_max
                        ));
                    }
                }
                let e = &mut sums[r as usize];
                e.0 += r - j.base_version;
                e.1 = e.1.max(r - j.base_version);
            }
            Fate::Restarted | Fate::Cancelled => {
                let tested = (r + 1).checked_sub(j.base_version);
                if j.staleness != tested {
                    return fail(format!("{}: restart staleness {:?} is not (t + 1) - v", job_name(j), j.staleness));
                }
                let tau = Threshold::from_f64(rows[r as usize].tau_max);
                if j.fate == Fate::Restarted && !tested.is_some_and(|s| tau.must_restart(s, when)) {
                    return fail(format!(
                        "{}: restarted at the end of round {r} with staleness {tested:?}, within tau_max {}",
                        job_name(j),
                        rows[r as usize].tau_max
                    ));
                }
            }
            _ => {}
        }
    }
    for (row, (sum, max)) in rows.iter().zip(sums) {
        let mean = sum as f64 / f64::from(row.arrivals);
        if row.max_staleness != max || mean.to_bits() != row.mean_staleness.to_bits() {
            return fail(format!(
                "round {}: staleness mean {} max {} recorded, the deliveries give mean {mean} max {max}",
                row.round, row.mean_staleness, row.max_staleness
            ));
        }
    }
    Ok(())
}

/// Uploads, downloads, restarts and comm add up from the jobs, on every round and evaluation row.
fn check_counters(log: RunLog<'_>, eval_every: u64) -> Result<(), VerifyError> {
    let n = log.rounds.len();
    // per round t: uploads in t, restarts at the end of t, downloads sent at the end of t, rejoins
    // during the wait for t
    let (mut up, mut re, mut sent, mut rejoin) = (vec![0u64; n + 1], vec![0u64; n + 1], vec![0u64; n + 1], vec![0u64; n + 1]);
    let mut initial = 0u64;
    for j in log.jobs {
        if let Some(r) = j.round.filter(|r| *r < n as u64) {
            if j.fate == Fate::Delivered {
                up[r as usize] += 1;
            } else if j.fate.is_restart() {
                re[r as usize] += 1;
            }
        }
        match j.cause {
            Cause::Initial => initial += 1,
            Cause::Next | Cause::Restart => match j.base_version.checked_sub(1) {
                Some(t) => sent[(t as usize).min(n)] += 1,
                None => return fail(format!("{}: started at the end of a round with base version 0", job_name(j))),
            },
            Cause::Rejoin => rejoin[(j.base_version as usize).min(n)] += 1,
        }
    }
    let (mut uploads, mut restarts, mut downloads) = (0u64, 0u64, initial);
    // the counters just before round t's evaluation (after its uploads), by round
    let mut at_eval = vec![(0u64, 0u64, initial); n + 1];
    for (t, row) in log.rounds.iter().enumerate() {
        uploads += up[t];
        downloads += rejoin[t];
        at_eval[t + 1] = (uploads, uploads + restarts, downloads);
        restarts += re[t];
        downloads += sent[t];
        let want = (uploads, downloads, uploads + restarts, re[t]);
        let got = (row.uploads, row.downloads, row.comm, u64::from(row.restarts));
        if want != got {
            return fail(format!(
                "round {t}: uploads, downloads, comm and restarts recorded as {got:?}, the job log gives {want:?}"
            ));
        }
    }
    // the final evaluation of a model not due for one comes after the last round's restarts
    if n > 0 && !(n as u64).is_multiple_of(eval_every) {
        let last = &log.rounds[n - 1];
        at_eval[n] = (last.uploads, last.comm, last.downloads);
    }
    for e in log.evals {
        let Some(&(uploads, comm, downloads)) = at_eval.get(e.round as usize) else {
            return fail(format!("evaluation of round {} is beyond the {n} rounds", e.round));
        };
        let time = if e.round == 0 { 0.0 } else { log.rounds[e.round as usize - 1].time };
        // the final evaluation comes after the rejoins of an unfinished wait
        let late_rejoins = if e.round as usize == n { rejoin[n] } else { 0 };
        let downloads_ok = e.downloads >= downloads && e.downloads <= downloads + late_rejoins;
        if (e.uploads, e.comm) != (uploads, comm) || !downloads_ok || e.time != time {
            return fail(format!(
                "evaluation of round {}: uploads {}, comm {}, downloads {} at {}; the job log gives {uploads}, {comm}, {downloads} at {time}",
                e.round, e.uploads, e.comm, e.downloads, e.time
            ));
        }
    }
    Ok(())
}

/// Jobs are lost exactly when their worker leaves mid-job; nobody starts a job while away; a
/// worker comes back when its absence ends.
fn check_absences(a: &crate::engine::Availability, by_worker: &[Vec<&JobRecord>]) -> Result<(), VerifyError> {
    for (w, list) in by_worker.iter().enumerate() {
        let horizon = list.iter().map(|j| j.end.max(j.start)).fold(0.0, f64::max);
        let absences: Vec<(f64, f64)> = a.absences(w as u32).take_while(|(from, _)| *from <= horizon).collect();
        for j in list {
            // a job is at risk until its update arrives (or it is cancelled)
            let at_risk_until = if j.fate == Fate::Unavailable {
                j.finish
            } else {
                j.end.min(j.finish)
            };
            let departure = absences.iter().find(|(from, _)| j.start <= *from && *from < at_risk_until);
            match (j.fate, departure) {
                (Fate::Unavailable, Some(&(from, _))) if j.end == from => {}
                (Fate::Unavailable, _) => {
                    return fail(format!("{}: lost at {}, when worker {w} did not leave", job_name(j), j.end));
                }
                (_, Some(&(from, _))) => {
                    return fail(format!(
                        "{}: {} although worker {w} left at {from}, mid-job",
                        job_name(j),
                        j.fate.name()
                    ));
                }
                (_, None) => {}
            }
            if absences.iter().any(|(from, to)| *from < j.start && j.start < *to) {
                return fail(format!("{}: started at {} while worker {w} was away", job_name(j), j.start));
            }
            if j.cause == Cause::Rejoin && !absences.iter().any(|(_, to)| *to == j.start) {
                return fail(format!(
                    "{}: a return at {}, when no absence of worker {w} ended",
                    job_name(j),
                    j.start
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
        let mut learner = AnalyticLearner::new(&spec, cfg.workers, cfg.partition, cfg.lr, cfg.batch_size, seeds);
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
                "should have restarted",
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
}
