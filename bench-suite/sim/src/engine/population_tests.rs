//! A population's slots and clients in the engine (docs/semantics.md, "18. A population of
//! clients"): hand-worked traces, and properties of open runs.

use std::collections::HashMap;

use abs_policies::{Policy, PolicyName, PolicyParams};

use super::*;
use crate::doubles::{NoWork, population};
use crate::engine::{ComputeTimeSpec, Fate, Granularity, JobRecord, JobTimes};
use crate::population::{ClientDraws, ClientLaw, ClientTimes, Clients, Diurnal, Population, Presence, Schedule, Selection};
use crate::seeds::{Purpose, Seeds};

fn cfg(name: PolicyName, slots: u32, k: u32, pop: Population, max_time: f64) -> EngineConfig {
    let params = PolicyParams {
        workers: slots,
        k: Some(k),
        k0: 2.min(slots),
        ..PolicyParams::default()
    };
    EngineConfig {
        workers: slots,
        policy: Policy::resolve(name.knobs(), &params).unwrap(),
        eval_every: u64::MAX,
        eval_interval: None,
        max_rounds: u64::MAX,
        max_time,
        population: Some(pop),
        ..EngineConfig::default()
    }
}

fn run(cfg: &EngineConfig) -> RunRecords {
    let mut times = JobTimes::new(&ComputeTimeSpec::default(), Granularity::Job, 1, cfg.workers, &Seeds::new(0)).unwrap();
    simulate(cfg, &mut NoWork, &mut times).unwrap()
}

/// A population with every job taking `compute` seconds on every client.
fn constant_jobs(clients: u64, compute: f64, seed: u64) -> Population {
    let seeds = Seeds::new(seed);
    let times = ClientTimes::new(&ComputeTimeSpec::Constant { value: compute }, Granularity::Job, 1, &seeds).unwrap();
    Population {
        times,
        ..population(clients, false, seed)
    }
}

#[test]
fn a_slot_waits_while_every_client_is_busy_and_never_hangs() {
    // one client, two slots, jobs of 1 s, K = 1: slot 0 holds the client and takes it back at
    // each round's end; slot 1 looks every 0.5 s and always finds it busy
    let mut pop = constant_jobs(1, 1.0, 0);
    pop.selection = Selection {
        retry_s: 0.5,
        ..Selection::default()
    };
    let records = run(&cfg(PolicyName::Async, 2, 1, pop, 10.0));
    assert_eq!(records.rounds.len(), 10);
    assert!(
        records.jobs.iter().all(|j| j.worker == 0 && j.client == Some(0)),
        "{:?}",
        records.jobs
    );
    let starts: Vec<(f64, Cause)> = records.jobs.iter().map(|j| (j.start, j.cause)).collect();
    assert_eq!(starts[0], (0.0, Cause::Initial));
    assert!(
        starts[1..].iter().enumerate().all(|(i, s)| *s == ((i + 1) as f64, Cause::Next)),
        "{starts:?}"
    );
}

#[test]
fn a_client_leaving_mid_upload_loses_the_job_at_that_instant() {
    // one client present one hour a day; the first seed at which it is away at time 0
    let d = Diurnal {
        on_hours: 1.0,
        center_h: 0.0,
        jitter_h: 0.0,
    };
    let seed = (0..100u64)
        .find(|&s| {
            let seeds = Seeds::new(s);
            let phase = Clients::new(&seeds, ClientLaw::default()).unwrap().phase_h(0);
            !d.present(&ClientDraws::new(&seeds, Purpose::ClientAvailability), 0, phase, 0.0)
        })
        .unwrap();
    let seeds = Seeds::new(seed);
    let phase = Clients::new(&seeds, ClientLaw::default()).unwrap().phase_h(0);
    let draws = ClientDraws::new(&seeds, Purpose::ClientAvailability);
    // the slot looks every minute: it finds the client at the first minute of its window
    let found = (1..10_000u64)
        .map(|m| m as f64 * 60.0)
        .find(|&t| d.present(&draws, 0, phase, t))
        .unwrap();
    let leaves = d.next_change(&draws, 0, phase, found);
    // 30 minutes of compute, an hour of upload: the client leaves during the upload
    assert!(leaves > found + 1_800.0 && leaves < found + 5_400.0, "{found} {leaves}");
    let mut pop = constant_jobs(1, 1_800.0, seed);
    pop.presence = Schedule::Diurnal(d);
    let mut c = cfg(PolicyName::Async, 1, 1, pop, found + 4_000.0);
    c.upload_latency = 3_600.0;
    let records = run(&c);
    assert!(records.rounds.is_empty());
    assert_eq!(records.jobs.len(), 1, "{:?}", records.jobs);
    let j = &records.jobs[0];
    assert_eq!((j.cause, j.start, j.client), (Cause::Waited, found, Some(0)));
    assert_eq!((j.compute_s, j.upload_s, j.finish), (1_800.0, 3_600.0, found + 5_400.0));
    assert_eq!((j.fate, j.end.to_bits()), (Fate::Unavailable, leaves.to_bits()));
}

#[test]
fn an_open_population_obeys_littles_law_and_its_clients_rules() {
    // 30 clients present 40% of the day, 20 slots, FedBuff K = 5, jobs of about 10 minutes, two
    // days: slots often wait for a client, and some clients leave mid-job
    let seed = 4;
    let mut pop = population(30, true, seed);
    pop.times = ClientTimes::new(
        &ComputeTimeSpec::GammaCvb {
            mean: 600.0,
            v_task: 0.5,
            v_mach: 0.5,
        },
        Granularity::Job,
        1,
        &Seeds::new(seed),
    )
    .unwrap();
    let horizon = 2.0 * 86_400.0;
    let records = run(&cfg(PolicyName::Fedbuff, 20, 5, pop, horizon));
    let jobs = &records.jobs;
    let presence = Presence::new(Schedule::Diurnal(Diurnal::default()), &Seeds::new(seed));
    let lost = jobs.iter().filter(|j| j.fate == Fate::Unavailable).count();
    let waited = jobs.iter().filter(|j| j.cause == Cause::Waited).count();
    assert!(
        jobs.len() > 1_000 && lost > 10 && waited > 10,
        "{} jobs, {lost} lost, {waited} waited",
        jobs.len()
    );
    // a client holds a slot from its job's start until the job arrives (even if it is then
    // aggregated later, or never), is lost or is stopped
    let held_until = JobRecord::released;
    let mut by_client: HashMap<u64, Vec<&JobRecord>> = HashMap::new();
    for j in jobs {
        let c = j.client.unwrap();
        assert!(c < 30);
        // a job starts only while its client is present; it is lost exactly when its client
        // leaves first, otherwise its client stays until it arrives
        assert!(presence.present(c, j.start), "{j:?}");
        let leaves = presence.next_change(c, j.start);
        if j.fate == Fate::Unavailable {
            assert!(leaves < j.finish && j.end.to_bits() == leaves.to_bits(), "{j:?} leaves {leaves}");
        } else if j.fate != Fate::Running || j.finish <= j.end {
            assert!(leaves >= held_until(j), "{j:?} leaves {leaves}");
        }
        by_client.entry(c).or_default().push(j);
    }
    // no client runs two jobs at once
    for list in by_client.values_mut() {
        list.sort_by(|a, b| a.start.total_cmp(&b.start));
        for pair in list.windows(2) {
            assert!(pair[1].start >= held_until(pair[0]), "{:?} then {:?}", pair[0], pair[1]);
        }
    }
    // Little's law: the busy slots counted every 10 s equal throughput x mean time in a slot
    let end = records.rounds.last().unwrap().time;
    let held = |j: &JobRecord| held_until(j).min(end) - j.start.min(end);
    let lambda_w = jobs.iter().map(held).sum::<f64>() / end;
    let samples = (end / 10.0) as usize;
    let counted = (0..samples)
        .map(|i| {
            let t = (i as f64 + 0.5) * 10.0;
            jobs.iter().filter(|j| j.start <= t && t < held_until(j)).count()
        })
        .sum::<usize>() as f64
        / samples as f64;
    assert!(
        (counted - lambda_w).abs() < 0.01 * lambda_w,
        "busy slots {counted}, lambda W {lambda_w}"
    );
    // and it is far from 20: the slots waited for clients a good share of the time
    assert!(lambda_w < 16.0 && lambda_w > 4.0, "{lambda_w}");
}

#[test]
fn a_population_run_is_the_same_whatever_the_cache_and_its_draws_move_with_the_seed() {
    let horizon = 100.0;
    let a = run(&cfg(PolicyName::Abs, 50, 5, population(1_000_000, true, 1), horizon));
    let b = run(&cfg(PolicyName::Abs, 50, 5, population(1_000_000, true, 1), horizon));
    let other = run(&cfg(PolicyName::Abs, 50, 5, population(1_000_000, true, 2), horizon));
    assert!(a.jobs.len() > 1_000);
    assert_eq!(a.jobs, b.jobs);
    assert_ne!(a.jobs, other.jobs);
    // C = 50 of a million clients: hardly any client is picked twice
    let mut clients: Vec<u64> = a.jobs.iter().filter_map(|j| j.client).collect();
    let n = clients.len();
    clients.sort_unstable();
    clients.dedup();
    assert!(clients.len() as f64 > 0.98 * n as f64, "{} distinct of {n}", clients.len());
}
