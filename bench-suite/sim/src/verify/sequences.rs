//! Each worker's jobs: indices without gap or repeat, each job following from its worker's previous one.

use super::*;

/// Each worker's jobs in index order: indices 0, 1, 2... with no gap or repeat.
pub(super) fn jobs_by_worker(workers: u32, jobs: &[JobRecord]) -> Result<Vec<Vec<&JobRecord>>, VerifyError> {
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

/// Each worker runs one job at a time, and each job follows from what became of the previous one.
pub(super) fn check_sequences(by_worker: &[Vec<&JobRecord>]) -> Result<(), VerifyError> {
    for list in by_worker {
        for (i, j) in list.iter().enumerate() {
            let Some(prev) = i.checked_sub(1).map(|p| list[p]) else {
                if !matches!(j.cause, Cause::Initial | Cause::Rejoin | Cause::Waited) || (j.cause == Cause::Initial && j.start != 0.0) {
                    return fail(format!(
                        "{}: a first job must start at time 0, on a return, or when a waiting slot found a client",
                        job_name(j)
                    ));
                }
                continue;
            };
            let ok = match j.cause {
                Cause::Initial => false,
                Cause::Next => prev.fate == Fate::Delivered && j.start == prev.end && prev.round.map(|r| r + 1) == Some(j.base_version),
                Cause::Restart => prev.fate.is_restart() && j.start == prev.end && prev.round.map(|r| r + 1) == Some(j.base_version),
                // a worker that left after its update arrived comes back once it was delivered
                Cause::Rejoin => matches!(prev.fate, Fate::Unavailable | Fate::Delivered) && j.start >= prev.end,
                // dispatch on arrival: the next job starts when the previous one arrives, from the
                // model of the round it is then delivered in (or still waits for, at the end)
                Cause::Arrival => {
                    j.start == prev.finish
                        && match prev.fate {
                            Fate::Delivered | Fate::Dropped => prev.round == Some(j.base_version),
                            Fate::Running => true,
                            _ => false,
                        }
                }
                // a population's slot: its client left, and another took the slot at that instant
                Cause::Lost => prev.fate == Fate::Unavailable && j.start == prev.end && prev.round == Some(j.base_version),
                // a slot that had found no client found one later: after the previous job
                // arrived (its round may close later), or was lost or stopped
                Cause::Waited => j.start >= prev.released(),
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
