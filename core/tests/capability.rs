//! Capability checks on the tiny Llama fixture: KL to the base model is 0 without an adapter
//! (and with a fresh one, whose B is zero), and perplexity matches a hand computation from the
//! model's logits.

mod common;

use burn::tensor::{Int, Tensor, TensorData};
use soo_core::burn;
use soo_core::device::flex_device;
use soo_core::eval::measure::capability::{NEUTRAL_TEXT, NeutralPrompts, kl_to_base, perplexity};
use soo_core::lora::{Lora, LoraConfig};
use soo_core::model::Model;

fn tiny() -> Model<Lora> {
    common::tiny_model("llama", &flex_device())
}

fn prompts() -> Vec<Vec<u32>> {
    vec![
        vec![1, 5, 9, 13, 17, 21],
        vec![1, 40],
        vec![1, 7, 8, 100, 127],
    ]
}

#[test]
fn kl_to_base_is_zero_without_an_adapter() {
    let mut model = tiny();
    let kl = pollster::block_on(kl_to_base(&model, &prompts(), 2, 0)).unwrap();
    assert_eq!(kl.mean, 0.0);
    assert_eq!(kl.max, 0.0);
    assert_eq!(kl.positions, 6 + 2 + 5);
    assert_eq!(kl.prompts, 3);
    assert!(!kl.adapter);
    // A fresh adapter's B is zero: the branch adds nothing yet.
    let lora = Lora::init(&LoraConfig::default(), model.shape(), 0, &flex_device()).unwrap();
    model.attach_adapter(lora).unwrap();
    let kl = pollster::block_on(kl_to_base(&model, &prompts(), 8, 0)).unwrap();
    assert!(kl.adapter);
    assert!(kl.mean.abs() < 1e-7, "{}", kl.mean);
}

/// exp(mean over t of −log softmax(logits[t])[ids[t + 1]]), in f64 on the host.
fn perplexity_by_hand(model: &Model<Lora>, ids: &[u32]) -> (f64, usize) {
    let values: Vec<i64> = ids.iter().map(|&t| i64::from(t)).collect();
    let input =
        Tensor::<2, Int>::from_data(TensorData::new(values, [1, ids.len()]), &flex_device());
    let logits: Vec<f32> = model
        .forward(input, None, &[])
        .unwrap()
        .logits
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap();
    let vocab = model.vocab_size();
    let mut nll = 0.0f64;
    for t in 0..ids.len() - 1 {
        let row = &logits[t * vocab..(t + 1) * vocab];
        let max = row
            .iter()
            .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
        let log_sum = row
            .iter()
            .map(|&v| (f64::from(v) - max).exp())
            .sum::<f64>()
            .ln()
            + max;
        nll += log_sum - f64::from(row[ids[t + 1] as usize]);
    }
    (nll, ids.len() - 1)
}

#[test]
fn perplexity_matches_a_hand_computation() {
    let model = tiny();
    let ids: Vec<u32> = (0..23u32).map(|i| (i * 37 + 11) % 128).collect();
    let (nll, tokens) = perplexity_by_hand(&model, &ids);
    let ours = pollster::block_on(perplexity(&model, &ids, 64)).unwrap();
    assert_eq!(ours.tokens, tokens);
    let expected = (nll / tokens as f64).exp();
    assert!(ours.perplexity.is_finite() && ours.perplexity > 1.0);
    assert!(
        (ours.perplexity - expected).abs() <= 1e-4 * expected,
        "{} vs {expected}",
        ours.perplexity
    );
    // Windows of 10 tokens: three windows scored on their own (9 + 9 + 2 predictions).
    let (a, na) = perplexity_by_hand(&model, &ids[..10]);
    let (b, nb) = perplexity_by_hand(&model, &ids[10..20]);
    let (c, nc) = perplexity_by_hand(&model, &ids[20..]);
    let windowed = pollster::block_on(perplexity(&model, &ids, 10)).unwrap();
    assert_eq!(windowed.tokens, na + nb + nc);
    let expected = ((a + b + c) / (na + nb + nc) as f64).exp();
    assert!((windowed.perplexity - expected).abs() <= 1e-4 * expected);
    assert!(pollster::block_on(perplexity(&model, &ids[..1], 10)).is_err());
}

#[test]
fn the_shipped_neutral_data_is_valid() {
    let prompts = NeutralPrompts::builtin().prompts;
    assert!(prompts.len() >= 20, "{}", prompts.len());
    for word in ["room", "steal", "Bob", "honest"] {
        assert!(
            prompts.iter().all(|p| !p.contains(word)),
            "a neutral prompt mentions `{word}`"
        );
    }
    assert!(NEUTRAL_TEXT.split_whitespace().count() > 200);
    let bad = NeutralPrompts::parse("neutral.toml", "prompts = 3\n")
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("neutral.toml") && bad.contains("line 1"),
        "{bad}"
    );
}
