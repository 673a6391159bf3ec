//! Native model loading: a model given as a folder, a `.gguf` file or a Hugging Face Hub id
//! becomes [`ModelFiles`]. Large files are memory-mapped, not read; Hub files are downloaded
//! into the usual Hugging Face cache (see [`super::hub`]). Progress is reported through a
//! callback of [`LoadEvent`]s: the core never prints.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use super::disk::LoadEvent;
use super::disk::{check_inside, located, read_file};
use super::hf::{INDEX, SINGLE};
use super::hub::{HubOptions, resolve_hub};
use super::model_files::{FOLDER_FILES, FileBytes, ModelFiles};
use super::safetensors::shard_files;
use crate::base::files::io_error;
use crate::{Error, Result};

/// Where a model comes from, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// A Hugging Face model folder on disk.
    Folder(PathBuf),
    /// A `.gguf` file on disk.
    GgufFile(PathBuf),
    /// A Hugging Face Hub repository, at a revision (`main` unless `@revision` is given),
    /// optionally one `.gguf` file in it (`org/name/file.gguf`).
    Hub {
        /// `org/name`.
        repo: String,
        /// Branch, tag or commit.
        revision: String,
        /// The GGUF file to use, for repos that hold GGUFs rather than a Hugging Face folder.
        file: Option<String>,
    },
}

/// A Hub name part: letters, digits, `-`, `_`, `.`, not starting with `.` or `-`.
fn hub_name_part(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['.', '-'])
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl ModelSpec {
    /// Reads `M` as written on the command line: an existing folder or `.gguf` file wins; else
    /// `org/name`, `org/name@revision` or `org/name/file.gguf[@revision]` is a Hub id.
    pub fn parse(spec: &str) -> Result<Self> {
        let path = Path::new(spec);
        if path.is_dir() {
            return Ok(Self::Folder(path.to_path_buf()));
        }
        if path.is_file() {
            return if spec.ends_with(".gguf") {
                Ok(Self::GgufFile(path.to_path_buf()))
            } else {
                Err(Error::Format {
                    file: spec.into(),
                    problem: "not a model: give a model folder, a .gguf file or a Hub id".into(),
                })
            };
        }
        let not_found = || Error::Format {
            file: spec.into(),
            problem: "no such file or folder, and not a Hugging Face Hub id \
                      (org/name, org/name@revision or org/name/file.gguf)"
                .into(),
        };
        let (id, revision) = match spec.rsplit_once('@') {
            Some((id, rev)) if !rev.is_empty() => (id, rev),
            Some(_) => return Err(not_found()),
            None => (spec, "main"),
        };
        let parts: Vec<&str> = id.split('/').collect();
        let (repo, file) = match parts.as_slice() {
            [org, name] => ([*org, *name], None),
            [org, name, rest @ ..] if id.ends_with(".gguf") => {
                ([*org, *name], Some(rest.join("/")))
            }
            _ => return Err(not_found()),
        };
        let looks_local = spec.starts_with(['.', '/', '~']) || spec.contains('\\');
        if looks_local || !repo.iter().all(|p| hub_name_part(p)) {
            return Err(not_found());
        }
        Ok(Self::Hub {
            repo: repo.join("/"),
            revision: revision.to_string(),
            file,
        })
    }
}

/// Resolves `spec` (see [`ModelSpec::parse`]) to the model's files, downloading from the Hub
/// with `hub` settings (usually [`HubOptions::from_env`]) when needed.
pub fn resolve(
    spec: &str,
    hub: &HubOptions,
    on_event: &mut dyn FnMut(LoadEvent),
) -> Result<ModelFiles> {
    match ModelSpec::parse(spec)? {
        ModelSpec::Folder(dir) => read_folder(&dir, on_event),
        ModelSpec::GgufFile(path) => {
            let bytes = read_file(&path, on_event)?;
            ModelFiles::from_gguf(&path.display().to_string(), bytes)
        }
        ModelSpec::Hub {
            repo,
            revision,
            file,
        } => resolve_hub(&repo, &revision, file.as_deref(), hub, on_event),
    }
}

/// The files of a model folder that [`ModelFiles::from_files`] reads: the Hugging Face files
/// present, the weights (index and shards, or the single file), or else its one `.gguf`.
fn read_folder(dir: &Path, on_event: &mut dyn FnMut(LoadEvent)) -> Result<ModelFiles> {
    let place = dir.display().to_string();
    let mut files: HashMap<String, FileBytes> = HashMap::new();
    for name in FOLDER_FILES {
        let path = dir.join(name);
        if path.is_file() {
            files.insert(name.to_string(), read_file(&path, on_event)?);
        }
    }
    let weights: Vec<String> = match files.get(INDEX) {
        Some(index) => shard_files(INDEX, index.as_ref()).map_err(|e| located(e, &place))?,
        None if dir.join(SINGLE).is_file() => vec![SINGLE.to_string()],
        None => gguf_files(dir)?,
    };
    for name in weights {
        check_inside(&dir.join(INDEX).display().to_string(), &name)?;
        let path = dir.join(&name);
        // A listed shard that is absent is reported by ModelFiles, naming the index.
        if path.is_file() {
            files.insert(name, read_file(&path, on_event)?);
        }
    }
    ModelFiles::from_files(files).map_err(|e| located(e, &place))
}

/// The `.gguf` files directly in `dir`, by name.
fn gguf_files(dir: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".gguf") {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(repo: &str, revision: &str, file: Option<&str>) -> ModelSpec {
        ModelSpec::Hub {
            repo: repo.into(),
            revision: revision.into(),
            file: file.map(str::to_string),
        }
    }

    #[test]
    fn hub_ids_parse() {
        let id = "HuggingFaceTB/SmolLM2-135M-Instruct";
        assert_eq!(ModelSpec::parse(id).ok(), Some(hub(id, "main", None)));
        assert_eq!(
            ModelSpec::parse(&format!("{id}@v1.0")).ok(),
            Some(hub(id, "v1.0", None))
        );
        assert_eq!(
            ModelSpec::parse("org/name/sub/m.Q4_0.gguf@refs/pr/1").ok(),
            Some(hub("org/name", "refs/pr/1", Some("sub/m.Q4_0.gguf")))
        );
    }

    #[test]
    fn missing_paths_are_not_hub_ids() {
        for spec in [
            "./no/such",
            "/no/such/folder",
            "just-a-name",
            "a/b/c",
            "org/name@",
            "org/.hidden",
        ] {
            let err = ModelSpec::parse(spec).expect_err(spec).to_string();
            assert!(err.starts_with(spec), "{err}");
        }
    }

    #[test]
    fn listed_files_stay_inside_the_folder() {
        assert!(check_inside(INDEX, "model-00001-of-00002.safetensors").is_ok());
        assert!(check_inside(INDEX, "sub/model.safetensors").is_ok());
        for bad in [
            "../x.safetensors",
            "/etc/passwd",
            "a/../../b",
            "",
            "a\\b",
            "./x",
        ] {
            assert!(check_inside(INDEX, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn existing_paths_win() {
        let dir = env!("CARGO_MANIFEST_DIR");
        assert_eq!(
            ModelSpec::parse(dir).ok(),
            Some(ModelSpec::Folder(dir.into()))
        );
        let cargo = format!("{dir}/Cargo.toml");
        assert!(ModelSpec::parse(&cargo).is_err());
    }
}
