//! Merged full weights: the base model's tensors with an adapter's `B·A·scaling` added, under
//! Hugging Face names, ready to be written as `model.safetensors`. Works on the host from the
//! weight source, one tensor at a time, so no device model is built.

use super::peft::{HostBranch, PeftFiles, host_branches};
use crate::load::{HostTensor, WeightSource};
use crate::{Error, Result};

/// Every parameter name a supported family can have, for a model with `layers` layers.
/// Sources answer `None` for the ones their family lacks.
fn candidate_names(layers: usize, tied: bool) -> Vec<String> {
    const PER_LAYER: [&str; 18] = [
        "input_layernorm.weight",
        "self_attn.q_proj.weight",
        "self_attn.q_proj.bias",
        "self_attn.k_proj.weight",
        "self_attn.k_proj.bias",
        "self_attn.v_proj.weight",
        "self_attn.v_proj.bias",
        "self_attn.o_proj.weight",
        "self_attn.o_proj.bias",
        "post_attention_layernorm.weight",
        "pre_feedforward_layernorm.weight",
        "post_feedforward_layernorm.weight",
        "mlp.gate_proj.weight",
        "mlp.gate_proj.bias",
        "mlp.up_proj.weight",
        "mlp.up_proj.bias",
        "mlp.down_proj.weight",
        "mlp.down_proj.bias",
    ];
    let mut names = vec!["model.embed_tokens.weight".to_string()];
    for layer in 0..layers {
        for suffix in PER_LAYER {
            names.push(format!("model.layers.{layer}.{suffix}"));
        }
    }
    names.push("model.norm.weight".into());
    if !tied {
        names.push("lm_head.weight".into());
    }
    names
}

/// The base weights of a model (config.json as `config`) with `adapter` merged in, as
/// (name, tensor) in Hugging Face's layout (`[d_out, d_in]` for linear weights).
pub fn merged_weights(
    config: &serde_json::Value,
    source: &dyn WeightSource,
    adapter: &PeftFiles,
    adapter_folder: &str,
) -> Result<Vec<(String, HostTensor)>> {
    let layers = config
        .get("num_hidden_layers")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| Error::Format {
            file: "config.json".into(),
            problem: "num_hidden_layers is missing".into(),
        })? as usize;
    let tied = config
        .get("tie_word_embeddings")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let adapter = host_branches(adapter, adapter_folder)?;
    let (rank, scaling) = (adapter.rank, adapter.scaling());
    let branches = adapter.branches;
    let weight_name = |branch: &HostBranch| {
        format!(
            "model.layers.{}.{}.weight",
            branch.layer,
            branch.site.name()
        )
    };
    let mut out = Vec::new();
    for name in candidate_names(layers, tied) {
        let Some(mut tensor) = source.tensor(&name)? else {
            continue;
        };
        for branch in &branches {
            if name != weight_name(branch) {
                continue;
            }
            let (a, b) = (&branch.a, &branch.b);
            let (d_out, d_in) = (tensor.shape[0], tensor.shape[1]);
            if a.shape != [rank, d_in] || b.shape != [d_out, rank] {
                return Err(Error::Format {
                    file: adapter_folder.to_string(),
                    problem: format!(
                        "the branch for {name} is {:?}·{:?}, the weight is {:?}",
                        b.shape, a.shape, tensor.shape
                    ),
                });
            }
            // W[o, i] += scaling · Σ_r B[o, r] A[r, i]
            for o in 0..d_out {
                let row = &mut tensor.data[o * d_in..(o + 1) * d_in];
                for r in 0..rank {
                    let factor = (scaling * b.data[o * rank + r] as f64) as f32;
                    let a_row = &a.data[r * d_in..(r + 1) * d_in];
                    for (w, a) in row.iter_mut().zip(a_row) {
                        *w += factor * a;
                    }
                }
            }
        }
        out.push((name, tensor));
    }
    let merged = out
        .iter()
        .filter(|(n, _)| branches.iter().any(|b| *n == weight_name(b)))
        .count();
    if merged != branches.len() {
        return Err(Error::Format {
            file: adapter_folder.to_string(),
            problem: format!(
                "{} of the adapter's {} branches have no matching weight in the model",
                branches.len() - merged,
                branches.len()
            ),
        });
    }
    Ok(out)
}
