//! What `logits`, `generate`, `activations` and `bench` share: the model and backend options,
//! the prompt options, and loading the model onto the chosen device.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use soo_core::Result;
use soo_core::base::files::read;
use soo_core::burn::tensor::Device;
use soo_core::device::{BackendKind, SelectedDevice, select_device};
use soo_core::load::hub::HubOptions;
use soo_core::load::native::resolve;
use soo_core::loaded::LoadedModel;
use soo_core::lora::peft::{self, PeftFiles};
use soo_core::lora::stack::stack;

use super::progress::Progress;

/// `--model` and `--backend`.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// A model folder, a `.gguf` file, or a Hugging Face Hub id (`org/name[@revision]`).
    #[arg(long, value_name = "M")]
    pub model: String,
    /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
    #[arg(long, default_value = "flex")]
    pub backend: BackendKind,
    /// A LoRA adapter folder in peft's layout (`adapter_config.json` +
    /// `adapter_model.safetensors`), e.g. what `soo train` wrote, applied to the model. Give
    /// it again to stack adapters: all but the last are merged into the base weights (so an
    /// organism's adapter becomes part of the "base" that SOO trains on and KL compares with).
    #[arg(long, value_name = "DIR")]
    pub adapter: Vec<PathBuf>,
}

impl ModelArgs {
    /// The model these options name.
    pub fn source(&self) -> ModelSource {
        ModelSource {
            model: self.model.clone(),
            backend: self.backend,
            adapters: self.adapter.clone(),
        }
    }
}

/// A model to load: what `--model`, `--backend` and `--adapter` say, for subcommands that run
/// another's work (`soo run` and `soo organism` train and evaluate) as well as for their own.
#[derive(Clone)]
pub struct ModelSource {
    /// A model folder, a `.gguf` file, or a Hugging Face Hub id.
    pub model: String,
    /// The backend to run on.
    pub backend: BackendKind,
    /// Adapter folders applied in turn, all but the last merged into the base.
    pub adapters: Vec<PathBuf>,
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

/// Resolves the model (downloading if needed), picks the device, builds the model and applies
/// the adapters.
pub fn load(source: &ModelSource) -> Result<Ready> {
    let hub = HubOptions::from_env()?;
    let started = Instant::now();
    let mut progress = Progress::default();
    let files = resolve(&source.model, &hub, &mut |event| progress.show(event))?;
    let device = pollster::block_on(select_device(source.backend));
    let mut loaded = LoadedModel::load(&files, &device.device)?;
    for dir in &source.adapters {
        // Merging what is attached makes room for the next adapter on top of it.
        loaded.model.merge_adapter();
        attach_adapter(&mut loaded, dir, &device.device)?;
    }
    Ok(Ready {
        loaded,
        device,
        load_time: started.elapsed(),
    })
}

/// Reads a peft adapter folder and attaches it to the model.
pub fn attach_adapter(loaded: &mut LoadedModel, dir: &Path, device: &Device) -> Result<()> {
    let files = read_adapter(dir)?;
    let lora = peft::import(
        &files,
        &dir.display().to_string(),
        loaded.model.shape(),
        device,
    )?;
    loaded.model.attach_adapter(lora)
}

/// The two files of a peft adapter folder.
pub fn read_adapter(dir: &Path) -> Result<PeftFiles> {
    Ok(PeftFiles {
        config: read(&dir.join(peft::CONFIG_FILE))?,
        weights: read(&dir.join(peft::WEIGHTS_FILE))?,
    })
}

/// The adapter folders `dirs` as one adapter (stacked when there are several: it applies them
/// all), and the name errors give it.
pub fn read_stacked(dirs: &[PathBuf]) -> Result<(PeftFiles, String)> {
    let folders: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let adapters = dirs
        .iter()
        .map(|dir| read_adapter(dir))
        .collect::<Result<Vec<_>>>()?;
    if let [only] = adapters.as_slice() {
        return Ok((only.clone(), folders[0].clone()));
    }
    let named: Vec<_> = adapters
        .iter()
        .zip(&folders)
        .map(|(a, f)| (a, f.as_str()))
        .collect();
    Ok((stack(&named)?, folders.join(" + ")))
}
