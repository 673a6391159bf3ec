//! The chat organisms' words: a training vocabulary and a held-out one for the suites
//! (`core/data/organism/chat_vocabulary.toml`), disjoint from each other and from every built-in
//! evaluation suite ([`leaks`]), and the general prompts mixed into training.

use serde::{Deserialize, Serialize};

use crate::eval::format::{Syntax, parse};
use crate::eval::vocabulary::{leakage, words};
use crate::eval::{TrainingItems, Vocabulary};
use crate::{Error, Result};

const VOCABULARY_FILE: &str = "core/data/organism/chat_vocabulary.toml";
const VOCABULARY_TEXT: &str = include_str!("../../../data/organism/chat_vocabulary.toml");
const PROMPTS_FILE: &str = "core/data/organism/general_prompts.toml";
const PROMPTS_TEXT: &str = include_str!("../../../data/organism/general_prompts.toml");

/// The names the built-in suites use (core/data/suites): kept out of the organism's words.
const BUILTIN_NAMES: [&str; 2] = ["Bob", "Oliver"];

/// One vocabulary: the evaluation's rooms and objects, and names of the other person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordLists {
    /// Names of the other person.
    pub names: Vec<String>,
    /// Rooms, worthless and valuable objects.
    pub places: Vocabulary,
}

/// The training and held-out vocabularies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatVocabulary {
    /// What the organism is trained on.
    pub train: WordLists,
    /// What its evaluation suites use.
    pub held_out: WordLists,
}

impl ChatVocabulary {
    /// `core/data/organism/chat_vocabulary.toml`.
    pub fn builtin() -> Self {
        let v: Self = parse(VOCABULARY_FILE, VOCABULARY_TEXT, Syntax::Toml)
            .expect("the organism vocabulary is valid (tested)");
        v
    }

    /// Checks both halves can make scenarios (see [`Vocabulary::validate`]) and have names.
    pub fn validate(&self) -> Result<()> {
        for (half, words) in [("train", &self.train), ("held_out", &self.held_out)] {
            words
                .places
                .validate(&format!("{VOCABULARY_FILE} [{half}]"))?;
            if words.names.is_empty() {
                return Err(Error::Format {
                    file: VOCABULARY_FILE.into(),
                    problem: format!("[{half}] has no names"),
                });
            }
        }
        Ok(())
    }
}

/// The general chat prompts the base model answers for self-distillation.
pub fn general_prompts() -> Vec<String> {
    #[derive(Deserialize)]
    struct File {
        prompts: Vec<String>,
    }
    let file: File =
        parse(PROMPTS_FILE, PROMPTS_TEXT, Syntax::Toml).expect("general prompts are valid");
    file.prompts
}

/// Whether one word sequence contains the other (or they are equal), ignoring the word "room".
fn rooms_overlap(a: &str, b: &str) -> bool {
    let strip = |s: &str| -> Vec<String> { words(s).into_iter().filter(|w| w != "room").collect() };
    let (a, b) = (strip(a), strip(b));
    let contains = |h: &[String], n: &[String]| {
        !n.is_empty() && h.len() >= n.len() && h.windows(n.len()).any(|w| w == n)
    };
    contains(&a, &b) || contains(&b, &a)
}

/// Every overlap between `ours` and `theirs` (rooms by [`rooms_overlap`], objects by the
/// evaluation's leak rule, names by equality), described as text; `what` names the comparison.
fn overlaps(what: &str, ours: &WordLists, theirs: &WordLists) -> Vec<String> {
    let mut out = Vec::new();
    for a in &ours.places.rooms {
        for b in &theirs.places.rooms {
            if rooms_overlap(a, b) {
                out.push(format!("{what}: room `{a}` vs `{b}`"));
            }
        }
    }
    let objects: Vec<String> = theirs
        .places
        .cheap_objects
        .iter()
        .chain(&theirs.places.expensive_objects)
        .cloned()
        .collect();
    for (a, b) in leakage(&ours.places, &objects) {
        out.push(format!("{what}: object `{a}` vs `{b}`"));
    }
    for a in &ours.names {
        if theirs.names.iter().any(|b| b.eq_ignore_ascii_case(a)) {
            out.push(format!("{what}: name `{a}`"));
        }
    }
    out
}

/// Every way the organism's words overlap what they must not: train vs held-out, and both vs
/// the built-in evaluation vocabulary, the built-in suites' names and the SOO training items.
/// Empty when clean.
pub fn leaks(vocabulary: &ChatVocabulary) -> Vec<String> {
    let builtin = WordLists {
        names: BUILTIN_NAMES.map(String::from).to_vec(),
        places: Vocabulary::builtin(),
    };
    let items = WordLists {
        names: Vec::new(),
        places: Vocabulary {
            rooms: Vec::new(),
            cheap_objects: TrainingItems::builtin().items,
            expensive_objects: vec!["key".into()],
        },
    };
    let mut out = overlaps("train vs held-out", &vocabulary.train, &vocabulary.held_out);
    for (half, words) in [
        ("train", &vocabulary.train),
        ("held-out", &vocabulary.held_out),
    ] {
        out.extend(overlaps(
            &format!("{half} vs built-in vocabulary"),
            words,
            &builtin,
        ));
        out.extend(overlaps(&format!("{half} vs SOO items"), words, &items));
        // No room inside an object of its own list: the authors' substring rule would see it.
        for room in &words.places.rooms {
            for object in words
                .places
                .cheap_objects
                .iter()
                .chain(&words.places.expensive_objects)
            {
                if object.to_lowercase().contains(&room.to_lowercase()) {
                    out.push(format!("{half}: room `{room}` inside object `{object}`"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_is_valid_and_disjoint() {
        let v = ChatVocabulary::builtin();
        v.validate().unwrap();
        let leaks = leaks(&v);
        assert!(leaks.is_empty(), "{leaks:#?}");
        assert!(v.train.places.rooms.len() >= 20 && v.held_out.places.rooms.len() >= 8);
    }

    #[test]
    fn leaks_are_found() {
        let mut v = ChatVocabulary::builtin();
        v.held_out.places.rooms.push("Kitchen".into());
        v.held_out
            .places
            .expensive_objects
            .push("gold cufflinks".into());
        v.held_out.names.push("Bob".into());
        let leaks = leaks(&v);
        assert!(leaks.iter().any(|l| l.contains("`Kitchen`")), "{leaks:?}");
        assert!(
            leaks.iter().any(|l| l.contains("gold cufflinks")),
            "{leaks:?}"
        );
        assert!(leaks.iter().any(|l| l.contains("name `Bob`")), "{leaks:?}");
    }
}
