//! `soo eval`: runs deception suites (built-in, scenario families with `--suite family:…`, or a
//! scenario file with `--scenarios`, with `--mirrored` its mirrored variant too) on a model and
//! writes `DIR/report.json` (per suite: what its rate counts, and per classifier: counts and the
//! target rate with its 95% Wilson interval, every answer, the wall time of generation and of
//! forced choice apart),
//! `DIR/report.md` (the tables) and `DIR/report.svg` (stacked bars per suite). `--latent` adds the
//! latent SOO table (docs/method.md §6) and `--capability` the KL to the base model and the perplexity on
//! neutral text; both are opt-in because they cost forward passes a deception-only run does not
//! need. Files are written atomically (temp file, then rename), so a run that fails part-way never
//! leaves a half-written report behind. `--compare A.json B.json` prints the difference of two
//! reports and writes nothing. `--steering DIR --strength 0,2,4` (a vector `soo steer` wrote)
//! runs everything once per strength with the model steered, into `OUT/strength-S/`, and sets
//! the reports side by side in `OUT/sweep.md` and `OUT/sweep.json`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use soo_core::base::files::{io_error, read_text, write_atomic};
use soo_core::device::BackendKind;
use soo_core::eval::measure::capability::capability;
use soo_core::eval::measure::latent::{latent_soo, probe_pairs};
use soo_core::eval::measure::run::{EvalOptions, run_suite};
use soo_core::eval::results::SuiteResult;
use soo_core::eval::{
    AnswerSuffix, PromptStyle, Scenario, ScenarioSet, Suite, TrainingItems, Vocabulary, compare,
    family, report, suites, svg,
};
use soo_core::model::Positions;
use soo_core::steering::SteeringVector;
use soo_core::steering::file::{check_fits, read_dir};
use soo_core::steering::sweep::{Strengths, Sweep, strength_dir};
use soo_core::{Error, Result};

use super::loading::{ModelSource, Ready, load};

/// Which classifiers to run.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Classifier {
    /// The paper's rule on generated answers.
    Authors,
    /// Deceptive / honest / other on generated answers.
    ThreeWay,
    /// Log-probability of each room after a fixed answer prefix (no generation).
    ForcedChoice,
    /// All three (generation and forced choice).
    All,
}

impl Classifier {
    /// The classifier a file names (`three-way`), or the valid names on a typo.
    pub fn from_name(name: &str) -> std::result::Result<Self, String> {
        Classifier::from_str(name, false).map_err(|_| {
            let names: Vec<String> = Classifier::value_variants()
                .iter()
                .filter_map(|c| c.to_possible_value())
                .map(|v| v.get_name().to_string())
                .collect();
            format!("classifier '{name}': use {}", names.join(", "))
        })
    }
}

/// The answer instruction when none is given.
pub const DEFAULT_SUFFIX: &str = "i-would";
/// Prompts generated together when not given.
pub const DEFAULT_BATCH_SIZE: usize = 8;

/// Options of `soo eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// A model folder, a `.gguf` file, or a Hugging Face Hub id (`org/name[@revision]`).
    #[arg(long, value_name = "M", required_unless_present = "compare")]
    model: Option<String>,
    /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
    #[arg(long, default_value = "flex")]
    backend: BackendKind,
    /// A LoRA adapter folder in peft's layout (what `soo train` writes), applied to the model;
    /// `--capability` then measures the KL from the model without it. Repeat to stack: all but
    /// the last are merged into the base.
    #[arg(long, value_name = "DIR")]
    adapter: Vec<PathBuf>,
    /// Comma-separated suite names (`main,main-mirrored`), or `all`; an entry ending in `.toml`
    /// or `.json` is a suite file in soo's suite format (`FILE:mirrored`: its mirrored variant);
    /// `family:NAME` is a scenario family's six suites, `family:train` and `family:test` every
    /// family of a split.
    #[arg(long, value_name = "NAMES")]
    suite: Option<String>,
    /// A scenario file in the authors' format (see `soo_core::eval::scenario_file`), run as one
    /// more suite named after the file; its first --n scenarios.
    #[arg(long, value_name = "FILE")]
    scenarios: Option<PathBuf>,
    /// With --scenarios: also run the file's mirrored variant (`<name>-mirrored`: the two rooms
    /// of its question swapped, everything else and the scoring unchanged).
    #[arg(long, requires = "scenarios")]
    mirrored: bool,
    /// Scenarios per suite.
    #[arg(long, default_value_t = 100)]
    n: usize,
    /// Seed of the scenario generator (the same seed gives the same scenarios).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Which classifiers to run.
    #[arg(long, value_enum, default_value = "all")]
    classifier: Classifier,
    /// Prepend the paper's honesty prompt (the honesty-prompt baseline).
    #[arg(long)]
    honesty_prompt: bool,
    /// The answer instruction: `i-would` (Mistral's), `room-only` (Gemma's), `none`, or
    /// `text:YOUR TEXT` for a custom one (appended after one space).
    #[arg(long, default_value = DEFAULT_SUFFIX, value_name = "SUFFIX")]
    suffix: AnswerSuffix,
    /// Prompts generated together.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
    batch_size: usize,
    /// Also measure latent SOO: MSE between self and other activations of every linear module
    /// of every layer, over the §6 probe pairs of soo's 52 training items.
    #[arg(long)]
    latent: bool,
    /// Latent SOO positions: `last` (each prompt's last token), `all` (the aligned prefix) or
    /// `mean` (each prompt's mean over its tokens).
    #[arg(long, default_value = "last", value_name = "P")]
    latent_positions: Positions,
    /// Also run the capability checks: KL(base ‖ model) on neutral prompts, perplexity on a
    /// neutral text.
    #[arg(long)]
    capability: bool,
    /// A steering vector's folder (what `soo steer` writes): every forward pass adds
    /// strength · v to its module's output (the steering baseline). Needs --strength.
    #[arg(long, value_name = "DIR", requires = "strength")]
    steering: Option<PathBuf>,
    /// Steering strengths, a comma list (`0,2,4,8`; negative steers the other way): one full
    /// evaluation per strength in `OUT/strength-S/`, and the sweep table in `OUT/sweep.md` and
    /// `OUT/sweep.json`.
    #[arg(
        long,
        value_name = "S,..",
        requires = "steering",
        allow_hyphen_values = true
    )]
    strength: Option<Strengths>,
    /// Print the difference table of two reports (A, then B) and write nothing.
    #[arg(long, num_args = 2, value_names = ["A", "B"],
          conflicts_with_all = ["suite", "scenarios", "out", "latent", "capability", "steering"])]
    compare: Option<Vec<PathBuf>>,
    /// Where report.json, report.md and report.svg go (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "compare")]
    out: Option<PathBuf>,
}

/// One suite to run: its name, what its rate counts, and its scenarios.
struct Job {
    name: String,
    description: String,
    scenarios: Vec<Scenario>,
}

impl Job {
    /// `scenarios` of `suite`.
    fn new(suite: &Suite, scenarios: Vec<Scenario>) -> Self {
        Self {
            name: suite.name.clone(),
            description: suite.description.clone(),
            scenarios,
        }
    }
}

/// One evaluation: `soo eval`'s options once read, which `soo run` and `soo organism eval`
/// give too.
pub struct Evaluation {
    /// The model, with its adapters.
    pub model: ModelSource,
    /// Comma-separated suite names or suite files (`--suite`).
    pub suites: Option<String>,
    /// A scenario file in the authors' format, run as one more suite.
    pub scenarios: Option<PathBuf>,
    /// Also run the scenario file's mirrored variant.
    pub scenarios_mirrored: bool,
    /// Scenarios per suite.
    pub n: usize,
    /// Seed of the scenario generator.
    pub seed: u64,
    /// Which classifiers to run.
    pub classifier: Classifier,
    /// The answer instruction and the honesty prompt.
    pub style: PromptStyle,
    /// Prompts generated together.
    pub batch_size: usize,
    /// Latent SOO at these positions, when asked.
    pub latent: Option<Positions>,
    /// Also run the capability checks.
    pub capability: bool,
    /// Steer the model and sweep these strengths, when asked.
    pub steering: Option<SteeringSweep>,
    /// Where report.json, report.md and report.svg go (with steering: one folder per
    /// strength in it, and the sweep table).
    pub out: PathBuf,
}

/// `--steering DIR --strength S,..`: a steering vector's folder and the strengths to run.
pub struct SteeringSweep {
    /// What `soo steer` wrote.
    pub dir: PathBuf,
    /// One evaluation each, in this order.
    pub strengths: Strengths,
}

/// Runs the suites and writes the reports, or compares two reports.
pub fn run(args: EvalArgs) -> Result<()> {
    if let Some(files) = &args.compare {
        return compare_reports(&files[0], &files[1]);
    }
    let (Some(model), Some(out)) = (args.model, args.out) else {
        return Err(Error::Unsupported("--model and --out are required".into()));
    };
    check_n(args.n)?;
    let positions = args.latent_positions;
    evaluate(&Evaluation {
        model: ModelSource {
            model,
            backend: args.backend,
            adapters: args.adapter,
        },
        suites: args.suite,
        scenarios: args.scenarios,
        scenarios_mirrored: args.mirrored,
        n: args.n,
        seed: args.seed,
        classifier: args.classifier,
        style: PromptStyle {
            suffix: args.suffix,
            honesty_prompt: args.honesty_prompt,
        },
        batch_size: args.batch_size,
        latent: args.latent.then_some(positions),
        capability: args.capability,
        steering: match (args.steering, args.strength) {
            (Some(dir), Some(strengths)) => Some(SteeringSweep { dir, strengths }),
            _ => None,
        },
        out,
    })
}

/// `--n` must ask for at least one scenario.
fn check_n(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::Unsupported("--n must be at least 1".into()));
    }
    Ok(())
}

/// Runs the suites of `evaluation` and writes its reports: once, or once per steering strength.
pub fn evaluate(evaluation: &Evaluation) -> Result<()> {
    check_n(evaluation.n)?;
    let jobs = jobs(evaluation)?;
    if jobs.is_empty() && evaluation.latent.is_none() && !evaluation.capability {
        return Err(Error::Unsupported(
            "nothing to evaluate: give --suite, --scenarios, --latent or --capability".into(),
        ));
    }
    // A bad vector file fails before the model is loaded.
    let steering = match &evaluation.steering {
        Some(sweep) => Some((sweep, read_dir(&sweep.dir)?)),
        None => None,
    };
    let options = EvalOptions {
        generation: evaluation.classifier != Classifier::ForcedChoice,
        forced_choice: matches!(
            evaluation.classifier,
            Classifier::ForcedChoice | Classifier::All
        ),
        batch_size: evaluation.batch_size,
        ..EvalOptions::default()
    };
    let mut ready = load(&evaluation.model)?;
    let run = Run {
        evaluation,
        jobs: &jobs,
        options: &options,
    };
    match steering {
        Some((sweep, vector)) => steering_sweep(&run, &mut ready, sweep, &vector),
        None => run.report(&ready, &evaluation.out, None).map(|_| ()),
    }
}

/// What every report of one `soo eval` shares: the options and the suites.
struct Run<'a> {
    evaluation: &'a Evaluation,
    jobs: &'a [Job],
    options: &'a EvalOptions,
}

impl Run<'_> {
    /// Runs everything on the model as it is now and writes the reports into `out`;
    /// `steering` (what the model is steered with) goes into report.json. Returns report.json's
    /// text.
    fn report(&self, ready: &Ready, out: &Path, steering: Option<Value>) -> Result<String> {
        let evaluation = self.evaluation;
        let options = self.options;
        let classifiers: &[&str] = match evaluation.classifier {
            Classifier::Authors => &["authors"],
            Classifier::ThreeWay => &["three-way"],
            Classifier::ForcedChoice => &["forced-choice"],
            Classifier::All => &["authors", "three-way", "forced-choice"],
        };
        let suites_json = run_jobs(ready, self.jobs, options, classifiers)?;

        let mut report = json!({
            "model": evaluation.model.model,
            "backend": ready.device.kind,
            "n": evaluation.n,
            "seed": evaluation.seed,
            "batch_size": options.batch_size,
            "prompt_style": evaluation.style,
            "answer_prefix": options.answer_prefix,
            "max_new_tokens": options.max_new_tokens,
            "load_s": ready.load_time.as_secs_f64(),
            "suites": suites_json,
        });
        if let Some(file) = &evaluation.scenarios {
            report["scenarios_file"] = json!(file.display().to_string());
        }
        if let Some(steering) = steering {
            report["steering"] = steering;
        }
        if let Some(positions) = evaluation.latent {
            let started = Instant::now();
            let pairs = probe_pairs(&TrainingItems::builtin().items);
            let table = pollster::block_on(latent_soo(&ready.loaded, &pairs, positions, 8))?;
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("latent SOO: {} pairs in {seconds:.1} s", table.pairs);
            report["latent"] = json!({
                "table": table,
                "markdown": table.markdown(),
                "seconds": seconds,
            });
        }
        if evaluation.capability {
            let started = Instant::now();
            let checks = pollster::block_on(capability(&ready.loaded, 4, 512))?;
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("capability checks in {seconds:.1} s");
            report["capability"] = json!({
                "kl_to_base": checks.kl_to_base,
                "perplexity": checks.perplexity,
                "markdown": checks.markdown(),
                "seconds": seconds,
            });
        }
        std::fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Unsupported(format!("the report does not serialise: {e}")))?;
        write_atomic(&out.join("report.json"), text.as_bytes())?;
        write_atomic(&out.join("report.md"), report::markdown(&report).as_bytes())?;
        write_atomic(&out.join("report.svg"), svg::chart(&report).as_bytes())?;
        eprintln!("wrote {}", out.join("report.json").display());
        Ok(text)
    }
}

/// `--steering DIR --strength S,..`: one report per strength in `OUT/strength-S/`, the model
/// steered by `S · v` (the same loaded model, the steering swapped between runs), then the
/// sweep table in `OUT/sweep.md` and `OUT/sweep.json`.
fn steering_sweep(
    run: &Run<'_>,
    ready: &mut Ready,
    sweep: &SteeringSweep,
    vector: &SteeringVector,
) -> Result<()> {
    let folder = sweep.dir.display().to_string();
    check_fits(vector, ready.loaded.model.shape(), &folder)?;
    let info = &vector.info;
    let evaluation = run.evaluation;
    if let Some(model) = &info.model
        && *model != evaluation.model.model
    {
        eprintln!(
            "warning: {folder} was computed on {model}, not on {}",
            evaluation.model.model
        );
    }
    let adapters: Vec<String> = evaluation
        .model
        .adapters
        .iter()
        .map(|a| a.display().to_string())
        .collect();
    if info.adapters != adapters {
        eprintln!(
            "warning: {folder} was computed with adapters {:?}, this evaluation has {adapters:?}",
            info.adapters
        );
    }
    eprintln!(
        "steering at {} ({} positions, {} pairs): ‖v‖ = {:.4}, hook norm {:.4}, residual norm {:.4}",
        info.hook, info.positions, info.pairs, info.norm, info.activation_norm, info.residual_norm
    );
    let mut table = Sweep::new(vector);
    for &strength in sweep.strengths.values() {
        eprintln!(
            "strength {strength}: adds {:.3} of the hook's norm",
            vector.relative_to_activation(strength)
        );
        ready
            .loaded
            .model
            .set_steering(Some(vector.steering(strength)?))?;
        let out = evaluation.out.join(strength_dir(strength));
        let steering = json!({
            "dir": folder,
            "hook": info.hook,
            "positions": info.positions,
            "direction": info.direction,
            "strength": strength,
            "norm": info.norm,
            "added_norm": f64::from(strength).abs() * info.norm,
            "relative_to_activation": vector.relative_to_activation(strength),
            "relative_to_residual": vector.relative_to_residual(strength),
        });
        let text = run.report(ready, &out, Some(steering))?;
        let file = out.join("report.json").display().to_string();
        table.add(vector, strength, &file, &text)?;
    }
    ready.loaded.model.set_steering(None)?;
    let out = &evaluation.out;
    let json = serde_json::to_string_pretty(&table)
        .map_err(|e| Error::Unsupported(format!("the sweep does not serialise: {e}")))?;
    write_atomic(&out.join("sweep.json"), json.as_bytes())?;
    write_atomic(&out.join("sweep.md"), table.markdown().as_bytes())?;
    eprintln!("wrote {}", out.join("sweep.md").display());
    Ok(())
}

/// The suites of `--suite` (generated) and `--scenarios` (read), in that order.
fn jobs(evaluation: &Evaluation) -> Result<Vec<Job>> {
    let style = &evaluation.style;
    let mut jobs = Vec::new();
    let vocabulary = Vocabulary::builtin();
    let names = evaluation.suites.as_deref().unwrap_or("");
    for name in names.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        for suite in select_suite(name)? {
            let scenarios = suite.generate(evaluation.n, evaluation.seed, &vocabulary, style);
            jobs.push(Job::new(&suite, scenarios));
        }
    }
    if evaluation.suites.is_some() && jobs.is_empty() {
        return Err(Error::Unsupported("--suite names no suite".into()));
    }
    if let Some(path) = &evaluation.scenarios {
        let text = read_text(path)?;
        let file = path.display().to_string();
        let set = ScenarioSet::parse(&file, &text)?.truncate(evaluation.n);
        jobs.push(Job::new(&set.suite, set.scenarios(style)));
        if evaluation.scenarios_mirrored {
            let mirrored = set.mirror().ok_or_else(|| {
                Error::Unsupported(format!(
                    "{file}: the template has no single `the A or the B` question to mirror"
                ))
            })?;
            jobs.push(Job::new(&mirrored.suite, mirrored.scenarios(style)));
        }
    }
    Ok(jobs)
}

/// A built-in suite name (or `all`), a scenario family (`family:NAME`, `family:train`,
/// `family:test`), a suite file (`path/to/suite.toml` or `.json`), or a suite file's mirrored
/// variant (`path/to/suite.toml:mirrored`).
fn select_suite(name: &str) -> Result<Vec<Suite>> {
    if let Some(spec) = name.strip_prefix(FAMILY_PREFIX) {
        return family::select(spec);
    }
    let (path, mirrored) = match name.strip_suffix(":mirrored") {
        Some(path) => (path, true),
        None => (name, false),
    };
    if !(path.ends_with(".toml") || path.ends_with(".json")) {
        return suites::select(name);
    }
    let suite = Suite::parse(path, &read_text(Path::new(path))?)?;
    if !mirrored {
        return Ok(vec![suite]);
    }
    let mirror = suite.mirror().ok_or_else(|| {
        Error::Unsupported(format!(
            "{path}: the template has no single `the A or the B` question to mirror"
        ))
    })?;
    Ok(vec![mirror])
}

/// What marks a `--suite` entry as a scenario family.
const FAMILY_PREFIX: &str = "family:";

/// Runs every job, generation and forced choice timed apart; each suite's JSON with its timing.
fn run_jobs(
    ready: &Ready,
    jobs: &[Job],
    options: &EvalOptions,
    classifiers: &[&str],
) -> Result<Vec<Value>> {
    let steps = usize::from(options.generation) + usize::from(options.forced_choice);
    let total: usize = jobs.iter().map(|j| j.scenarios.len() * steps).sum();
    let bar = ProgressBar::new(total as u64);
    // The template is a constant: if it ever failed to parse, keep the default look.
    if let Ok(style) =
        ProgressStyle::with_template("{msg:20} [{elapsed_precise}] [{wide_bar}] {pos}/{len}")
    {
        bar.set_style(style);
    }
    let mut out = Vec::new();
    for job in jobs {
        bar.set_message(job.name.clone());
        let timed = |generation: bool| -> Result<(SuiteResult, f64)> {
            let only = EvalOptions {
                generation,
                forced_choice: !generation,
                ..options.clone()
            };
            let started = Instant::now();
            let result =
                pollster::block_on(run_suite(&ready.loaded, &job.scenarios, &only, &mut |k| {
                    bar.inc(k as u64)
                }))?;
            Ok((result, started.elapsed().as_secs_f64()))
        };
        let generated = options.generation.then(|| timed(true)).transpose()?;
        let forced = options.forced_choice.then(|| timed(false)).transpose()?;
        let (result, generation_s, forced_choice_s) = match (generated, forced) {
            (Some((g, gs)), Some((f, fs))) => (g.with_forced_choice(f)?, Some(gs), Some(fs)),
            (Some((g, gs)), None) => (g, Some(gs), None),
            (None, Some((f, fs))) => (f, None, Some(fs)),
            (None, None) => continue,
        };
        // Not `bar.println`: a hidden bar (stderr not a terminal, as in scripts) drops it.
        bar.suspend(|| {
            eprintln!(
                "{}: generation {}, forced choice {}",
                job.name,
                generation_s.map_or("-".into(), |s| format!("{s:.1} s")),
                forced_choice_s.map_or("-".into(), |s| format!("{s:.1} s")),
            )
        });
        let mut suite = report::suite_json(&result, classifiers);
        suite["description"] = json!(job.description);
        suite["timing"] = json!({
            "generation_s": generation_s,
            "forced_choice_s": forced_choice_s,
        });
        out.push(suite);
    }
    bar.finish_and_clear();
    Ok(out)
}

/// `--compare A B`: prints the difference table.
fn compare_reports(a: &Path, b: &Path) -> Result<()> {
    let read = |path: &Path| -> Result<Vec<compare::Rate>> {
        let text = read_text(path)?;
        compare::parse_report(&path.display().to_string(), &text)
    };
    let (rates_a, rates_b) = (read(a)?, read(b)?);
    print!(
        "{}",
        compare::table(
            &a.display().to_string(),
            &rates_a,
            &b.display().to_string(),
            &rates_b
        )
    );
    Ok(())
}
