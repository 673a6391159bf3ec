//! config.json checks that several families share.

use crate::Error;
use crate::Result;

pub(crate) fn config_error(problem: impl Into<String>) -> Error {
    Error::Format {
        file: "config.json".into(),
        problem: problem.into(),
    }
}

/// Checks config.json's sizes against [`SIZE_LIMITS`](crate::load::hf::SIZE_LIMITS) before
/// anything is allocated for them (layer lists, rotary tables, LoRA branches).
pub(crate) fn check_sizes(sizes: &[(&str, u64)]) -> Result<()> {
    for &(field, value) in sizes {
        if let Some(problem) = crate::load::hf::size_problem(field, field, value) {
            return Err(config_error(problem));
        }
    }
    Ok(())
}

/// The per-head width: `head_dim` when given, else `hidden / heads`; checks that the head
/// counts fit together.
pub(crate) fn head_dim(
    given: Option<usize>,
    hidden: usize,
    heads: usize,
    kv_heads: usize,
) -> Result<usize> {
    if heads == 0 || kv_heads == 0 || !heads.is_multiple_of(kv_heads) {
        return Err(config_error(format!(
            "num_attention_heads ({heads}) must be a positive multiple of \
             num_key_value_heads ({kv_heads})"
        )));
    }
    let head_dim = match given {
        Some(d) => d,
        None if hidden.is_multiple_of(heads) => hidden / heads,
        None => {
            return Err(config_error(format!(
                "hidden_size ({hidden}) is not a multiple of num_attention_heads ({heads}) \
                 and there is no head_dim"
            )));
        }
    };
    check_sizes(&[("head_dim", head_dim as u64)])?;
    if head_dim == 0 || !head_dim.is_multiple_of(2) {
        return Err(config_error(format!(
            "head_dim ({head_dim}) must be even for rotary embeddings"
        )));
    }
    Ok(head_dim)
}

/// Each layer's sliding window from `layer_types` (`sliding_attention` / `full_attention`);
/// no types means full attention everywhere.
pub(crate) fn layer_windows(
    layers: usize,
    types: Option<&Vec<String>>,
    sliding_window: Option<usize>,
) -> Result<Vec<Option<usize>>> {
    let Some(types) = types else {
        return Ok(vec![None; layers]);
    };
    if types.len() != layers {
        return Err(config_error(format!(
            "layer_types has {} entries for {layers} layers",
            types.len()
        )));
    }
    types
        .iter()
        .map(|kind| match kind.as_str() {
            "full_attention" => Ok(None),
            "sliding_attention" => match sliding_window {
                Some(w) if w > 0 => Ok(Some(w)),
                _ => Err(config_error(
                    "a layer uses sliding_attention but sliding_window is not set",
                )),
            },
            other => Err(Error::Unsupported(format!(
                "attention layer type '{other}'"
            ))),
        })
        .collect()
}
