//! Time and turn-taking that work on the page and in the model's worker alike: both are bound
//! to the global object (`performance`, `setTimeout`), never to `window`, which a worker lacks.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: i32) -> JsValue;
}

/// Milliseconds since the page (or the worker) started.
pub fn now_ms() -> f64 {
    performance_now()
}

/// Hands control back to the event loop for one turn: the page renders and handles input, the
/// worker receives its messages (a Stop among them).
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, 0);
    });
    let _ = JsFuture::from(promise).await;
}
