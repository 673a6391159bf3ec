//! Rotary position embedding in Hugging Face's layout: the head dimension is split in halves
//! (`rotate_half`), not interleaved pairs, and frequencies follow `rope_theta` with optional
//! `linear` or `llama3` scaling. Tables are computed on the host, like transformers does in f32,
//! and uploaded per forward pass: a few KB, and no device-specific trigonometry.

use burn::tensor::{Device, Tensor, TensorData};
use serde::Deserialize;

use crate::{Error, Result};

/// `rope_scaling` (older config.json) or `rope_parameters` (transformers 5): which frequency
/// rule to use and its numbers. Unknown fields are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RopeConfig {
    /// `default`, `linear` or `llama3` (transformers 5 and most checkpoints).
    #[serde(default)]
    pub rope_type: Option<String>,
    /// The same, as older checkpoints spell it.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Base of the frequencies (transformers 5 puts it here, not at the top level).
    #[serde(default)]
    pub rope_theta: Option<f64>,
    /// Context stretch factor (`linear`, `llama3`).
    #[serde(default)]
    pub factor: Option<f64>,
    /// `llama3`: wavelengths above `original / low_freq_factor` are fully scaled.
    #[serde(default)]
    pub low_freq_factor: Option<f64>,
    /// `llama3`: wavelengths below `original / high_freq_factor` are kept.
    #[serde(default)]
    pub high_freq_factor: Option<f64>,
    /// `llama3`: the context length the model was pre-trained on.
    #[serde(default)]
    pub original_max_position_embeddings: Option<f64>,
}

/// Inverse frequencies for one head: `head_dim / 2` of them.
#[derive(Debug, Clone)]
pub(crate) struct Rope {
    inv_freq: Vec<f32>,
}

fn need(value: Option<f64>, field: &str, kind: &str) -> Result<f64> {
    value.ok_or_else(|| Error::Format {
        file: "config.json".into(),
        problem: format!("rope type '{kind}' needs '{field}'"),
    })
}

impl Rope {
    /// From the top-level `rope_theta` (if any) and the scaling block (either name).
    pub(crate) fn new(
        head_dim: usize,
        rope_theta: Option<f64>,
        scaling: Option<&RopeConfig>,
    ) -> Result<Self> {
        let default = RopeConfig::default();
        let scaling = scaling.unwrap_or(&default);
        let theta = scaling.rope_theta.or(rope_theta).unwrap_or(10000.0);
        let half = head_dim / 2;
        let base: Vec<f64> = (0..half)
            .map(|i| 1.0 / theta.powf((2 * i) as f64 / head_dim as f64))
            .collect();
        let kind = scaling
            .rope_type
            .as_deref()
            .or(scaling.kind.as_deref())
            .unwrap_or("default");
        let inv_freq: Vec<f64> = match kind {
            "default" => base,
            "linear" => {
                let factor = need(scaling.factor, "factor", kind)?;
                base.iter().map(|f| f / factor).collect()
            }
            "llama3" => {
                let factor = need(scaling.factor, "factor", kind)?;
                let low = need(scaling.low_freq_factor, "low_freq_factor", kind)?;
                let high = need(scaling.high_freq_factor, "high_freq_factor", kind)?;
                let original = need(
                    scaling.original_max_position_embeddings,
                    "original_max_position_embeddings",
                    kind,
                )?;
                base.iter()
                    .map(|&f| llama3(f, factor, low, high, original))
                    .collect()
            }
            other => {
                return Err(Error::Unsupported(format!(
                    "rope type '{other}' (soo knows default, linear and llama3)"
                )));
            }
        };
        Ok(Rope {
            inv_freq: inv_freq.into_iter().map(|f| f as f32).collect(),
        })
    }

    /// cos and sin for positions `start..start + len`, each `[1, 1, len, head_dim]` with the
    /// half-table repeated (`cat(freqs, freqs)`), ready to broadcast over batch and heads.
    pub(crate) fn tables(
        &self,
        start: usize,
        len: usize,
        device: &Device,
    ) -> (Tensor<4>, Tensor<4>) {
        let half = self.inv_freq.len();
        let mut cos = Vec::with_capacity(len * half * 2);
        let mut sin = Vec::with_capacity(len * half * 2);
        for pos in start..start + len {
            for _ in 0..2 {
                for &f in &self.inv_freq {
                    // The angle is rounded to f32 first, as transformers computes it in f32.
                    let angle = (pos as f32 * f) as f64;
                    cos.push(angle.cos() as f32);
                    sin.push(angle.sin() as f32);
                }
            }
        }
        let shape = [1, 1, len, half * 2];
        (
            Tensor::from_data(TensorData::new(cos, shape), device),
            Tensor::from_data(TensorData::new(sin, shape), device),
        )
    }
}

/// Llama 3's rule: keep high frequencies, divide low ones by `factor`, blend in between.
fn llama3(freq: f64, factor: f64, low: f64, high: f64, original: f64) -> f64 {
    let wavelen = 2.0 * std::f64::consts::PI / freq;
    if wavelen < original / high {
        freq
    } else if wavelen > original / low {
        freq / factor
    } else {
        let smooth = (original / wavelen - low) / (high - low);
        (1.0 - smooth) * freq / factor + smooth * freq
    }
}

/// x: `[batch, heads, seq, head_dim]`; cos, sin: `[1, 1, seq, head_dim]` → same shape as x.
pub(crate) fn apply(x: Tensor<4>, cos: &Tensor<4>, sin: &Tensor<4>) -> Tensor<4> {
    let [b, h, s, d] = x.dims();
    let first = x.clone().slice([0..b, 0..h, 0..s, 0..d / 2]);
    let second = x.clone().slice([0..b, 0..h, 0..s, d / 2..d]);
    let rotated = Tensor::cat(vec![second.neg(), first], 3);
    x * cos.clone() + rotated * sin.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama3_keeps_high_and_scales_low_frequencies() {
        let scaling = RopeConfig {
            rope_type: Some("llama3".into()),
            factor: Some(8.0),
            low_freq_factor: Some(1.0),
            high_freq_factor: Some(4.0),
            original_max_position_embeddings: Some(64.0),
            ..RopeConfig::default()
        };
        let plain = Rope::new(16, Some(1e4), None).unwrap().inv_freq;
        let scaled = Rope::new(16, Some(1e4), Some(&scaling)).unwrap().inv_freq;
        assert_eq!(scaled[0], plain[0]);
        assert!((scaled[7] - plain[7] / 8.0).abs() < 1e-12);
        assert!(scaled[1] < plain[1] && scaled[1] > plain[1] / 8.0);
    }

    #[test]
    fn unknown_type_is_unsupported() {
        let scaling = RopeConfig {
            rope_type: Some("yarn".into()),
            ..RopeConfig::default()
        };
        let err = Rope::new(8, None, Some(&scaling)).unwrap_err().to_string();
        assert!(err.contains("yarn"), "{err}");
    }
}
