use std::fmt;

/// A policy parameter that is missing or out of range, named by its config key.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyError {
    /// The config key at fault (`k`, `k0`, `zeta`, `staleness_bound`, ...).
    pub key: &'static str,
    /// What was wrong and what is allowed.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key `{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for PolicyError {}
