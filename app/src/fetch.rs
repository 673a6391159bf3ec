//! Fetching files into memory, with progress, and handing files back to the user. The core takes
//! bytes, never URLs, so this is the app's half of loading a model. Everything goes through
//! `js_sys::Reflect` rather than more web-sys features: a new web-sys feature would rebuild the
//! whole GPU stack that depends on web-sys.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn method(target: &JsValue, name: &str) -> Result<Function, String> {
    get(target, name)
        .dyn_into::<Function>()
        .map_err(|_| format!("{name} is not a function"))
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| get(&e, "message").as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The body of `url`, or why not (HTTP status or network error) in words.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let started = start_fetch(url)?;
    started
        .read(&mut |_, _| {})
        .await?
        .ok_or_else(|| format!("{url}: HTTP 404 Not Found"))
}

/// A request on its way: `fetch` has been called, nothing read yet. Starting several before
/// reading any lets the browser download them side by side and tells every size early.
pub struct Started {
    url: String,
    promise: Promise,
}

/// Calls `fetch(url)` now.
pub fn start_fetch(url: &str) -> Result<Started, String> {
    let window = web_sys::window().ok_or("no window")?;
    Ok(Started {
        url: url.to_string(),
        promise: window.fetch_with_str(url),
    })
}

impl Started {
    /// Waits for the headers: `None` on 404, else the response and its length if the server
    /// gave one.
    pub async fn response(&self) -> Result<Option<(Response, Option<u64>)>, String> {
        let url = &self.url;
        let response: Response = JsFuture::from(self.promise.clone())
            .await
            .map_err(|e| format!("{url}: network error: {}", js_error(e)))?
            .dyn_into()
            .map_err(|_| format!("{url}: fetch did not return a Response"))?;
        if response.status() == 404 {
            return Ok(None);
        }
        if !response.ok() {
            return Err(format!(
                "{url}: HTTP {} {}",
                response.status(),
                response.status_text()
            ));
        }
        let headers = get(&response, "headers");
        let length = method(&headers, "get")
            .ok()
            .and_then(|get| get.call1(&headers, &"content-length".into()).ok())
            .and_then(|v| v.as_string())
            .and_then(|v| v.parse().ok());
        Ok(Some((response, length)))
    }

    /// Reads the whole body, telling `on_progress(bytes so far, total if known)` after every
    /// chunk. `None` on 404.
    pub async fn read(
        self,
        on_progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<Option<Vec<u8>>, String> {
        let Some((response, length)) = self.response().await? else {
            return Ok(None);
        };
        read_body(&self.url, &response, length, on_progress)
            .await
            .map(Some)
    }
}

/// Reads `response`'s body chunk by chunk through its stream reader.
pub async fn read_body(
    url: &str,
    response: &Response,
    length: Option<u64>,
    on_progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, String> {
    let body = get(response, "body");
    let mut bytes = Vec::with_capacity(length.unwrap_or(0) as usize);
    if body.is_null() || body.is_undefined() {
        on_progress(0, length);
        return Ok(bytes);
    }
    let reader = method(&body, "getReader")?
        .call0(&body)
        .map_err(|e| format!("{url}: {}", js_error(e)))?;
    let read = method(&reader, "read")?;
    on_progress(0, length);
    loop {
        let promise: Promise = read
            .call0(&reader)
            .map_err(|e| format!("{url}: {}", js_error(e)))?
            .into();
        let chunk = JsFuture::from(promise)
            .await
            .map_err(|e| format!("{url}: reading the body failed: {}", js_error(e)))?;
        if get(&chunk, "done").as_bool().unwrap_or(true) {
            break;
        }
        let value: Uint8Array = get(&chunk, "value").unchecked_into();
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        on_progress(bytes.len() as u64, length);
    }
    Ok(bytes)
}

/// A file the user picked or dropped: its name, size and a handle to read it.
#[derive(Clone)]
pub struct LocalFile {
    /// The file name, without folders.
    pub name: String,
    /// Bytes.
    pub size: u64,
    handle: JsValue,
}

impl LocalFile {
    /// Reads the whole file.
    pub async fn bytes(&self) -> Result<Vec<u8>, String> {
        let promise: Promise = method(&self.handle, "arrayBuffer")?
            .call0(&self.handle)
            .map_err(|e| format!("{}: {}", self.name, js_error(e)))?
            .into();
        let buffer = JsFuture::from(promise)
            .await
            .map_err(|e| format!("{}: could not be read: {}", self.name, js_error(e)))?;
        Ok(Uint8Array::new(&buffer).to_vec())
    }
}

/// The files of a `FileList` (an `<input type=file>`'s `files`, or a drop's
/// `dataTransfer.files`).
pub fn file_list(list: &JsValue) -> Vec<LocalFile> {
    let length = get(list, "length").as_f64().unwrap_or(0.0) as u32;
    (0..length)
        .filter_map(|i| Reflect::get_u32(list, i).ok())
        .map(|handle| LocalFile {
            name: get(&handle, "name").as_string().unwrap_or_default(),
            size: get(&handle, "size").as_f64().unwrap_or(0.0) as u64,
            handle,
        })
        .collect()
}

/// The files of an input's change event or a drop event.
pub fn files_of_event(event: &JsValue) -> Vec<LocalFile> {
    let transfer = get(event, "dataTransfer");
    if !transfer.is_undefined() && !transfer.is_null() {
        return file_list(&get(&transfer, "files"));
    }
    file_list(&get(&get(event, "target"), "files"))
}

/// Offers `bytes` to the user as a download named `name`.
pub fn save_file(name: &str, bytes: &[u8], mime: &str) -> Result<(), String> {
    let global = js_sys::global();
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let options = js_sys::Object::new();
    Reflect::set(&options, &"type".into(), &mime.into()).map_err(js_error)?;
    let blob_class = method(&global, "Blob")?;
    let blob =
        Reflect::construct(&blob_class, &js_sys::Array::of2(&parts, &options)).map_err(js_error)?;
    let url_class = get(&global, "URL");
    let href = method(&url_class, "createObjectURL")?
        .call1(&url_class, &blob)
        .map_err(js_error)?
        .as_string()
        .ok_or("createObjectURL gave no URL")?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link = document.create_element("a").map_err(js_error)?;
    link.set_attribute("href", &href).map_err(js_error)?;
    link.set_attribute("download", name).map_err(js_error)?;
    link.dyn_ref::<web_sys::HtmlElement>()
        .ok_or("not an HTML element")?
        .click();
    // Revoke later: the download has to start first.
    let revoke = method(&url_class, "revokeObjectURL")?;
    let closure = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = revoke.call1(&url_class, &href.into());
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(closure.unchecked_ref(), 10_000);
    }
    Ok(())
}

/// The Cache Storage bucket that keeps downloaded model files between visits.
const CACHE: &str = "soo-models-v1";
/// The header that records a stored file's size (a constructed Response has no length).
const SIZE_HEADER: &str = "x-soo-size";

async fn open_cache() -> Option<JsValue> {
    let caches = get(&js_sys::global(), "caches");
    if caches.is_undefined() || caches.is_null() {
        return None;
    }
    let promise: Promise = method(&caches, "open")
        .ok()?
        .call1(&caches, &CACHE.into())
        .ok()?
        .into();
    JsFuture::from(promise).await.ok()
}

/// `url`'s response from the browser's storage, if it was stored, with its length.
pub async fn cached(url: &str) -> Option<(Response, Option<u64>)> {
    let cache = open_cache().await?;
    let promise: Promise = method(&cache, "match")
        .ok()?
        .call1(&cache, &url.into())
        .ok()?
        .into();
    let response: Response = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    let headers = get(&response, "headers");
    let length = method(&headers, "get")
        .ok()
        .and_then(|get| get.call1(&headers, &SIZE_HEADER.into()).ok())
        .and_then(|v| v.as_string())
        .and_then(|v| v.parse().ok());
    Some((response, length))
}

/// Keeps `bytes` as `url` in the browser's storage. `Err` says why not in words (most often:
/// the storage quota is used up).
pub async fn store(url: &str, bytes: &[u8]) -> Result<(), String> {
    let cache = open_cache()
        .await
        .ok_or("this browser offers no Cache Storage here")?;
    let headers = js_sys::Object::new();
    Reflect::set(
        &headers,
        &SIZE_HEADER.into(),
        &bytes.len().to_string().into(),
    )
    .map_err(js_error)?;
    Reflect::set(
        &headers,
        &"content-type".into(),
        &"application/octet-stream".into(),
    )
    .map_err(js_error)?;
    let init = js_sys::Object::new();
    Reflect::set(&init, &"headers".into(), &headers).map_err(js_error)?;
    let response_class = method(&js_sys::global(), "Response")?;
    let response = Reflect::construct(
        &response_class,
        &js_sys::Array::of2(&Uint8Array::from(bytes), &init),
    )
    .map_err(js_error)?;
    let promise: Promise = method(&cache, "put")?
        .call2(&cache, &url.into(), &response)
        .map_err(js_error)?
        .into();
    JsFuture::from(promise).await.map(|_| ()).map_err(|e| {
        let name = get(&e, "name").as_string().unwrap_or_default();
        if name == "QuotaExceededError" {
            "the browser's storage quota is used up".to_string()
        } else {
            js_error(e)
        }
    })
}

/// What the browser's storage holds: (URL, bytes) per file.
pub async fn stored_files() -> Vec<(String, u64)> {
    let Some(cache) = open_cache().await else {
        return Vec::new();
    };
    let Some(promise) = method(&cache, "keys")
        .ok()
        .and_then(|keys| keys.call0(&cache).ok())
    else {
        return Vec::new();
    };
    let Ok(requests) = JsFuture::from(Promise::from(promise)).await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for request in js_sys::Array::from(&requests).iter() {
        let url = get(&request, "url").as_string().unwrap_or_default();
        let size = cached(&url).await.and_then(|(_, n)| n).unwrap_or(0);
        out.push((url, size));
    }
    out
}

/// Deletes everything soo stored.
pub async fn clear_stored() -> Result<(), String> {
    let caches = get(&js_sys::global(), "caches");
    if caches.is_undefined() {
        return Ok(());
    }
    let promise: Promise = method(&caches, "delete")?
        .call1(&caches, &CACHE.into())
        .map_err(js_error)?
        .into();
    JsFuture::from(promise).await.map(|_| ()).map_err(js_error)
}

/// The origin's storage use and quota in bytes, as the browser estimates them.
pub async fn storage_estimate() -> Option<(f64, f64)> {
    let navigator: JsValue = web_sys::window()?.navigator().into();
    let storage = get(&navigator, "storage");
    let promise: Promise = method(&storage, "estimate")
        .ok()?
        .call0(&storage)
        .ok()?
        .into();
    let estimate = JsFuture::from(promise).await.ok()?;
    Some((
        get(&estimate, "usage").as_f64()?,
        get(&estimate, "quota").as_f64()?,
    ))
}
