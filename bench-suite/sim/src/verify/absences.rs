//! Absences: a job is lost exactly when its worker left mid-job, nothing starts while a worker is away, and every rejoin is at an absence's end.

use super::*;

/// Jobs are lost exactly when their worker leaves mid-job; nobody starts a job while away; a
/// worker comes back when its absence ends.
pub(super) fn check_absences(a: &crate::engine::Availability, by_worker: &[Vec<&JobRecord>]) -> Result<(), VerifyError> {
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
