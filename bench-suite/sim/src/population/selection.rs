//! Which client takes a free slot: one that is idle (in no slot) and present, drawn from the
//! selection's own stream, so that changing C or the rule moves no other draw.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::seeds::{Purpose, Seeds};

/// How a free slot picks its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Uniform over the M clients, redrawn while the one drawn is busy or absent, at most
    /// `max_tries` draws (expected draws: 1 / (share present x share idle)).
    Uniform { max_tries: u32 },
    /// The next client after the last one selected, in client order (wrapping), skipping busy and
    /// absent ones, at most `max_tries` looked at: every client gets a turn before any gets two.
    RoundRobin { max_tries: u32 },
}

impl Selection {
    fn max_tries(self) -> u32 {
        match self {
            Selection::Uniform { max_tries } | Selection::RoundRobin { max_tries } => max_tries,
        }
    }
}

/// Picks clients for free slots; O(1) state whatever M.
#[derive(Debug, Clone)]
pub struct Selector {
    rule: Selection,
    clients: u64,
    rng: ChaCha8Rng,
    cursor: u64,
    /// Selections that found no client within the tries (the slot waited).
    pub misses: u64,
}

impl Selector {
    pub fn new(rule: Selection, clients: u64, seeds: &Seeds) -> Selector {
        Selector {
            rule,
            clients: clients.max(1),
            rng: seeds.stream(Purpose::Selection, 0, 0),
            cursor: 0,
            misses: 0,
        }
    }

    /// A client for which `available` holds (idle and present), or None after the rule's tries.
    pub fn select(&mut self, mut available: impl FnMut(u64) -> bool) -> Option<u64> {
        for _ in 0..self.rule.max_tries() {
            let c = match self.rule {
                Selection::Uniform { .. } => self.rng.random_range(0..self.clients),
                Selection::RoundRobin { .. } => {
                    let c = self.cursor;
                    self.cursor = (self.cursor + 1) % self.clients;
                    c
                }
            };
            if available(c) {
                return Some(c);
            }
        }
        self.misses += 1;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uniform_selection_has_the_right_frequencies() {
        // 20 clients, 3 of them always busy: the other 17 equally often. Chi-square with 16 degrees
        // of freedom below its 0.999 quantile (39.25), at this fixed seed.
        let mut s = Selector::new(Selection::Uniform { max_tries: 100 }, 20, &Seeds::new(9));
        let busy: HashSet<u64> = [2, 5, 11].into();
        let mut counts = [0u32; 20];
        let n = 34_000;
        for _ in 0..n {
            let c = s.select(|c| !busy.contains(&c)).unwrap();
            counts[c as usize] += 1;
        }
        assert!(busy.iter().all(|&b| counts[b as usize] == 0));
        let e = f64::from(n) / 17.0;
        let chi2: f64 = (0..20)
            .filter(|c| !busy.contains(c))
            .map(|c| (f64::from(counts[c as usize]) - e).powi(2) / e)
            .sum();
        assert!(chi2 < 39.25, "{chi2} {counts:?}");
        assert_eq!(s.misses, 0);
    }

    #[test]
    fn round_robin_gives_everyone_a_turn_and_a_hopeless_search_ends() {
        let mut s = Selector::new(Selection::RoundRobin { max_tries: 10 }, 6, &Seeds::new(1));
        let picked: Vec<u64> = (0..8).filter_map(|_| s.select(|c| c != 3)).collect();
        assert_eq!(picked, [0, 1, 2, 4, 5, 0, 1, 2]);
        // nobody available: None after the tries, counted, never a hang
        for rule in [Selection::Uniform { max_tries: 50 }, Selection::RoundRobin { max_tries: 50 }] {
            let mut s = Selector::new(rule, 1_000_000_000, &Seeds::new(1));
            let mut looked = 0;
            assert_eq!(
                s.select(|_| {
                    looked += 1;
                    false
                }),
                None
            );
            assert_eq!((looked, s.misses), (50, 1));
        }
        // its own stream: another seed, other picks; the same seed, the same picks
        let picks = |seed| {
            let mut s = Selector::new(Selection::Uniform { max_tries: 1 }, 1 << 40, &Seeds::new(seed));
            (0..5).map(|_| s.select(|_| true).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(picks(4), picks(4));
        assert_ne!(picks(4), picks(5));
    }
}
