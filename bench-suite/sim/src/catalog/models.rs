//! `model` and `kernels`: the learners a config can name.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `model`: which learner trains the replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelName {
    /// Logistic regression in plain Rust on its own synthetic task (exact, fast; for tests).
    Analytic,
    /// Multinomial logistic regression on the raw pixels (Burn).
    Logreg,
    /// Two hidden layers of 200 units with ReLU (Burn).
    Mlp,
    /// conv C->6 5x5, pool, conv 6->16 5x5, pool, fc F->120->84->classes (Burn).
    Lenet,
    /// The paper's: conv C->64 5x5, pool, conv 64->64 5x5, pool, fc F->384->192->classes (Burn).
    Cnn,
    /// A learner the caller supplies (a Python object, through the `abs_bench` package): it
    /// trains on the configured data set's images, and its declared name and version enter the
    /// cell id (docs/extending.md).
    External,
}

impl ModelName {
    pub const ALL: [ModelName; 6] = [
        ModelName::Analytic,
        ModelName::Logreg,
        ModelName::Mlp,
        ModelName::Lenet,
        ModelName::Cnn,
        ModelName::External,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelName::Analytic => "analytic",
            ModelName::Logreg => "logreg",
            ModelName::Mlp => "mlp",
            ModelName::Lenet => "lenet",
            ModelName::Cnn => "cnn",
            ModelName::External => "external",
        }
    }

    /// The model called `name` (as in a config's `model`).
    pub fn from_name(name: &str) -> Option<ModelName> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether a Burn network trains it (every model but the plain-Rust analytic learner), so that
    /// it reads images from a data set and runs on a `backend`.
    pub fn is_burn(self) -> bool {
        !matches!(self, ModelName::Analytic | ModelName::External)
    }

    /// Whether it trains on a data set's images (every model but the analytic learner, which has
    /// its own synthetic task).
    pub fn reads_images(self) -> bool {
        self != ModelName::Analytic
    }

    /// Whether it has convolution stages, which the `kernels` key chooses the code for.
    pub fn has_convolutions(self) -> bool {
        matches!(self, ModelName::Lenet | ModelName::Cnn)
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which kernels compute the convolution stages of `lenet` and `cnn` (`kernels` in a run config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kernels {
    /// This project's kernels on the flex backend (Burn's own on any other backend).
    #[default]
    Native,
    /// Burn's kernels everywhere: the reference.
    Burn,
}

impl Kernels {
    pub const ALL: [Kernels; 2] = [Kernels::Native, Kernels::Burn];

    /// The choice called `name` (as in a config's `kernels`).
    pub fn from_name(name: &str) -> Option<Kernels> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kernels::Native => "native",
            Kernels::Burn => "burn",
        }
    }
}

/// The revision of the native kernels' numerics (in abs-models). Results computed with another
/// revision may differ in their last bits, so a cell's identity includes it: bump it whenever a
/// change to those kernels can change a single output bit.
pub const NATIVE_KERNELS_REVISION: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for m in ModelName::ALL {
            assert_eq!(ModelName::from_name(m.name()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.name());
        }
        for k in Kernels::ALL {
            assert_eq!(Kernels::from_name(k.name()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        }
        assert_eq!(Kernels::from_name("fast"), None);
    }
}
