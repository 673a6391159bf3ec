//! The fuzz targets: soo's real parsers and loaders, each fed a set of named files and run as
//! far as the files allow (parse, then build, then a forward pass), exactly as `soo` and the
//! page would. A target returns what happened in one line (`ok`, or the error); only a panic, an
//! abort or an oversized allocation is a finding.

use std::collections::HashMap;
use std::path::Path;

use soo_core::device::flex_device;
use soo_core::eval::scenario::PromptStyle;
use soo_core::eval::scenario_file::ScenarioSet;
use soo_core::eval::suites::Suite;
use soo_core::eval::vocabulary::Vocabulary;
use soo_core::experiment::file::Experiment;
use soo_core::load::gguf::Gguf;
use soo_core::load::model_files::{FileBytes, ModelFiles};
use soo_core::loaded::LoadedModel;
use soo_core::lora::peft::{self, PeftFiles};
use soo_core::model::ModelShape;
use soo_core::train::TokenBatch;
use soo_core::train::config::TrainConfig;

use crate::gguf_spec::GgufSpec;

/// One input: file name → bytes. The names say how each file is mutated (by extension) and
/// what it is to the target.
pub type Input = Vec<(String, Vec<u8>)>;

pub struct Target {
    pub name: &'static str,
    /// What the campaign starts from (the committed corpus is added to these).
    pub seeds: fn() -> Vec<Input>,
    /// Runs the real code on one input; the outcome in one line.
    pub run: fn(&Input) -> String,
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "gguf",
        seeds: gguf_seeds,
        run: run_gguf,
    },
    Target {
        name: "hf_folder",
        seeds: hf_seeds,
        run: run_hf_folder,
    },
    Target {
        name: "train_config",
        seeds: train_config_seeds,
        run: run_train_config,
    },
    Target {
        name: "eval_files",
        seeds: eval_seeds,
        run: run_eval_file,
    },
    Target {
        name: "peft",
        seeds: peft_seeds,
        run: run_peft,
    },
];

fn core_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> Vec<u8> {
    let path = core_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn outcome<T>(result: soo_core::Result<T>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

fn line(result: Result<(), String>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => e,
    }
}

/// A loaded model answers: a prompt through its tokenizer (with the chat template when it has
/// one) and a forward pass whose logits must be finite or an error.
fn exercise(loaded: &LoadedModel) -> Result<(), String> {
    let chat = loaded.chat_template.is_some();
    let ids = outcome(loaded.prompt_ids("the hat is in the study", chat))?;
    if ids.is_empty() {
        return Ok(());
    }
    let device = flex_device();
    let batch = outcome(TokenBatch::new(&[ids], loaded.pad_token(), &device))?;
    let out = outcome(loaded.model.forward(batch.ids, Some(batch.mask), &[]))?;
    finite_logits(out.logits)
}

/// Logits a classifier could read must be finite: a NaN is an error, never an answer.
fn finite_logits(logits: soo_core::burn::tensor::Tensor<3>) -> Result<(), String> {
    let values = logits
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    outcome(soo_core::base::tensor::check_finite(&values, "logits"))
}

fn load_and_exercise(files: HashMap<String, FileBytes>) -> Result<(), String> {
    let files = outcome(ModelFiles::from_files(files))?;
    let loaded = outcome(LoadedModel::load(&files, &flex_device()))?;
    exercise(&loaded)
}

// ── GGUF ────────────────────────────────────────────────────────────────────────────────────

fn gguf_seeds() -> Vec<Input> {
    let mut seeds: Vec<Input> = ["f32", "f16", "bf16", "q4_0", "q4_1", "q4_k", "q6_k", "q8_0"]
        .iter()
        .filter(|n| {
            core_dir()
                .join(format!("tests/fixtures/gguf/{n}.gguf"))
                .exists()
        })
        .map(|n| {
            vec![(
                "model.gguf".into(),
                read(&format!("tests/fixtures/gguf/{n}.gguf")),
            )]
        })
        .collect();
    seeds.push(vec![(
        "model.gguf".into(),
        GgufSpec::tiny_llama(1).encode(),
    )]);
    seeds
}

/// The GGUF reader (every tensor decoded), then the file as a model: config, tokenizer and chat
/// template from the metadata, the model built and run.
fn run_gguf(input: &Input) -> String {
    let bytes = &input[0].1;
    let decoded = outcome(Gguf::parse("model.gguf", bytes)).and_then(|gguf| {
        gguf.tensors
            .iter()
            .try_for_each(|t| outcome(gguf.tensor(bytes, &t.name)).map(|_| ()))
    });
    if let Err(e) = decoded {
        return e;
    }
    let files = HashMap::from([("model.gguf".to_string(), FileBytes::new(bytes.clone()))]);
    line(load_and_exercise(files))
}

// ── A Hugging Face folder: config.json, model.safetensors, tokenizer.json ───────────────────

fn hf_seeds() -> Vec<Input> {
    vec![vec![
        (
            "config.json".into(),
            read("tests/fixtures/tiny/llama/config.json"),
        ),
        (
            "model.safetensors".into(),
            read("tests/fixtures/tiny/llama/model.safetensors"),
        ),
        (
            "tokenizer.json".into(),
            read("../www/models/toy-world/tokenizer.json"),
        ),
        (
            "tokenizer_config.json".into(),
            read("../www/models/toy-world/tokenizer_config.json"),
        ),
    ]]
}

fn run_hf_folder(input: &Input) -> String {
    let files = input
        .iter()
        .map(|(name, bytes)| (name.clone(), FileBytes::new(bytes.clone())))
        .collect();
    line(load_and_exercise(files))
}

// ── Training settings ───────────────────────────────────────────────────────────────────────

fn train_config_seeds() -> Vec<Input> {
    let config = TrainConfig::build(Some("smollm2-135m"), None, &[])
        .unwrap()
        .to_toml();
    let sets =
        "lora.rank=4\noptimizer.lr=3e-4\npositions=\"last\"\nobjective=\"soo-mse\"\nkl_weight=0.5";
    vec![vec![
        ("config.toml".into(), config.into_bytes()),
        ("sets.txt".into(), sets.as_bytes().to_vec()),
        ("preset.txt".into(), b"smollm2-135m".to_vec()),
    ]]
}

/// `TrainConfig::build` with a preset, a config file and `--set` overrides (which validates).
fn run_train_config(input: &Input) -> String {
    let text = |i: usize| String::from_utf8_lossy(&input[i].1).into_owned();
    let (config, sets, preset) = (text(0), text(1), text(2));
    let sets: Vec<String> = sets.lines().map(str::to_string).collect();
    let preset = (!preset.is_empty()).then_some(preset.as_str());
    match TrainConfig::build(preset, Some(("config.toml", &config)), &sets) {
        Ok(config) => {
            // What was accepted must survive its own round trip.
            let again = TrainConfig::build(None, Some(("again.toml", &config.to_toml())), &[]);
            assert_eq!(again.ok().as_ref(), Some(&config), "config.toml round trip");
            "ok".into()
        }
        Err(e) => e.to_string(),
    }
}

// ── Evaluation files: suites, scenario sets, vocabularies, experiments ──────────────────────

fn eval_seeds() -> Vec<Input> {
    let one = |name: &str, path: &str| vec![(name.to_string(), read(path))];
    vec![
        one("suite.toml", "tests/fixtures/eval/museum.toml"),
        one("suite.toml", "data/suites/main.toml"),
        one("suite.toml", "data/suites/perspectives.toml"),
        one(
            "scenarios.json",
            "tests/fixtures/eval/scenarios_authors_format.json",
        ),
        one("vocabulary.toml", "data/vocabulary.toml"),
        vec![(
            "experiment.toml".into(),
            Experiment::new("model.gguf")
                .to_toml()
                .unwrap()
                .into_bytes(),
        )],
    ]
}

fn run_eval_file(input: &Input) -> String {
    let (name, bytes) = &input[0];
    let text = String::from_utf8_lossy(bytes);
    let style = PromptStyle::default();
    let result = match name.as_str() {
        "suite.toml" => outcome(Suite::parse(name, &text)).map(|suite| {
            let vocabulary = Vocabulary::builtin();
            let mirrored = suite.mirror();
            for s in std::iter::once(&suite).chain(mirrored.as_ref()) {
                s.generate(3, 7, &vocabulary, &style);
            }
        }),
        "scenarios.json" => outcome(ScenarioSet::parse(name, &text)).map(|set| {
            set.scenarios(&style);
            if let Some(m) = set.mirror() {
                m.scenarios(&style);
            }
        }),
        "vocabulary.toml" => outcome(Vocabulary::parse(
            name,
            &text,
            soo_core::eval::format::Syntax::Toml,
        ))
        .and_then(|v| outcome(v.validate(name))),
        _ => outcome(Experiment::parse(name, &text)).map(|_| ()),
    };
    line(result)
}

// ── peft adapters ────────────────────────────────────────────────────────────────────────────

fn tiny_llama_shape() -> ModelShape {
    *crate::tiny_llama().shape()
}

fn peft_seeds() -> Vec<Input> {
    vec![vec![
        (
            "adapter_config.json".into(),
            read("tests/fixtures/soo_step/adapter/adapter_config.json"),
        ),
        (
            "adapter_model.safetensors".into(),
            read("tests/fixtures/soo_step/adapter/adapter_model.safetensors"),
        ),
    ]]
}

/// `peft::import` for the tiny llama, then the adapter attached and run.
fn run_peft(input: &Input) -> String {
    let files = PeftFiles {
        config: input[0].1.clone(),
        weights: input[1].1.clone(),
    };
    let device = flex_device();
    let result = outcome(peft::import(
        &files,
        "adapter",
        &tiny_llama_shape(),
        &device,
    ))
    .and_then(|lora| {
        let mut model = crate::tiny_llama().clone();
        outcome(model.attach_adapter(lora))?;
        let batch = outcome(TokenBatch::new(&[vec![1, 2, 3]], 0, &device))?;
        let out = outcome(model.forward(batch.ids, Some(batch.mask), &[]))?;
        finite_logits(out.logits)
    });
    line(result)
}
