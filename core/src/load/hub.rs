//! Downloads from the Hugging Face Hub into the usual cache (`~/.cache/huggingface/hub`, the
//! layout Python's `huggingface_hub` uses, so both share files), through hf-hub's blocking
//! client. `HF_ENDPOINT`, `HF_HOME`, `HF_HUB_CACHE` and `HF_TOKEN` are honoured.
//!
//! The cache is consulted first: a file already there is used without asking the server, so
//! a model loads offline once fetched (the price: a moving branch such as `main` is not
//! re-checked; name a revision to pin one). A file the repo lacks is remembered in
//! `.no_exist/{commit}/{file}` (as `huggingface_hub` does) so optional files are not asked for
//! again either.

use std::collections::HashMap;
use std::path::PathBuf;

use hf_hub::api::Progress;
use hf_hub::api::sync::{ApiBuilder, ApiError, ApiRepo};
use hf_hub::{Cache, Repo, RepoType};

use super::disk::{LoadEvent, check_inside, located, read_file};
use super::hf::{CONFIG, INDEX, SINGLE};
use super::model_files::{
    CHAT_TEMPLATE, FileBytes, GENERATION_CONFIG, ModelFiles, TOKENIZER, TOKENIZER_CONFIG,
};
use super::safetensors::shard_files;
use crate::{Error, Result};

/// Where and how to reach the Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOptions {
    /// The server, `https://huggingface.co` unless `HF_ENDPOINT` says otherwise.
    pub endpoint: String,
    /// The cache folder (the one holding `models--org--name`).
    pub cache_dir: PathBuf,
    /// An access token for gated or private repos.
    pub token: Option<String>,
}

impl HubOptions {
    /// Settings from the environment, as `huggingface_hub` reads them: `HF_ENDPOINT`;
    /// `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
    /// `~/.cache/huggingface/hub`; `HF_TOKEN`, else the token file `huggingface-cli login` wrote.
    pub fn from_env() -> Result<Self> {
        let var = |key: &str| std::env::var_os(key).filter(|v| !v.is_empty());
        let hf_home = var("HF_HOME")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("huggingface")))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/huggingface")))
            .ok_or_else(|| Error::Format {
                file: "HF_HOME".into(),
                problem: "not set, and there is no home folder to put the Hub cache in".into(),
            })?;
        let cache_dir = var("HF_HUB_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| hf_home.join("hub"));
        let token = std::env::var("HF_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .or_else(|| std::fs::read_to_string(hf_home.join("token")).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let endpoint = std::env::var("HF_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "https://huggingface.co".into());
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            cache_dir,
            token,
        })
    }
}

/// hf-hub's progress hook, turned into [`LoadEvent`]s.
struct Events<'a> {
    file: String,
    done: u64,
    total: u64,
    started: bool,
    on_event: &'a mut dyn FnMut(LoadEvent),
}

impl Progress for Events<'_> {
    fn init(&mut self, size: usize, _filename: &str) {
        // hf-hub calls init twice per download (before and when the body starts); report once.
        if !self.started {
            self.started = true;
            self.total = size as u64;
            (self.on_event)(LoadEvent::DownloadStarted {
                file: self.file.clone(),
                bytes: self.total,
            });
        }
    }

    fn update(&mut self, size: usize) {
        self.done += size as u64;
        (self.on_event)(LoadEvent::DownloadProgress {
            file: self.file.clone(),
            done: self.done,
            total: self.total,
        });
    }

    fn finish(&mut self) {
        (self.on_event)(LoadEvent::DownloadFinished {
            file: self.file.clone(),
        });
    }
}

/// One repo at one revision, with its cache.
struct HubRepo<'a> {
    api: ApiRepo,
    cache: Cache,
    repo: Repo,
    /// `org/name@revision`, for messages.
    label: String,
    endpoint: &'a str,
}

impl HubRepo<'_> {
    /// The folder of this repo in the cache: `models--org--name`.
    fn folder(&self) -> PathBuf {
        self.cache.path().join(self.repo.folder_name())
    }

    /// The commit the revision was last resolved to, if it was.
    fn commit(&self) -> Option<String> {
        let path = self.folder().join("refs").join(self.repo.revision());
        let commit = std::fs::read_to_string(path).ok()?;
        Some(commit.trim().to_string()).filter(|c| !c.is_empty())
    }

    fn no_exist_marker(&self, file: &str) -> Option<PathBuf> {
        let commit = self.commit()?;
        Some(self.folder().join(".no_exist").join(commit).join(file))
    }

    fn error(&self, file: &str, problem: String) -> Error {
        Error::Format {
            file: format!("{}/{file}", self.label),
            problem,
        }
    }

    /// The cached path of `file`, downloading it if needed; `Ok(None)` when the repo has no
    /// such file and it is optional (`required` false).
    fn fetch(
        &self,
        file: &str,
        required: bool,
        on_event: &mut dyn FnMut(LoadEvent),
    ) -> Result<Option<PathBuf>> {
        if let Some(path) = self.cache.repo(self.repo.clone()).get(file) {
            return Ok(Some(path));
        }
        let absent = || {
            if required {
                Err(self.error(file, "not found in this Hub repo (HTTP 404)".into()))
            } else {
                Ok(None)
            }
        };
        if self.no_exist_marker(file).is_some_and(|m| m.is_file()) {
            return absent();
        }
        let events = Events {
            file: file.to_string(),
            done: 0,
            total: 0,
            started: false,
            on_event,
        };
        match self.api.download_with_progress(file, events) {
            Ok(path) => Ok(Some(path)),
            Err(ApiError::RequestError(e)) if matches!(*e, ureq::Error::StatusCode(404)) => {
                if let Some(marker) = self.no_exist_marker(file) {
                    // Best effort: without the marker we merely ask again next time.
                    let _ = marker
                        .parent()
                        .map(std::fs::create_dir_all)
                        .map(|_| std::fs::write(&marker, b""));
                }
                absent()
            }
            Err(ApiError::RequestError(e)) if matches!(*e, ureq::Error::StatusCode(401 | 403)) => {
                Err(self.error(
                    file,
                    format!(
                        "access denied ({e}): the repo may be gated or private; accept its \
                         terms on the Hub and set HF_TOKEN"
                    ),
                ))
            }
            Err(e) => Err(self.error(file, format!("download from {} failed: {e}", self.endpoint))),
        }
    }
}

/// Resolves a Hub repo at `revision` to its model files, downloading what the cache lacks:
/// `file` (a `.gguf` in the repo) when given, else a Hugging Face folder's files.
pub fn resolve_hub(
    repo_id: &str,
    revision: &str,
    file: Option<&str>,
    options: &HubOptions,
    on_event: &mut dyn FnMut(LoadEvent),
) -> Result<ModelFiles> {
    let cache = Cache::new(options.cache_dir.clone());
    let repo = Repo::with_revision(repo_id.into(), RepoType::Model, revision.into());
    let label = format!("{repo_id}@{revision}");
    let api = ApiBuilder::from_cache(cache.clone())
        .with_endpoint(options.endpoint.clone())
        .with_token(options.token.clone())
        .with_progress(false)
        .build()
        .map_err(|e| Error::Format {
            file: label.clone(),
            problem: format!("cannot set up the Hub client: {e}"),
        })?;
    let hub = HubRepo {
        api: api.repo(repo.clone()),
        cache,
        repo,
        label,
        endpoint: &options.endpoint,
    };
    let mut files: HashMap<String, FileBytes> = HashMap::new();
    let mut get = |name: &str, required: bool, files: &mut HashMap<String, FileBytes>| {
        if let Some(path) = hub.fetch(name, required, on_event)? {
            files.insert(name.to_string(), read_file(&path, on_event)?);
        }
        Ok::<_, Error>(())
    };
    if let Some(gguf) = file {
        check_inside(&hub.label, gguf)?;
        get(gguf, true, &mut files)?;
        // A GGUF carries its tokenizer; the repo's tokenizer files, if any, are not fetched.
        let bytes = files
            .remove(gguf)
            .ok_or_else(|| hub.error(gguf, "vanished".into()))?;
        return ModelFiles::from_gguf(&format!("{}/{gguf}", hub.label), bytes);
    }
    get(CONFIG, true, &mut files)?;
    get(INDEX, false, &mut files)?;
    let weights = match files.get(INDEX) {
        Some(index) => shard_files(INDEX, index.as_ref()).map_err(|e| located(e, &hub.label))?,
        None => vec![SINGLE.to_string()],
    };
    for name in &weights {
        check_inside(&format!("{}/{INDEX}", hub.label), name)?;
        get(name, true, &mut files)?;
    }
    get(TOKENIZER, true, &mut files)?;
    get(TOKENIZER_CONFIG, false, &mut files)?;
    get(CHAT_TEMPLATE, false, &mut files)?;
    get(GENERATION_CONFIG, false, &mut files)?;
    ModelFiles::from_files(files).map_err(|e| located(e, &hub.label))
}
