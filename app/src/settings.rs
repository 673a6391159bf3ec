//! The one table from the page's address to the trainer's typed settings: each training
//! setting's address key, the [`TrainConfig`] field it reads and writes, and the control that
//! edits it (as TensorFlow Playground's `state.ts` maps its URL keys to typed fields). Nothing
//! else in the page parses or formats a training setting; `params.rs` binds these tables to the
//! router and `controls.rs` draws them.

use soo_core::train::{Positions, TrainConfig};

/// How a setting is edited on the page.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// A number box; `step` is the HTML `step` (`"1"` for whole numbers, `"any"`).
    Number { step: &'static str },
    /// A number box for a layer of the model, `0` to its last layer (`max` when no model says).
    Layer { max: usize },
    /// A choice among `(value, what it says)`.
    Choice(&'static [(&'static str, &'static str)]),
    /// A tick box (`true` / `false`).
    Toggle,
}

/// One training setting in the address: its key, the typed field of [`TrainConfig`] it reads and
/// writes, and the control that edits it.
pub struct Setting {
    /// The address key; also the control's name in `hide=`.
    pub key: &'static str,
    /// What the control says.
    pub label: &'static str,
    /// The control's `data-testid`.
    pub test_id: &'static str,
    /// The field's value, as the address and the control show it.
    pub read: fn(&TrainConfig) -> String,
    /// Sets the field from the address's text; `Err` says why the text is no value of it.
    pub write: fn(&mut TrainConfig, &str) -> Result<(), String>,
    /// The control that edits it.
    pub input: Input,
}

/// `text` as a `T`, or why not.
fn parsed<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.trim().parse().map_err(|e| format!("'{text}': {e}"))
}

/// The objectives the story offers (`lm` needs a file of texts, which the page has not).
const STORY_OBJECTIVES: &[(&str, &str)] = &[
    ("soo-mse", "SOO: MSE of activations (the paper)"),
    ("logit-kl", "SOO: KL of the logits (the authors' code)"),
    ("exposure", "control: the same prompts, no SOO term"),
    ("sham", "control: neutral text"),
];

/// The story's training settings (step 5), over a preset of `soo train`.
pub const STORY_SETTINGS: [Setting; 9] = [
    Setting {
        key: "layer",
        label: "hook layer",
        test_id: "input-layer",
        read: |c| c.hook.layer.to_string(),
        write: |c, text| {
            c.hook.layer = parsed(text)?;
            Ok(())
        },
        input: Input::Layer { max: 29 },
    },
    Setting {
        key: "positions",
        label: "positions",
        test_id: "input-positions",
        read: |c| c.positions.to_string(),
        write: |c, text| {
            c.positions = parsed(text)?;
            Ok(())
        },
        input: Input::Choice(&[
            ("all", "all (aligned)"),
            ("last", "last token"),
            ("mean", "mean"),
        ]),
    },
    Setting {
        key: "rank",
        label: "LoRA rank",
        test_id: "input-rank",
        read: |c| c.lora.rank.to_string(),
        write: |c, text| {
            c.lora.rank = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "alpha",
        label: "LoRA alpha",
        test_id: "input-alpha",
        read: |c| c.lora.alpha.to_string(),
        write: |c, text| {
            c.lora.alpha = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "any" },
    },
    Setting {
        key: "lr",
        label: "learning rate",
        test_id: "input-lr",
        read: |c| c.optimizer.lr.to_string(),
        write: |c, text| {
            c.optimizer.lr = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "any" },
    },
    Setting {
        key: "steps",
        label: "steps",
        test_id: "input-steps",
        read: |c| c.steps.map(|s| s.to_string()).unwrap_or_default(),
        write: |c, text| {
            c.steps = Some(parsed(text)?);
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "batch",
        label: "pairs per step",
        test_id: "input-batch",
        read: |c| c.batch_size.to_string(),
        write: |c, text| {
            c.batch_size = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "seed",
        label: "seed",
        test_id: "input-seed",
        read: |c| c.seed.to_string(),
        write: |c, text| {
            c.seed = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "objective",
        label: "loss",
        test_id: "input-objective",
        read: |c| c.objective.to_string(),
        write: |c, text| {
            c.objective = parsed(text)?;
            Ok(())
        },
        input: Input::Choice(STORY_OBJECTIVES),
    },
];

/// The toy world's SOO settings, over its recipe (`soo_core::organism::toy_world::soo::recipe`).
pub const TOY_SETTINGS: [Setting; 6] = [
    Setting {
        key: "toy-objective",
        label: "training",
        test_id: "toy-objective",
        read: |c| c.objective.to_string(),
        write: |c, text| {
            c.objective = parsed(text)?;
            Ok(())
        },
        input: Input::Choice(&[
            ("soo-mse", "SOO (MSE at o_proj)"),
            ("exposure", "exposure control"),
            ("sham", "sham control"),
        ]),
    },
    Setting {
        key: "toy-layer",
        label: "hook layer",
        test_id: "toy-layer",
        read: |c| c.hook.layer.to_string(),
        write: |c, text| {
            c.hook.layer = parsed(text)?;
            Ok(())
        },
        input: Input::Layer { max: 3 },
    },
    Setting {
        key: "toy-last",
        label: "last position only",
        test_id: "toy-last",
        read: |c| (c.positions == Positions::Last).to_string(),
        write: |c, text| {
            c.positions = if parsed(text)? {
                Positions::Last
            } else {
                Positions::All
            };
            Ok(())
        },
        input: Input::Toggle,
    },
    Setting {
        key: "toy-lr",
        label: "learning rate",
        test_id: "toy-lr",
        read: |c| c.optimizer.lr.to_string(),
        write: |c, text| {
            c.optimizer.lr = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "any" },
    },
    Setting {
        key: "toy-steps",
        label: "steps",
        test_id: "toy-steps",
        read: |c| c.steps.map(|s| s.to_string()).unwrap_or_default(),
        write: |c, text| {
            c.steps = Some(parsed(text)?);
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "toy-seed",
        label: "seed",
        test_id: "toy-seed",
        read: |c| c.seed.to_string(),
        write: |c, text| {
            c.seed = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
];
