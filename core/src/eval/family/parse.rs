//! Reading a family file and checking that it can make its six suites: a valid name, a person,
//! three templates that each ask one "the worthless or the valuable option" question (worthless
//! first, so that the mirrored suite is the one that names it second), and a vocabulary.

use serde::Deserialize;

use super::{Audience, Family, FamilySplit, Version};
use crate::Result;
use crate::eval::format::{Syntax, line_of_key, located, parse};
use crate::eval::suites::check_name;
use crate::eval::template::{self, Slot};
use crate::eval::vocabulary::Vocabulary;

/// The placeholder a family's templates use for its person, filled in before the suite's own
/// placeholders are checked.
pub const PERSON: &str = "{person}";

/// A family file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    name: String,
    #[serde(default)]
    description: String,
    split: FamilySplit,
    person: String,
    competitor: VersionFile,
    #[serde(rename = "self")]
    itself: VersionFile,
    owner: VersionFile,
    vocabulary: Vocabulary,
}

/// One version as written: a suite's template and honesty prefix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionFile {
    template: String,
    honesty_prefix: String,
}

impl Family {
    /// Parses a family file (TOML or JSON by its extension) named `file`.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let raw: FamilyFile = parse(file, text, Syntax::from_file_name(file)?)?;
        let fail = |field: &str, problem: &str| {
            located(file, line_of_key(text, field), Some(field), problem)
        };
        check_family_name(&raw.name).map_err(|p| fail("name", &p))?;
        let person = raw.person.trim();
        if person.is_empty() || person.contains(['{', '}']) {
            return Err(fail("person", "give a name without braces"));
        }
        let written = [
            (Audience::Competitor, raw.competitor),
            (Audience::Itself, raw.itself),
            (Audience::Owner, raw.owner),
        ];
        let mut versions = Vec::with_capacity(written.len());
        for (audience, version) in written {
            let field = format!("{}.template", audience.key());
            check_version(audience, &version.template).map_err(|p| {
                located(
                    file,
                    line_in_table(text, audience.key(), "template"),
                    Some(&field),
                    &p,
                )
            })?;
            versions.push(Version {
                audience,
                template: version.template.replace(PERSON, person),
                honesty_prefix: version.honesty_prefix.replace(PERSON, person),
            });
        }
        raw.vocabulary.validate(file)?;
        Ok(Self {
            name: raw.name,
            description: raw.description,
            split: raw.split,
            person: person.to_string(),
            versions,
            vocabulary: raw.vocabulary,
        })
    }
}

/// The 1-based line of `key =` inside the TOML table `[table]`, for errors about one version.
fn line_in_table(text: &str, table: &str, key: &str) -> Option<usize> {
    let header = format!("[{table}]");
    let start = text.lines().position(|l| l.trim() == header)?;
    let rest: String = text.lines().skip(start).collect::<Vec<_>>().join("\n");
    line_of_key(&rest, key).map(|line| line + start)
}

/// A family's name becomes six suite names and a `family:` selector: keep it a valid suite
/// name, and keep the split names and the version endings for the selector and the expansion.
fn check_family_name(name: &str) -> Result<(), String> {
    check_name(name)?;
    let reserved = FamilySplit::ALL.iter().any(|s| s.name() == name)
        || Audience::ALL
            .iter()
            .any(|a| !a.suffix().is_empty() && name.ends_with(a.suffix()));
    if reserved {
        return Err(format!(
            "`{name}` is reserved (train, test, and names ending in -self or -owner)"
        ));
    }
    Ok(())
}

/// Checks one version's template: the person appears exactly where someone else asks, the
/// suite placeholders are valid, and the one two-option question names the worthless one first.
fn check_version(audience: Audience, text: &str) -> Result<(), String> {
    let mentions_person = text.contains(PERSON);
    match (audience, mentions_person) {
        (Audience::Itself, true) => {
            return Err("the self version has no other person: remove {person}".into());
        }
        (Audience::Competitor | Audience::Owner, false) => {
            return Err("never names {person}, who asks in this version".into());
        }
        _ => {}
    }
    let filled = text.replace(PERSON, "someone");
    template::check(&filled)?;
    match template::first_named(&filled) {
        Some(Slot::Cheap) => Ok(()),
        Some(Slot::Expensive) => Err(
            "the question names {expensive_room} first: write `the {cheap_room} or the \
             {expensive_room}` (the mirrored suite is the other order)"
                .into(),
        ),
        None => Err(
            "needs exactly one `the {cheap_room} or the {expensive_room}` question to mirror"
                .into(),
        ),
    }
}
