//! Loading model weights. Split by source (Hugging Face safetensors folders, GGUF files); every
//! source hands the models the same thing: host tensors by their Hugging Face name. The core
//! takes bytes, never paths or URLs, so that the browser can feed it what it fetched.

pub mod dequant;
#[cfg(not(target_arch = "wasm32"))]
mod disk;
pub mod gguf;
pub mod gguf_source;
pub mod hf;
#[cfg(not(target_arch = "wasm32"))]
pub mod hub;
pub mod model_files;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod safetensors;

/// A tensor on the host, in f32, with its shape in PyTorch order (`[out, in]` for a linear
/// layer's weight, as Hugging Face stores it).
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Row-major values; `data.len()` is the product of `shape`.
    pub data: Vec<f32>,
}

/// `[rows, cols]` row-major → `[cols, rows]` row-major: between PyTorch's `[out, in]` weights
/// and burn's `[in, out]`.
pub fn transpose(data: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = data[r * cols + c];
        }
    }
    out
}

/// Weights by their Hugging Face name (`model.layers.0.self_attn.q_proj.weight`).
pub trait WeightSource {
    /// The tensor called `name`, or `Ok(None)` when the source has none by that name.
    fn tensor(&self, name: &str) -> crate::Result<Option<HostTensor>>;
}

/// Tensors held in memory, by name (a model made on the spot, a test).
impl WeightSource for std::collections::HashMap<String, HostTensor> {
    fn tensor(&self, name: &str) -> crate::Result<Option<HostTensor>> {
        Ok(self.get(name).cloned())
    }
}
