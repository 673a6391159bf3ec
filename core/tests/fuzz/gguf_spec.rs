//! GGUF files as a structure the fuzzer can bend: metadata, tensor infos and data, written with
//! the format's own layout (llama.cpp's `gguf.md`), so that a mutation can break one rule at a
//! time (a count that disagrees with the entries, a value of the wrong type, a tensor offset
//! past the end) instead of only flipping bytes.

/// One metadata value, with its GGUF type code.
#[derive(Clone, Debug)]
pub enum Meta {
    U32(u32),
    I32(i32),
    U64(u64),
    F32(f32),
    Bool(bool),
    Str(String),
    /// An array of one element type (the code) and its encoded elements.
    Array(u32, Vec<Meta>),
    /// Any type code at all, followed by raw bytes: how a value of an unknown type looks.
    Raw(u32, Vec<u8>),
}

impl Meta {
    fn code(&self) -> u32 {
        match self {
            Meta::U32(_) => 4,
            Meta::I32(_) => 5,
            Meta::F32(_) => 6,
            Meta::Bool(_) => 7,
            Meta::Str(_) => 8,
            Meta::Array(..) => 9,
            Meta::U64(_) => 10,
            Meta::Raw(code, _) => *code,
        }
    }

    fn write_value(&self, out: &mut Vec<u8>) {
        match self {
            Meta::U32(v) => out.extend(v.to_le_bytes()),
            Meta::I32(v) => out.extend(v.to_le_bytes()),
            Meta::U64(v) => out.extend(v.to_le_bytes()),
            Meta::F32(v) => out.extend(v.to_le_bytes()),
            Meta::Bool(v) => out.push(*v as u8),
            Meta::Str(s) => write_str(out, s),
            Meta::Array(code, items) => {
                out.extend(code.to_le_bytes());
                out.extend((items.len() as u64).to_le_bytes());
                for item in items {
                    item.write_value(out);
                }
            }
            Meta::Raw(_, bytes) => out.extend(bytes),
        }
    }
}

/// One tensor info: name, dims (GGUF order: fastest first), type code, offset into the data.
#[derive(Clone, Debug)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    pub ty: u32,
    pub offset: u64,
}

/// A whole file. `tensor_count` / `kv_count` are written as given, so that they can disagree
/// with the lists (`None`: the lists' lengths).
#[derive(Clone, Debug)]
pub struct GgufSpec {
    pub version: u32,
    pub tensor_count: Option<u64>,
    pub kv_count: Option<u64>,
    pub meta: Vec<(String, Meta)>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: usize,
    pub data: Vec<u8>,
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

impl GgufSpec {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(self.version.to_le_bytes());
        let tensors = self.tensor_count.unwrap_or(self.tensors.len() as u64);
        out.extend(tensors.to_le_bytes());
        out.extend(
            self.kv_count
                .unwrap_or(self.meta.len() as u64)
                .to_le_bytes(),
        );
        for (key, value) in &self.meta {
            write_str(&mut out, key);
            out.extend(value.code().to_le_bytes());
            value.write_value(&mut out);
        }
        for t in &self.tensors {
            write_str(&mut out, &t.name);
            out.extend((t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend(d.to_le_bytes());
            }
            out.extend(t.ty.to_le_bytes());
            out.extend(t.offset.to_le_bytes());
        }
        let align = self.alignment.max(1);
        out.resize(out.len().div_ceil(align) * align, 0);
        out.extend(&self.data);
        out
    }

    /// A complete, loadable llama: 1 block, width 8, 4 heads of 2 (2 KV heads), MLP 16, a
    /// byte-level BPE vocabulary of 24 tokens with two merges and a chat template; F32 weights
    /// (small values from `seed`), the output tied to the embedding.
    pub fn tiny_llama(seed: u64) -> Self {
        let (hidden, ffn, vocab) = (8u64, 16u64, 24u64);
        let mut tokens: Vec<String> = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
            .map(String::from)
            .to_vec();
        tokens.extend("abcdehilnorstuwy ".chars().map(|c| {
            if c == ' ' {
                "Ġ".to_string()
            } else {
                c.to_string()
            }
        }));
        tokens.extend(["th", "he", "Ġt", "in"].map(String::from));
        assert_eq!(tokens.len() as u64, vocab);
        let strings =
            |v: &[&str]| Meta::Array(8, v.iter().map(|s| Meta::Str(s.to_string())).collect());
        let token_types = (0..vocab)
            .map(|i| Meta::I32(if i < 3 { 3 } else { 1 }))
            .collect();
        let meta = vec![
            ("general.architecture".into(), Meta::Str("llama".into())),
            ("general.alignment".into(), Meta::U32(32)),
            ("llama.block_count".into(), Meta::U32(1)),
            ("llama.context_length".into(), Meta::U32(64)),
            ("llama.embedding_length".into(), Meta::U32(hidden as u32)),
            ("llama.feed_forward_length".into(), Meta::U32(ffn as u32)),
            ("llama.attention.head_count".into(), Meta::U32(4)),
            ("llama.attention.head_count_kv".into(), Meta::U32(2)),
            ("llama.rope.freq_base".into(), Meta::F32(10000.0)),
            ("llama.attention.layer_norm_rms_epsilon".into(), Meta::F32(1e-5)),
            ("tokenizer.ggml.model".into(), Meta::Str("gpt2".into())),
            ("tokenizer.ggml.pre".into(), Meta::Str("smollm".into())),
            ("tokenizer.ggml.tokens".into(), strings(&tokens.iter().map(String::as_str).collect::<Vec<_>>())),
            ("tokenizer.ggml.token_type".into(), Meta::Array(5, token_types)),
            ("tokenizer.ggml.merges".into(), strings(&["t h", "h e", "Ġ t", "i n"])),
            ("tokenizer.ggml.bos_token_id".into(), Meta::U32(1)),
            ("tokenizer.ggml.eos_token_id".into(), Meta::U32(2)),
            ("tokenizer.ggml.padding_token_id".into(), Meta::U32(0)),
            (
                "tokenizer.chat_template".into(),
                Meta::Str("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}".into()),
            ),
        ];
        let shapes: Vec<(&str, Vec<u64>)> = vec![
            ("token_embd.weight", vec![hidden, vocab]),
            ("blk.0.attn_norm.weight", vec![hidden]),
            ("blk.0.attn_q.weight", vec![hidden, hidden]),
            ("blk.0.attn_k.weight", vec![hidden, hidden / 2]),
            ("blk.0.attn_v.weight", vec![hidden, hidden / 2]),
            ("blk.0.attn_output.weight", vec![hidden, hidden]),
            ("blk.0.ffn_norm.weight", vec![hidden]),
            ("blk.0.ffn_gate.weight", vec![hidden, ffn]),
            ("blk.0.ffn_up.weight", vec![hidden, ffn]),
            ("blk.0.ffn_down.weight", vec![ffn, hidden]),
            ("output_norm.weight", vec![hidden]),
        ];
        let mut rng = soo_core::base::rng::SplitMix64::new(seed);
        let mut tensors = Vec::new();
        let mut data = Vec::new();
        for (name, dims) in shapes {
            let count: u64 = dims.iter().product();
            let norm = name.ends_with("norm.weight");
            for _ in 0..count {
                let v = if norm { 1.0 } else { rng.uniform_f32(0.3) };
                data.extend(v.to_le_bytes());
            }
            tensors.push(TensorInfo {
                name: name.into(),
                dims,
                ty: 0,
                offset: (data.len() as u64) - count * 4,
            });
            data.resize(data.len().div_ceil(32) * 32, 0);
        }
        GgufSpec {
            version: 3,
            tensor_count: None,
            kv_count: None,
            meta,
            tensors,
            alignment: 32,
            data,
        }
    }
}
