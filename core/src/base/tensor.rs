//! Tensor helpers that every layer above uses.

use burn::tensor::Tensor;

use super::error::{Error, Result};

/// Reads a tensor back to the host. Always asynchronous: a browser cannot block on the GPU.
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    let data = tensor
        .into_data_async()
        .await
        .map_err(|e| Error::Readback(format!("{e:?}")))?;
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| Error::Readback(format!("{e:?}")))
}

/// Checks values read back from a model's logits (or log-probabilities) before anything
/// compares them: a NaN loses every comparison, so `target >= alternative` would quietly make
/// a broken model's answer "honest". `what` says whose values they are, for the message.
pub fn check_finite(values: &[f32], what: &str) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::Format {
            file: "logits".into(),
            problem: format!(
                "{what}: value #{i} is {} (not finite), so the model has no answer: its weights \
                 or its adapter are broken (a diverged training run?)",
                values[i]
            ),
        }),
        None => Ok(()),
    }
}
