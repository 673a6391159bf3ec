//! Interrupted runs on the real SmolLM2-135M-Instruct (CI-sized: 6 steps, hook at layer 8):
//! `soo train` killed with SIGKILL at several points and resumed until done, and a `soo run`
//! killed inside its training cell and run again, give the adapter an uninterrupted run gives,
//! byte for byte, and a log with one row per step. While the uninterrupted run works, a second
//! `soo train` and a `soo run` on its folder stop at once on its lock.
#![cfg(all(feature = "cli", target_os = "linux"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::test_model_path;

const STEPS: usize = 6;
const WEIGHTS: &str = "adapter/adapter_model.safetensors";

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("soo-cli-kill-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shared settings: dropout on, so that a resumed run must also draw the same masks, and a
/// checkpoint after every step.
const SETS: [&str; 6] = [
    "batch_size=2",
    "hook=\"layers.8.self_attn.o_proj\"",
    "lora.dropout=0.1",
    "checkpoints.every=1",
    "checkpoints.keep=2",
    "steps=6",
];

/// `soo` with `args`, its stderr going to `log` (appended).
fn spawn(args: &[&str], log: &Path) -> Child {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_soo"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("run soo")
}

/// `soo train` into `run` with [`SETS`] and `extra` settings (its stderr in `log`), resumed
/// when `resume`.
fn train_with(run: &Path, resume: bool, extra: &[&str], log: &Path) -> Child {
    let model = test_model_path();
    let mut args = vec![
        "train",
        "--model",
        model.to_str().unwrap(),
        "--preset",
        "smollm2-135m",
        "--out",
        run.to_str().unwrap(),
    ];
    if resume {
        args.push("--resume");
    }
    for set in SETS.iter().chain(extra) {
        args.extend(["--set", set]);
    }
    spawn(&args, log)
}

fn train(run: &Path, resume: bool, log: &Path) -> Child {
    train_with(run, resume, &[], log)
}

/// Waits until `ready` holds (polled), panicking if `child` ends first or it takes minutes.
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("soo ended ({status}) before {what}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGKILL (what `Child::kill` sends on Unix), then reap: a killed, unreaped process would
/// still count as alive for the lock.
fn kill(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

fn finish(mut child: Child, log: &Path) -> String {
    let status = child.wait().unwrap();
    let stderr = std::fs::read_to_string(log).unwrap();
    assert!(status.success(), "soo failed: {stderr}");
    stderr
}

/// The rows of `run`'s log.csv (without the header).
fn rows(run: &Path) -> Vec<String> {
    std::fs::read_to_string(run.join("log.csv"))
        .map(|text| text.lines().skip(1).map(str::to_string).collect())
        .unwrap_or_default()
}

fn checkpoint_exists(run: &Path, step: usize) -> bool {
    run.join(format!(
        "checkpoints/checkpoint-{step:06}/trainer_state.json"
    ))
    .exists()
}

/// A pause of 0–1 s, from the clock: where exactly in a step a kill lands varies from run to
/// run, and the result must not depend on it.
fn jitter() -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(u64::from(nanos % 1000))
}

/// The step and loss columns of log rows (the timing columns differ from run to run).
fn steps_and_losses(rows: &[String]) -> Vec<(usize, String)> {
    rows.iter()
        .map(|row| {
            let mut cells = row.split(',');
            let step = cells.next().unwrap().parse().unwrap();
            (step, cells.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn killed_runs_resume_to_the_uninterrupted_adapter_and_a_busy_folder_is_refused() {
    let root = out_dir("all");
    let log = |name: &str| root.join(format!("{name}.stderr"));

    // The uninterrupted run. While it trains, a second `soo train` (a --resume) and a
    // `soo run` on its folder must stop at once, touching nothing.
    let straight = root.join("straight");
    let mut first = train(&straight, false, &log("straight"));
    wait_for(&mut first, "the first log row", || {
        !rows(&straight).is_empty()
    });
    let started = Instant::now();
    let second = train(&straight, true, &log("second"));
    let output = second.wait_with_output().unwrap();
    let stderr = std::fs::read_to_string(log("second")).unwrap();
    assert!(!output.status.success(), "a second soo train was let in");
    let pid = first.id();
    assert!(
        stderr.contains(&format!("in use by another soo run (pid {pid})")),
        "{stderr}"
    );
    let experiment = root.join("experiment.toml");
    std::fs::write(
        &experiment,
        format!(
            "model = {model:?}\nseeds = [0]\n\
             [eval]\nsuites = \"main\"\nn = 2\nclassifier = \"forced-choice\"\ncapability = false\n\
             [train]\npreset = \"smollm2-135m\"\n{sets}\n",
            model = test_model_path().display().to_string(),
            sets = SETS.join("\n"),
        ),
    )
    .unwrap();
    let run = |out: &Path, log: &Path| {
        spawn(
            &[
                "run",
                experiment.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            log,
        )
    };
    let output = run(&straight, &log("busy-run")).wait_with_output().unwrap();
    let stderr = std::fs::read_to_string(log("busy-run")).unwrap();
    assert!(!output.status.success() && stderr.contains("in use by another soo run"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the refusals took {:?}",
        started.elapsed()
    );
    finish(first, &log("straight"));
    let expected = steps_and_losses(&rows(&straight));
    assert_eq!(
        expected.iter().map(|(step, _)| *step).collect::<Vec<_>>(),
        (1..=STEPS).collect::<Vec<_>>(),
        "the first run's log lost rows to the refused ones"
    );
    assert!(!straight.join(".soo.lock").exists());
    let adapter = std::fs::read(straight.join(WEIGHTS)).unwrap();

    // Killed three times (during step 2, right after checkpoint 3, and at a random moment after
    // checkpoint 4), resumed each time.
    let interrupted = root.join("interrupted");
    let mut child = train(&interrupted, false, &log("interrupted"));
    wait_for(&mut child, "step 1's checkpoint", || {
        checkpoint_exists(&interrupted, 1)
    });
    std::thread::sleep(Duration::from_millis(300));
    kill(child);
    let mut child = train(&interrupted, true, &log("interrupted"));
    wait_for(&mut child, "step 3's checkpoint", || {
        checkpoint_exists(&interrupted, 3)
    });
    kill(child);
    // A checkpoint cut short (a crash while it was written out, a full disk) is noticed and
    // the one before it used.
    let weights = interrupted.join("checkpoints/checkpoint-000003/adapter_model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let mut child = train(&interrupted, true, &log("interrupted"));
    wait_for(&mut child, "step 4's checkpoint", || {
        checkpoint_exists(&interrupted, 4)
    });
    std::thread::sleep(jitter());
    kill(child);
    let stderr = finish(
        train(&interrupted, true, &log("interrupted")),
        &log("interrupted"),
    );
    assert_eq!(
        stderr.matches("taking over the lock").count(),
        3,
        "each resume takes over the killed run's lock: {stderr}"
    );
    assert!(
        stderr.contains("skipping a damaged checkpoint")
            && stderr.contains("resuming after step 2"),
        "{stderr}"
    );
    assert!(
        std::fs::read(interrupted.join(WEIGHTS)).unwrap() == adapter,
        "the resumed run's adapter differs from the uninterrupted run's"
    );
    // Killed after its last checkpoint, before the adapter was written: a resume only writes it.
    std::fs::remove_dir_all(interrupted.join("adapter")).unwrap();
    finish(
        train(&interrupted, true, &log("interrupted")),
        &log("interrupted"),
    );
    assert!(
        std::fs::read(interrupted.join(WEIGHTS)).unwrap() == adapter,
        "the resumed run's adapter differs from the uninterrupted run's"
    );
    assert_eq!(steps_and_losses(&rows(&interrupted)), expected);

    // `soo run`: killed in its training cell after step 2's checkpoint, then run again.
    let results = root.join("results");
    let cell = results.join("soo-mse/seed-0");
    let mut child = run(&results, &log("run"));
    wait_for(&mut child, "the cell's step 2 checkpoint", || {
        checkpoint_exists(&cell, 2)
    });
    std::thread::sleep(jitter());
    kill(child);
    let stderr = finish(run(&results, &log("run")), &log("run"));
    assert!(stderr.contains("resuming after step"), "{stderr}");
    assert!(
        std::fs::read(cell.join(WEIGHTS)).unwrap() == adapter,
        "the resumed soo run cell's adapter differs from the uninterrupted run's"
    );
    assert_eq!(steps_and_losses(&rows(&cell)), expected);
    assert!(results.join("comparison.md").is_file());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_run_stopped_early_and_killed_before_its_adapter_resumes_stopped() {
    let root = out_dir("stopped");
    let log = root.join("train.stderr");
    let run = root.join("run");
    // stop_drop = 1.1: the SOO loss falls more than that within the first few steps.
    let start = |resume: bool| train_with(&run, resume, &["stop_drop=1.1"], &log);
    let stderr = finish(start(false), &log);
    assert!(stderr.contains("stopped early"), "{stderr}");
    let before = rows(&run);
    assert!(before.len() < STEPS, "{before:?}");
    let adapter = std::fs::read(run.join(WEIGHTS)).unwrap();
    // As if killed between the last checkpoint and the adapter.
    std::fs::remove_dir_all(run.join("adapter")).unwrap();
    finish(start(true), &log);
    assert_eq!(
        steps_and_losses(&rows(&run)),
        steps_and_losses(&before),
        "the resumed run trained past its stop"
    );
    assert!(std::fs::read(run.join(WEIGHTS)).unwrap() == adapter);
    let _ = std::fs::remove_dir_all(&root);
}
