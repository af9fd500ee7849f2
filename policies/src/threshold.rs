//! Which stale workers the server restarts (docs/semantics.md, "4. Staleness and the threshold").

use serde::{Deserialize, Serialize};

/// The function h(N, K) in `tau_max = max(1, floor(zeta * h(N, K)))` (`threshold_form`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdForm {
    #[default]
    NOverK,
    OneOverK,
    NMinusK,
}

impl ThresholdForm {
    fn h(self, workers: u32, k: u32) -> f64 {
        let (n, k) = (f64::from(workers), f64::from(k));
        match self {
            ThresholdForm::NOverK => n / k,
            ThresholdForm::OneOverK => 1.0 / k,
            ThresholdForm::NMinusK => n - k,
        }
    }
}

/// When a worker counts as too stale (`restart_when`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RestartWhen {
    /// Restart when `s_n > tau_max`: every aggregated update has staleness <= tau_max.
    #[default]
    Greater,
    /// Restart when `s_n >= tau_max`.
    GreaterOrEqual,
}

/// A staleness threshold in rounds; `Unbounded` never restarts anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Unbounded,
    Rounds(u64),
}

impl Threshold {
    /// The threshold as a float column value: `inf` when unbounded.
    pub fn as_f64(self) -> f64 {
        match self {
            Threshold::Unbounded => f64::INFINITY,
            Threshold::Rounds(r) => r as f64,
        }
    }

    /// The threshold a float column value holds (the inverse of [`Threshold::as_f64`]).
    pub fn from_f64(tau_max: f64) -> Threshold {
        if tau_max.is_finite() {
            Threshold::Rounds(tau_max as u64)
        } else {
            Threshold::Unbounded
        }
    }

    /// Whether a worker with staleness `s` must download the global model and restart.
    pub fn must_restart(self, s: u64, when: RestartWhen) -> bool {
        match (self, when) {
            (Threshold::Unbounded, _) => false,
            (Threshold::Rounds(tau), RestartWhen::Greater) => s > tau,
            (Threshold::Rounds(tau), RestartWhen::GreaterOrEqual) => s >= tau,
        }
    }
}

/// The bound knob of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StalenessBound {
    /// No bound (k-async, AdaSync).
    None,
    /// A constant bound S in rounds; `inf` means none (the Fig. 1 policies).
    Fixed(f64),
    /// ABS: `tau_max = max(1, floor(zeta * h(N, K)))`; `zeta = inf` means none.
    Adaptive { zeta: f64, form: ThresholdForm },
}

impl StalenessBound {
    /// The threshold in force when the server waits for `k` of `workers` arrivals.
    pub fn threshold(&self, workers: u32, k: u32) -> Threshold {
        let rounds = match *self {
            StalenessBound::None => return Threshold::Unbounded,
            StalenessBound::Fixed(s) => s.floor(),
            // zeta = inf is no bound whatever h is (inf x 0 would be NaN with n_minus_k at K = N)
            StalenessBound::Adaptive { zeta, .. } if zeta == f64::INFINITY => return Threshold::Unbounded,
            StalenessBound::Adaptive { zeta, form } => (zeta * form.h(workers, k)).floor().max(1.0),
        };
        if rounds.is_finite() {
            Threshold::Rounds(rounds as u64)
        } else {
            Threshold::Unbounded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abs(zeta: f64, form: ThresholdForm) -> StalenessBound {
        StalenessBound::Adaptive { zeta, form }
    }

    #[test]
    fn abs_threshold_by_hand() {
        let b = abs(1.0, ThresholdForm::NOverK);
        assert_eq!(b.threshold(10, 2), Threshold::Rounds(5));
        assert_eq!(b.threshold(10, 3), Threshold::Rounds(3));
        assert_eq!(b.threshold(10, 10), Threshold::Rounds(1));
        // never below 1
        assert_eq!(abs(0.5, ThresholdForm::NOverK).threshold(10, 10), Threshold::Rounds(1));
        assert_eq!(abs(2.0, ThresholdForm::OneOverK).threshold(10, 4), Threshold::Rounds(1));
        assert_eq!(abs(0.5, ThresholdForm::NMinusK).threshold(10, 4), Threshold::Rounds(3));
        assert_eq!(abs(f64::INFINITY, ThresholdForm::NOverK).threshold(10, 4), Threshold::Unbounded);
        // h = N - K = 0 when K reaches N: inf x 0 must not become a bound of 1
        assert_eq!(abs(f64::INFINITY, ThresholdForm::NMinusK).threshold(10, 10), Threshold::Unbounded);
        assert_eq!(StalenessBound::Fixed(f64::INFINITY).threshold(10, 4), Threshold::Unbounded);
        assert_eq!(StalenessBound::Fixed(2.0).threshold(10, 4), Threshold::Rounds(2));
    }

    #[test]
    fn restart_comparison() {
        let t = Threshold::Rounds(2);
        assert!(!t.must_restart(2, RestartWhen::Greater));
        assert!(t.must_restart(3, RestartWhen::Greater));
        assert!(t.must_restart(2, RestartWhen::GreaterOrEqual));
        assert!(!Threshold::Unbounded.must_restart(u64::MAX, RestartWhen::GreaterOrEqual));
    }
}
