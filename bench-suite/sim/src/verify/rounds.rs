//! Rounds: each closes at its K-th arrival (or when no job that can still arrive is in flight), with the arrivals the log shows.

use super::*;

/// A round happens at its K-th arrival, from the earliest jobs; fates name existing rounds.
pub(super) fn check_rounds(engine: &crate::engine::EngineConfig, log: RunLog<'_>) -> Result<(), VerifyError> {
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
            // dropped at its arrival, during the wait for round r (which may not have closed)
            (Fate::Dropped, Some(r)) => {
                let after_previous = r == 0 || rows.get(r as usize - 1).is_some_and(|p| j.finish >= p.time);
                let before = rows.get(r as usize).is_none_or(|row| j.finish <= row.time);
                let over = j.staleness.is_some_and(|s| engine.policy.server.drops(s));
                if j.end != j.finish || !after_previous || !before || !over || j.staleness != r.checked_sub(j.base_version) {
                    return fail(format!(
                        "{}: dropped in the wait for round {r} with staleness {:?}, but max_staleness is {:?} (or its times do not fit)",
                        job_name(j),
                        j.staleness,
                        engine.policy.server.max_staleness
                    ));
                }
            }
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
        let at_kth = if engine.availability.is_some() || engine.population.is_some() {
            // a round closed early by absences (or a population's waiting slots) happens when the
            // last job that could arrive is lost, or at the last arrival when none is in flight
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
