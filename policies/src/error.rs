/// A policy parameter that is missing or out of range, named by its config key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("key `{key}`: {message}")]
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
