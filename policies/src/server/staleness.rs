//! S(s): how much an update of staleness s counts in the server step (docs/semantics.md, "6.
//! Aggregation and weighting").

use serde::{Deserialize, Serialize};

/// The staleness function as a config writes it (`sa_form`): what a staleness-aware policy
/// weighs an update of staleness s by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SaForm {
    /// 1/s for s >= 1, 1 for s = 0 (the paper's).
    #[default]
    Inv,
    /// 1/(s + 1).
    InvPlusOne,
    /// (1 + s)^(-1/2) (FedBuff's).
    InvSqrtPlusOne,
    /// 1: no staleness discount.
    Constant,
    /// (1 + s)^(-a) (FedAsync's polynomial).
    Polynomial { a: f64 },
    /// 1 for s <= b, else 1/(a (s - b) + 1) (FedAsync's hinge).
    Hinge { a: f64, b: f64 },
    /// N / max(N, s): the delay-adaptive step of asynchronous SGD.
    DelayAdaptive,
}

/// The staleness function S(s) of a server rule, evaluated in f64.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StalenessFn {
    /// S(s) = 1: every update counts the same (uniform weights).
    Constant,
    /// S(s) = 1/s, and 1 for a fresh update (s = 0): the paper's staleness-aware weight.
    Inv,
    /// S(s) = 1/(s + 1).
    InvPlusOne,
    /// S(s) = (1 + s)^(-1/2): FedBuff's.
    InvSqrtPlusOne,
    /// S(s) = (1 + s)^(-a), a >= 0: FedAsync's polynomial.
    Polynomial { a: f64 },
    /// S(s) = 1 for s <= b, else 1/(a (s - b) + 1): FedAsync's hinge.
    Hinge { a: f64, b: f64 },
    /// S(s) = N / max(N, s): a step cut in proportion to a delay beyond the number of workers
    /// (Mishchenko et al. 2022; Koloskova et al. 2022).
    DelayAdaptive { workers: u32 },
}

impl StalenessFn {
    /// S(s).
    pub fn factor(self, s: u64) -> f64 {
        match self {
            StalenessFn::Constant => 1.0,
            StalenessFn::Inv => 1.0 / (s.max(1) as f64),
            StalenessFn::InvPlusOne => 1.0 / (s as f64 + 1.0),
            StalenessFn::InvSqrtPlusOne => 1.0 / (s as f64 + 1.0).sqrt(),
            StalenessFn::Polynomial { a } => (s as f64 + 1.0).powf(-a),
            StalenessFn::Hinge { a, b } => {
                let s = s as f64;
                if s <= b { 1.0 } else { 1.0 / (a * (s - b) + 1.0) }
            }
            StalenessFn::DelayAdaptive { workers } => {
                let n = f64::from(workers);
                n / n.max(s as f64)
            }
        }
    }

    /// Why the function's parameters cannot be used, naming the parameter (`None`: they can).
    pub fn invalid(self) -> Option<String> {
        match self {
            StalenessFn::Polynomial { a } if !(a.is_finite() && a >= 0.0) => {
                Some(format!("polynomial a {a} is not allowed: expected a finite number >= 0"))
            }
            StalenessFn::Hinge { a, b } if !(a.is_finite() && a >= 0.0 && b.is_finite() && b >= 0.0) => {
                Some(format!("hinge a {a}, b {b} are not allowed: expected finite numbers >= 0"))
            }
            _ => None,
        }
    }
}

impl StalenessFn {
    /// The function `form` names, on `workers` workers.
    pub fn of(form: SaForm, workers: u32) -> StalenessFn {
        match form {
            SaForm::Inv => StalenessFn::Inv,
            SaForm::InvPlusOne => StalenessFn::InvPlusOne,
            SaForm::InvSqrtPlusOne => StalenessFn::InvSqrtPlusOne,
            SaForm::Constant => StalenessFn::Constant,
            SaForm::Polynomial { a } => StalenessFn::Polynomial { a },
            SaForm::Hinge { a, b } => StalenessFn::Hinge { a, b },
            SaForm::DelayAdaptive => StalenessFn::DelayAdaptive { workers },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_by_hand() {
        assert_eq!(StalenessFn::Constant.factor(7), 1.0);
        assert_eq!(StalenessFn::Inv.factor(0), 1.0);
        assert_eq!(StalenessFn::Inv.factor(4), 0.25);
        assert_eq!(StalenessFn::InvPlusOne.factor(3), 0.25);
        assert_eq!(StalenessFn::InvSqrtPlusOne.factor(3), 0.5);
        assert_eq!(StalenessFn::Polynomial { a: 0.5 }.factor(3), 0.5);
        assert_eq!(StalenessFn::Polynomial { a: 2.0 }.factor(1), 0.25);
        let hinge = StalenessFn::Hinge { a: 10.0, b: 4.0 };
        assert_eq!(hinge.factor(4), 1.0);
        assert_eq!(hinge.factor(5), 1.0 / 11.0);
        let delay = StalenessFn::DelayAdaptive { workers: 4 };
        assert_eq!((delay.factor(0), delay.factor(4), delay.factor(8)), (1.0, 1.0, 0.5));
    }

    /// polynomial with a = 0 is constant, and a hinge whose b is above every staleness is
    /// constant, bit for bit.
    #[test]
    fn degenerate_parameters_are_the_constant_function() {
        for s in 0..1000 {
            assert_eq!(StalenessFn::Polynomial { a: 0.0 }.factor(s).to_bits(), 1f64.to_bits());
            assert_eq!(StalenessFn::Hinge { a: 3.0, b: 1000.0 }.factor(s).to_bits(), 1f64.to_bits());
        }
        let (poly, sqrt) = (StalenessFn::Polynomial { a: 0.5 }.factor(8), StalenessFn::InvSqrtPlusOne.factor(8));
        assert!((poly - sqrt).abs() <= f64::EPSILON, "{poly} {sqrt}");
    }

    #[test]
    fn bad_parameters_are_named() {
        assert!(StalenessFn::Polynomial { a: -1.0 }.invalid().unwrap().contains("a -1"));
        assert!(StalenessFn::Hinge { a: 1.0, b: f64::NAN }.invalid().is_some());
        assert!(StalenessFn::Hinge { a: 10.0, b: 4.0 }.invalid().is_none());
    }
}
