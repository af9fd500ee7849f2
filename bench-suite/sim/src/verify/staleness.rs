//! Staleness: every delivered update's staleness is t - v and within the tau_max of every round end it lived through; every restart was over the threshold.

use super::*;

/// The fate the policy gives a job whose staleness would be `staleness` at the end of a round with
/// threshold `tau_max`, when it stops it.
fn expected_stop(engine: &crate::engine::EngineConfig, staleness: u64, tau_max: f64) -> Option<Fate> {
    Fate::at_round_end(
        engine
            .policy
            .at_round_end(staleness, Threshold::from_f64(tau_max), engine.restart_when),
    )
}

/// Every delivered update's staleness is within the threshold in force at each round end it lived
/// through; every restart was over it; the rows' staleness columns agree.
pub(super) fn check_staleness(engine: &crate::engine::EngineConfig, log: RunLog<'_>) -> Result<(), VerifyError> {
    let rows = log.rounds;
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
                let server = &engine.policy.server;
                if let Some(m) = server.max_staleness.filter(|_| server.drops(r - j.base_version)) {
                    return fail(format!(
                        "{}: delivered in round {r} with staleness {}, over max_staleness {m}: it should have been dropped",
                        job_name(j),
                        r - j.base_version
                    ));
                }
                // it survived the end of rounds v..r-1, each testing (t + 1) - v
                for t in j.base_version..r {
                    let tested = t + 1 - j.base_version;
                    let row = &rows[t as usize];
                    if let Some(fate) = expected_stop(engine, tested, row.tau_max) {
                        return fail(format!(
                            "{}: delivered in round {r} with staleness {}, but at the end of round {t} (staleness {tested}, tau_max {}) the policy says it is {}",
                            job_name(j),
                            r - j.base_version,
                            row.tau_max,
                            fate.name()
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
                let tau_max = rows[r as usize].tau_max;
                let expected = tested.and_then(|s| expected_stop(engine, s, tau_max));
                if expected != Some(j.fate) {
                    return fail(format!(
                        "{}: {} at the end of round {r} with staleness {tested:?} and tau_max {tau_max}, but the policy says {}",
                        job_name(j),
                        j.fate.name(),
                        expected.map_or("it goes on", Fate::name)
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
