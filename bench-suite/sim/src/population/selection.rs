//! Which client takes a free slot: one that is idle (in no slot) and present, drawn from the
//! selection's own stream, so that changing C or the rule moves no other draw.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::seeds::{Purpose, Seeds};

/// Which client a free slot looks at next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SelectionRule {
    /// Uniform over the M clients, redrawn while the one drawn is busy or absent (expected draws:
    /// 1 / (share present x share idle)).
    #[default]
    Uniform,
    /// The next client after the last one looked at, in client order (wrapping), skipping busy
    /// and absent ones: every client gets a turn before any gets two (minimises reuse).
    RoundRobin,
}

/// How a free slot picks its client (`selection`): the rule, how many clients it looks at before
/// giving up, and how long a slot that found none waits before it looks again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    #[serde(default)]
    pub rule: SelectionRule,
    #[serde(default = "Selection::default_max_tries")]
    pub max_tries: u32,
    #[serde(default = "Selection::default_retry_s")]
    pub retry_s: f64,
}

impl Default for Selection {
    /// Uniform, 100 clients looked at (at 40% present and few busy, a miss has odds below
    /// 1e-20), and a slot that found none looks again a virtual minute later.
    fn default() -> Self {
        Selection {
            rule: SelectionRule::Uniform,
            max_tries: Self::default_max_tries(),
            retry_s: Self::default_retry_s(),
        }
    }
}

impl Selection {
    fn default_max_tries() -> u32 {
        100
    }
    fn default_retry_s() -> f64 {
        60.0
    }

    /// Refuses no tries or a wait that is not a finite positive time, naming the field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.max_tries == 0 || self.max_tries > 1_000_000 {
            return Err((
                "selection.max_tries".into(),
                format!("value {} is not allowed: expected an integer in 1..=1000000", self.max_tries),
            ));
        }
        if !(self.retry_s.is_finite() && self.retry_s > 0.0) {
            return Err((
                "selection.retry_s".into(),
                format!("value {} is not allowed: expected a finite number > 0", self.retry_s),
            ));
        }
        Ok(())
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
        for _ in 0..self.rule.max_tries {
            let c = match self.rule.rule {
                SelectionRule::Uniform => self.rng.random_range(0..self.clients),
                SelectionRule::RoundRobin => {
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

    fn rr(max_tries: u32) -> Selection {
        Selection {
            rule: SelectionRule::RoundRobin,
            max_tries,
            ..Selection::default()
        }
    }

    #[test]
    fn uniform_selection_has_the_right_frequencies() {
        // 20 clients, 3 of them always busy: the other 17 equally often. Chi-square with 16 degrees
        // of freedom below its 0.999 quantile (39.25), at this fixed seed.
        let mut s = Selector::new(
            Selection {
                max_tries: 100,
                ..Selection::default()
            },
            20,
            &Seeds::new(9),
        );
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
        let mut s = Selector::new(rr(10), 6, &Seeds::new(1));
        let picked: Vec<u64> = (0..8).filter_map(|_| s.select(|c| c != 3)).collect();
        assert_eq!(picked, [0, 1, 2, 4, 5, 0, 1, 2]);
        // nobody available: None after the tries, counted, never a hang
        for rule in [
            Selection {
                max_tries: 50,
                ..Selection::default()
            },
            rr(50),
        ] {
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
            let mut s = Selector::new(
                Selection {
                    max_tries: 1,
                    ..Selection::default()
                },
                1 << 40,
                &Seeds::new(seed),
            );
            (0..5).map(|_| s.select(|_| true).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(picks(4), picks(4));
        assert_ne!(picks(4), picks(5));
    }
}
