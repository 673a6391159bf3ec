//! GGML tensor types and their dequantisation to f32.
//!
//! A quantised GGUF tensor is a run of fixed-size *blocks*, each holding `block_len` consecutive
//! values of the innermost dimension plus the scales needed to rebuild them. The layouts follow
//! ggml's `ggml-common.h` (all little-endian); each decoder below spells out its block. The
//! arithmetic is done in the same order as gguf-py's reference dequantiser, so that the results
//! are bit-identical to it (the fixtures in `core/tests/fixtures/gguf/` check this).

/// A ggml tensor type, by its id in the GGUF tensor info.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    /// 32-bit float.
    F32,
    /// IEEE half float.
    F16,
    /// bfloat16 (the top half of an f32).
    Bf16,
    /// 32 values: f16 scale `d`, 32 × i8; `x = d·q`.
    Q8_0,
    /// 32 values: f16 scale `d`, 16 bytes of nibbles; `x = d·(q − 8)`.
    Q4_0,
    /// 32 values: f16 scale `d`, f16 minimum `m`, 16 bytes of nibbles; `x = d·q + m`.
    Q4_1,
    /// 256 values in 8 sub-blocks of 32, each with a 6-bit scale and minimum.
    Q4K,
    /// 256 values in 16 sub-blocks of 16, 6-bit quants, each sub-block with an i8 scale.
    Q6K,
    /// A type soo does not decode (yet): the raw id and, where known, ggml's name for it.
    Other(u32),
}

impl GgmlType {
    /// The type with ggml id `id` (`enum ggml_type`).
    pub fn from_id(id: u32) -> Self {
        match id {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            8 => Self::Q8_0,
            12 => Self::Q4K,
            14 => Self::Q6K,
            30 => Self::Bf16,
            other => Self::Other(other),
        }
    }

    /// ggml's name for the type (`Q4_K`), for messages.
    pub fn name(self) -> String {
        let known = match self {
            Self::F32 => "F32",
            Self::F16 => "F16",
            Self::Bf16 => "BF16",
            Self::Q8_0 => "Q8_0",
            Self::Q4_0 => "Q4_0",
            Self::Q4_1 => "Q4_1",
            Self::Q4K => "Q4_K",
            Self::Q6K => "Q6_K",
            Self::Other(id) => return other_name(id),
        };
        known.to_string()
    }

    /// `(values per block, bytes per block)`, or `None` for a type soo cannot size.
    pub fn block(self) -> Option<(usize, usize)> {
        match self {
            Self::F32 => Some((1, 4)),
            Self::F16 | Self::Bf16 => Some((1, 2)),
            Self::Q8_0 => Some((32, 34)),
            Self::Q4_0 => Some((32, 18)),
            Self::Q4_1 => Some((32, 20)),
            Self::Q4K => Some((256, 144)),
            Self::Q6K => Some((256, 210)),
            Self::Other(_) => None,
        }
    }
}

/// Names of the ggml types soo does not decode, so that an error says `Q5_K`, not `13`.
fn other_name(id: u32) -> String {
    let name = match id {
        6 => "Q5_0",
        7 => "Q5_1",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        13 => "Q5_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        34 => "TQ1_0",
        35 => "TQ2_0",
        39 => "MXFP4",
        _ => return format!("ggml type {id}"),
    };
    name.to_string()
}

/// Decodes `bytes` (whole blocks of `ty`) into `out`, which must hold exactly as many values as
/// the blocks do. The caller (the GGUF reader) has checked both lengths; a mismatch here is
/// reported, not panicked on.
pub(crate) fn dequantize(ty: GgmlType, bytes: &[u8], out: &mut Vec<f32>) -> Result<(), String> {
    let (block_len, block_bytes) = ty
        .block()
        .ok_or_else(|| format!("no decoder for {}", ty.name()))?;
    if !bytes.len().is_multiple_of(block_bytes) {
        return Err(format!(
            "{} bytes is not a whole number of {} blocks of {block_bytes} bytes",
            bytes.len(),
            ty.name()
        ));
    }
    out.reserve(bytes.len() / block_bytes * block_len);
    for block in bytes.chunks_exact(block_bytes) {
        match ty {
            GgmlType::F32 => out.push(f32::from_le_bytes(arr(block, 0))),
            GgmlType::F16 => out.push(f16(block, 0)),
            // bf16 is the high 16 bits of an f32: shift them back into place.
            GgmlType::Bf16 => out.push(f32::from_bits(u32::from(u16le(block, 0)) << 16)),
            GgmlType::Q8_0 => q8_0(block, out),
            GgmlType::Q4_0 => q4_0(block, out),
            GgmlType::Q4_1 => q4_1(block, out),
            GgmlType::Q4K => q4_k(block, out),
            GgmlType::Q6K => q6_k(block, out),
            // Refused above: block() is None for these.
            GgmlType::Other(_) => {}
        }
    }
    Ok(())
}

/// `N` bytes of `block` from `at`; callers pass in-bounds offsets of fixed-size blocks, and a
/// short slice yields zeros rather than a panic.
fn arr<const N: usize>(block: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = block.get(at..at + N) {
        out.copy_from_slice(src);
    }
    out
}

fn u16le(block: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(arr(block, at))
}

/// The f16 at `at`, widened to f32.
fn f16(block: &[u8], at: usize) -> f32 {
    f16_to_f32(u16le(block, at))
}

/// IEEE binary16 → binary32, exactly (every f16 is representable as an f32).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        // Subnormal: value = man · 2^-24, exact in f32.
        (0, _) => {
            let magnitude = man as f32 * f32::from_bits(0x3380_0000); // 2^-24
            return if sign == 0 { magnitude } else { -magnitude };
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, _) => sign | 0x7fc0_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// Byte `i` of `block`, 0 past its end (never reached for a block of the right size).
fn byte(block: &[u8], i: usize) -> u8 {
    block.get(i).copied().unwrap_or(0)
}

/// Q8_0: `[d: f16][q: 32 × i8]`.
fn q8_0(block: &[u8], out: &mut Vec<f32>) {
    let d = f16(block, 0);
    out.extend((0..32).map(|i| f32::from(byte(block, 2 + i) as i8) * d));
}

/// Q4_0: `[d: f16][qs: 16 bytes]`; value `j` is the low nibble of byte `j`, value `16 + j` its
/// high nibble.
fn q4_0(block: &[u8], out: &mut Vec<f32>) {
    let d = f16(block, 0);
    for shift in [0, 4] {
        out.extend((0..16).map(|j| d * f32::from(((byte(block, 2 + j) >> shift) & 0xf) as i8 - 8)));
    }
}

/// Q4_1: `[d: f16][m: f16][qs: 16 bytes]`, nibbles laid out as in Q4_0.
fn q4_1(block: &[u8], out: &mut Vec<f32>) {
    let d = f16(block, 0);
    let m = f16(block, 2);
    for shift in [0, 4] {
        out.extend((0..16).map(|j| d * f32::from((byte(block, 4 + j) >> shift) & 0xf) + m));
    }
}

/// The 6-bit scale and minimum of sub-block `j` (0..8) from Q4_K's 12 packed bytes: sub-blocks
/// 0–3 keep theirs in the low 6 bits of bytes `j` and `4 + j`; sub-blocks 4–7 take the nibbles of
/// byte `8 + (j − 4)` and the top 2 bits of bytes `j − 4` and `j`.
fn q4_k_scale_min(scales: &[u8], j: usize) -> (u8, u8) {
    if j < 4 {
        (byte(scales, j) & 0x3f, byte(scales, j + 4) & 0x3f)
    } else {
        let packed = byte(scales, j + 4);
        let sc = (packed & 0x0f) | ((byte(scales, j - 4) >> 2) & 0x30);
        let mn = (packed >> 4) | ((byte(scales, j) >> 2) & 0x30);
        (sc, mn)
    }
}

/// Q4_K: `[d: f16][dmin: f16][scales: 12][qs: 128]`, 256 values in 8 sub-blocks of 32.
/// Sub-blocks `2g` and `2g + 1` share the 32 bytes `qs[32g..32g + 32]` (low, then high nibbles);
/// value = `d·sc · q − dmin·m`.
fn q4_k(block: &[u8], out: &mut Vec<f32>) {
    let d = f16(block, 0);
    let dmin = f16(block, 2);
    let scales = block.get(4..16).unwrap_or_default();
    let qs = block.get(16..144).unwrap_or_default();
    for sub in 0..8 {
        let (sc, mn) = q4_k_scale_min(scales, sub);
        let scale = d * f32::from(sc);
        let min = dmin * f32::from(mn);
        let (group, shift) = (sub / 2, 4 * (sub % 2));
        out.extend(
            (0..32).map(|l| scale * f32::from((byte(qs, 32 * group + l) >> shift) & 0xf) - min),
        );
    }
}

/// Q6_K: `[ql: 128][qh: 64][scales: 16 × i8][d: f16]`, 256 values in two halves of 128.
/// In half `h`, value `h·128 + 32·k + l` (k in 0..4, l in 0..32) takes its low 4 bits from
/// `ql[64h + 32·(k % 2) + l]` (low nibble for k < 2, high for k ≥ 2) and its high 2 bits from
/// `qh[32h + l] >> 2k`; value = `d·scale[idx / 16] · (q − 32)`.
fn q6_k(block: &[u8], out: &mut Vec<f32>) {
    let d = f16(block, 208);
    for idx in 0..256 {
        let (h, k, l) = (idx / 128, (idx % 128) / 32, idx % 32);
        let low = (byte(block, 64 * h + 32 * (k % 2) + l) >> (4 * (k / 2))) & 0xf;
        let high = (byte(block, 128 + 32 * h + l) >> (2 * k)) & 0x3;
        let q = ((low | (high << 4)) as i8) - 32;
        let scale = d * f32::from(byte(block, 192 + idx / 16) as i8);
        out.push(scale * f32::from(q));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversion_covers_normal_subnormal_and_special_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8001), -(2f32.powi(-24)));
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn partial_blocks_are_an_error_not_a_panic() {
        let mut out = Vec::new();
        assert!(dequantize(GgmlType::Q8_0, &[0u8; 33], &mut out).is_err());
        assert!(dequantize(GgmlType::Other(13), &[], &mut out).is_err());
    }
}
