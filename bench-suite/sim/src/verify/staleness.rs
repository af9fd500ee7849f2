//! Staleness: every delivered update's staleness is t - v and within the tau_max of every round end it lived through; every restart was over the threshold.

use super::*;

/// Every delivered update's staleness is within the threshold in force at each round end it lived
/// through; every restart was over it; the rows' staleness columns agree.
pub(super) fn check_staleness(engine: &crate::engine::EngineConfig, log: RunLog<'_>) -> Result<(), VerifyError> {
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
