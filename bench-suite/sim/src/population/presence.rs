//! When a population's clients are present (docs/semantics.md, "18. A population of clients"): a
//! function of (client, time) with no per-client state, from a daily window by time zone, or from
//! the absence patterns of a trace, each client following the pattern its own draw picks.

use std::sync::Arc;

use super::{ClientDraws, ClientLaw, Clients, Diurnal};
use crate::seeds::{Purpose, Seeds};

/// A population's presence rule, as the config gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Every client always present.
    Always,
    /// One window a day by the client's time zone.
    Diurnal(Diurnal),
    /// Absence patterns [from, to), disjoint and in time order (a trace's rows, one pattern per
    /// `worker` number); client c follows pattern (its draw mod the number of patterns).
    Patterns(Arc<Vec<Vec<(f64, f64)>>>),
}

/// A run's presence rule with the draws it needs.
#[derive(Debug, Clone)]
pub struct Presence {
    schedule: Schedule,
    windows: ClientDraws,
    phases: Clients,
    pick: ClientDraws,
}

impl Presence {
    pub fn new(schedule: Schedule, seeds: &Seeds) -> Presence {
        Presence {
            schedule,
            windows: ClientDraws::new(seeds, Purpose::ClientAvailability),
            phases: Clients::new(seeds, ClientLaw::default()).unwrap_or_else(|_| unreachable!("the default law is valid")),
            pick: ClientDraws::new(seeds, Purpose::ClientPattern),
        }
    }

    /// The absence pattern `client` follows, under a trace.
    pub fn pattern_of(&self, client: u64) -> Option<usize> {
        match &self.schedule {
            Schedule::Patterns(p) if !p.is_empty() => Some((self.pick.word(client, 0) % p.len() as u64) as usize),
            _ => None,
        }
    }

    /// Whether `client` is present at `t`.
    pub fn present(&self, client: u64, t: f64) -> bool {
        match &self.schedule {
            Schedule::Always => true,
            Schedule::Diurnal(d) => d.present(&self.windows, client, self.phases.phase_h(client), t),
            Schedule::Patterns(p) => match self.pattern_of(client) {
                None => true,
                Some(i) => {
                    let away = &p[i];
                    let k = away.partition_point(|a| a.0 <= t);
                    k == 0 || t >= away[k - 1].1
                }
            },
        }
    }

    /// The first instant after `t` at which `client`'s presence changes (its departure when it is
    /// present at `t`; infinity when it never changes again).
    pub fn next_change(&self, client: u64, t: f64) -> f64 {
        match &self.schedule {
            Schedule::Always => f64::INFINITY,
            Schedule::Diurnal(d) => d.next_change(&self.windows, client, self.phases.phase_h(client), t),
            Schedule::Patterns(p) => match self.pattern_of(client) {
                None => f64::INFINITY,
                Some(i) => {
                    let away = &p[i];
                    let k = away.partition_point(|a| a.0 <= t);
                    match k.checked_sub(1).map(|j| away[j]) {
                        // away now: it comes back at the absence's end
                        Some((_, to)) if t < to => to,
                        _ => away.get(k).map_or(f64::INFINITY, |a| a.0),
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_follow_the_pattern_their_draw_picks() {
        let patterns = Arc::new(vec![vec![(10.0, 20.0), (30.0, 40.0)], vec![], vec![(0.0, 5.0)]]);
        let p = Presence::new(Schedule::Patterns(Arc::clone(&patterns)), &Seeds::new(6));
        let mut seen = [0usize; 3];
        for c in 0..3_000u64 {
            let i = p.pattern_of(c).unwrap();
            seen[i] += 1;
            match i {
                0 => {
                    assert!(p.present(c, 9.9) && !p.present(c, 10.0) && !p.present(c, 19.9) && p.present(c, 20.0));
                    assert_eq!(
                        (p.next_change(c, 0.0), p.next_change(c, 15.0), p.next_change(c, 20.0)),
                        (10.0, 20.0, 30.0)
                    );
                    assert_eq!(p.next_change(c, 45.0), f64::INFINITY);
                }
                1 => assert!(p.present(c, 12.0) && p.next_change(c, 0.0).is_infinite()),
                _ => assert!(!p.present(c, 0.0) && p.present(c, 5.0) && p.next_change(c, 1.0) == 5.0),
            }
        }
        // every pattern used, about equally (wrapping over the clients by their draws)
        assert!(seen.iter().all(|&n| (850..1150).contains(&n)), "{seen:?}");
        let always = Presence::new(Schedule::Always, &Seeds::new(6));
        assert!(always.present(5, 1e9) && always.next_change(5, 0.0).is_infinite());
    }
}
