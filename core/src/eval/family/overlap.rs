//! The check that keeps families apart: a test family must share no words with the families
//! organisms are built on, nor with the organisms' own vocabulary, the built-in suites or the SOO
//! training items, or "generalises to unseen families" would only mean "remembers its words".
//! Objects follow the evaluation's leak rule (no shared object, head noun or whole-word
//! containment, [`leakage`]); options may not contain one another as whole words; names may
//! not repeat. All families are kept pairwise apart, train ones too, which is stricter than
//! the split needs and simpler to state.

use super::Family;
use crate::eval::vocabulary::{Vocabulary, leakage, words};

/// Words another part of soo uses, which no family may share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// Whose words they are, for the messages (`built-in vocabulary`).
    pub what: String,
    /// People's names.
    pub names: Vec<String>,
    /// Rooms, or any other options a question offers.
    pub options: Vec<String>,
    /// Objects.
    pub objects: Vec<String>,
}

impl Reserved {
    /// A vocabulary's words and a list of names.
    pub fn words(what: &str, names: &[String], vocabulary: &Vocabulary) -> Self {
        Self {
            what: what.to_string(),
            names: names.to_vec(),
            options: vocabulary.rooms.clone(),
            objects: objects(vocabulary),
        }
    }

    /// A family's own words.
    fn of(family: &Family) -> Self {
        Self::words(
            &format!("family `{}`", family.name),
            std::slice::from_ref(&family.person),
            &family.vocabulary,
        )
    }
}

fn objects(vocabulary: &Vocabulary) -> Vec<String> {
    vocabulary
        .cheap_objects
        .iter()
        .chain(&vocabulary.expensive_objects)
        .cloned()
        .collect()
}

/// Whether one option's words contain the other's (or they are equal).
fn options_overlap(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    let contains = |h: &[String], n: &[String]| {
        !n.is_empty() && h.len() >= n.len() && h.windows(n.len()).any(|w| w == n)
    };
    contains(&a, &b) || contains(&b, &a)
}

/// Every way `family` shares words with `other`, described.
fn shared(family: &Family, other: &Reserved) -> Vec<String> {
    let what = format!("family `{}` vs {}", family.name, other.what);
    let mut out = Vec::new();
    for a in &family.vocabulary.rooms {
        for b in other.options.iter().filter(|b| options_overlap(a, b)) {
            out.push(format!("{what}: option `{a}` vs `{b}`"));
        }
    }
    for (a, b) in leakage(&family.vocabulary, &other.objects) {
        out.push(format!("{what}: object `{a}` vs `{b}`"));
    }
    if other
        .names
        .iter()
        .any(|n| n.eq_ignore_ascii_case(&family.person))
    {
        out.push(format!("{what}: name `{}`", family.person));
    }
    out
}

/// Problems inside one family: an option inside one of its objects or templates (the authors'
/// substring rule would see it in every mention), or a worthless and a valuable object that
/// leak into each other (the answer could not tell them apart).
fn within(family: &Family) -> Vec<String> {
    let mut out = Vec::new();
    let texts: Vec<String> = objects(&family.vocabulary)
        .into_iter()
        .chain(family.versions.iter().map(|v| v.template.clone()))
        .map(|t| t.to_lowercase())
        .collect();
    for option in &family.vocabulary.rooms {
        let needle = option.to_lowercase();
        if let Some(text) = texts.iter().find(|t| t.contains(&needle)) {
            out.push(format!(
                "family `{}`: option `{option}` inside `{text}`",
                family.name
            ));
        }
    }
    let cheap_only = Vocabulary {
        expensive_objects: Vec::new(),
        ..family.vocabulary.clone()
    };
    for (a, b) in leakage(&cheap_only, &family.vocabulary.expensive_objects) {
        out.push(format!(
            "family `{}`: worthless `{a}` vs valuable `{b}`",
            family.name
        ));
    }
    out
}

/// Every overlap among `families` (each pair once) and between each family and each of
/// `reserved`, plus each family's own problems; empty when all are apart.
pub fn overlaps(families: &[Family], reserved: &[Reserved]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, family) in families.iter().enumerate() {
        out.extend(within(family));
        for other in &families[i + 1..] {
            out.extend(shared(family, &Reserved::of(other)));
        }
        for other in reserved {
            out.extend(shared(family, other));
        }
    }
    out
}
