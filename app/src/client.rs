//! The page's side of the model's worker (`crate::worker`): starts it, sends it requests and
//! routes what it answers: progress events to the caller's callback, the result to the
//! caller's `await`.
//!
//! The worker runs this same bundle: a small module script (made here, as a Blob) imports the
//! page's wasm-bindgen glue and instantiates the WebAssembly module the page already compiled,
//! which the page posts to it; `main` then finds no `window` and serves requests instead of
//! mounting the page. So the build stays one trunk bundle, and nothing is fetched twice.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::protocol::{self, Event, Files, Reply, Request};

#[wasm_bindgen]
extern "C" {
    /// A dedicated worker, as far as the page uses one.
    #[wasm_bindgen(js_name = Worker)]
    type JsWorker;
    #[wasm_bindgen(constructor, catch, js_class = "Worker")]
    fn new(url: &str, options: &JsValue) -> Result<JsWorker, JsValue>;
    #[wasm_bindgen(method, catch, js_class = "Worker", js_name = postMessage)]
    fn post_message(this: &JsWorker, message: &JsValue, transfer: &Array) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_class = "Worker")]
    fn terminate(this: &JsWorker);
}

/// A request on its way: where its events and its result go.
struct Pending {
    on_event: Option<Box<dyn FnMut(Event)>>,
    resolve: Function,
    reject: Function,
}

struct Client {
    worker: JsWorker,
    /// Resolves once the worker listens.
    ready: Promise,
    next_id: u32,
    pending: HashMap<u32, Pending>,
}

/// What the page does when the worker crashes (see [`on_crash`]).
type CrashListener = std::rc::Rc<dyn Fn(String)>;

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
    /// The device request the page started the worker with: a worker started after a crash is
    /// set up the same way before it serves anything else.
    static INIT: RefCell<Option<Request>> = const { RefCell::new(None) };
    /// Told when the worker crashes (see [`on_crash`]).
    static ON_CRASH: RefCell<Option<CrashListener>> = const { RefCell::new(None) };
}

/// Sets what happens when the worker crashes: `listener` gets the reason in words. A crash
/// loses what the worker held (the model, an adapter); the next request starts a fresh worker
/// on the same device, so the page stays usable once it says "load the model again".
pub fn on_crash(listener: impl Fn(String) + 'static) {
    ON_CRASH.with(|l| *l.borrow_mut() = Some(std::rc::Rc::new(listener)));
}

/// The module script the worker starts with: import the glue, wait for the compiled module.
fn bootstrap(glue: &str) -> String {
    format!(
        "import init from {glue:?};\n\
         self.onmessage = (event) => {{\n\
           self.onmessage = null;\n\
           init({{ module_or_path: event.data.module }})\n\
             .catch((e) => setTimeout(() => {{ throw e; }}));\n\
         }};\n"
    )
}

/// The URL of the page's wasm-bindgen glue, from the `modulepreload` link trunk writes.
fn glue_url() -> Result<String, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link = document
        .query_selector("link[rel=modulepreload]")
        .ok()
        .flatten()
        .ok_or("the page names no module script (link rel=modulepreload)")?;
    protocol::get(&link, "href")
        .as_string()
        .ok_or_else(|| "the module script has no address".into())
}

fn js_text(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| protocol::get(value, "message").as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// Starts the worker, unless it runs already.
pub fn start() -> Result<(), String> {
    if CLIENT.with(|c| c.borrow().is_some()) {
        return Ok(());
    }
    let script = bootstrap(&glue_url()?);
    let blob_class = protocol::get(&js_sys::global(), "Blob")
        .dyn_into::<Function>()
        .map_err(|_| "no Blob")?;
    let options = Object::new();
    protocol::set(&options, "type", &"text/javascript".into());
    let parts = Array::of1(&script.into());
    let blob = js_sys::Reflect::construct(&blob_class, &Array::of2(&parts, &options))
        .map_err(|e| js_text(&e))?;
    let url_class = protocol::get(&js_sys::global(), "URL");
    let url = protocol::get(&url_class, "createObjectURL")
        .dyn_into::<Function>()
        .map_err(|_| "no URL.createObjectURL")?
        .call1(&url_class, &blob)
        .map_err(|e| js_text(&e))?
        .as_string()
        .ok_or("createObjectURL gave no URL")?;
    let options = Object::new();
    protocol::set(&options, "type", &"module".into());
    protocol::set(&options, "name", &"soo model".into());
    let worker = JsWorker::new(&url, &options).map_err(|e| js_text(&e))?;
    let mut ready_resolve = None;
    let ready = Promise::new(&mut |resolve, _| ready_resolve = Some(resolve));
    let ready_resolve = ready_resolve.expect("a Promise runs its executor at once");
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        on_message(&ready_resolve, protocol::get(&event, "data"));
    });
    protocol::set(worker.unchecked_ref(), "onmessage", on_message.as_ref());
    on_message.forget();
    let on_error = Closure::<dyn FnMut(JsValue)>::new(|event: JsValue| {
        fail(format!(
            "the model's worker stopped ({}); a fresh one starts with the next request, \
             without the model: load it again",
            js_text(&protocol::get(&event, "message"))
        ));
    });
    protocol::set(worker.unchecked_ref(), "onerror", on_error.as_ref());
    on_error.forget();
    let hello = Object::new();
    protocol::set(&hello, "module", &wasm_bindgen::module());
    worker
        .post_message(&hello, &Array::new())
        .map_err(|e| js_text(&e))?;
    CLIENT.with(|c| {
        *c.borrow_mut() = Some(Client {
            worker,
            ready,
            next_id: 0,
            pending: HashMap::new(),
        })
    });
    Ok(())
}

/// Routes one message of the worker.
fn on_message(ready: &Function, data: JsValue) {
    if protocol::get(&data, "ready").is_truthy() {
        let _ = ready.call0(&JsValue::NULL);
        return;
    }
    let id = protocol::get(&data, "id").as_f64().unwrap_or(-1.0) as u32;
    let event = protocol::get(&data, "event");
    if !event.is_undefined() {
        // The callback is taken out while it runs: it may well start another request.
        let callback = CLIENT.with(|c| {
            c.borrow_mut()
                .as_mut()
                .and_then(|c| c.pending.get_mut(&id))
                .and_then(|p| p.on_event.take())
        });
        if let Some(mut callback) = callback {
            match protocol::from_js::<Event>(event) {
                Ok(event) => callback(event),
                Err(e) => leptos::logging::error!("{e}"),
            }
            CLIENT.with(|c| {
                if let Some(p) = c.borrow_mut().as_mut().and_then(|c| c.pending.get_mut(&id)) {
                    p.on_event = Some(callback);
                }
            });
        }
        return;
    }
    let pending = CLIENT.with(|c| c.borrow_mut().as_mut().and_then(|c| c.pending.remove(&id)));
    if let Some(pending) = pending {
        let _ = pending.resolve.call1(&JsValue::NULL, &data);
    }
}

/// The worker is gone (an uncaught error or a trap in it): every request on its way fails with
/// `why`, and the worker is ended and forgotten, so that the next request starts a fresh one.
fn fail(why: String) {
    let Some(mut client) = CLIENT.with(|c| c.borrow_mut().take()) else {
        return;
    };
    client.worker.terminate();
    for (_, p) in client.pending.drain() {
        let _ = p.reject.call1(&JsValue::NULL, &why.clone().into());
    }
    if let Some(listener) = ON_CRASH.with(|l| l.borrow().clone()) {
        listener(why);
    }
}

/// Sends `request` with `files` (transferred: the caller's copies are gone) and waits for its
/// result; `on_event` gets its progress events as they come.
pub async fn call(
    request: Request,
    files: Files,
    on_event: impl FnMut(Event) + 'static,
) -> Result<(Reply, Files), String> {
    call_boxed(request, files, Box::new(on_event)).await
}

/// [`call`] without its type parameter, so that it can call itself (boxed) to set up a fresh
/// worker's device first.
async fn call_boxed(
    request: Request,
    files: Files,
    on_event: Box<dyn FnMut(Event)>,
) -> Result<(Reply, Files), String> {
    if let Request::Init { .. } = &request {
        INIT.with(|i| *i.borrow_mut() = Some(request.clone()));
    } else if CLIENT.with(|c| c.borrow().is_none())
        && let Some(init) = INIT.with(|i| i.borrow().clone())
    {
        // A fresh worker after a crash: set its device up as the first one was.
        Box::pin(call_boxed(init, Files::new(), Box::new(|_| {}))).await?;
    }
    start()?;
    let ready = CLIENT.with(|c| c.borrow().as_ref().map(|c| c.ready.clone()));
    if let Some(ready) = ready {
        JsFuture::from(ready).await.map_err(|e| js_text(&e))?;
    }
    let message = Object::new();
    protocol::set(&message, "request", &protocol::to_js(&request)?);
    let (files, transfer) = protocol::files_to_js(files);
    protocol::set(&message, "files", &files);
    let mut on_event = Some(on_event);
    let mut sent: Result<(), String> = Ok(());
    let answer = Promise::new(&mut |resolve, reject| {
        sent = CLIENT.with(|c| {
            let mut c = c.borrow_mut();
            let c = c.as_mut().ok_or("the model's worker is not running")?;
            let id = c.next_id;
            c.next_id += 1;
            protocol::set(&message, "id", &id.into());
            c.worker
                .post_message(&message, &transfer)
                .map_err(|e| js_text(&e))?;
            c.pending.insert(
                id,
                Pending {
                    on_event: on_event.take(),
                    resolve,
                    reject,
                },
            );
            Ok(())
        });
    });
    sent?;
    let data = JsFuture::from(answer).await.map_err(|e| js_text(&e))?;
    let done: Result<Reply, String> = protocol::from_js(protocol::get(&data, "done"))?;
    Ok((done?, protocol::files_from_js(&data)))
}

/// Asks the running training (if any) to stop before its next step.
pub fn stop() {
    let message = Object::new();
    protocol::set(&message, "id", &(-1).into());
    if let Ok(request) = protocol::to_js(&Request::Stop) {
        protocol::set(&message, "request", &request);
    }
    CLIENT.with(|c| {
        if let Some(c) = c.borrow().as_ref() {
            let _ = c.worker.post_message(&message, &Array::new());
        }
    });
}

/// A reply of an unexpected kind, in words (a bug if it ever shows).
pub fn unexpected(reply: Reply) -> String {
    format!("the model's worker answered something unexpected: {reply:?}")
}
