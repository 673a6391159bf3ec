//! GGUF parsing and dequantisation against gguf-py.
//!
//! `core/tests/fixtures/gguf/<type>.gguf` were written by `gguf.GGUFWriter` and
//! `<type>.json` holds `gguf.quants.dequantize`'s values for their tensors
//! (scripts/fixtures/gguf_and_tokenizer.py). Malformed files are made here by damaging those or
//! by writing headers by hand.

use std::path::PathBuf;

use serde_json::Value;
use soo_core::Error;
use soo_core::load::dequant::GgmlType;
use soo_core::load::gguf::{Gguf, MetaValue};

const TYPES: [&str; 8] = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q4_k", "q6_k"];

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gguf")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn reference(name: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("{name}.json"))).expect("fixture JSON")
}

#[test]
fn every_type_dequantises_exactly_like_gguf_py() {
    for name in TYPES {
        let file = format!("{name}.gguf");
        let bytes = fixture(&file);
        let gguf = Gguf::parse(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let want = reference(name);
        assert_eq!(
            gguf.version as u64,
            want["version"].as_u64().expect("version"),
            "{file}"
        );
        let tensors = want["tensors"].as_object().expect("tensors");
        assert_eq!(gguf.tensors.len(), tensors.len(), "{file}");
        let mut max_diff = 0f32;
        for (tname, t) in tensors {
            let got = gguf
                .tensor(&bytes, tname)
                .expect("decodes")
                .expect("present");
            let shape: Vec<usize> = serde_json::from_value(t["shape"].clone()).expect("shape");
            let values: Vec<f32> = serde_json::from_value(t["values"].clone()).expect("values");
            assert_eq!(got.shape, shape, "{file} {tname}: shape (PyTorch order)");
            assert_eq!(got.data.len(), values.len(), "{file} {tname}");
            for (i, (g, w)) in got.data.iter().zip(&values).enumerate() {
                assert!(g.is_finite(), "{file} {tname}[{i}] = {g}");
                max_diff = max_diff.max((g - w).abs());
            }
        }
        println!("{name}: max |ours - gguf-py| = {max_diff:e}");
        assert_eq!(max_diff, 0.0, "{file}: dequantisation differs from gguf-py");
    }
}

#[test]
fn gguf_dims_are_reversed_into_pytorch_order() {
    let bytes = fixture("q4_k.gguf");
    let gguf = Gguf::parse("q4_k.gguf", &bytes).expect("parses");
    let info = gguf.info("t1.weight").expect("t1");
    assert_eq!(
        info.dims,
        vec![512, 1, 2],
        "GGUF lists the row length first"
    );
    assert_eq!(info.shape(), vec![2, 1, 512]);
    assert_eq!(info.ty, GgmlType::Q4K);
}

#[test]
fn metadata_of_every_value_type_is_read() {
    let bytes = fixture("f32.gguf");
    let gguf = Gguf::parse("f32.gguf", &bytes).expect("parses");
    assert_eq!(gguf.version, 2, "the f32 fixture is patched to GGUF v2");
    let get = |k: &str| gguf.get(k).unwrap_or_else(|| panic!("{k} missing")).clone();
    assert_eq!(
        get("general.architecture"),
        MetaValue::String("llama".into())
    );
    assert_eq!(get("test.u8"), MetaValue::U8(200));
    assert_eq!(get("test.i8"), MetaValue::I8(-100));
    assert_eq!(get("test.u16"), MetaValue::U16(60000));
    assert_eq!(get("test.i16"), MetaValue::I16(-30000));
    assert_eq!(get("test.u32"), MetaValue::U32(4_000_000_000));
    assert_eq!(get("test.i32"), MetaValue::I32(-2_000_000_000));
    assert_eq!(get("test.f32"), MetaValue::F32(1.5));
    assert_eq!(get("test.bool"), MetaValue::Bool(true));
    assert_eq!(get("test.string"), MetaValue::String("héllo 🦀".into()));
    assert_eq!(get("test.u64"), MetaValue::U64((1 << 63) + 5));
    assert_eq!(get("test.i64"), MetaValue::I64(-(1 << 62)));
    assert_eq!(get("test.f64"), MetaValue::F64(0.1));
    let ints = get("test.array_i32");
    let ints: Vec<i64> = ints
        .as_array()
        .expect("array")
        .iter()
        .filter_map(MetaValue::as_i64)
        .collect();
    assert_eq!(ints, vec![1, -2, 3]);
    let strs = get("test.array_str");
    let strs: Vec<&str> = strs
        .as_array()
        .expect("array")
        .iter()
        .filter_map(MetaValue::as_str)
        .collect();
    assert_eq!(strs, vec!["a", "bc", ""]);
    assert_eq!(
        get("test.array_nested").to_json(),
        serde_json::json!([[1, 2], [3]]),
        "arrays of arrays"
    );
}

#[test]
fn general_alignment_is_honoured() {
    let bytes = fixture("q8_0.gguf");
    let gguf = Gguf::parse("q8_0.gguf", &bytes).expect("parses");
    assert_eq!(gguf.alignment, 64);
    assert!(gguf.data_start.is_multiple_of(64));
    assert!(
        gguf.tensors
            .iter()
            .all(|t| (t.start - gguf.data_start).is_multiple_of(64))
    );
    let default = Gguf::parse("q4_0.gguf", &fixture("q4_0.gguf")).expect("parses");
    assert_eq!(default.alignment, 32);
}

/// The file name and problem of a Format error, or a panic naming what came instead.
fn format_problem(result: Result<impl std::fmt::Debug, Error>) -> (String, String) {
    match result {
        Err(Error::Format { file, problem }) => (file, problem),
        other => panic!("expected Error::Format, got {other:?}"),
    }
}

#[test]
fn every_truncation_is_a_format_error_naming_the_file() {
    let bytes = fixture("q4_k.gguf");
    for len in 0..bytes.len() {
        let (file, problem) = format_problem(Gguf::parse("cut.gguf", &bytes[..len]));
        assert_eq!(file, "cut.gguf");
        assert!(
            problem.contains("truncated") || problem.contains("past the end"),
            "cut at {len}: {problem}"
        );
    }
    let (_, problem) = format_problem(Gguf::parse("cut.gguf", &bytes[..bytes.len() - 1]));
    assert!(problem.contains("tensor t1.weight"), "{problem}");
}

#[test]
fn bad_magic_is_a_format_error() {
    let mut bytes = fixture("q4_0.gguf");
    bytes[..4].copy_from_slice(b"GGML");
    let (file, problem) = format_problem(Gguf::parse("model.bin", &bytes));
    assert_eq!(file, "model.bin");
    assert!(problem.contains("not a GGUF file"), "{problem}");
    let err = Gguf::parse("model.bin", &[]).expect_err("empty");
    assert!(err.to_string().starts_with("model.bin: "), "{err}");
}

/// A GGUF v3 file with no metadata and the given tensor infos `(name, dims, type, offset)`,
/// followed by `data`.
fn handmade(tensors: &[(&str, &[u64], u32, u64)], data: &[u8]) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend((tensors.len() as u64).to_le_bytes());
    out.extend(0u64.to_le_bytes());
    for (name, dims, ty, offset) in tensors {
        out.extend((name.len() as u64).to_le_bytes());
        out.extend(name.as_bytes());
        out.extend((dims.len() as u32).to_le_bytes());
        for d in *dims {
            out.extend(d.to_le_bytes());
        }
        out.extend(ty.to_le_bytes());
        out.extend(offset.to_le_bytes());
    }
    out.resize(out.len().div_ceil(32) * 32, 0);
    out.extend(data);
    out
}

#[test]
fn a_tensor_past_the_end_is_a_format_error() {
    let bytes = handmade(&[("blk.0.attn_q.weight", &[4, 2], 0, 0)], &[0u8; 16]);
    let (file, problem) = format_problem(Gguf::parse("short.gguf", &bytes));
    assert_eq!(file, "short.gguf");
    assert!(
        problem.contains("blk.0.attn_q.weight") && problem.contains("past the end"),
        "{problem}"
    );
    // Within bounds it parses and decodes to zeros.
    let ok = handmade(&[("blk.0.attn_q.weight", &[4, 2], 0, 0)], &[0u8; 32]);
    let gguf = Gguf::parse("ok.gguf", &ok).expect("parses");
    let t = gguf
        .tensor(&ok, "blk.0.attn_q.weight")
        .expect("decodes")
        .expect("present");
    assert_eq!((t.shape, t.data), (vec![2, 4], vec![0.0; 8]));
    // An offset far out, and a size that overflows, are caught too.
    let far = handmade(&[("t", &[8], 0, 1 << 40)], &[]);
    format_problem(Gguf::parse("far.gguf", &far));
    let huge = handmade(&[("t", &[u64::MAX, 4], 0, 0)], &[]);
    format_problem(Gguf::parse("huge.gguf", &huge));
}

#[test]
fn wrong_sizes_are_format_errors() {
    // Q8_0 rows must be whole blocks of 32 values.
    let bytes = handmade(&[("t", &[20, 2], 8, 0)], &[0u8; 64]);
    let (_, problem) = format_problem(Gguf::parse("rows.gguf", &bytes));
    assert!(problem.contains("blocks"), "{problem}");
    // A count far beyond the file is refused before anything is allocated for it.
    let mut bytes = handmade(&[], &[]);
    bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    format_problem(Gguf::parse("count.gguf", &bytes));
    // A misaligned offset.
    let bytes = handmade(&[("t", &[4], 0, 4)], &[0u8; 64]);
    let (_, problem) = format_problem(Gguf::parse("align.gguf", &bytes));
    assert!(problem.contains("alignment"), "{problem}");
}

#[test]
fn unsupported_types_name_the_tensor_and_type() {
    let bytes = handmade(&[("blk.0.ffn_up.weight", &[256], 13, 0)], &[0u8; 176]);
    let gguf = Gguf::parse("k.gguf", &bytes).expect("listing an unknown type is fine");
    match gguf.tensor(&bytes, "blk.0.ffn_up.weight") {
        Err(Error::Unsupported(msg)) => {
            assert!(
                msg.contains("blk.0.ffn_up.weight") && msg.contains("Q5_K"),
                "{msg}"
            )
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    assert!(gguf.tensor(&bytes, "missing").expect("no error").is_none());
}

#[test]
fn damaged_bytes_never_panic() {
    // Flip every byte of two fixtures in turn: parsing and decoding may fail, never panic.
    for name in ["q6_k.gguf", "f32.gguf"] {
        let clean = fixture(name);
        for i in 0..clean.len() {
            let mut bytes = clean.clone();
            bytes[i] ^= 0xff;
            if let Ok(gguf) = Gguf::parse(name, &bytes) {
                for t in &gguf.tensors {
                    let _ = gguf.tensor(&bytes, &t.name);
                }
            }
        }
    }
}

#[test]
fn overlapping_tensors_are_format_errors() {
    // Two F32 tensors of 16 values (64 bytes): the second's offset moved 32 bytes back onto the
    // first, as in a GGUF whose offsets were shifted. Each lies inside the file.
    let tensors: &[(&str, &[u64], u32, u64)] = &[("a", &[16], 0, 0), ("b", &[16], 0, 32)];
    let bytes = handmade(tensors, &[0u8; 128]);
    let (file, problem) = format_problem(Gguf::parse("moved.gguf", &bytes));
    assert_eq!(file, "moved.gguf");
    assert!(
        problem.contains("overlap") && problem.contains("a") && problem.contains("b"),
        "{problem}"
    );
    // Back to back is fine, in either order in the directory.
    let tensors: &[(&str, &[u64], u32, u64)] = &[("b", &[16], 0, 64), ("a", &[16], 0, 0)];
    Gguf::parse("ok.gguf", &handmade(tensors, &[0u8; 128])).expect("disjoint tensors parse");
}
