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
    use crate::base::files::{io_error, read, write_dir_atomic};
    use crate::lora::peft::{CONFIG_FILE, PeftFiles, WEIGHTS_FILE};
    use crate::{Error, Result};

    const STATE_FILE: &str = "trainer_state.json";
    const OPTIMIZER_FILE: &str = "optimizer.bpk";
    const CONFIG_TOML: &str = "config.toml";

    /// `trainer_state.json`, written last: the step, and the length and FNV-1a hash of every
    /// other file, so that a truncated or half-written checkpoint is told from a whole one.
    #[derive(Serialize, Deserialize)]
    struct State {
        step: usize,
        first_loss: Option<f64>,
        /// File name → (bytes, hash as 16 hex digits). Absent in checkpoints of older soo.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        files: Option<std::collections::BTreeMap<String, (usize, String)>>,
    }

    /// FNV-1a, 64 bits: enough to notice a torn file, no dependency.
    fn fnv1a(bytes: &[u8]) -> String {
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        format!("{hash:016x}")
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
            let mut files: Vec<(&str, &[u8])> = vec![
                (CONFIG_FILE, &self.adapter.config),
                (WEIGHTS_FILE, &self.adapter.weights),
                (OPTIMIZER_FILE, &self.optimizer),
                (CONFIG_TOML, self.config.as_bytes()),
            ];
            let state = serde_json::to_vec_pretty(&State {
                step: self.step,
                first_loss: self.first_loss,
                files: Some(
                    files
                        .iter()
                        .map(|(name, bytes)| (name.to_string(), (bytes.len(), fnv1a(bytes))))
                        .collect(),
                ),
            })
            .expect("the state always serialises");
            files.push((STATE_FILE, &state));
            write_dir_atomic(&dir, &files)?;
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

        /// Reads a checkpoint folder written by [`Checkpoint::write_dir`], checking every file
        /// against the lengths and hashes its `trainer_state.json` holds.
        pub fn read_dir(dir: &Path) -> Result<Self> {
            let state_file = dir.join(STATE_FILE);
            let state: State =
                serde_json::from_slice(&read(&state_file)?).map_err(|e| Error::Format {
                    file: state_file.display().to_string(),
                    problem: format!("{e} (a checkpoint cut short?)"),
                })?;
            let checked = |name: &str| -> Result<Vec<u8>> {
                let path = dir.join(name);
                let bytes = read(&path)?;
                match state.files.as_ref().map(|files| files.get(name)) {
                    Some(Some((len, hash)))
                        if (bytes.len(), fnv1a(&bytes)) != (*len, hash.clone()) =>
                    {
                        Err(Error::Format {
                            file: path.display().to_string(),
                            problem: format!(
                                "{} bytes, hash {}: the checkpoint recorded {len} bytes, hash \
                                 {hash} (truncated or half-written)",
                                bytes.len(),
                                fnv1a(&bytes)
                            ),
                        })
                    }
                    Some(None) => Err(Error::Format {
                        file: state_file.display().to_string(),
                        problem: format!("{name} is not recorded"),
                    }),
                    _ => Ok(bytes),
                }
            };
            let config = String::from_utf8(checked(CONFIG_TOML)?).map_err(|e| Error::Format {
                file: dir.join(CONFIG_TOML).display().to_string(),
                problem: e.to_string(),
            })?;
            Ok(Checkpoint {
                step: state.step,
                first_loss: state.first_loss,
                adapter: PeftFiles {
                    config: checked(CONFIG_FILE)?,
                    weights: checked(WEIGHTS_FILE)?,
                },
                optimizer: checked(OPTIMIZER_FILE)?,
                config,
            })
        }

        /// The newest whole checkpoint under `root`: a newer one that does not read back
        /// (truncated, half-written, deleted in part) is skipped with a note naming what is
        /// wrong with it. `None` when there is no whole one.
        pub fn newest(root: &Path) -> Result<Option<Self>> {
            for (_, dir) in Self::list(root)?.iter().rev() {
                match Self::read_dir(dir) {
                    Ok(checkpoint) => return Ok(Some(checkpoint)),
                    Err(e) => eprintln!("note: skipping a damaged checkpoint: {e}"),
                }
            }
            Ok(None)
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn checkpoint(step: usize) -> Checkpoint {
        Checkpoint {
            step,
            first_loss: Some(1.5),
            adapter: PeftFiles {
                config: b"{}".to_vec(),
                weights: vec![step as u8; 64],
            },
            optimizer: vec![7; 128],
            config: format!("steps = {step}\n"),
        }
    }

    #[test]
    fn a_damaged_checkpoint_is_detected_and_the_previous_one_used() {
        let root =
            std::env::temp_dir().join(format!("soo-checkpoint-{}-damaged", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for step in [1, 2, 3] {
            checkpoint(step).write_dir(&root, 3).unwrap();
        }
        let newest = Checkpoint::newest(&root).unwrap().unwrap();
        assert_eq!((newest.step, newest.adapter.weights), (3, vec![3; 64]));

        // Cut step 3's weights short: step 2 is used.
        let weights = root.join("checkpoint-000003/adapter_model.safetensors");
        std::fs::write(&weights, [3; 10]).unwrap();
        let err = Checkpoint::read_dir(weights.parent().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("10 bytes") && err.contains("truncated"),
            "{err}"
        );
        assert_eq!(Checkpoint::newest(&root).unwrap().unwrap().step, 2);

        // Same length, other bytes (a torn write); then a missing state file.
        let optimizer = root.join("checkpoint-000002/optimizer.bpk");
        std::fs::write(&optimizer, [8; 128]).unwrap();
        std::fs::remove_file(root.join("checkpoint-000001/trainer_state.json")).unwrap();
        assert!(Checkpoint::newest(&root).unwrap().is_none());
        let _ = std::fs::remove_dir_all(&root);
    }
}
