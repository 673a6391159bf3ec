//! What the story's steps share: the device, the loaded model (in a thread-local cell, because
//! burn's models are not signals) and the signals that show where things stand.
//!
//! One operation runs at a time: an operation [`take`]s the model out of the cell and puts it
//! back when done, so a second one finds the model busy and says so instead of interleaving.

use std::cell::RefCell;

use leptos::prelude::*;
use soo_core::device::{BackendKind, SelectedDevice};
use soo_core::loaded::LoadedModel;
use soo_core::text::Tokenizer;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A loaded model and what the page knows about it.
pub struct Session {
    /// The model, its tokenizer and chat template.
    pub loaded: LoadedModel,
    /// What it is called in exports (`base_model_name_or_path`, `model = …`).
    pub name: String,
}

thread_local! {
    static DEVICE: RefCell<Option<SelectedDevice>> = const { RefCell::new(None) };
    static MODEL: RefCell<Option<Session>> = const { RefCell::new(None) };
    static TOKENIZER: RefCell<Option<Tokenizer>> = const { RefCell::new(None) };
}

/// The loaded model's tokenizer, kept apart so that it is there while an operation runs.
pub fn tokenizer() -> Option<Tokenizer> {
    TOKENIZER.with(|t| t.borrow().clone())
}

/// Remembers the device every operation runs on.
pub fn set_device(selected: SelectedDevice) {
    DEVICE.with(|d| *d.borrow_mut() = Some(selected));
}

/// The chosen device, once chosen.
pub fn device() -> Option<SelectedDevice> {
    DEVICE.with(|d| d.borrow().clone())
}

/// Puts a (new) model in place.
pub fn put(session: Session) {
    let tokenizer = session.loaded.tokenizer.clone();
    TOKENIZER.with(|t| *t.borrow_mut() = Some(tokenizer));
    MODEL.with(|m| *m.borrow_mut() = Some(session));
}

/// Takes the model for one operation, or says why there is none.
pub fn take() -> Result<Session, String> {
    MODEL.with(|m| m.borrow_mut().take()).ok_or_else(|| {
        "no model is ready: load one first (or wait for the running operation)".into()
    })
}

/// Milliseconds since the page opened.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Lets the browser render and handle input before going on.
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// What the model panel shows about the model.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    /// Nothing loaded yet.
    None,
    /// Downloading or reading: one row per file.
    Loading(Vec<FileProgress>),
    /// Ready.
    Ready(ModelInfo),
    /// Loading failed.
    Failed(String),
}

/// One file's download.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileProgress {
    /// The file name.
    pub name: String,
    /// Bytes so far.
    pub done: u64,
    /// Its size, when the server said.
    pub total: Option<u64>,
    /// Finished.
    pub finished: bool,
}

/// The loaded model, for the page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelInfo {
    /// Its name.
    pub name: String,
    /// Architecture family.
    pub family: String,
    /// Decoder layers.
    pub layers: usize,
    /// Hidden width.
    pub hidden: usize,
    /// The weights' file.
    pub weights_file: String,
    /// Bytes fetched or read.
    pub bytes: u64,
    /// Files fetched or read.
    pub files: usize,
    /// Fetching and building, milliseconds.
    pub load_ms: f64,
    /// Backend it runs on.
    pub backend: BackendKind,
    /// Has a chat template (the deception test needs one).
    pub chat: bool,
}

/// The signals every step reads; `Copy`, handed round by context.
#[derive(Clone, Copy)]
pub struct Lab {
    /// The device, once chosen: backend and why.
    pub device: RwSignal<Option<(BackendKind, String)>>,
    /// The model's state.
    pub model: RwSignal<ModelState>,
    /// Bumped whenever the model or its adapter changes (steps clear stale results).
    pub generation: RwSignal<u64>,
    /// The operation running now, in words, if any.
    pub busy: RwSignal<Option<String>>,
    /// A LoRA adapter has been trained on the loaded model.
    pub trained: RwSignal<bool>,
    /// The WebGPU adapter's `maxStorageBufferBindingSize`, once known.
    pub max_binding: RwSignal<Option<f64>>,
    /// Why a download could not be kept in the browser's storage, if it could not.
    pub storage: RwSignal<Option<String>>,
}

impl Lab {
    /// Fresh signals.
    pub fn new() -> Self {
        Self {
            device: RwSignal::new(None),
            model: RwSignal::new(ModelState::None),
            generation: RwSignal::new(0),
            busy: RwSignal::new(None),
            trained: RwSignal::new(false),
            max_binding: RwSignal::new(None),
            storage: RwSignal::new(None),
        }
    }

    /// Whether the page runs on the CPU backend (slower: smaller defaults).
    pub fn on_cpu(&self) -> bool {
        self.device
            .get()
            .is_some_and(|(kind, _)| kind == BackendKind::Flex)
    }

    /// The loaded model's facts, if one is ready.
    pub fn info(&self) -> Option<ModelInfo> {
        match self.model.get() {
            ModelState::Ready(info) => Some(info),
            _ => None,
        }
    }

    /// Runs `operation` with the model taken out of its cell, marking the page busy; the model
    /// goes back afterwards whatever happens. Errors come back as text for the page.
    pub async fn run<T>(
        &self,
        what: &str,
        operation: impl AsyncFnOnce(&mut Session, &SelectedDevice) -> Result<T, String>,
    ) -> Result<T, String> {
        let selected = device().ok_or("the compute device is not ready yet")?;
        if let Some(running) = self.busy.get_untracked() {
            return Err(format!("wait: {running} is still running"));
        }
        let mut session = take()?;
        self.busy.set(Some(what.to_string()));
        // Let the click that started this finish and the page show that it is busy: the
        // model's work itself does not yield until it is done.
        yield_to_browser().await;
        let result = operation(&mut session, &selected).await;
        put(session);
        self.busy.set(None);
        result
    }
}

/// The lab of the page.
pub fn lab() -> Lab {
    expect_context::<Lab>()
}
