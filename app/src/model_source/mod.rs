//! Where the model comes from, and the panel that loads it with progress per file and in total.
//!
//! The URL's `model=` names the source (see [`ModelSource::from_param`]); `hub=` can point Hub
//! ids at another server with the Hub's URL layout (the tests' local server, a mirror).
//!
//! - `download.rs`: fetching (or reading) the files, with progress, and handing them to the
//!   worker.
//! - `panel.rs`: the panel that picks the source and shows what loaded.

mod download;
mod panel;

pub use download::load;
pub use panel::ModelPanel;

/// The Hub the ids resolve against unless the URL says `hub=…`.
pub const HUB: &str = "https://huggingface.co";
/// The default model's id.
pub const DEFAULT_ID: &str = "HuggingFaceTB/SmolLM2-135M-Instruct";
/// Where `scripts/serve.sh` serves the default model (relative to the page), in the Hub's
/// layout: a classroom needs no internet.
pub const DEFAULT_LOCAL: &str =
    "models/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf";

/// A model source the user can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// SmolLM2-135M-Instruct: the Q4_1 GGUF served beside the page by `scripts/serve.sh`,
    /// else the Hub's safetensors folder.
    Default,
    /// A Hub id (`org/name`, optionally `@revision`) or a URL: a `resolve/main/` folder or
    /// one `.gguf` file.
    Hub(String),
    /// Files the user picked or dropped (they cannot travel in a link).
    Local,
    // The toy organisms are not sources here: they have their own lab below the story
    // (`toy_world.rs`), with their own measure and SOO runs.
}

impl ModelSource {
    /// The source the URL's `model=` names: none or `default`, `local`, else a Hub id or URL.
    pub fn from_param(param: Option<&str>) -> Self {
        match param.map(str::trim) {
            None | Some("") | Some("default") => Self::Default,
            Some("local") => Self::Local,
            Some(other) => Self::Hub(other.to_string()),
        }
    }

    /// The value of `model=` for this source.
    pub fn to_param(&self) -> Option<String> {
        match self {
            Self::Default => None,
            Self::Hub(id) => Some(id.clone()),
            Self::Local => Some("local".into()),
        }
    }

    /// What the user sees.
    pub fn label(&self) -> String {
        match self {
            Self::Default => format!("{DEFAULT_ID} (the default)"),
            Self::Hub(id) => id.clone(),
            Self::Local => "files from this computer".into(),
        }
    }

    /// The name exports use for `model = …` and `base_model_name_or_path`.
    pub fn export_name(&self) -> String {
        match self {
            Self::Default => DEFAULT_ID.into(),
            Self::Hub(id) => id.clone(),
            Self::Local => "path/to/your/model".into(),
        }
    }
}

/// What to fetch for a Hub id or URL: a single GGUF, or a folder's base URL.
pub(super) enum Remote {
    Gguf(String),
    Folder(String),
}

pub(super) fn remote(id: &str, hub: &str) -> Remote {
    let id = id.trim();
    let is_url = id.contains("://") || id.starts_with('/') || id.starts_with("./");
    if is_url {
        let url = id.replace("/blob/", "/resolve/");
        if url.ends_with(".gguf") {
            return Remote::Gguf(url);
        }
        return Remote::Folder(format!("{}/", url.trim_end_matches('/')));
    }
    let (repo, revision) = id.split_once('@').unwrap_or((id, "main"));
    Remote::Folder(format!(
        "{}/{}/resolve/{revision}/",
        hub.trim_end_matches('/'),
        repo.trim_matches('/')
    ))
}

pub(super) fn file_name(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}
