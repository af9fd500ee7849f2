//! Which Burn backend computes the replicas (`backend: flex | wgpu | auto`).

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// A backend as named in a config or on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// Burn's pure-Rust CPU backend (the default).
    #[default]
    Flex,
    /// wgpu (Vulkan, Metal, DX12 or lavapipe); needs a build with the `wgpu` feature.
    Wgpu,
    /// wgpu where a real GPU adapter is found, flex otherwise.
    Auto,
}

/// The device for `backend` and a one-line description for manifests and logs.
pub fn select(backend: Backend) -> Result<(Device, String), String> {
    match backend {
        Backend::Flex => Ok((Device::flex(), "flex (burn 0.22.1, CPU)".to_string())),
        Backend::Wgpu => Err("backend wgpu is not in this build: rebuild with `--features wgpu`, or use backend flex".to_string()),
        Backend::Auto => Ok((Device::flex(), "flex (burn 0.22.1, CPU; auto: this build has no wgpu)".to_string())),
    }
}
