//! The mutations: byte-level havoc for any file, and structure-aware edits for the formats soo
//! reads (JSON and TOML value trees, GGUF specs, a safetensors header). Every choice is drawn
//! from an `arbitrary::Unstructured` over random bytes, so a run is reproducible from its seed.

use arbitrary::{Result, Unstructured};
use serde_json::Value;

use crate::gguf_spec::{GgufSpec, Meta, TensorInfo};

/// Integers at the edges where size arithmetic breaks.
pub const INTERESTING: &[u64] = &[
    0,
    1,
    2,
    3,
    7,
    8,
    31,
    32,
    255,
    256,
    4095,
    65535,
    65536,
    1 << 31,
    (1 << 31) - 1,
    1 << 32,
    (1 << 32) - 1,
    1 << 40,
    1 << 53,
    1 << 62,
    u64::MAX / 2,
    u64::MAX - 1,
    u64::MAX,
];

fn interesting(u: &mut Unstructured) -> Result<u64> {
    if u.ratio(3, 4)? {
        u.choose(INTERESTING).copied()
    } else {
        u.arbitrary()
    }
}

/// 1–8 stacked byte edits: flips, interesting integers written over 1/2/4/8 bytes, inserted,
/// deleted, duplicated or truncated ranges, and a splice from `other`.
pub fn havoc(u: &mut Unstructured, bytes: &mut Vec<u8>, other: &[u8]) -> Result<()> {
    for _ in 0..u.int_in_range(1..=8)? {
        let len = bytes.len();
        let at = if len == 0 {
            0
        } else {
            u.int_in_range(0..=len - 1)?
        };
        match u.int_in_range(0..=7)? {
            0 if len > 0 => bytes[at] ^= 1 << u.int_in_range(0..=7)?,
            1 if len > 0 => bytes[at] = u.arbitrary()?,
            2 => {
                let width = *u.choose(&[1usize, 2, 4, 8])?;
                let v = interesting(u)?.to_le_bytes();
                for (i, b) in v[..width].iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            3 => {
                let n = u.int_in_range(1..=16)?;
                let insert: Vec<u8> = (0..n).map(|_| u.arbitrary()).collect::<Result<_>>()?;
                bytes.splice(at.min(len)..at.min(len), insert);
            }
            4 if len > 0 => {
                let end = (at + u.int_in_range(1..=64)?).min(len);
                bytes.drain(at..end);
            }
            5 if len > 0 => {
                let end = (at + u.int_in_range(1..=64)?).min(len);
                let copy = bytes[at..end].to_vec();
                let to = u.int_in_range(0..=len)?;
                bytes.splice(to..to, copy);
            }
            6 => bytes.truncate(at),
            _ if !other.is_empty() => {
                let from = u.int_in_range(0..=other.len() - 1)?;
                let end = (from + u.int_in_range(1..=256)?).min(other.len());
                let piece = &other[from..end];
                let stop = (at + piece.len()).min(len);
                bytes.splice(at..stop, piece.iter().copied());
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every path to a node of `v` (keys and indices), the root included.
fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                here.push(Step::Key(k.clone()));
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(Step::Index(i));
                paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn node<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// A value of any JSON type, small, with interesting numbers and strings.
fn any_value(u: &mut Unstructured, like: &Value) -> Result<Value> {
    Ok(match u.int_in_range(0..=9)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(interesting(u)?),
        3 => Value::from(-(interesting(u)? as i64)),
        4 => Value::from(*u.choose(&[
            0.0,
            -0.0,
            1e-320,
            0.5,
            1e38,
            3.5e38,
            1e308,
            -1e308,
            f64::EPSILON,
        ])?),
        5 => Value::String(u.arbitrary::<String>()?),
        6 => Value::String(
            u.choose(&[
                "",
                "nan",
                "inf",
                "-1",
                "1e400",
                "{",
                "}",
                "{{",
                "{cheap_room}",
                "{nope}",
                "\u{0}",
                "é",
                "layers.999.self_attn.o_proj",
            ])?
            .to_string(),
        ),
        7 => Value::Array(vec![like.clone(); u.int_in_range(0..=3)?]),
        8 => Value::Object(Default::default()),
        _ => match like {
            Value::Number(n) if n.is_u64() => Value::from(
                n.as_u64()
                    .unwrap_or(0)
                    .wrapping_add(u.int_in_range(0..=2)?)
                    .wrapping_sub(1),
            ),
            Value::String(s) => Value::String(s.chars().rev().collect()),
            other => other.clone(),
        },
    })
}

/// 1–4 edits of a JSON value tree: a node replaced (by any type), removed, duplicated, or two
/// array elements swapped.
pub fn json_tree(u: &mut Unstructured, v: &mut Value) -> Result<()> {
    for _ in 0..u.int_in_range(1..=4)? {
        let mut all = Vec::new();
        paths(v, &mut Vec::new(), &mut all);
        let path = u.choose(&all)?.clone();
        match u.int_in_range(0..=3)? {
            0 | 1 => {
                let target = node(v, &path);
                *target = any_value(u, target)?;
            }
            2 => {
                if let Some((last, parent)) = path.split_last() {
                    match (node(v, parent), last) {
                        (Value::Object(map), Step::Key(k)) => {
                            map.remove(k);
                        }
                        (Value::Array(items), Step::Index(i)) if *i < items.len() => {
                            items.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                if let Value::Array(items) = node(v, &path)
                    && !items.is_empty()
                {
                    let i = u.int_in_range(0..=items.len() - 1)?;
                    let j = u.int_in_range(0..=items.len() - 1)?;
                    if u.arbitrary()? {
                        items.swap(i, j);
                    } else {
                        let copy = items[i].clone();
                        items.insert(j, copy);
                    }
                }
            }
        }
    }
    Ok(())
}

/// JSON text mutated as a tree (or as bytes, when it does not parse or by chance).
pub fn json_text(u: &mut Unstructured, bytes: &mut Vec<u8>, other: &[u8]) -> Result<()> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) if u.ratio(4, 5)? => {
            json_tree(u, &mut v)?;
            *bytes = serde_json::to_vec(&v).unwrap_or_default();
            Ok(())
        }
        _ => havoc(u, bytes, other),
    }
}

/// TOML text mutated as a tree (through JSON values; a null becomes a removal), or as bytes.
pub fn toml_text(u: &mut Unstructured, bytes: &mut Vec<u8>, other: &[u8]) -> Result<()> {
    let tree = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| toml::from_str::<toml::Table>(text).ok())
        .and_then(|table| serde_json::to_value(table).ok());
    match tree {
        Some(mut v) if u.ratio(4, 5)? => {
            json_tree(u, &mut v)?;
            strip_nulls(&mut v);
            if let Ok(table) = serde_json::from_value::<toml::Table>(v) {
                *bytes = toml::to_string(&table).unwrap_or_default().into_bytes();
            }
            Ok(())
        }
        _ => havoc(u, bytes, other),
    }
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, child| !child.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => {
            items.retain(|child| !child.is_null());
            items.iter_mut().for_each(strip_nulls);
        }
        _ => {}
    }
}

/// A safetensors file with its JSON header edited as a tree (dtypes, shapes, offsets), or its
/// bytes havocked.
pub fn safetensors(u: &mut Unstructured, bytes: &mut Vec<u8>, other: &[u8]) -> Result<()> {
    let header = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()) as usize)
        .filter(|&n| n <= bytes.len() - 8)
        .and_then(|n| {
            serde_json::from_slice::<Value>(&bytes[8..8 + n])
                .ok()
                .map(|v| (n, v))
        });
    match header {
        Some((n, mut v)) if u.ratio(3, 4)? => {
            if u.ratio(1, 3)? {
                // Aim at the fields that size things.
                if let Value::Object(map) = &mut v {
                    let names: Vec<String> = map
                        .iter()
                        .filter(|(_, entry)| entry.is_object())
                        .map(|(name, _)| name.clone())
                        .collect();
                    let name = u.choose(&names)?;
                    let field = *u.choose(&["dtype", "shape", "data_offsets"])?;
                    let slot = &mut map[name.as_str()][field];
                    *slot = match field {
                        "dtype" => Value::from(*u.choose(&[
                            "F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "F8_E4M3", "Q4",
                        ])?),
                        _ => Value::from(vec![interesting(u)?; u.int_in_range(0..=3)?]),
                    };
                }
            } else {
                json_tree(u, &mut v)?;
            }
            let text = serde_json::to_vec(&v).unwrap_or_default();
            let mut out = (text.len() as u64).to_le_bytes().to_vec();
            out.extend(text);
            out.extend(&bytes[8 + n..]);
            *bytes = out;
            Ok(())
        }
        _ => havoc(u, bytes, other),
    }
}

const GGUF_KEYS: &[&str] = &[
    "general.architecture",
    "general.alignment",
    "llama.block_count",
    "llama.embedding_length",
    "llama.feed_forward_length",
    "llama.attention.head_count",
    "llama.attention.head_count_kv",
    "llama.attention.key_length",
    "llama.context_length",
    "llama.vocab_size",
    "llama.rope.freq_base",
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.padding_token_id",
    "tokenizer.chat_template",
];

fn meta_value(u: &mut Unstructured) -> Result<Meta> {
    Ok(match u.int_in_range(0..=8)? {
        0 => Meta::U32(interesting(u)? as u32),
        1 => Meta::I32(-(interesting(u)? as i32)),
        2 => Meta::U64(interesting(u)?),
        3 => Meta::F32(*u.choose(&[0.0, -1.0, f32::NAN, f32::INFINITY, 1e-45, 1e38])?),
        4 => Meta::Bool(u.arbitrary()?),
        5 => Meta::Str(
            u.choose(&[
                "llama",
                "qwen2",
                "gemma2",
                "mistral",
                "gpt2",
                "spm",
                "",
                "smollm",
                "llama-bpe",
                "{{ x",
            ])?
            .to_string(),
        ),
        6 => {
            let code = *u.choose(&[4u32, 8, 9, 10, 99])?;
            let n = u.int_in_range(0..=4)?;
            Meta::Array(
                code,
                (0..n)
                    .map(|i| {
                        if code == 8 {
                            Meta::Str(format!("t{i}"))
                        } else {
                            Meta::U32(i)
                        }
                    })
                    .collect(),
            )
        }
        7 => Meta::Raw(
            *u.choose(&[9u32, 13, 255, u32::MAX])?,
            interesting(u)?.to_le_bytes().to_vec(),
        ),
        _ => Meta::Array(9, vec![Meta::Array(9, vec![])]),
    })
}

/// 1–4 edits of a GGUF spec: a metadata value replaced, removed or added; a tensor's dims, type
/// or offset bent; a tensor removed or duplicated; the counts, version or alignment lied about;
/// the data cut.
pub fn gguf_spec(u: &mut Unstructured, spec: &mut GgufSpec) -> Result<()> {
    for _ in 0..u.int_in_range(1..=4)? {
        match u.int_in_range(0..=9)? {
            0 if !spec.meta.is_empty() => {
                let i = u.int_in_range(0..=spec.meta.len() - 1)?;
                spec.meta[i].1 = meta_value(u)?;
            }
            1 if !spec.meta.is_empty() => {
                let i = u.int_in_range(0..=spec.meta.len() - 1)?;
                spec.meta.remove(i);
            }
            2 => spec
                .meta
                .push((u.choose(GGUF_KEYS)?.to_string(), meta_value(u)?)),
            3 | 4 if !spec.tensors.is_empty() => {
                let i = u.int_in_range(0..=spec.tensors.len() - 1)?;
                let t: &mut TensorInfo = &mut spec.tensors[i];
                match u.int_in_range(0..=3)? {
                    0 if !t.dims.is_empty() => {
                        let d = u.int_in_range(0..=t.dims.len() - 1)?;
                        t.dims[d] = interesting(u)?;
                    }
                    1 => t.dims.push(interesting(u)?),
                    2 => {
                        t.ty = *u.choose(&[
                            0u32,
                            1,
                            2,
                            3,
                            6,
                            7,
                            8,
                            10,
                            11,
                            12,
                            13,
                            14,
                            15,
                            30,
                            39,
                            u32::MAX,
                        ])?
                    }
                    _ => t.offset = interesting(u)?,
                }
            }
            5 if !spec.tensors.is_empty() => {
                let i = u.int_in_range(0..=spec.tensors.len() - 1)?;
                if u.arbitrary()? {
                    spec.tensors.remove(i);
                } else {
                    let copy = spec.tensors[i].clone();
                    spec.tensors.push(copy);
                }
            }
            6 => spec.tensor_count = Some(interesting(u)?),
            7 => spec.kv_count = Some(interesting(u)?),
            8 => {
                spec.version = *u.choose(&[0u32, 1, 2, 3, 4, u32::MAX])?;
                spec.alignment = *u.choose(&[1usize, 8, 32, 64])?;
            }
            _ => {
                let keep = u.int_in_range(0..=spec.data.len())?;
                spec.data.truncate(keep);
            }
        }
    }
    Ok(())
}
