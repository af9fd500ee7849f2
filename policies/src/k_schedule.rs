//! How many arrivals the server waits for in each round (docs/semantics.md, "5. The K schedule").

use serde::{Deserialize, Serialize};

/// How `K~ = K0 * (F_0 / F_t)^p` is turned into an integer (`k_rounding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KRounding {
    #[default]
    Ceil,
    Floor,
    Round,
}

impl KRounding {
    fn apply(self, x: f64) -> f64 {
        match self {
            KRounding::Ceil => x.ceil(),
            KRounding::Floor => x.floor(),
            KRounding::Round => x.round(),
        }
    }
}

/// The adaptive rule of AdaSync (eq. 5) and ABS (eq. 6).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveK {
    /// K0, the number of arrivals waited for in round 0.
    pub k0: u32,
    /// The exponent p on `F_0 / F_t` (0.5 in AdaSync).
    pub exponent: f64,
    pub rounding: KRounding,
    /// When true, K never decreases: `K^{t+1} = max(K^t, K~)`.
    pub monotone: bool,
}

/// The K knob of a policy: a constant, or the adaptive rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KSchedule {
    Fixed(u32),
    Adaptive(AdaptiveK),
}

impl KSchedule {
    /// K^0, the number of arrivals waited for in round 0.
    pub fn initial(&self) -> u32 {
        match *self {
            KSchedule::Fixed(k) => k,
            KSchedule::Adaptive(a) => a.k0,
        }
    }

    /// K^{t+1} from K^t and the loss estimates `f0` (round 0) and `ft` (round t), capped at `workers`.
    ///
    /// A loss estimate that is zero, negative or not finite makes the ratio unbounded, which sends
    /// K to `workers`: the run has either converged exactly or diverged, and the engine reports the
    /// latter separately.
    pub fn next(&self, current: u32, f0: f64, ft: f64, workers: u32) -> u32 {
        match *self {
            KSchedule::Fixed(k) => k,
            KSchedule::Adaptive(a) => {
                let ratio = f0 / ft;
                let target = if ratio.is_finite() && ratio >= 0.0 {
                    a.rounding.apply(f64::from(a.k0) * ratio.powf(a.exponent))
                } else {
                    f64::INFINITY
                };
                // Clamp in f64 before the cast so a huge or NaN target cannot wrap.
                let target = if target.is_nan() { f64::from(workers) } else { target };
                let target = target.clamp(1.0, f64::from(workers)) as u32;
                let k = if a.monotone { target.max(current) } else { target };
                k.min(workers)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ada(k0: u32, rounding: KRounding, monotone: bool) -> KSchedule {
        KSchedule::Adaptive(AdaptiveK {
            k0,
            exponent: 0.5,
            rounding,
            monotone,
        })
    }

    #[test]
    fn adasync_rule_by_hand() {
        let s = ada(2, KRounding::Ceil, true);
        // F0/Ft = 1 -> K~ = 2
        assert_eq!(s.next(2, 2.0, 2.0, 10), 2);
        // F0/Ft = 4 -> sqrt = 2 -> K~ = 4
        assert_eq!(s.next(2, 2.0, 0.5, 10), 4);
        // F0/Ft = 2 -> 2*1.414 = 2.83 -> ceil 3, floor 2, round 3
        assert_eq!(s.next(2, 2.0, 1.0, 10), 3);
        assert_eq!(ada(2, KRounding::Floor, true).next(2, 2.0, 1.0, 10), 2);
        assert_eq!(ada(2, KRounding::Round, true).next(2, 2.0, 1.0, 10), 3);
        // capped at N
        assert_eq!(s.next(2, 100.0, 0.01, 10), 10);
        // zero or non-finite loss sends K to N
        assert_eq!(s.next(2, 1.0, 0.0, 10), 10);
        assert_eq!(s.next(2, 1.0, f64::NAN, 10), 10);
    }

    #[test]
    fn monotone_keeps_k_when_loss_rises() {
        let s = ada(2, KRounding::Ceil, true);
        assert_eq!(s.next(5, 1.0, 2.0, 10), 5);
        let free = ada(2, KRounding::Ceil, false);
        assert_eq!(free.next(5, 1.0, 2.0, 10), 2);
    }

    proptest! {
        #[test]
        fn k_stays_in_range_and_never_decreases(
            k0 in 1u32..20, n_extra in 0u32..50, losses in proptest::collection::vec(0.0f64..10.0, 1..60)
        ) {
            let n = k0 + n_extra;
            let s = ada(k0, KRounding::Ceil, true);
            let mut k = s.initial();
            for ft in losses {
                let next = s.next(k, 3.0, ft, n);
                prop_assert!(next >= k);
                prop_assert!(next >= 1 && next <= n);
                k = next;
            }
        }
    }
}
