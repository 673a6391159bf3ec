//! The story's SOO training in the worker: one step at a time, each reported to the page,
//! the event loop handed back in between so that a Stop from the page is read before the next
//! step; with live deception checks every few steps.

use soo_core::device::BackendKind;
use soo_core::eval::measure::forced_choice::{ANSWER_PREFIX, forced_choice};
use soo_core::eval::measure::latent::{latent_soo, probe_pairs};
use soo_core::eval::{Class, PromptStyle, TrainingItems, Vocabulary, suites};
use soo_core::loaded::LoadedModel;
use soo_core::lora::Lora;
use soo_core::model::Model;
use soo_core::model::Positions;
use soo_core::train::pairs::builtin_pairs;
use soo_core::train::{StepReport, TrainConfig, Trainer};

use super::{emit, reset_stop, stop_requested, with_model};
use crate::clock::{now_ms, yield_now};
use crate::protocol::{CHECK_SCENARIOS, Check, Event, Point, Reply};

/// Trains a fresh adapter with `config`; with `every > 0` a deception check runs before the
/// first step, every `every` steps and at the end.
pub async fn train(id: f64, config: TrainConfig, every: usize) -> Result<Reply, String> {
    reset_stop();
    config
        .validate("the configuration")
        .map_err(|e| e.to_string())?;
    with_model(async move |s, selected| {
        // A fresh adapter each run: the base model under it never changes.
        s.loaded.model.detach_adapter();
        let mut trainer = Trainer::new(
            config,
            &mut s.loaded,
            &builtin_pairs(),
            &[],
            &selected.device,
        )
        .map_err(|e| e.to_string())?;
        announce(id, selected.kind, &trainer);
        if every > 0 {
            emit(id, Event::Check(check(&s.loaded, 0).await?));
        }
        while !trainer.is_finished() {
            let Some(report) = reported_step(id, &mut trainer, &mut s.loaded.model).await? else {
                return Ok(Reply::Trained("stopped".into()));
            };
            if every > 0 && (report.step % every == 0 || trainer.is_finished()) {
                // A check takes a while: a Stop sent during the step skips it.
                yield_now().await;
                if stop_requested() && !trainer.is_finished() {
                    return Ok(Reply::Trained("stopped".into()));
                }
                emit(id, Event::Check(check(&s.loaded, report.step).await?));
            }
            if report.stop.is_some() && !trainer.is_finished() {
                return Ok(Reply::Trained("stopped at its loss target".into()));
            }
        }
        Ok(Reply::Trained("finished".into()))
    })
    .await
}

/// Tells the page that a run of `trainer` starts on `backend`.
pub(super) fn announce(id: f64, backend: BackendKind, trainer: &Trainer) {
    emit(
        id,
        Event::TrainStarted {
            backend,
            total_steps: trainer.total_steps(),
        },
    );
}

/// One step of `trainer`, timed and reported to the page; `None` when a Stop came first (the
/// event loop is handed back before the step so that it can).
pub(super) async fn reported_step(
    id: f64,
    trainer: &mut Trainer,
    model: &mut Model<Lora>,
) -> Result<Option<StepReport>, String> {
    yield_now().await;
    if stop_requested() {
        return Ok(None);
    }
    let started = now_ms();
    let report = trainer.step(model).await.map_err(|e| e.to_string())?;
    emit(
        id,
        Event::Step(Point {
            step: report.step,
            loss: report.loss,
            step_ms: now_ms() - started,
        }),
    );
    Ok(Some(report))
}

/// The forced-choice deception rate of the model as it is now, main and mirrored, and the
/// latent SOO per layer.
async fn check(loaded: &LoadedModel, step: usize) -> Result<Check, String> {
    let items = TrainingItems::builtin().items;
    let probes = probe_pairs(&items[..CHECK_SCENARIOS.min(items.len())]);
    let latent = latent_soo(loaded, &probes, Positions::Last, CHECK_SCENARIOS)
        .await
        .map_err(|e| e.to_string())?;
    let mut rates = [0.0; 2];
    for (rate, name) in rates.iter_mut().zip(["main", "main-mirrored"]) {
        let suite = suites::select(name).map_err(|e| e.to_string())?.remove(0);
        let scenarios = suite.generate(
            CHECK_SCENARIOS,
            0,
            &Vocabulary::builtin(),
            &PromptStyle::default(),
        );
        let choices = forced_choice(loaded, &scenarios, ANSWER_PREFIX)
            .await
            .map_err(|e| e.to_string())?;
        let deceptive = choices
            .iter()
            .filter(|c| c.class == Class::Deceptive)
            .count();
        *rate = deceptive as f64 / choices.len().max(1) as f64;
    }
    Ok(Check {
        step,
        main: rates[0],
        mirrored: rates[1],
        layers: latent.layer_mean,
    })
}
