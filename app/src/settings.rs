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

/// A typed field of [`TrainConfig`] as the address holds it: how to read it as text and how to
/// write it from text.
#[derive(Clone, Copy)]
pub struct Field {
    /// The field's value, as the address and the control show it.
    pub read: fn(&TrainConfig) -> String,
    /// Sets the field from the address's text; `Err` says why the text is no value of it.
    pub write: fn(&mut TrainConfig, &str) -> Result<(), String>,
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
    /// The field it reads and writes.
    pub field: Field,
    /// The control that edits it.
    pub input: Input,
}

impl Setting {
    const fn new(
        key: &'static str,
        label: &'static str,
        test_id: &'static str,
        field: Field,
        input: Input,
    ) -> Self {
        Setting {
            key,
            label,
            test_id,
            field,
            input,
        }
    }
}

/// `text` as a `T`, or why not.
fn parsed<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.trim().parse().map_err(|e| format!("'{text}': {e}"))
}

/// `hook`'s layer (its module stays `self_attn.o_proj`).
const HOOK_LAYER: Field = Field {
    read: |c| c.hook.layer.to_string(),
    write: |c, text| {
        c.hook.layer = parsed(text)?;
        Ok(())
    },
};
/// `positions`.
const POSITIONS: Field = Field {
    read: |c| c.positions.to_string(),
    write: |c, text| {
        c.positions = parsed(text)?;
        Ok(())
    },
};
/// `positions` as "the last position only" (`true`) or all (`false`).
const LAST_ONLY: Field = Field {
    read: |c| (c.positions == Positions::Last).to_string(),
    write: |c, text| {
        c.positions = if parsed(text)? {
            Positions::Last
        } else {
            Positions::All
        };
        Ok(())
    },
};
/// `lora.rank`.
const RANK: Field = Field {
    read: |c| c.lora.rank.to_string(),
    write: |c, text| {
        c.lora.rank = parsed(text)?;
        Ok(())
    },
};
/// `lora.alpha`.
const ALPHA: Field = Field {
    read: |c| c.lora.alpha.to_string(),
    write: |c, text| {
        c.lora.alpha = parsed(text)?;
        Ok(())
    },
};
/// `optimizer.lr`.
const LR: Field = Field {
    read: |c| c.optimizer.lr.to_string(),
    write: |c, text| {
        c.optimizer.lr = parsed(text)?;
        Ok(())
    },
};
/// `steps`.
const STEPS: Field = Field {
    read: |c| c.steps.map(|s| s.to_string()).unwrap_or_default(),
    write: |c, text| {
        c.steps = Some(parsed(text)?);
        Ok(())
    },
};
/// `batch_size`.
const BATCH: Field = Field {
    read: |c| c.batch_size.to_string(),
    write: |c, text| {
        c.batch_size = parsed(text)?;
        Ok(())
    },
};
/// `seed`.
const SEED: Field = Field {
    read: |c| c.seed.to_string(),
    write: |c, text| {
        c.seed = parsed(text)?;
        Ok(())
    },
};
/// `objective`.
const OBJECTIVE: Field = Field {
    read: |c| c.objective.to_string(),
    write: |c, text| {
        c.objective = parsed(text)?;
        Ok(())
    },
};

/// Whole numbers.
const WHOLE: Input = Input::Number { step: "1" };
/// Any number.
const REAL: Input = Input::Number { step: "any" };

/// The story's training settings (step 5), over a preset of `soo train`.
pub const STORY_SETTINGS: [Setting; 9] = [
    Setting::new(
        "layer",
        "hook layer",
        "input-layer",
        HOOK_LAYER,
        Input::Layer { max: 29 },
    ),
    Setting::new(
        "positions",
        "positions",
        "input-positions",
        POSITIONS,
        Input::Choice(&[
            ("all", "all (aligned)"),
            ("last", "last token"),
            ("mean", "mean"),
        ]),
    ),
    Setting::new("rank", "LoRA rank", "input-rank", RANK, WHOLE),
    Setting::new("alpha", "LoRA alpha", "input-alpha", ALPHA, REAL),
    Setting::new("lr", "learning rate", "input-lr", LR, REAL),
    Setting::new("steps", "steps", "input-steps", STEPS, WHOLE),
    Setting::new("batch", "pairs per step", "input-batch", BATCH, WHOLE),
    Setting::new("seed", "seed", "input-seed", SEED, WHOLE),
    Setting::new(
        "objective",
        "loss",
        "input-objective",
        OBJECTIVE,
        // `lm` needs a file of texts, which the page has not.
        Input::Choice(&[
            ("soo-mse", "SOO: MSE of activations (the paper)"),
            ("logit-kl", "SOO: KL of the logits (the authors' code)"),
            ("exposure", "control: the same prompts, no SOO term"),
            ("sham", "control: neutral text"),
        ]),
    ),
];

/// The toy world's SOO settings, over its recipe (`soo_core::organism::toy_world::soo::recipe`).
pub const TOY_SETTINGS: [Setting; 6] = [
    Setting::new(
        "toy-objective",
        "training",
        "toy-objective",
        OBJECTIVE,
        Input::Choice(&[
            ("soo-mse", "SOO (MSE at o_proj)"),
            ("exposure", "exposure control"),
            ("sham", "sham control"),
        ]),
    ),
    Setting::new(
        "toy-layer",
        "hook layer",
        "toy-layer",
        HOOK_LAYER,
        Input::Layer { max: 3 },
    ),
    Setting::new(
        "toy-last",
        "last position only",
        "toy-last",
        LAST_ONLY,
        Input::Toggle,
    ),
    Setting::new("toy-lr", "learning rate", "toy-lr", LR, REAL),
    Setting::new("toy-steps", "steps", "toy-steps", STEPS, WHOLE),
    Setting::new("toy-seed", "seed", "toy-seed", SEED, WHOLE),
];
