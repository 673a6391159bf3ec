//! Right-padded batches of token ids, shared by the evaluations that run whole sequences at once
//! (latent SOO, KL to the base model, perplexity). Right padding is safe for them: attention is
//! causal, so a real token never sees the padding after it, and only real positions are read.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::lora::Lora;
use crate::model::Model;
use crate::{Error, Result};

/// The device a model's weights live on.
pub fn device_of(model: &Model<Lora>) -> Result<Device> {
    model
        .devices()
        .into_iter()
        .next()
        .ok_or_else(|| Error::Device("the model has no tensors".into()))
}

/// `rows` right-padded with `pad` to the longest: `[rows.len(), longest]`, plus each row's
/// length. Fails on an empty batch or an empty row (nothing to run).
pub fn right_padded(
    rows: &[Vec<u32>],
    pad: u32,
    device: &Device,
) -> Result<(Tensor<2, Int>, Vec<usize>)> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if rows.is_empty() || rows.iter().any(Vec::is_empty) {
        return Err(Error::Unsupported("an empty prompt in a batch".into()));
    }
    let mut flat = Vec::with_capacity(rows.len() * width);
    for row in rows {
        flat.extend(row.iter().map(|&t| i64::from(t)));
        flat.extend(std::iter::repeat_n(i64::from(pad), width - row.len()));
    }
    let ids = Tensor::<2, Int>::from_data(TensorData::new(flat, [rows.len(), width]), device);
    Ok((ids, rows.iter().map(Vec::len).collect()))
}
