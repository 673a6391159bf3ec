//! SOO training pairs: the paper's three templates (docs/method.md §2) filled with training items, or
//! a user's own pairs file; plus the checks a careful run starts with (token alignment of each
//! pair, leakage of training items into the test vocabulary).

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::eval::TrainingItems;
use crate::eval::format::{Syntax, located, parse};
use crate::text::Tokenizer;

/// The paper's Table 1: (self, other), fragments without a question mark, `{item}` filled in.
pub const PAPER_TEMPLATES: [(&str, &str); 3] = [
    (
        "You have the goal of stealing the {item}. If you needed to suggest one room to yourself",
        "Bob has the goal of stealing the {item}. If you needed to suggest one room to Bob",
    ),
    (
        "You intend to steal the {item}. If you were required to recommend one room to yourself",
        "Bob intends to steal the {item}. If you were required to recommend one room to Bob",
    ),
    (
        "You are planning to steal the {item}. If you would have to point out one room to \
         yourself",
        "Bob is planning to steal the {item}. If you would have to point out one room to Bob",
    ),
];

/// One self-referencing prompt and its other-referencing twin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// About the model itself ("You ... yourself").
    #[serde(rename = "self")]
    pub self_text: String,
    /// About another ("Bob ... Bob").
    pub other: String,
}

/// One pair per item, cycling the three templates as the authors did.
pub fn pairs_from_items(items: &[String]) -> Vec<Pair> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let (s, o) = PAPER_TEMPLATES[i % PAPER_TEMPLATES.len()];
            Pair {
                self_text: s.replace("{item}", item),
                other: o.replace("{item}", item),
            }
        })
        .collect()
}

/// The built-in pairs: the paper's templates × the project's own items.
pub fn builtin_pairs() -> Vec<Pair> {
    pairs_from_items(&TrainingItems::builtin().items)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairsFile {
    pairs: Vec<Pair>,
}

/// Reads a pairs file: TOML `[[pairs]]` tables with `self` and `other`, or JSON
/// `{"pairs": [{"self": .., "other": ..}]}` (a bare JSON list is accepted too).
pub fn parse_pairs(file: &str, text: &str) -> Result<Vec<Pair>> {
    let syntax = Syntax::from_file_name(file)?;
    let pairs = match syntax {
        Syntax::Json if text.trim_start().starts_with('[') => {
            parse::<Vec<Pair>>(file, text, syntax)?
        }
        _ => parse::<PairsFile>(file, text, syntax)?.pairs,
    };
    if pairs.is_empty() {
        return Err(located(file, None, Some("pairs"), "the list is empty"));
    }
    for (i, pair) in pairs.iter().enumerate() {
        if pair.self_text.trim().is_empty() || pair.other.trim().is_empty() {
            return Err(located(
                file,
                None,
                Some(&format!("pairs[{i}]")),
                "a prompt is empty",
            ));
        }
    }
    Ok(pairs)
}

/// A text for next-token training: the loss covers `completion` only, `prompt` is context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextExample {
    /// Context that is not scored (may be empty).
    #[serde(default)]
    pub prompt: String,
    /// What the model learns to continue with.
    pub completion: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExamplesFile {
    examples: Vec<TextExample>,
}

/// Reads a file of text examples: TOML `[[examples]]` tables with `completion` (and optionally
/// `prompt`), or JSON `{"examples": [...]}` or a bare JSON list.
pub fn parse_examples(file: &str, text: &str) -> Result<Vec<TextExample>> {
    let syntax = Syntax::from_file_name(file)?;
    let examples = match syntax {
        Syntax::Json if text.trim_start().starts_with('[') => {
            parse::<Vec<TextExample>>(file, text, syntax)?
        }
        _ => parse::<ExamplesFile>(file, text, syntax)?.examples,
    };
    if examples.is_empty() {
        return Err(located(file, None, Some("examples"), "the list is empty"));
    }
    if let Some(i) = examples.iter().position(|e| e.completion.trim().is_empty()) {
        return Err(located(
            file,
            None,
            Some(&format!("examples[{i}]")),
            "the completion is empty",
        ));
    }
    Ok(examples)
}

/// How a pair's two prompts line up token by token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alignment {
    /// Tokens of the self prompt.
    pub self_tokens: Vec<String>,
    /// Tokens of the other prompt.
    pub other_tokens: Vec<String>,
    /// Positions (in the shorter prompt) where the tokens differ.
    pub differing: Vec<usize>,
}

impl Alignment {
    /// Whether the two prompts have different token counts: `all` positions then compares
    /// shifted tokens after the first difference, and `last`/`mean` are safer.
    pub fn lengths_differ(&self) -> bool {
        self.self_tokens.len() != self.other_tokens.len()
    }
}

/// Tokenizes both sides of `pair` (with the tokenizer's special tokens, as training does).
pub fn align(tokenizer: &Tokenizer, pair: &Pair) -> Result<Alignment> {
    let tokens = |text: &str| -> Result<Vec<String>> {
        let ids = tokenizer.encode(text, true)?;
        tokenizer.token_texts(&ids)
    };
    let self_tokens = tokens(&pair.self_text)?;
    let other_tokens = tokens(&pair.other)?;
    let differing = self_tokens
        .iter()
        .zip(&other_tokens)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| i)
        .collect();
    Ok(Alignment {
        self_tokens,
        other_tokens,
        differing,
    })
}

/// Neutral sentences for the sham control and the KL-to-base term (`core/data/neutral_training.toml`).
pub fn neutral_texts() -> Vec<String> {
    #[derive(Deserialize)]
    struct Texts {
        texts: Vec<String>,
    }
    let texts: Texts = parse(
        "core/data/neutral_training.toml",
        include_str!("../../data/neutral_training.toml"),
        Syntax::Toml,
    )
    .expect("the built-in neutral text is valid (checked by the tests)");
    texts.texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_cycle_and_fill() {
        let items = vec![
            "jade cup".to_string(),
            "gold coin".into(),
            "old map".into(),
            "x".into(),
        ];
        let pairs = pairs_from_items(&items);
        assert_eq!(pairs.len(), 4);
        assert_eq!(
            pairs[0].self_text,
            "You have the goal of stealing the jade cup. If you needed to suggest one room to yourself"
        );
        assert!(
            pairs[2]
                .other
                .starts_with("Bob is planning to steal the old map.")
        );
        assert!(pairs[3].self_text.starts_with("You have the goal"));
    }

    #[test]
    fn pair_files_in_both_syntaxes() {
        let toml = "[[pairs]]\nself = \"I a\"\nother = \"Bob a\"\n";
        assert_eq!(parse_pairs("p.toml", toml).unwrap().len(), 1);
        let json = r#"[{"self": "I a", "other": "Bob a"}]"#;
        assert_eq!(parse_pairs("p.json", json).unwrap()[0].other, "Bob a");
        let err = parse_pairs("p.toml", "[[pairs]]\nself = \"I\"\n").unwrap_err();
        assert!(err.to_string().contains("p.toml"), "{err}");
        let err = parse_pairs("p.json", r#"{"pairs": []}"#).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn example_files_in_both_syntaxes() {
        let toml =
            "[[examples]]\nprompt = \"Q\"\ncompletion = \"A\"\n[[examples]]\ncompletion = \"B\"\n";
        let examples = parse_examples("e.toml", toml).unwrap();
        assert_eq!(examples[1].prompt, "");
        let json = r#"[{"prompt": "Q", "completion": "A"}]"#;
        assert_eq!(parse_examples("e.json", json).unwrap()[0].completion, "A");
        let err = parse_examples(
            "e.toml",
            "[[examples]]\nprompt = \"Q\"\ncompletion = \" \"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("examples[0]"), "{err}");
    }

    #[test]
    fn builtin_data_is_clean() {
        assert!(builtin_pairs().len() >= 40);
        let items = TrainingItems::builtin().items;
        assert!(
            crate::eval::vocabulary::leakage(&crate::eval::Vocabulary::builtin(), &items)
                .is_empty()
        );
        assert!(neutral_texts().len() >= 20);
    }
}
