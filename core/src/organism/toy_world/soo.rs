//! SOO on the toy world: the self and competitor prompts of training scenes as token pairs, and
//! the texts of the controls, ready for [`crate::train::Trainer::from_tokens`].

use super::vocab::{PAD, Vocab};
use super::world::{Asker, FACTS_LEN, Split, draw};
use crate::rng::SplitMix64;
use crate::train::{Examples, Objective, TokenData};
use crate::{Error, Result};

/// `pairs` training scenes (seeded) as the data of `objective`: SOO's (self, competitor)
/// prompt pairs; for `exposure` the same prompts as plain text; for `sham` the scenes' facts
/// alone (text about the world that says nothing about anyone's goal).
pub fn training_data(objective: Objective, pairs: usize, seed: u64) -> Result<TokenData> {
    let vocab = Vocab::new();
    let mut rng = SplitMix64::new(seed ^ 0x0005_0050);
    let scenes: Vec<_> = (0..pairs)
        .map(|_| draw(&mut rng, Split::Train, Asker::Competitor, None))
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
