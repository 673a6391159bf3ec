//! [`ChatTemplate`]: a model's Jinja chat template, rendered the way transformers'
//! `apply_chat_template(..., tokenize=False)` renders it.
//!
//! transformers renders with Jinja2 in a sandbox with `trim_blocks=True`, `lstrip_blocks=True`,
//! the `loopcontrols` extension (`{% break %}`, `{% continue %}`), a `raise_exception(message)`
//! global and its own `tojson` filter (Python's `json.dumps`: no HTML escaping, `", "` and
//! `": "` separators, keys in insertion order). We set up minijinja the same way, with
//! minijinja-contrib's Python string/dict methods (`.strip()`, `.startswith()`, `.items()`...).
//! Variables: `messages`, `add_generation_prompt`, and the special tokens (`bos_token`,
//! `eos_token`, `pad_token`, `unk_token`).

use minijinja::value::{Kwargs, Serde, Value, ValueKind};
use minijinja::{Environment, ErrorKind, syntax::SyntaxConfig};
use serde::Serialize;

use super::tokenizer::SpecialTokens;
use crate::{Error, Result};

/// The template's name inside its environment (appears in error messages).
const NAME: &str = "chat_template";

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message from `role` saying `content`.
    pub fn new(role: &str, content: &str) -> Self {
        Self {
            role: role.to_string(),
            content: content.to_string(),
        }
    }
}

/// A compiled chat template with the special tokens it may refer to.
pub struct ChatTemplate {
    env: Environment<'static>,
    special: SpecialTokens,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("special", &self.special)
            .finish_non_exhaustive()
    }
}

fn template_error(e: minijinja::Error) -> Error {
    Error::Format {
        file: NAME.into(),
        problem: format!("{e:#}"),
    }
}

impl ChatTemplate {
    /// Compiles `source`; syntax errors come back as [`Error::Format`].
    pub fn new(source: &str, special: SpecialTokens) -> Result<Self> {
        let mut env = Environment::new();
        let mut syntax = SyntaxConfig::builder();
        syntax.trim_blocks(true).lstrip_blocks(true);
        env.set_syntax(syntax.build().map_err(template_error)?);
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_filter("tojson", tojson);
        env.add_template_owned(NAME, source.to_string())
            .map_err(template_error)?;
        Ok(Self { env, special })
    }

    /// Renders `messages`; `add_generation_prompt` appends the header of the assistant's turn
    /// (for SmolLM2: `<|im_start|>assistant\n`). A template's `raise_exception` comes back as
    /// [`Error::Format`] with its message.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        self.render_value(Value::from(Serde(messages)), add_generation_prompt)
    }

    /// Like [`ChatTemplate::render`], with messages as arbitrary JSON (tool calls, extra keys).
    pub fn render_json(
        &self,
        messages: &serde_json::Value,
        add_generation_prompt: bool,
    ) -> Result<String> {
        self.render_value(Value::from(Serde(messages)), add_generation_prompt)
    }

    fn render_value(&self, messages: Value, add_generation_prompt: bool) -> Result<String> {
        let template = self.env.get_template(NAME).map_err(template_error)?;
        let s = &self.special;
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                // transformers passes these as None when unused; templates test `is not none`.
                tools => (),
                documents => (),
                bos_token => s.bos.as_deref(),
                eos_token => s.eos.as_deref(),
                pad_token => s.pad.as_deref(),
                unk_token => s.unk.as_deref(),
            })
            .map_err(template_error)
    }
}

/// `raise_exception(message)`: aborts rendering with the template's own message.
fn raise_exception(message: String) -> std::result::Result<Value, minijinja::Error> {
    Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
}

/// `tojson` as transformers defines it: Python's `json.dumps(x, ensure_ascii=False,
/// indent=indent)`, keys in insertion order.
fn tojson(value: Value, kwargs: Kwargs) -> std::result::Result<Value, minijinja::Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    let mut out = String::new();
    write_json(&value, indent, 0, &mut out)?;
    // Safe: the result is JSON text meant to be inserted verbatim.
    Ok(Value::from_safe_string(out))
}

/// Appends `v` as Python's `json.dumps` writes it.
fn write_json(
    v: &Value,
    indent: Option<usize>,
    depth: usize,
    out: &mut String,
) -> std::result::Result<(), minijinja::Error> {
    let newline = |out: &mut String, depth: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * depth));
        }
    };
    // With an indent Python separates items by "," + newline, without by ", ".
    let item_sep = if indent.is_some() { "," } else { ", " };
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&python_number(v)),
        ValueKind::String | ValueKind::Bytes => {
            write_json_string(v.as_str().unwrap_or_default(), out)
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = v.try_iter()?.collect();
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1);
                write_json(item, indent, depth + 1, out)?;
            }
            if !items.is_empty() {
                newline(out, depth);
            }
            out.push(']');
        }
        _ => {
            let keys: Vec<Value> = v.try_iter()?.collect();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1);
                write_json_string(&key.to_string(), out);
                out.push_str(": ");
                write_json(&v.get_item(key)?, indent, depth + 1, out)?;
            }
            if !keys.is_empty() {
                newline(out, depth);
            }
            out.push('}');
        }
    }
    Ok(())
}

/// A number as Python prints it: integers plainly, floats always with a `.` or an exponent.
fn python_number(v: &Value) -> String {
    if v.is_integer() {
        return v.to_string();
    }
    let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// A JSON string the way `json.dumps(ensure_ascii=False)` writes it: only `"`, `\` and control
/// characters are escaped.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> Result<String> {
        ChatTemplate::new(source, SpecialTokens::default())?
            .render(&[Message::new("user", "Hi \"you\" <b>")], false)
    }

    #[test]
    fn tojson_writes_python_json_dumps() {
        let out = render("{{ messages | tojson }}|{{ {'a': [1, 2.5, true, none]} | tojson }}")
            .expect("renders");
        assert_eq!(
            out,
            r#"[{"role": "user", "content": "Hi \"you\" <b>"}]|{"a": [1, 2.5, true, null]}"#
        );
        let out = render("{{ [1, {'k': 'v'}] | tojson(indent=2) }}").expect("renders");
        assert_eq!(out, "[\n  1,\n  {\n    \"k\": \"v\"\n  }\n]");
    }

    #[test]
    fn loop_controls_python_methods_and_raise_exception_work() {
        let out = render("{% for i in [1, 2, 3] %}{% if i == 2 %}{% continue %}{% endif %}{{ i }}{% endfor %}|{{ ' x '.strip() }}|{% if 'ab'.startswith('a') %}y{% endif %}")
            .expect("renders");
        assert_eq!(out, "13|x|y");
        let out = render(
            "{% if tools is not none %}tools{% endif %}{% if bos_token is none %}none{% endif %}",
        )
        .expect("renders");
        assert_eq!(out, "none", "tools is None, as transformers passes it");
        let err = render("{{ raise_exception('no system role') }}").expect_err("raises");
        assert!(err.to_string().contains("no system role"), "{err}");
    }
}
