//! The models and data sets a config can name (spec section 7).

use std::fmt;

use abs_models::Arch;
use serde::{Deserialize, Serialize};

/// `model`: which learner trains the replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelName {
    /// Logistic regression in plain Rust on its own synthetic task (exact, fast; for tests).
    Analytic,
    Logreg,
    Mlp,
    Lenet,
    Cnn,
}

/// `dataset`: where the samples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetName {
    Synthetic,
    Cifar10,
    FashionMnist,
    Mnist,
}

impl ModelName {
    /// The Burn architecture, or `None` for the plain-Rust analytic learner.
    pub fn arch(self) -> Option<Arch> {
        match self {
            ModelName::Analytic => None,
            ModelName::Logreg => Some(Arch::Logreg),
            ModelName::Mlp => Some(Arch::Mlp),
            ModelName::Lenet => Some(Arch::Lenet),
            ModelName::Cnn => Some(Arch::Cnn),
        }
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .as_deref()
                .unwrap_or("?"),
        )
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .as_deref()
                .unwrap_or("?"),
        )
    }
}
