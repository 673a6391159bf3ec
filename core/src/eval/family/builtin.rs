//! soo's own families (`core/data/families/*.toml`, embedded), and how `soo eval --suite
//! family:SPEC` picks among them.

use super::{Family, FamilySplit};
use crate::eval::suites::Suite;
use crate::{Error, Result};

/// Embeds `core/data/families/NAME.toml` with its path, for errors.
macro_rules! family_file {
    ($name:literal) => {
        (
            concat!("core/data/families/", $name, ".toml"),
            include_str!(concat!("../../../data/families/", $name, ".toml")),
        )
    };
}

/// Every built-in family file, train families first (tested); the split each file declares is
/// what counts.
const FILES: [(&str, &str); 10] = [
    family_file!("harbour"),
    family_file!("station"),
    family_file!("allotment"),
    family_file!("school"),
    family_file!("library"),
    family_file!("mine"),
    family_file!("hotel"),
    family_file!("fairground"),
    family_file!("campsite"),
    family_file!("farm"),
];

/// Every built-in family, in file order (train families first).
pub fn builtin() -> Vec<Family> {
    FILES
        .iter()
        .map(|(file, text)| {
            Family::parse(file, text).expect("built-in families are valid (tested)")
        })
        .collect()
}

/// The built-in families of `split`: the organism builder takes [`FamilySplit::Train`], and
/// nothing may ever train on [`FamilySplit::Test`].
pub fn of_split(split: FamilySplit) -> Vec<Family> {
    builtin().into_iter().filter(|f| f.split == split).collect()
}

/// The built-in families' names.
pub fn names() -> Vec<String> {
    builtin().into_iter().map(|f| f.name).collect()
}

/// The suites `family:SPEC` names: `train` or `test` (every family of that split, six suites
/// each), a family's name (its six suites), or one of its suites' names (`harbour-self`).
pub fn select(spec: &str) -> Result<Vec<Suite>> {
    let families = builtin();
    if let Some(split) = FamilySplit::ALL.into_iter().find(|s| s.name() == spec) {
        return Ok(families
            .iter()
            .filter(|f| f.split == split)
            .flat_map(Family::suites)
            .collect());
    }
    if let Some(family) = families.iter().find(|f| f.name == spec) {
        return Ok(family.suites());
    }
    if let Some(suite) = families
        .iter()
        .flat_map(Family::suites)
        .find(|s| s.name == spec)
    {
        return Ok(vec![suite]);
    }
    Err(Error::Unsupported(format!(
        "no family named `{spec}`; use family:train, family:test or family:NAME with NAME one of \
         {} (train) or {} (test), or one of a family's suites (family:NAME-self-mirrored)",
        listed(&families, FamilySplit::Train),
        listed(&families, FamilySplit::Test),
    )))
}

/// The names of `split`'s families, comma-separated.
fn listed(families: &[Family], split: FamilySplit) -> String {
    families
        .iter()
        .filter(|f| f.split == split)
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
