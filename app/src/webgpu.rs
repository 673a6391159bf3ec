//! What the browser says about WebGPU: whether it exists, the adapter's name, the limits that
//! decide which models fit, and `shader-f16`. Read through `js_sys::Reflect` so that the build
//! needs no unstable web-sys flags.

use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The WebGPU adapter as the page found it.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct WebGpuReport {
    /// `vendor architecture description`, whatever the browser filled in.
    pub name: String,
    /// A software adapter (SwiftShader): correct but slow.
    pub is_fallback: bool,
    /// `maxStorageBufferBindingSize` in bytes: the largest weight matrix one kernel can bind.
    pub max_storage_buffer_binding_size: f64,
    /// `maxBufferSize` in bytes.
    pub max_buffer_size: f64,
    /// Half-precision shaders are available.
    pub shader_f16: bool,
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_string(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

/// Asks the browser for a WebGPU adapter. `Err` says, in words, why there is none.
pub async fn detect_webgpu() -> Result<WebGpuReport, String> {
    let navigator: JsValue = web_sys::window().ok_or("no window")?.navigator().into();
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let request = get(&gpu, "requestAdapter")
        .dyn_into::<js_sys::Function>()
        .map_err(|_| "navigator.gpu.requestAdapter is not a function")?;
    let promise: Promise = request
        .call0(&gpu)
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?
        .into();
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(
            "WebGPU is present but offered no adapter (requestAdapter returned null)".into(),
        );
    }
    let info = get(&adapter, "info");
    let name = ["vendor", "architecture", "description"]
        .iter()
        .map(|key| get_string(&info, key))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let limits = get(&adapter, "limits");
    let features = get(&adapter, "features");
    let shader_f16 = get(&features, "has")
        .dyn_into::<js_sys::Function>()
        .ok()
        .and_then(|has| has.call1(&features, &JsValue::from_str("shader-f16")).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    // Newer browsers put the flag on `info`, older ones on the adapter itself.
    let is_fallback = get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(&adapter, "isFallbackAdapter").as_bool())
        .unwrap_or(false);
    Ok(WebGpuReport {
        name: if name.is_empty() {
            "unnamed adapter".into()
        } else {
            name
        },
        is_fallback,
        max_storage_buffer_binding_size: get(&limits, "maxStorageBufferBindingSize")
            .as_f64()
            .unwrap_or(0.0),
        max_buffer_size: get(&limits, "maxBufferSize").as_f64().unwrap_or(0.0),
        shader_f16,
    })
}
