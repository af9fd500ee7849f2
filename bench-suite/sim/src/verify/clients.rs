//! A population's clients: each job ran on a client of the population that was present when it
//! started, no client ran two jobs at once, a job was lost exactly when its client left first, and
//! every compute time is the client's draw (docs/semantics.md, "18. A population of clients").

use super::*;
use crate::population::{Clients, Population, Presence, Schedule};

/// The client rules of a population run, on the whole job log (its rows in start order).
pub(super) fn check_clients(p: &Population, jobs: &[JobRecord]) -> Result<(), VerifyError> {
    let attributes = Clients::new(&p.seeds, p.speed_law()).map_err(VerifyError::Unverifiable)?;
    let presence = Presence::new(p.presence.clone(), &p.seeds);
    let mut held: HashMap<u64, (f64, &JobRecord)> = HashMap::new();
    for (row, j) in jobs.iter().enumerate() {
        let Some(c) = j.client else {
            return fail(format!("{}: no client, in a population of {}", job_name(j), p.clients));
        };
        if c >= p.clients {
            return fail(format!("{}: client {c}, in a population of {}", job_name(j), p.clients));
        }
        let drawn = p.times.draw(c, row as u64, attributes.speed(c));
        if drawn.to_bits() != j.compute_s.to_bits() {
            return fail(format!(
                "{}: compute time {} but client {c}'s draw for job {row} of the run is {drawn}",
                job_name(j),
                j.compute_s
            ));
        }
        if p.presence != Schedule::Always {
            if !presence.present(c, j.start) {
                return fail(format!("{}: started at {} while client {c} was away", job_name(j), j.start));
            }
            let leaves = presence.next_change(c, j.start);
            let lost = j.fate == Fate::Unavailable;
            // a job still in flight when the run stopped may end after its client leaves
            let in_flight_at_stop = j.fate == Fate::Running && j.finish > j.end;
            if lost && (leaves >= j.finish || j.end.to_bits() != leaves.to_bits()) {
                return fail(format!("{}: lost at {}, but client {c} left at {leaves}", job_name(j), j.end));
            }
            if !lost && !in_flight_at_stop && leaves < j.released() {
                return fail(format!(
                    "{}: {} although client {c} left at {leaves}, before its update arrived",
                    job_name(j),
                    j.fate.name()
                ));
            }
        } else if j.fate == Fate::Unavailable {
            return fail(format!("{}: lost, but every client is always present", job_name(j)));
        }
        if let Some((free_at, before)) = held.get(&c)
            && j.start < *free_at
        {
            return fail(format!(
                "{}: client {c} started it at {} while still holding {} until {free_at}",
                job_name(j),
                j.start,
                job_name(before)
            ));
        }
        held.insert(c, (j.released(), j));
    }
    Ok(())
}
