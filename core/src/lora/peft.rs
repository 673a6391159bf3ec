//! Python peft's adapter folder: `adapter_config.json` + `adapter_model.safetensors`, with keys
//! like `base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight` (`[r, d_in]`) and
//! `...lora_B.weight` (`[d_out, r]`). What soo trains loads with `PeftModel.from_pretrained`,
//! and adapters trained with peft load here.
//!
//! Works on bytes, so the browser can export and import the same files.

use std::collections::HashMap;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::{Lora, LoraConfig, LoraLinear, branch_id, site_of};
use crate::base::tensor::read_f32;
use crate::load::safetensors::{SafetensorsSource, StoreAs, write};
use crate::load::{HostTensor, WeightSource, transpose};
use crate::model::{ModelShape, Site};
use crate::{Error, Result};

/// The adapter's config file name.
pub const CONFIG_FILE: &str = "adapter_config.json";
/// The adapter's weights file name.
pub const WEIGHTS_FILE: &str = "adapter_model.safetensors";

/// The two files of an adapter folder, as bytes.
#[derive(Debug, Clone)]
pub struct PeftFiles {
    /// `adapter_config.json`.
    pub config: Vec<u8>,
    /// `adapter_model.safetensors`.
    pub weights: Vec<u8>,
}

/// The fields of `adapter_config.json` that soo writes and reads. peft ignores nothing it
/// needs here; unknown fields in files written by peft are accepted and ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct AdapterConfig {
    pub(super) peft_type: String,
    #[serde(default)]
    pub(super) task_type: Option<String>,
    pub(super) r: usize,
    pub(super) lora_alpha: f64,
    #[serde(default)]
    pub(super) lora_dropout: f64,
    #[serde(default)]
    pub(super) target_modules: serde_json::Value,
    #[serde(default)]
    pub(super) layers_to_transform: Option<serde_json::Value>,
    #[serde(default)]
    pub(super) base_model_name_or_path: Option<String>,
    #[serde(default)]
    pub(super) bias: Option<String>,
    #[serde(default)]
    pub(super) fan_in_fan_out: bool,
    #[serde(default)]
    pub(super) use_rslora: bool,
    #[serde(default)]
    pub(super) use_dora: bool,
    #[serde(default)]
    pub(super) inference_mode: bool,
    #[serde(default)]
    pub(super) rank_pattern: HashMap<String, serde_json::Value>,
    #[serde(default)]
    pub(super) alpha_pattern: HashMap<String, serde_json::Value>,
}

/// The safetensors key of one of a branch's matrices (`"A"` or `"B"`).
pub(super) fn key(layer: usize, site: Site, matrix: &str) -> String {
    format!(
        "base_model.model.model.layers.{layer}.{}.lora_{matrix}.weight",
        site.name()
    )
}

/// Writes `lora` as peft's two files. `base_model` goes into `base_model_name_or_path`.
pub async fn export(lora: &Lora, base_model: Option<&str>) -> Result<PeftFiles> {
    let config = lora.config();
    let mut tensors = Vec::new();
    for (layer, site, branch) in lora.branches() {
        let (d_in, d_out) = branch.dims();
        let rank = lora.rank();
        let a = read_f32(branch.a()).await?; // [d_in, r]
        let b = read_f32(branch.b()).await?; // [r, d_out]
        tensors.push((
            key(layer, site, "A"),
            HostTensor {
                shape: vec![rank, d_in],
                data: transpose(&a, d_in, rank),
            },
        ));
        tensors.push((
            key(layer, site, "B"),
            HostTensor {
                shape: vec![d_out, rank],
                data: transpose(&b, rank, d_out),
            },
        ));
    }
    let adapter_config = AdapterConfig {
        peft_type: "LORA".into(),
        task_type: Some("CAUSAL_LM".into()),
        r: config.rank,
        lora_alpha: config.alpha,
        lora_dropout: config.dropout,
        target_modules: serde_json::json!(config.targets),
        layers_to_transform: (!config.layers.is_empty()).then(|| serde_json::json!(config.layers)),
        base_model_name_or_path: base_model.map(str::to_string),
        bias: Some("none".into()),
        fan_in_fan_out: false,
        use_rslora: false,
        use_dora: false,
        inference_mode: true,
        rank_pattern: HashMap::new(),
        alpha_pattern: HashMap::new(),
    };
    Ok(PeftFiles {
        config: config_bytes(&adapter_config)?,
        weights: write(&tensors, StoreAs::F32, &[("format", "pt")])?,
    })
}

/// The same adapter with its weights stored as `store_as` (e.g. bfloat16, half the size, for
/// an adapter committed or served); the config is kept. `folder` names the adapter in errors.
pub fn reencode(files: &PeftFiles, folder: &str, store_as: StoreAs) -> Result<PeftFiles> {
    let weights_name = format!("{folder}/{WEIGHTS_FILE}");
    let weights = SafetensorsSource::single(&weights_name, files.weights.clone())?;
    let tensors = weights
        .names()
        .into_iter()
        .map(|name| {
            let tensor = weights.tensor(name)?.expect("a name the file lists");
            Ok((name.to_string(), tensor))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PeftFiles {
        config: files.config.clone(),
        weights: write(&tensors, store_as, &[("format", "pt")])?,
    })
}

/// Reads a peft LoRA adapter for a model of `shape`. `folder` names the adapter in errors.
pub fn import(
    files: &PeftFiles,
    folder: &str,
    shape: &ModelShape,
    device: &Device,
) -> Result<Lora> {
    let adapter = host_branches(files, folder)?;
    let bad_weights = |problem: String| Error::Format {
        file: format!("{folder}/{WEIGHTS_FILE}"),
        problem,
    };
    let lora_config = LoraConfig {
        rank: adapter.rank,
        alpha: adapter.alpha,
        dropout: adapter.dropout,
        targets: Vec::new(),
        layers: Vec::new(),
    };
    let mut lora = Lora::empty(&lora_config, shape.layers);
    let rank = adapter.rank;
    for HostBranch { layer, site, a, b } in adapter.branches {
        let name = key(layer, site, "A");
        if layer >= shape.layers {
            return Err(bad_weights(format!(
                "{name}: the model has {} layers",
                shape.layers
            )));
        }
        let (d_in, d_out) = shape.dims(site);
        for (tensor, want, matrix) in [(&a, [rank, d_in], "A"), (&b, [d_out, rank], "B")] {
            if tensor.shape != want {
                return Err(bad_weights(format!(
                    "tensor {} has shape {:?}, expected {want:?} for rank {rank} on this model",
                    key(layer, site, matrix),
                    tensor.shape
                )));
            }
        }
        lora.set_branch(
            layer,
            site,
            LoraLinear::from_host(
                branch_id(layer, site),
                (transpose(&a.data, rank, d_in), d_in),
                (transpose(&b.data, d_out, rank), d_out),
                rank,
                device,
            ),
        );
    }
    Ok(lora)
}

/// `adapter_config.json`'s bytes.
pub(super) fn config_bytes(config: &AdapterConfig) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(config)
        .map_err(|e| Error::Unsupported(format!("cannot write {CONFIG_FILE}: {e}")))
}

/// Parses `adapter_config.json` and refuses what soo cannot apply exactly.
pub(super) fn read_config(bytes: &[u8], config_name: &str) -> Result<AdapterConfig> {
    let bad_config = |problem: String| Error::Format {
        file: config_name.to_string(),
        problem,
    };
    let config: AdapterConfig = serde_json::from_slice(bytes)
        .map_err(|e| bad_config(format!("not a peft adapter config: {e}")))?;
    if config.peft_type != "LORA" {
        return Err(bad_config(format!(
            "peft_type is {}, soo reads LORA adapters",
            config.peft_type
        )));
    }
    for (flag, what) in [
        (config.use_dora, "use_dora (DoRA)"),
        (config.use_rslora, "use_rslora (rank-stabilised scaling)"),
        (config.fan_in_fan_out, "fan_in_fan_out"),
        (
            !config.rank_pattern.is_empty() || !config.alpha_pattern.is_empty(),
            "per-module rank_pattern/alpha_pattern",
        ),
    ] {
        if flag {
            return Err(bad_config(format!("{what} is not supported")));
        }
    }
    if config.r == 0 {
        return Err(bad_config("r is 0".into()));
    }
    Ok(config)
}

/// An adapter on the host, in peft's layout: what merging into weights needs.
pub(crate) struct HostAdapter {
    pub(crate) rank: usize,
    /// `lora_alpha`: the branch is scaled by `alpha / rank`.
    pub(crate) alpha: f64,
    /// `lora_dropout`.
    pub(crate) dropout: f64,
    /// `(layer, site, A [r, d_in], B [d_out, r])`.
    pub(crate) branches: Vec<HostBranch>,
}

/// One branch of a [`HostAdapter`].
pub(crate) struct HostBranch {
    pub(crate) layer: usize,
    pub(crate) site: Site,
    /// `[r, d_in]`.
    pub(crate) a: HostTensor,
    /// `[d_out, r]`.
    pub(crate) b: HostTensor,
}

impl HostAdapter {
    /// `alpha / rank`.
    pub(crate) fn scaling(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// Reads an adapter's config and matrices on the host, in peft's layout. Every tensor must be a
/// LoRA matrix of a decoder layer's linear module, every A must have its B, and there must be
/// at least one.
pub(crate) fn host_branches(files: &PeftFiles, folder: &str) -> Result<HostAdapter> {
    let config = read_config(&files.config, &format!("{folder}/{CONFIG_FILE}"))?;
    let weights_name = format!("{folder}/{WEIGHTS_FILE}");
    let weights = SafetensorsSource::single(&weights_name, files.weights.clone())?;
    let bad_weights = |problem: String| Error::Format {
        file: weights_name.clone(),
        problem,
    };
    let mut branches = Vec::new();
    for name in weights.names() {
        let Some((layer, site)) = parse_key(name) else {
            return Err(bad_weights(format!(
                "tensor {name} is not a LoRA matrix of a decoder layer's linear module"
            )));
        };
        if !name.ends_with(".lora_A.weight") {
            continue; // B is read with its A.
        }
        let b_name = key(layer, site, "B");
        let (Some(a), Some(b)) = (weights.tensor(name)?, weights.tensor(&b_name)?) else {
            return Err(bad_weights(format!("tensor {b_name} is missing")));
        };
        branches.push(HostBranch { layer, site, a, b });
    }
    if branches.is_empty() {
        return Err(bad_weights("no lora_A weights in the file".into()));
    }
    Ok(HostAdapter {
        rank: config.r,
        alpha: config.lora_alpha,
        dropout: config.lora_dropout,
        branches,
    })
}

/// `(layer, site)` of a key `base_model.model.model.layers.N.<module>.lora_{A,B}.weight`;
/// peft's adapter-name infix (`lora_A.default.weight`) is not written to files.
fn parse_key(name: &str) -> Option<(usize, Site)> {
    let rest = name.strip_prefix("base_model.model.model.layers.")?;
    let rest = rest
        .strip_suffix(".lora_A.weight")
        .or_else(|| rest.strip_suffix(".lora_B.weight"))?;
    let (layer, module) = rest.split_once('.')?;
    let site = site_of(module)?;
    (site.name() == module).then_some(())?;
    Some((layer.parse().ok()?, site))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for (layer, site) in [(0, Site::QProj), (12, Site::DownProj), (3, Site::OProj)] {
            for m in ["A", "B"] {
                assert_eq!(parse_key(&key(layer, site, m)), Some((layer, site)));
            }
        }
        assert_eq!(
            key(2, Site::VProj, "A"),
            "base_model.model.model.layers.2.self_attn.v_proj.lora_A.weight"
        );
        assert_eq!(parse_key("base_model.model.lm_head.lora_A.weight"), None);
        assert_eq!(
            parse_key("base_model.model.model.layers.1.mlp.q_proj.lora_A.weight"),
            None
        );
    }

    #[test]
    fn reencode_stores_bfloat16_keeping_names_shapes_config_and_values_to_its_precision() {
        // Large enough that the data, not the header, decides the file's size.
        let mut data = vec![0.5, -1.25e-3, 3.0e-5, 7.0, -0.1, 0.0];
        data.extend((0..122).map(|i| (i as f32 - 61.0) * 0.013));
        let a = HostTensor {
            shape: vec![2, 64],
            data,
        };
        let name = key(0, Site::QProj, "A");
        let files = PeftFiles {
            config: b"{}".to_vec(),
            weights: write(&[(name.clone(), a.clone())], StoreAs::F32, &[]).unwrap(),
        };
        let half = reencode(&files, "adapter", StoreAs::Bf16).unwrap();
        assert_eq!(half.config, files.config);
        assert!(half.weights.len() < files.weights.len() * 2 / 3);
        let source = SafetensorsSource::single("w", half.weights).unwrap();
        assert_eq!(source.names(), vec![name.as_str()]);
        let back = source.tensor(&name).unwrap().unwrap();
        assert_eq!(back.shape, a.shape);
        for (x, y) in a.data.iter().zip(&back.data) {
            // bfloat16 keeps 8 significant bits: half a unit is 2^-8 relative.
            assert!((x - y).abs() <= x.abs() / 256.0, "{x} became {y}");
        }
    }
}
