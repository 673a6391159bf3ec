//! What `logits`, `generate`, `activations` and `bench` share: the model and backend options,
//! the prompt options, and loading the model onto the chosen device.

use std::time::{Duration, Instant};

use clap::Args;
use soo_core::Result;
use soo_core::device::{BackendKind, SelectedDevice, select_device};
use soo_core::load::hub::HubOptions;
use soo_core::load::native::resolve;
use soo_core::loaded::LoadedModel;

use super::progress::Progress;

/// `--model` and `--backend`.
#[derive(Args)]
pub struct ModelArgs {
    /// A model folder, a `.gguf` file, or a Hugging Face Hub id (`org/name[@revision]`).
    #[arg(long, value_name = "M")]
    pub model: String,
    /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
    #[arg(long, default_value = "flex")]
    pub backend: BackendKind,
}

/// `--prompt` and `--chat`.
#[derive(Args)]
pub struct PromptArgs {
    /// The prompt.
    #[arg(long, value_name = "T")]
    pub prompt: String,
    /// Wrap the prompt in the model's chat template as one user message, ready for the reply.
    #[arg(long)]
    pub chat: bool,
}

/// A model on its device, and how long reading and building it took.
pub struct Ready {
    pub loaded: LoadedModel,
    pub device: SelectedDevice,
    pub load_time: Duration,
}

/// Resolves `--model` (downloading if needed), picks the device and builds the model.
pub fn load(args: &ModelArgs) -> Result<Ready> {
    let hub = HubOptions::from_env()?;
    let started = Instant::now();
    let mut progress = Progress::default();
    let files = resolve(&args.model, &hub, &mut |event| progress.show(event))?;
    let device = pollster::block_on(select_device(args.backend));
    let loaded = LoadedModel::load(&files, &device.device)?;
    Ok(Ready {
        loaded,
        device,
        load_time: started.elapsed(),
    })
}
