//! Reading the evaluation's data files (TOML or JSON) with errors that say where the problem is:
//! the file, the line and the field, so that a user fixing a hand-written suite file does not have
//! to bisect it.

use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// The two syntaxes a data file may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl Syntax {
    /// The syntax a file name's extension announces.
    pub fn from_file_name(file: &str) -> Result<Self> {
        let lower = file.to_ascii_lowercase();
        if lower.ends_with(".toml") {
            Ok(Self::Toml)
        } else if lower.ends_with(".json") {
            Ok(Self::Json)
        } else {
            Err(Error::Format {
                file: file.into(),
                problem: "unknown file type: expected a name ending in .toml or .json".into(),
            })
        }
    }
}

/// An [`Error::Format`] for `file` that points at `line` (1-based) and `field` when known.
pub fn located(file: &str, line: Option<usize>, field: Option<&str>, problem: &str) -> Error {
    let mut place = String::new();
    if let Some(line) = line {
        place.push_str(&format!("line {line}, "));
    }
    if let Some(field) = field {
        place.push_str(&format!("field `{field}`: "));
    }
    Error::Format {
        file: file.into(),
        problem: format!("{place}{problem}"),
    }
}

/// Parses `text` (the contents of `file`) as `T`.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str, syntax: Syntax) -> Result<T> {
    match syntax {
        Syntax::Toml => toml::from_str(text).map_err(|e| toml_error(file, text, &e)),
        Syntax::Json => serde_json::from_str(text).map_err(|e| json_error(file, text, &e)),
    }
}

/// serde's own messages already name the field for missing and unknown fields; only for the
/// other errors (wrong type, bad value) do we have to find the field ourselves.
fn names_its_field(message: &str) -> bool {
    message.contains("missing field") || message.contains("unknown field")
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> Error {
    let message = e.message().trim();
    let Some(span) = e.span() else {
        return located(file, None, None, message);
    };
    let start = span.start.min(text.len());
    let line = text[..start].matches('\n').count() + 1;
    let field = if names_its_field(message) {
        None
    } else {
        toml_key_of_line(text.lines().nth(line - 1).unwrap_or(""))
    };
    located(file, Some(line), field, message)
}

/// The key a TOML line assigns (`key = value`) or the table it opens (`[table]`).
fn toml_key_of_line(line: &str) -> Option<&str> {
    let line = line.trim();
    if let Some(header) = line.strip_prefix('[') {
        return Some(header.trim_start_matches('[').split(']').next()?.trim());
    }
    let (key, _) = line.split_once('=')?;
    Some(key.trim().trim_matches('"'))
}

fn json_error(file: &str, text: &str, e: &serde_json::Error) -> Error {
    // serde_json appends " at line L column C" to its Display; use the bare description.
    let full = e.to_string();
    let message = full.split(" at line ").next().unwrap_or(&full).to_string();
    if e.line() == 0 {
        return located(file, None, None, &message);
    }
    let offset = line_column_offset(text, e.line(), e.column());
    let key = (!names_its_field(&message))
        .then(|| last_json_key(&text[..offset]))
        .flatten();
    located(file, Some(e.line()), key.as_deref(), &message)
}

/// The byte offset of a 1-based line and column, clamped to a character boundary of `text`.
fn line_column_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let mut offset = (line_start + column).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The last object key (`"key":`) in `prefix`: the field whose value serde_json was reading.
fn last_json_key(prefix: &str) -> Option<String> {
    let mut last = None;
    let mut chars = prefix.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut string = String::new();
        let mut escaped = false;
        for (_, c) in chars.by_ref() {
            match c {
                _ if escaped => {
                    string.push(c);
                    escaped = false;
                }
                '\\' => escaped = true,
                '"' => break,
                _ => string.push(c),
            }
        }
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_some_and(|(_, c)| *c == ':') {
            last = Some(string);
        }
    }
    last
}

/// The 1-based line on which `key` is first assigned in a TOML (`key =`) or JSON (`"key":`)
/// file, for errors found after parsing (an unknown placeholder, a missing answer).
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.starts_with(&quoted)
                || line
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read only through Debug: the tests look at errors
    struct Sample {
        name: String,
        count: u32,
    }

    fn problem(result: Result<Sample>) -> String {
        match result {
            Err(Error::Format { file, problem }) => format!("{file}: {problem}"),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn toml_type_errors_name_file_line_and_field() {
        let text = "name = \"a\"\n\ncount = \"three\"\n";
        let message = problem(parse("s.toml", text, Syntax::Toml));
        assert!(
            message.starts_with("s.toml: line 3, field `count`:"),
            "{message}"
        );
    }

    #[test]
    fn json_type_errors_name_file_line_and_field() {
        let text = "{\n  \"name\": \"a\",\n  \"count\": \"three\"\n}";
        let message = problem(parse("s.json", text, Syntax::Json));
        assert!(
            message.starts_with("s.json: line 3, field `count`:"),
            "{message}"
        );
    }

    #[test]
    fn missing_and_unknown_fields_are_named_by_serde() {
        let message = problem(parse("s.json", "{\"name\": \"a\"}", Syntax::Json));
        assert!(message.contains("missing field `count`"), "{message}");
        let text = "name = \"a\"\ncount = 1\ncolour = 2\n";
        let message = problem(parse("s.toml", text, Syntax::Toml));
        assert!(
            message.contains("line 3") && message.contains("`colour`"),
            "{message}"
        );
    }

    #[test]
    fn syntax_comes_from_the_extension() {
        assert_eq!(Syntax::from_file_name("a.TOML").unwrap(), Syntax::Toml);
        assert_eq!(Syntax::from_file_name("dir/a.json").unwrap(), Syntax::Json);
        assert!(Syntax::from_file_name("a.yaml").is_err());
    }

    #[test]
    fn finds_the_line_of_a_key() {
        assert_eq!(line_of_key("a = 1\nname = 2\n", "name"), Some(2));
        assert_eq!(line_of_key("{\n \"name\": 1}", "name"), Some(2));
        assert_eq!(line_of_key("names = 1", "name"), None);
    }
}
