//! Time: the clock never goes back, and every job's download, compute and upload times are the ones its streams and links give.

use super::*;

/// The clock never goes back: rows in time order, every job ends no earlier than it started.
pub(super) fn check_clock(log: RunLog<'_>) -> Result<(), VerifyError> {
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
pub(super) fn check_job_times(
    cfg: &RunConfig,
    params: usize,
    engine: &crate::engine::EngineConfig,
    by_worker: &[Vec<&JobRecord>],
) -> Result<(), VerifyError> {
    let seeds = Seeds::new(cfg.seed);
    // a population's compute times are its clients' draws (checked with the clients)
    let mut times = match engine.population {
        Some(_) => None,
        None => Some(
            JobTimes::new(&cfg.compute_time, cfg.granularity, cfg.local_steps, cfg.workers, &seeds)
                .map_err(|e| VerifyError::Unverifiable(e.to_string()))?,
        ),
    };
    // downloads sent at one instant: the initial ones, and those of each round's end
    let mut together: HashMap<(bool, u64), u32> = HashMap::new();
    for j in by_worker.iter().flatten() {
        match j.cause {
            Cause::Initial => *together.entry((true, 0)).or_default() += 1,
            Cause::Next | Cause::Restart => *together.entry((false, j.base_version)).or_default() += 1,
            Cause::Rejoin | Cause::Arrival | Cause::Lost | Cause::Waited => {}
        }
    }
    for j in by_worker.iter().flatten() {
        let drawn = match &mut times {
            Some(t) => t.draw(j.worker).map_err(|e| VerifyError::Unverifiable(e.to_string()))?,
            None => j.compute_s,
        };
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
            Cause::Rejoin | Cause::Arrival | Cause::Lost | Cause::Waited => 1,
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
                let (up, down) = l.holder(j.worker, j.client);
                (
                    transfer_seconds(cfg.download_latency, bits, l.shared(down, sent_with)),
                    transfer_seconds(cfg.upload_latency, bits, up),
                    (Some(up), Some(down)),
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
