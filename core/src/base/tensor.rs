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
