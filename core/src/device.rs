//! Choosing the compute device: WebGPU/Vulkan/Metal through burn's `wgpu` backend when there is
//! one, burn's `flex` CPU backend otherwise, and always a sentence saying which one and why.

use burn::tensor::Device;
use serde::{Deserialize, Deserializer, Serialize};

/// The burn backends soo knows how to run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend (native and wasm).
    Flex,
    /// burn's wgpu backend: WebGPU in a browser, Vulkan or Metal natively.
    Wgpu,
}

impl BackendKind {
    /// The name users see and type (`--backend wgpu`).
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Wgpu => "wgpu",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Read through [`FromStr`](std::str::FromStr), so that files accept the names the command line
/// does (`cpu`, `gpu` too) and a typo gets the same message.
impl<'de> Deserialize<'de> for BackendKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "flex" | "cpu" => Ok(BackendKind::Flex),
            "wgpu" | "gpu" | "webgpu" => Ok(BackendKind::Wgpu),
            other => Err(format!(
                "unknown backend '{other}': use 'flex' (CPU) or 'wgpu' (GPU)"
            )),
        }
    }
}

/// A ready device, which backend it is, and why that backend was chosen.
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    /// The burn device, with autodiff enabled so that it can train.
    pub device: Device,
    /// Which backend runs.
    pub kind: BackendKind,
    /// Why: shown to the user next to the backend's name.
    pub reason: String,
}

/// The CPU device: always available.
pub fn flex_device() -> Device {
    Device::flex().autodiff()
}

/// The wgpu device once its runtime is up. burn registers the runtime once per process: a
/// second `init_async` fails ("Service already initialized"), which made `soo organism build`
/// (the model is loaded twice: to answer general prompts, then to train) train on the CPU
/// after answering on the GPU. Every later request gets this device back instead.
#[cfg(feature = "wgpu")]
static WGPU_DEVICE: std::sync::Mutex<Option<Device>> = std::sync::Mutex::new(None);

/// Sets up burn's wgpu runtime (once; later calls return the same device). In a browser this
/// must happen before any tensor exists, and it must be awaited: a browser cannot block on
/// the GPU.
#[cfg(feature = "wgpu")]
pub async fn wgpu_device() -> crate::Result<Device> {
    let started = WGPU_DEVICE.lock().ok().and_then(|d| d.clone());
    if let Some(device) = started {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map(Device::autodiff)
        .map_err(|e| crate::Error::Device(format!("wgpu could not start: {e}")))?;
    if let Ok(mut slot) = WGPU_DEVICE.lock() {
        *slot = Some(device.clone());
    }
    Ok(device)
}

/// Picks the device for `preferred`, falling back to the CPU with the reason when the GPU path
/// fails. Never fails itself: the CPU is always there.
pub async fn select_device(preferred: BackendKind) -> SelectedDevice {
    match preferred {
        BackendKind::Flex => SelectedDevice {
            device: flex_device(),
            kind: BackendKind::Flex,
            reason: "the CPU backend was asked for".into(),
        },
        BackendKind::Wgpu => gpu_or_cpu().await,
    }
}

#[cfg(feature = "wgpu")]
async fn gpu_or_cpu() -> SelectedDevice {
    match wgpu_device().await {
        Ok(device) => SelectedDevice {
            device,
            kind: BackendKind::Wgpu,
            reason: "a GPU adapter was found".into(),
        },
        Err(e) => SelectedDevice {
            device: flex_device(),
            kind: BackendKind::Flex,
            reason: format!("{e}; running on the CPU instead"),
        },
    }
}

#[cfg(not(feature = "wgpu"))]
async fn gpu_or_cpu() -> SelectedDevice {
    SelectedDevice {
        device: flex_device(),
        kind: BackendKind::Flex,
        reason: "this build has no GPU backend (the 'wgpu' feature is off); running on the CPU"
            .into(),
    }
}
