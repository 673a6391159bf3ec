//! A training checkpoint as bytes: the adapter (peft's files), the optimizer state (burn's
//! record), the step count and the config. Native code stores it as a folder
//! ([`Checkpoint::write_dir`]); a browser can keep it in memory or storage.

use crate::lora::peft::PeftFiles;

/// Everything needed to continue a run bit for bit.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Optimizer steps done.
    pub step: usize,
    /// The first step's loss (for the `stop_drop` rule).
    pub first_loss: Option<f64>,
    /// The adapter.
    pub adapter: PeftFiles,
    /// burn's AdamW state (burnpack bytes).
    pub optimizer: Vec<u8>,
    /// The run's config as TOML.
    pub config: String,
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Serialize};

    use super::Checkpoint;
    use crate::base::files::{io_error, read, read_text, write_dir_atomic};
    use crate::lora::peft::{CONFIG_FILE, PeftFiles, WEIGHTS_FILE};
    use crate::{Error, Result};

    const STATE_FILE: &str = "trainer_state.json";
    const OPTIMIZER_FILE: &str = "optimizer.bpk";
    const CONFIG_TOML: &str = "config.toml";

    #[derive(Serialize, Deserialize)]
    struct State {
        step: usize,
        first_loss: Option<f64>,
    }

    impl Checkpoint {
        /// The folder name of the checkpoint after `step` steps.
        pub fn dir_name(step: usize) -> String {
            format!("checkpoint-{step:06}")
        }

        /// Saves into `root/checkpoint-NNNNNN/` atomically (peft's two files, the optimizer
        /// state, the step and the config), then deletes all but the newest `keep`.
        pub fn write_dir(&self, root: &Path, keep: usize) -> Result<PathBuf> {
            std::fs::create_dir_all(root).map_err(|e| io_error(root, e))?;
            let dir = root.join(Self::dir_name(self.step));
            let state = serde_json::to_vec_pretty(&State {
                step: self.step,
                first_loss: self.first_loss,
            })
            .expect("the state always serialises");
            write_dir_atomic(
                &dir,
                &[
                    (CONFIG_FILE, &self.adapter.config),
                    (WEIGHTS_FILE, &self.adapter.weights),
                    (OPTIMIZER_FILE, &self.optimizer),
                    (STATE_FILE, &state),
                    (CONFIG_TOML, self.config.as_bytes()),
                ],
            )?;
            let all = Self::list(root)?;
            for (_, old) in all.iter().take(all.len().saturating_sub(keep.max(1))) {
                std::fs::remove_dir_all(old).map_err(|e| io_error(old, e))?;
            }
            Ok(dir)
        }

        /// The checkpoint folders under `root`, oldest first, with their steps.
        pub fn list(root: &Path) -> Result<Vec<(usize, PathBuf)>> {
            if !root.exists() {
                return Ok(Vec::new());
            }
            let mut found = Vec::new();
            for entry in std::fs::read_dir(root).map_err(|e| io_error(root, e))? {
                let entry = entry.map_err(|e| io_error(root, e))?;
                let name = entry.file_name().to_string_lossy().to_string();
                if let Some(step) = name
                    .strip_prefix("checkpoint-")
                    .and_then(|s| s.parse::<usize>().ok())
                {
                    found.push((step, entry.path()));
                }
            }
            found.sort();
            Ok(found)
        }

        /// Reads a checkpoint folder written by [`Checkpoint::write_dir`].
        pub fn read_dir(dir: &Path) -> Result<Self> {
            let state: State =
                serde_json::from_slice(&read(&dir.join(STATE_FILE))?).map_err(|e| {
                    Error::Format {
                        file: dir.join(STATE_FILE).display().to_string(),
                        problem: e.to_string(),
                    }
                })?;
            Ok(Checkpoint {
                step: state.step,
                first_loss: state.first_loss,
                adapter: PeftFiles {
                    config: read(&dir.join(CONFIG_FILE))?,
                    weights: read(&dir.join(WEIGHTS_FILE))?,
                },
                optimizer: read(&dir.join(OPTIMIZER_FILE))?,
                config: read_text(&dir.join(CONFIG_TOML))?,
            })
        }
    }
}
