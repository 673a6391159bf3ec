//! The words scenarios are made of: rooms, cheap objects, expensive objects, and the SOO
//! training items that must never leak into a test set.

use serde::{Deserialize, Serialize};

use super::format::{Syntax, located, parse};
use crate::Result;

/// The project's own test vocabulary (`core/data/vocabulary.toml`).
const BUILTIN_VOCABULARY: &str = include_str!("../../data/vocabulary.toml");
/// The project's own SOO training items (`core/data/training_items.toml`).
const BUILTIN_TRAINING_ITEMS: &str = include_str!("../../data/training_items.toml");

/// Rooms and objects to draw scenarios from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Room names; a scenario uses two different ones.
    pub rooms: Vec<String>,
    /// Worthless objects (a scenario puts one in the deceptive room).
    pub cheap_objects: Vec<String>,
    /// Valuable objects (a scenario puts one in the honest room).
    pub expensive_objects: Vec<String>,
}

impl Vocabulary {
    /// soo's own test vocabulary, disjoint from every training item (see the leakage test).
    pub fn builtin() -> Self {
        Self::parse(
            "core/data/vocabulary.toml",
            BUILTIN_VOCABULARY,
            Syntax::Toml,
        )
        .expect("the built-in vocabulary is valid (checked by the tests)")
    }

    /// Parses a vocabulary file and checks it can make scenarios.
    pub fn parse(file: &str, text: &str, syntax: Syntax) -> Result<Self> {
        let vocabulary: Self = parse(file, text, syntax)?;
        vocabulary.validate(file)?;
        Ok(vocabulary)
    }

    /// Checks the lists can make scenarios: at least two rooms, one object of each kind, no
    /// empty or duplicate entries, and no room name inside another (both classifiers would
    /// then see the inner room in every mention of the outer one).
    pub fn validate(&self, file: &str) -> Result<()> {
        let lists = [
            ("rooms", &self.rooms, 2),
            ("cheap_objects", &self.cheap_objects, 1),
            ("expensive_objects", &self.expensive_objects, 1),
        ];
        for (field, list, minimum) in lists {
            let problem = if list.len() < minimum {
                Some(format!("needs at least {minimum} entries"))
            } else if let Some(empty) = list.iter().position(|s| s.trim().is_empty()) {
                Some(format!("entry {empty} is empty"))
            } else {
                duplicate(list).map(|d| format!("`{d}` appears twice"))
            };
            if let Some(problem) = problem {
                return Err(located(file, None, Some(field), &problem));
            }
        }
        for outer in &self.rooms {
            for inner in &self.rooms {
                if outer != inner && outer.to_lowercase().contains(&inner.to_lowercase()) {
                    let problem = format!("room `{inner}` is part of room `{outer}`");
                    return Err(located(file, None, Some("rooms"), &problem));
                }
            }
        }
        Ok(())
    }
}

fn duplicate(list: &[String]) -> Option<&str> {
    let mut seen = std::collections::BTreeSet::new();
    list.iter()
        .find(|s| !seen.insert(s.to_lowercase()))
        .map(String::as_str)
}

/// A list of SOO training items (the `{item}` of the self/other training pairs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingItems {
    /// The items, one training pair each.
    pub items: Vec<String>,
}

impl TrainingItems {
    /// soo's own training items.
    pub fn builtin() -> Self {
        Self::parse(
            "core/data/training_items.toml",
            BUILTIN_TRAINING_ITEMS,
            Syntax::Toml,
        )
        .expect("the built-in training items are valid (checked by the tests)")
    }

    /// Parses a training-item file (`items = [...]`, or `{"items": [...]}` in JSON).
    pub fn parse(file: &str, text: &str, syntax: Syntax) -> Result<Self> {
        let items: Self = parse(file, text, syntax)?;
        if items.items.is_empty() {
            return Err(located(file, None, Some("items"), "the list is empty"));
        }
        Ok(items)
    }
}

/// The lowercase words of a name, with hyphens and apostrophes as separators
/// (`"Collector's coin"` → `collector s coin`).
pub(crate) fn words(name: &str) -> Vec<String> {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The head noun of an English noun phrase, singular: its last word (`"rare book"` → `book`)
/// or, for `X of Y`, the last word too (`"pair of dice"` → `dice`) with a plural `s` dropped.
fn head_noun(name: &str) -> Option<String> {
    let last = words(name).pop()?;
    let singular = match last.strip_suffix('s') {
        Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem.to_string(),
        _ => last,
    };
    Some(singular)
}

fn contains_words(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every (test object, training item) pair that leaks: the same item, the same head noun
/// (`"gold watch"` vs `"luxury watch"`), or one containing the other as whole words. Empty when
/// the test set is clean.
pub fn leakage<'a>(test: &'a Vocabulary, training: &'a [String]) -> Vec<(&'a str, &'a str)> {
    let objects = test.cheap_objects.iter().chain(&test.expensive_objects);
    let mut leaks = Vec::new();
    for object in objects {
        let object_words = words(object);
        for item in training {
            let item_words = words(item);
            let same_head = head_noun(object).is_some() && head_noun(object) == head_noun(item);
            if same_head
                || contains_words(&object_words, &item_words)
                || contains_words(&item_words, &object_words)
            {
                leaks.push((object.as_str(), item.as_str()));
            }
        }
    }
    leaks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_parse_and_have_the_authors_sizes_or_more() {
        // The authors' test set has 21 rooms, 29 cheap and 34 expensive objects.
        let v = Vocabulary::builtin();
        assert!(v.rooms.len() >= 21, "{}", v.rooms.len());
        assert!(v.cheap_objects.len() >= 29);
        assert!(v.expensive_objects.len() >= 34);
        assert_eq!(TrainingItems::builtin().items.len(), 52);
    }

    #[test]
    fn head_nouns_and_leaks() {
        assert_eq!(
            head_noun("pair of gold cufflinks").as_deref(),
            Some("cufflink")
        );
        assert_eq!(head_noun("glass").as_deref(), Some("glass"));
        let test = Vocabulary {
            rooms: vec!["a".into(), "b".into()],
            cheap_objects: vec!["golf tee".into()],
            expensive_objects: vec!["gold watch".into(), "Rare Book Set".into(), "piano".into()],
        };
        let training = ["luxury watch".to_string(), "rare book".to_string()];
        let leaks = leakage(&test, &training);
        assert_eq!(
            leaks,
            vec![
                ("gold watch", "luxury watch"),
                ("Rare Book Set", "rare book")
            ]
        );
    }

    #[test]
    fn validation_rejects_nested_rooms_and_duplicates() {
        let mut v = Vocabulary::builtin();
        v.rooms.push("bedroom".into());
        let err = v.validate("v.toml").unwrap_err().to_string();
        assert!(
            err.contains("`bedroom` is part of room `master bedroom`"),
            "{err}"
        );
        let mut v = Vocabulary::builtin();
        v.cheap_objects.push("Tea bag".into());
        let err = v.validate("v.toml").unwrap_err().to_string();
        assert!(
            err.contains("field `cheap_objects`") && err.contains("twice"),
            "{err}"
        );
    }

    #[test]
    fn malformed_vocabulary_names_file_line_and_field() {
        let text = "rooms = [\"a\", \"b\"]\ncheap_objects = \"tea bag\"\nexpensive_objects = []\n";
        let err = Vocabulary::parse("mine.toml", text, Syntax::Toml)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("mine.toml: line 2, field `cheap_objects`"),
            "{err}"
        );
    }
}
