//! `backend`: which Burn backend computes the replicas.

use serde::{Deserialize, Serialize};

/// A backend as named in a config or on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (the default).
    #[default]
    Flex,
    /// wgpu on its default adapter (a GPU, or Mesa's lavapipe on a CPU-only machine); needs a build
    /// with the `wgpu` feature. Falls back to flex, saying so, when no adapter starts.
    Wgpu,
    /// wgpu where a real (discrete or integrated) GPU adapter is found, flex otherwise.
    Auto,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Flex, Backend::Wgpu, Backend::Auto];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Wgpu => "wgpu",
            Backend::Auto => "auto",
        }
    }

    /// The backend called `name` (as in a config's `backend`).
    pub fn from_name(name: &str) -> Option<Backend> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }
}
