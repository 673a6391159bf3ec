//! Which token positions of two prompts' activations are compared: one setting shared by SOO
//! training (`train::loss`), latent SOO (`eval::latent`), the toy world and the page.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which token positions a self/other comparison reads, for activations `[batch, seq, width]`
/// of the self prompts and of the other prompts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Positions {
    /// Every position real on both sides, aligned from the start (the shorter prompt's length).
    #[default]
    All,
    /// The last real token of each side.
    Last,
    /// The mean over each side's real tokens.
    Mean,
}

impl Positions {
    /// Every value with the name config files, flags and the page's address use.
    pub const ALL: [(Positions, &'static str); 3] = [
        (Positions::All, "all"),
        (Positions::Last, "last"),
        (Positions::Mean, "mean"),
    ];

    /// The name config files, flags and the page's address use (`all`, `last`, `mean`).
    pub fn name(self) -> &'static str {
        match self {
            Positions::All => "all",
            Positions::Last => "last",
            Positions::Mean => "mean",
        }
    }
}

impl fmt::Display for Positions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Positions {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Positions::ALL
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(positions, _)| *positions)
            .ok_or_else(|| format!("positions '{s}': use all, last or mean"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_typos_list_the_values() {
        for (positions, name) in Positions::ALL {
            assert_eq!(positions.to_string(), name);
            assert_eq!(name.parse::<Positions>(), Ok(positions));
        }
        let err = "middle".parse::<Positions>().unwrap_err();
        assert!(err.contains("all, last or mean"), "{err}");
    }
}
