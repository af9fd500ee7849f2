//! A validation split held out of the training set (docs/semantics.md, "10. Data, partitions and
//! local training"): `holdout` training samples that no worker or client trains on, which a run
//! evaluates on instead of the test set with `evaluate_on: validation`. Tuning scores its trials
//! there, so the test set the report uses never chooses a setting (section 13, "Tuning").

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::seeds::{Purpose, Seeds};

/// Which samples a run's evaluations measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EvalSplit {
    /// The test set (or its `eval_samples` subset).
    #[default]
    Test,
    /// The `holdout` samples kept out of training.
    Validation,
}

impl EvalSplit {
    /// Whether this is the default (so the key stays out of the canonical form and no id moves).
    pub fn is_test(&self) -> bool {
        *self == EvalSplit::Test
    }
}

/// How many training samples a validation split holds out: a count, or a share of the training set
/// (so one sweep suits data sets of any size). YAML `5000` is a count, `0.1` a share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Holdout {
    Samples(u32),
    /// In (0, 1).
    Share(f64),
}

/// None held out.
impl Default for Holdout {
    fn default() -> Self {
        Holdout::Samples(0)
    }
}

impl Holdout {
    /// Whether nothing is held out (the default: the key stays out of the canonical form).
    pub fn is_none(&self) -> bool {
        *self == Holdout::Samples(0)
    }

    /// The samples held out of a training set of `n`: the count, or the share rounded.
    pub fn of(&self, n: usize) -> u32 {
        match *self {
            Holdout::Samples(k) => k,
            Holdout::Share(f) => (f * n as f64).round() as u32,
        }
    }

    /// Refuses a share outside (0, 1).
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Holdout::Share(f) if !(f > 0.0 && f < 1.0) => Err(format!(
                "value {f} is not allowed: expected a count of samples (a whole number) or a share of the training set in (0, 1)"
            )),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for Holdout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holdout::Samples(k) => write!(f, "{k} training samples"),
            Holdout::Share(s) => write!(f, "{}% of the training samples", s * 100.0),
        }
    }
}

/// The root of the validation split's own stream: the split is a property of the training set
/// and `holdout`, never of the run's seed, so tuning seeds and reported seeds hold out the same
/// samples.
const SPLIT_ROOT: u64 = 0;

/// The training indices held out of a set of `n` samples: a fixed uniform draw of `holdout` of
/// them without replacement, sorted. Err when nothing would be left to train on.
pub fn held_out(n: usize, holdout: u32) -> Result<Vec<u32>, String> {
    let k = holdout as usize;
    if k >= n {
        return Err(format!(
            "holdout {holdout} leaves no training samples: the training set has {n}; hold out fewer"
        ));
    }
    let mut idx: Vec<u32> = (0..n as u32).collect();
    let mut rng = Seeds::new(SPLIT_ROOT).stream(Purpose::Validation, 0, 0);
    // partial Fisher-Yates: the first k entries are a uniform sample without replacement
    for i in 0..k {
        let j = rng.random_range(i..n);
        idx.swap(i, j);
    }
    idx.truncate(k);
    idx.sort_unstable();
    Ok(idx)
}

/// The indices of `0..n` not in `held` (which is sorted), in increasing order.
pub fn kept(n: usize, held: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(n - held.len());
    let mut next = held.iter().peekable();
    for i in 0..n as u32 {
        if next.peek() == Some(&&i) {
            next.next();
        } else {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_fixed_disjoint_and_refuses_to_empty_the_set() {
        let held = held_out(1_000, 100).unwrap();
        assert_eq!(held.len(), 100);
        assert_eq!(held, held_out(1_000, 100).unwrap(), "the same samples every time");
        assert!(held.windows(2).all(|w| w[0] < w[1]));
        let rest = kept(1_000, &held);
        assert_eq!(rest.len(), 900);
        assert!(rest.iter().all(|i| held.binary_search(i).is_err()));
        // spread over the set, not its first samples
        assert!(held.iter().any(|&i| i > 500) && held.iter().any(|&i| i < 500));
        assert!(held_out(1_000, 0).unwrap().is_empty());
        assert_eq!(kept(5, &[]), vec![0, 1, 2, 3, 4]);
        // a count or a share of the set
        assert_eq!((Holdout::Samples(70).of(1_000), Holdout::Share(0.1).of(60_000)), (70, 6_000));
        let parse = |y: &str| serde_json::from_str::<Holdout>(y).unwrap();
        assert_eq!((parse("5000"), parse("0.1")), (Holdout::Samples(5000), Holdout::Share(0.1)));
        assert!(Holdout::Share(1.5).validate().is_err() && Holdout::Share(0.2).validate().is_ok());
        assert!(Holdout::default().is_none());
        let e = held_out(100, 100).unwrap_err();
        assert!(e.contains("holdout 100") && e.contains("has 100"), "{e}");
    }
}
