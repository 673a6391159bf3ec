//! Fuzzing soo's parsers and loaders in-process, with a structure-aware mutator (docs/hardening.md).
//!
//! Five targets (`targets.rs`): the GGUF reader and GGUF models, Hugging Face folders
//! (`ModelFiles::from_files`: config.json, safetensors, tokenizer.json), `TrainConfig::build`,
//! evaluation files (suites, scenario sets, vocabularies, experiments) and peft adapters. Each
//! input is mutated from the seeds and from inputs that gave a new outcome (`mutate.rs`: JSON,
//! TOML, safetensors-header and GGUF-structure edits, and byte havoc), then run as far as it
//! goes: parsed, built, a forward pass. A finding is a panic, an allocation refused as absurd
//! (the process then aborts), or one far larger than the input warrants.
//!
//! `cargo test -p soo-core --test fuzz` replays the committed corpus (`corpus/`, every finding
//! and every input that once gave a new outcome) and runs a short campaign: seconds, in CI.
//! The long campaign, whose figures docs/hardening.md reports:
//!
//! ```text
//! SOO_FUZZ_EXECS=1000000 cargo test --release -p soo-core --test fuzz -- --ignored --nocapture
//! ```
//! with `SOO_FUZZ_TARGETS=gguf,peft` for some targets only, `SOO_FUZZ_SEED=N` for another
//! draw, and `SOO_FUZZ_SAVE=1` to add the inputs that gave new outcomes to `corpus/`. Runs are
//! deterministic for a seed: after an abort, rerun with `SOO_FUZZ_KEEP_LAST=1` and the input
//! that aborted is left in `$CARGO_TARGET_DIR/fuzz-findings/<target>/last-input/`.

mod gguf_spec;
mod mutate;
mod targets;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use arbitrary::Unstructured;
use soo_core::base::rng::SplitMix64;
use soo_core::device::flex_device;
use soo_core::lora::Lora;
use soo_core::model::Model;

use gguf_spec::GgufSpec;
use targets::{Input, TARGETS, Target};

// ── The allocator that watches ──────────────────────────────────────────────────────────────

/// The largest single allocation since the last reset (one input's run).
static LARGEST: AtomicUsize = AtomicUsize::new(0);
/// Allocations above this are refused: the process aborts, as it would on a machine without
/// the memory, so that a size taken from a file unchecked cannot hide behind overcommit.
const REFUSE_ABOVE: usize = 1 << 30;

struct Watched;

// SAFETY: every call is passed to the system allocator unchanged, or refused with null.
unsafe impl GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Relaxed);
        if layout.size() > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Relaxed);
        if layout.size() > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Relaxed);
        if new_size > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watched = Watched;

/// The most one input may allocate at once: 64 MiB plus 64 bytes per input byte (a quantised
/// tensor decoded to f32 is 8× its bytes; a model's working set a small multiple of its weights).
fn allocation_bound(input: &Input) -> usize {
    let bytes: usize = input.iter().map(|(_, b)| b.len()).sum();
    (64 << 20) + 64 * bytes
}

// ── Shared fixtures ─────────────────────────────────────────────────────────────────────────

/// The tiny llama of the parity tests, loaded once (the peft target attaches adapters to it).
pub fn tiny_llama() -> &'static Model<Lora> {
    static MODEL: OnceLock<Model<Lora>> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny/llama");
        let files = ["config.json", "model.safetensors"]
            .into_iter()
            .map(|n| (n.to_string(), std::fs::read(dir.join(n)).unwrap()))
            .collect();
        soo_core::loaded::load_model(files, &flex_device()).unwrap()
    })
}

// ── The corpus ──────────────────────────────────────────────────────────────────────────────

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target)
}

/// A corpus entry is a folder holding the files that differ from the target's first seed.
fn load_corpus(target: &Target) -> Vec<Input> {
    let base = &(target.seeds)()[0];
    let Ok(entries) = std::fs::read_dir(corpus_dir(target.name)) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    dirs.iter()
        .map(|dir| {
            base.iter()
                .map(|(name, bytes)| {
                    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|_| bytes.clone());
                    (name.clone(), bytes)
                })
                .collect()
        })
        .collect()
}

/// Saves `input` under `dir` as the files that differ from `base` (the target's first seed).
fn save_entry(dir: &Path, base: &Input, input: &Input) {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for (_, bytes) in input {
        for b in bytes {
            hash = (hash ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    let entry = dir.join(format!("{hash:016x}"));
    std::fs::create_dir_all(&entry).unwrap();
    for ((name, bytes), (_, seed)) in input.iter().zip(base) {
        if bytes != seed || base.len() == 1 {
            std::fs::write(entry.join(name), bytes).unwrap();
        }
    }
}

// ── One campaign ────────────────────────────────────────────────────────────────────────────

/// An outcome with its numbers and quoted names blurred, so that "rank 5" and "rank 6" count
/// as one kind of outcome.
fn signature(outcome: &str) -> String {
    let mut s: String = outcome
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    s.truncate(s.char_indices().nth(72).map_or(s.len(), |(i, _)| i));
    s
}

#[derive(Default)]
struct Findings {
    executions: u64,
    outcomes: BTreeSet<String>,
    panics: Vec<(Input, String)>,
    oversized: Vec<(Input, usize)>,
    largest: usize,
    new_inputs: Vec<Input>,
    seconds: f64,
    /// What each seed gave: a target whose seeds all fail explores error paths only.
    seed_outcomes: Vec<String>,
}

fn mutate_file(
    u: &mut Unstructured,
    name: &str,
    bytes: &mut Vec<u8>,
    other: &[u8],
) -> arbitrary::Result<()> {
    match name.rsplit('.').next() {
        Some("json") => mutate::json_text(u, bytes, other),
        Some("toml") => mutate::toml_text(u, bytes, other),
        Some("safetensors") => mutate::safetensors(u, bytes, other),
        _ => mutate::havoc(u, bytes, other),
    }
}

/// A child of a pool entry: one or two of its files mutated (a GGUF target's child is, a third
/// of the time, a freshly bent GGUF structure instead).
fn child(
    u: &mut Unstructured,
    target: &Target,
    pool: &[Input],
    seed: u64,
) -> arbitrary::Result<Input> {
    if target.name == "gguf" && u.ratio(1, 3)? {
        let mut spec = GgufSpec::tiny_llama(seed);
        mutate::gguf_spec(u, &mut spec)?;
        let mut bytes = spec.encode();
        if u.ratio(1, 4)? {
            mutate::havoc(u, &mut bytes, &[])?;
        }
        return Ok(vec![("model.gguf".into(), bytes)]);
    }
    let mut input = u.choose(pool)?.clone();
    for _ in 0..u.int_in_range(1..=2)? {
        let i = u.int_in_range(0..=input.len() - 1)?;
        let donor = &u.choose(pool)?[i].1;
        let (name, bytes) = &mut input[i];
        mutate_file(u, name, bytes, donor)?;
    }
    Ok(input)
}

/// The message of the last panic (with its location), for the finding's report.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

thread_local! {
    /// Whether this thread runs a target now (its panics are findings, recorded quietly).
    static IN_TARGET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The target's outcome, or the message of the panic it raised.
fn run_quietly(target: &Target, input: &Input) -> Result<String, String> {
    IN_TARGET.with(|t| t.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| (target.run)(input)))
        .map_err(|_| std::mem::take(&mut *LAST_PANIC.lock().unwrap()));
    IN_TARGET.with(|t| t.set(false));
    result
}

/// Records a target's panics quietly; any other panic (the test's own asserts) is reported as
/// usual.
fn install_panic_recorder() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_TARGET.with(|t| t.get()) {
                *LAST_PANIC.lock().unwrap() = info.to_string();
            } else {
                default(info);
            }
        }));
    });
}

fn campaign(target: &Target, executions: u64, seed: u64, keep_last: bool) -> Findings {
    install_panic_recorder();
    let mut pool: Vec<Input> = (target.seeds)();
    let mut findings = Findings::default();
    for seed in &pool {
        let (_, outcome) = run_one(target, seed, &mut findings);
        findings.seed_outcomes.push(outcome);
    }
    // Then the corpus: it is the regression suite.
    let corpus = load_corpus(target);
    for input in &corpus {
        run_one(target, input, &mut findings);
    }
    pool.extend(corpus);
    let last_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("fuzz-findings")
        .join(target.name)
        .join("last-input");
    let mut rng = SplitMix64::new(seed);
    let start = Instant::now();
    let mut entropy = vec![0u8; 1024];
    for i in 0..executions {
        for chunk in entropy.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next_u64().to_le_bytes()[..chunk.len()]);
        }
        let mut u = Unstructured::new(&entropy);
        let Ok(input) = child(&mut u, target, &pool, seed ^ i) else {
            continue;
        };
        if keep_last {
            let _ = std::fs::remove_dir_all(&last_dir);
            std::fs::create_dir_all(&last_dir).unwrap();
            for (name, bytes) in &input {
                std::fs::write(last_dir.join(name), bytes).unwrap();
            }
        }
        if run_one(target, &input, &mut findings).0 && pool.len() < 512 {
            findings.new_inputs.push(input.clone());
            pool.push(input);
        }
        if executions >= 100_000 && (i + 1) % 100_000 == 0 {
            eprintln!(
                "fuzz {}: {} executions, {} outcomes, {:.0}/s",
                target.name,
                i + 1,
                findings.outcomes.len(),
                (i + 1) as f64 / start.elapsed().as_secs_f64()
            );
        }
    }
    findings.seconds = start.elapsed().as_secs_f64();
    findings
}

/// Runs one input: whether its outcome is new, and the outcome (or the panic's message).
fn run_one(target: &Target, input: &Input, findings: &mut Findings) -> (bool, String) {
    LARGEST.store(0, Relaxed);
    let result = run_quietly(target, input);
    let largest = LARGEST.load(Relaxed);
    findings.executions += 1;
    findings.largest = findings.largest.max(largest);
    if largest > allocation_bound(input) {
        findings.oversized.push((input.clone(), largest));
    }
    match result {
        Ok(outcome) => (findings.outcomes.insert(signature(&outcome)), outcome),
        Err(message) => {
            findings.panics.push((input.clone(), message.clone()));
            (false, message)
        }
    }
}

fn report(target: &Target, f: &Findings) {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("fuzz-findings")
        .join(target.name);
    let base = &(target.seeds)()[0];
    for (input, message) in f.panics.iter().take(5) {
        save_entry(&dir, base, input);
        eprintln!(
            "{}: PANIC {message} (input saved under {})",
            target.name,
            dir.display()
        );
    }
    for (input, bytes) in f.oversized.iter().take(5) {
        save_entry(&dir, base, input);
        eprintln!(
            "{}: allocated {bytes} bytes at once (input saved under {})",
            target.name,
            dir.display()
        );
    }
}

fn check(target: &Target, f: &Findings) {
    report(target, f);
    assert!(
        f.panics.is_empty() && f.oversized.is_empty(),
        "{}: {} panics, {} oversized allocations",
        target.name,
        f.panics.len(),
        f.oversized.len()
    );
}

/// The CI run: the corpus replayed, then a few hundred fresh inputs per target.
#[test]
fn every_target_survives_its_corpus_and_a_short_campaign() {
    for target in TARGETS {
        let f = campaign(target, 300, 0x5eed, false);
        eprintln!(
            "{}: {} executions in {:.1} s, {} kinds of outcome",
            target.name,
            f.executions,
            f.seconds,
            f.outcomes.len()
        );
        assert!(
            f.seed_outcomes.iter().any(|o| o == "ok"),
            "{}: no seed runs through: {:?}",
            target.name,
            f.seed_outcomes
        );
        assert!(
            f.outcomes.len() >= 3,
            "{}: the mutator reaches too little",
            target.name
        );
        check(target, &f);
    }
}

/// The long campaign (see the module docs); prints the table docs/hardening.md reports.
#[test]
#[ignore = "a fuzzing campaign: minutes to hours; run by hand"]
fn campaign_per_target() {
    let env = |key: &str| std::env::var(key).ok();
    let executions = env("SOO_FUZZ_EXECS").map_or(1_000_000, |v| v.parse().unwrap());
    let seed = env("SOO_FUZZ_SEED").map_or(1, |v| v.parse().unwrap());
    let only = env("SOO_FUZZ_TARGETS");
    let save = env("SOO_FUZZ_SAVE").is_some();
    let keep_last = env("SOO_FUZZ_KEEP_LAST").is_some();
    let mut table = vec![
        "| target | executions | seconds | executions/s | kinds of outcome | panics | oversized allocations | largest allocation |".to_string(),
        "|---|---|---|---|---|---|---|---|".to_string(),
    ];
    let mut failed = Vec::new();
    for target in TARGETS {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|t| t == target.name))
        {
            continue;
        }
        let f = campaign(target, executions, seed, keep_last);
        if save {
            // The corpus is committed: small entries only, at most 30 per target.
            let base = &(target.seeds)()[0];
            let small = |input: &&Input| {
                let changed: usize = input
                    .iter()
                    .zip(base)
                    .filter(|((_, a), (_, b))| a != b)
                    .map(|((_, a), _)| a.len())
                    .sum();
                changed <= 16 << 10
            };
            for input in f.new_inputs.iter().filter(small).take(30) {
                save_entry(&corpus_dir(target.name), base, input);
            }
        }
        table.push(format!(
            "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {:.1} MiB |",
            target.name,
            f.executions,
            f.seconds,
            f.executions as f64 / f.seconds,
            f.outcomes.len(),
            f.panics.len(),
            f.oversized.len(),
            f.largest as f64 / (1 << 20) as f64
        ));
        report(target, &f);
        if !f.panics.is_empty() || !f.oversized.is_empty() {
            failed.push(target.name);
        }
    }
    println!("{}", table.join("\n"));
    assert!(failed.is_empty(), "findings in {failed:?}");
}
