//! Token sequences as a right-padded batch: what the training losses run on.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::{Error, Result};

/// Sequences padded on the right to a common width.
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// `[batch, width]`.
    pub ids: Tensor<2, Int>,
    /// `[batch, width]`: 1 for tokens, 0 for padding.
    pub mask: Tensor<2, Int>,
    /// Real tokens in each row.
    pub lengths: Vec<usize>,
}

impl TokenBatch {
    /// Pads `rows` with `pad` to the longest row. Empty rows are refused: a loss over no
    /// positions is undefined.
    pub fn new(rows: &[Vec<u32>], pad: u32, device: &Device) -> Result<Self> {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if rows.is_empty() || rows.iter().any(Vec::is_empty) {
            return Err(Error::Unsupported(
                "a training batch with an empty sequence".into(),
            ));
        }
        let mut ids = Vec::with_capacity(rows.len() * width);
        let mut mask = Vec::with_capacity(rows.len() * width);
        for row in rows {
            for t in 0..width {
                ids.push(row.get(t).copied().unwrap_or(pad) as i64);
                mask.push((t < row.len()) as i64);
            }
        }
        let shape = [rows.len(), width];
        Ok(TokenBatch {
            ids: Tensor::from_data(TensorData::new(ids, shape), device),
            mask: Tensor::from_data(TensorData::new(mask, shape), device),
            lengths: rows.iter().map(Vec::len).collect(),
        })
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether there are no rows (never true for a batch made by [`TokenBatch::new`]).
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Real tokens in all rows.
    pub fn tokens(&self) -> usize {
        self.lengths.iter().sum()
    }
}
