//! The trainer on the tiny llama fixture, from token ids (no tokenizer): what the browser's
//! training check runs. The loss falls; a checkpoint taken in memory resumes to the same
//! adapter; an update that breaks the adapter is undone and reported.

mod common;

use soo_core::burn::tensor::Device;
use soo_core::lora::Lora;
use soo_core::model::Model;
use soo_core::train::{Examples, TokenData, TrainConfig, Trainer};

fn tiny(device: &Device) -> Model<Lora> {
    common::tiny_model("llama", device)
}

fn data() -> TokenData {
    TokenData {
        examples: Examples::Pairs(vec![
            (vec![1, 5, 9, 23, 7, 3], vec![1, 6, 9, 23, 7, 3, 11]),
            (vec![1, 8, 2, 4, 17], vec![1, 8, 2, 4, 19]),
            (vec![1, 30, 31, 32], vec![1, 40, 31, 32]),
        ]),
        neutral: vec![vec![1, 50, 51, 52, 53], vec![1, 60, 61]],
        pairs: 3,
        pad: 0,
    }
}

fn config(sets: &[&str]) -> TrainConfig {
    let base = "hook = \"layers.1.self_attn.o_proj\"\nbatch_size = 2\n\
                [lora]\nrank = 4\nalpha = 8.0\n[optimizer]\nlr = 1e-2\n";
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    TrainConfig::build(None, Some(("test", base)), &sets).unwrap()
}

fn losses(trainer: &mut Trainer, model: &mut Model<Lora>, steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|_| pollster::block_on(trainer.step(model)).unwrap().loss)
        .collect()
}

#[test]
fn every_objective_trains_and_soo_falls() {
    let device = Device::flex().autodiff();
    for (objective, positions) in [
        ("soo-mse", "all"),
        ("soo-mse", "last"),
        ("soo-mse", "mean"),
        ("logit-kl", "all"),
    ] {
        let mut model = tiny(&device);
        let config = config(&[
            "steps=8",
            &format!("objective=\"{objective}\""),
            &format!("positions=\"{positions}\""),
            "kl_weight=0.1",
        ]);
        let mut trainer = Trainer::from_tokens(config, &mut model, data(), &device).unwrap();
        let curve = losses(&mut trainer, &mut model, 8);
        eprintln!("{objective}/{positions}: {curve:?}");
        assert!(curve.iter().all(|l| l.is_finite()));
        assert!(
            curve[7] < curve[0],
            "{objective}/{positions} did not fall: {curve:?}"
        );
        assert!(trainer.is_finished());
    }
}

#[test]
fn an_in_memory_checkpoint_resumes_to_the_same_adapter() {
    let device = Device::flex().autodiff();
    let sets = ["steps=6", "lora.dropout=0.2", "grad_accum=2"];
    let mut straight = tiny(&device);
    let mut trainer = Trainer::from_tokens(config(&sets), &mut straight, data(), &device).unwrap();
    let all = losses(&mut trainer, &mut straight, 6);

    let mut first = tiny(&device);
    let mut trainer = Trainer::from_tokens(config(&sets), &mut first, data(), &device).unwrap();
    let head = losses(&mut trainer, &mut first, 3);
    let checkpoint = pollster::block_on(trainer.checkpoint(&first)).unwrap();

    // A fresh model and trainer, as after a restart; the adapter comes from the checkpoint.
    let mut second = tiny(&device);
    let mut resumed = Trainer::from_tokens(config(&sets), &mut second, data(), &device).unwrap();
    resumed.restore(&mut second, &checkpoint, &device).unwrap();
    let tail = losses(&mut resumed, &mut second, 3);
    assert_eq!([head, tail].concat(), all);
    let a = pollster::block_on(trainer_export(&straight));
    let b = pollster::block_on(trainer_export(&second));
    assert!(a == b, "adapters differ after resuming");
}

async fn trainer_export(model: &Model<Lora>) -> Vec<u8> {
    soo_core::lora::peft::export(model.adapter().unwrap(), None)
        .await
        .unwrap()
        .weights
}

#[test]
fn an_update_that_breaks_the_adapter_is_undone() {
    let device = Device::flex().autodiff();
    let mut model = tiny(&device);
    // eps = 0: A's gradient is zero while B is zero, and Adam divides 0 by 0. Set on the struct:
    // `TrainConfig::build` rejects it (eps must be positive), the trainer must still cope.
    let mut config = config(&["steps=3"]);
    config.optimizer.eps = 0.0;
    let mut trainer = Trainer::from_tokens(config, &mut model, data(), &device).unwrap();
    let before = pollster::block_on(trainer_export(&model));
    let err = pollster::block_on(trainer.step(&mut model))
        .unwrap_err()
        .to_string();
    assert!(err.contains("diverged at step 1"), "{err}");
    assert_eq!(pollster::block_on(trainer_export(&model)), before);
    assert_eq!(trainer.steps_done(), 0);
}

#[test]
fn the_lm_loss_scores_only_the_completion() {
    use soo_core::burn::tensor::activation::log_softmax;
    use soo_core::train::{TokenBatch, loss};
    let device = Device::flex().autodiff();
    let model = tiny(&device);
    let rows = vec![vec![1, 5, 9, 23, 7, 3], vec![1, 8, 2, 4]];
    let batch = TokenBatch::new(&rows, 0, &device).unwrap();
    let logits = model
        .forward(batch.ids.clone(), Some(batch.mask.clone()), &[])
        .unwrap()
        .logits;
    // Only the last token of each row is scored.
    let starts = [5, 3];
    let got = loss::lm(logits.clone(), batch.ids.clone(), &batch.lengths, &starts)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()[0];
    let log_p = log_softmax(logits, 2)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let vocab = model.vocab_size();
    let width = 6;
    let at = |row: usize, t: usize, token: u32| log_p[(row * width + t) * vocab + token as usize];
    let want = -(at(0, 4, 3) + at(1, 2, 4)) / 2.0;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    // Scoring from 0 covers every real next token.
    let all = loss::lm(
        model
            .forward(batch.ids.clone(), Some(batch.mask.clone()), &[])
            .unwrap()
            .logits,
        batch.ids,
        &batch.lengths,
        &[0, 0],
    );
    assert!(all.into_data().try_to_vec::<f32>().unwrap()[0].is_finite());
}

#[test]
fn supervised_fine_tuning_learns_its_completions() {
    let device = Device::flex().autodiff();
    let mut model = tiny(&device);
    let data = TokenData {
        // Prompts 1 2 3 / 1 4 5 with completions 7 7 / 9 9: only those are scored.
        examples: Examples::Texts(vec![(vec![1, 2, 3, 7, 7], 3), (vec![1, 4, 5, 9, 9], 3)]),
        neutral: Vec::new(),
        pairs: 2,
        pad: 0,
    };
    // The default hook of a 30-layer model: `lm` never reads it, so a 2-layer model trains
    // (`soo organism build` on a small base failed here once), while SOO refuses it.
    let deep_hook = "hook=\"layers.19.self_attn.o_proj\"";
    let soo = config(&["steps=1", deep_hook]);
    let refused = Trainer::from_tokens(soo, &mut model, data.clone(), &device).err();
    assert!(
        refused.is_some_and(|e| e.to_string().contains("numbered 0 to 1")),
        "SOO with a hook past the last layer must be refused"
    );
    let config = config(&[
        "steps=10",
        "objective=\"lm\"",
        "data.texts_file=\"unused\"",
        "optimizer.lr=5e-2",
        deep_hook,
    ]);
    let mut trainer = Trainer::from_tokens(config, &mut model, data, &device).unwrap();
    let curve = losses(&mut trainer, &mut model, 10);
    assert!(curve[9] < 0.2 * curve[0], "{curve:?}");
}
