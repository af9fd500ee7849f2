//! How each arriving update is weighted in the global step (docs/semantics.md, "6. Aggregation and weighting").

use serde::{Deserialize, Serialize};

/// The staleness-aware factor sa(s) (`sa_form`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SaForm {
    /// sa(s) = 1/s for s >= 1, 1 for s = 0.
    #[default]
    Inv,
    /// sa(s) = 1/(s + 1).
    InvPlusOne,
}

/// The weighting knob of a policy: a_n for an update of staleness s among k arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// a_n = 1/K.
    Uniform,
    /// a_n = sa(s)/K.
    StalenessAware(SaForm),
}

impl Weighting {
    /// The coefficient a_n of an update with staleness `s` in a round with `k` arrivals.
    pub fn weight(&self, s: u64, k: u32) -> f64 {
        let sa = match *self {
            Weighting::Uniform => 1.0,
            Weighting::StalenessAware(SaForm::Inv) => 1.0 / (s.max(1) as f64),
            Weighting::StalenessAware(SaForm::InvPlusOne) => 1.0 / (s as f64 + 1.0),
        };
        sa / f64::from(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_by_hand() {
        assert_eq!(Weighting::Uniform.weight(7, 4), 0.25);
        let sa = Weighting::StalenessAware(SaForm::Inv);
        assert_eq!(sa.weight(0, 2), 0.5);
        assert_eq!(sa.weight(1, 2), 0.5);
        assert_eq!(sa.weight(4, 2), 0.125);
        let sa1 = Weighting::StalenessAware(SaForm::InvPlusOne);
        assert_eq!(sa1.weight(0, 2), 0.5);
        assert_eq!(sa1.weight(3, 2), 0.125);
    }
}
