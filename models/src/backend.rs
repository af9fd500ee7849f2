//! Which Burn backend computes the replicas (`backend: flex | wgpu | auto`).

pub use abs_sim::catalog::Backend;
use burn::tensor::Device;

fn flex(note: &str) -> (Device, String) {
    (Device::flex(), format!("flex (burn 0.22.1, CPU){note}"))
}

/// The device for `backend` and a one-line description for manifests and logs.
///
/// A wgpu runtime can be started once per process, so the outcome is decided once and reused.
pub fn select(backend: Backend) -> Result<(Device, String), String> {
    match backend {
        Backend::Flex => Ok(flex("")),
        #[cfg(not(feature = "wgpu"))]
        Backend::Wgpu => Err("backend wgpu is not in this build: rebuild with `--features wgpu`, or use backend flex".to_string()),
        #[cfg(not(feature = "wgpu"))]
        Backend::Auto => Ok(flex("; auto: this build has no wgpu")),
        #[cfg(feature = "wgpu")]
        Backend::Wgpu | Backend::Auto => Ok(gpu::select(backend == Backend::Auto)),
    }
}

#[cfg(feature = "wgpu")]
mod gpu {
    use std::sync::OnceLock;

    use burn::tensor::{Device, DeviceKind};

    use super::flex;

    /// Tries wgpu once per process: any adapter for `wgpu`, real GPUs only for `auto`.
    pub fn select(real_gpu_only: bool) -> (Device, String) {
        static ANY: OnceLock<(Device, String)> = OnceLock::new();
        static REAL: OnceLock<(Device, String)> = OnceLock::new();
        let cell = if real_gpu_only { &REAL } else { &ANY };
        cell.get_or_init(|| {
            let kinds: &[DeviceKind] = if real_gpu_only {
                &[DeviceKind::DiscreteGpu(0), DeviceKind::IntegratedGpu(0)]
            } else {
                &[DeviceKind::DefaultDevice]
            };
            let mut last = String::new();
            for kind in kinds {
                match Device::wgpu_options().device_kind(kind.clone()).init() {
                    Ok(device) => return (device, format!("wgpu ({kind:?}, burn 0.22.1)")),
                    Err(e) => last = e.to_string(),
                }
            }
            let note = if real_gpu_only {
                "; auto: no GPU adapter found"
            } else {
                "; wgpu could not start, fell back to flex"
            };
            eprintln!(
                "abs-bench: wgpu: {}; using flex (CPU) instead",
                if last.is_empty() { "no adapter" } else { last.as_str() }
            );
            flex(note)
        })
        .clone()
    }
}
