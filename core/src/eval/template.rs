//! Scenario templates: the placeholders docs/method.md (§1, §5) uses, rendering, and the two-room question that
//! a mirrored variant swaps.
//!
//! The main test writes its rooms as `{first_room}` (holding the cheap object) and
//! `{second_room}` (holding the expensive one); the §5 scenarios write `{cheap_room}` and
//! `{expensive_room}`. Both spellings name the same two rooms, so one set of [`Fields`] renders
//! every suite and scenario `i` differs between suites only in wording.

use serde::{Deserialize, Serialize};

/// Which of a scenario's two rooms: the one with the cheap object or the expensive one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Slot {
    /// The room holding the cheap object (`{first_room}` = `{cheap_room}`).
    Cheap,
    /// The room holding the expensive object (`{second_room}` = `{expensive_room}`).
    Expensive,
}

impl Slot {
    /// The other room.
    pub fn other(self) -> Self {
        match self {
            Self::Cheap => Self::Expensive,
            Self::Expensive => Self::Cheap,
        }
    }

    /// The room a placeholder name (without braces) stands for, if it is a room placeholder.
    pub fn of_placeholder(name: &str) -> Option<Self> {
        match name {
            "first_room" | "cheap_room" => Some(Self::Cheap),
            "second_room" | "expensive_room" => Some(Self::Expensive),
            _ => None,
        }
    }
}

/// Every placeholder a template may use.
pub const PLACEHOLDERS: [&str; 6] = [
    "first_room",
    "second_room",
    "cheap_room",
    "expensive_room",
    "cheap_object",
    "expensive_object",
];

/// The words of one scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    /// Position in its test set (the authors' `id`, or the generator's index).
    pub id: usize,
    /// The room holding the cheap object.
    pub cheap_room: String,
    /// The room holding the expensive object.
    pub expensive_room: String,
    /// The cheap object.
    pub cheap_object: String,
    /// The expensive object.
    pub expensive_object: String,
}

impl Fields {
    /// The value of a placeholder (name without braces).
    pub fn value(&self, placeholder: &str) -> Option<&str> {
        Some(match placeholder {
            "first_room" | "cheap_room" => &self.cheap_room,
            "second_room" | "expensive_room" => &self.expensive_room,
            "cheap_object" => &self.cheap_object,
            "expensive_object" => &self.expensive_object,
            _ => return None,
        })
    }

    /// The room in `slot`.
    pub fn room(&self, slot: Slot) -> &str {
        match slot {
            Slot::Cheap => &self.cheap_room,
            Slot::Expensive => &self.expensive_room,
        }
    }
}

/// A placeholder's name and its byte range (braces included) in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found<'a> {
    name: &'a str,
    start: usize,
    end: usize,
}

/// The placeholders of `template`, or a description of the first problem (an unknown
/// placeholder, an unclosed or stray brace).
fn placeholders(template: &str) -> Result<Vec<Found<'_>>, String> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = template[rest..].find(['{', '}']).map(|i| i + rest) {
        if template[open..].starts_with('}') {
            return Err(format!("stray `}}` at byte {open}"));
        }
        let close = template[open..]
            .find('}')
            .map(|i| i + open)
            .ok_or_else(|| format!("unclosed `{{` at byte {open}"))?;
        let name = &template[open + 1..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder `{{{name}}}`; known: {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ));
        }
        found.push(Found {
            name,
            start: open,
            end: close + 1,
        });
        rest = close + 1;
    }
    Ok(found)
}

/// Checks that `template` uses only known placeholders and mentions both rooms.
pub fn check(template: &str) -> Result<(), String> {
    let found = placeholders(template)?;
    for slot in [Slot::Cheap, Slot::Expensive] {
        if !found
            .iter()
            .any(|f| Slot::of_placeholder(f.name) == Some(slot))
        {
            return Err(format!("never names the {slot:?} room").to_lowercase());
        }
    }
    Ok(())
}

/// `template` with every placeholder replaced by its value in `fields`.
///
/// # Panics
/// If the template has not passed [`check`].
pub fn render(template: &str, fields: &Fields) -> String {
    let found = placeholders(template).expect("templates are checked when a suite is built");
    let mut out = String::with_capacity(template.len() + 64);
    let mut last = 0;
    for f in found {
        out.push_str(&template[last..f.start]);
        out.push_str(fields.value(f.name).expect("checked placeholder"));
        last = f.end;
    }
    out.push_str(&template[last..]);
    out
}

/// The text between the two rooms of a two-room question ("... the {a} or the {b}?").
const QUESTION_JOIN: &str = " or the ";

/// The two-room question's placeholders: the only place where the two rooms are offered as
/// alternatives (`{a} or the {b}`). `None` when there is no such question (Perspectives) or
/// more than one (then "which room is named first" has no single answer).
fn question(template: &str) -> Option<(Found<'_>, Found<'_>)> {
    let found = placeholders(template).ok()?;
    let mut pairs = found.windows(2).filter(|w| {
        let (a, b) = (&w[0], &w[1]);
        let (sa, sb) = (Slot::of_placeholder(a.name), Slot::of_placeholder(b.name));
        sa.is_some() && sb.is_some() && sa != sb && &template[a.end..b.start] == QUESTION_JOIN
    });
    let pair = pairs.next()?;
    pairs
        .next()
        .is_none()
        .then(|| (pair[0].clone(), pair[1].clone()))
}

/// The room named first in the template's two-room question, if it has exactly one.
pub fn first_named(template: &str) -> Option<Slot> {
    question(template).and_then(|(a, _)| Slot::of_placeholder(a.name))
}

/// `template` with the two rooms of its question swapped, everything else unchanged (which room
/// holds which object stays the same); `None` without a single two-room question.
pub fn mirror(template: &str) -> Option<String> {
    let (a, b) = question(template)?;
    Some(format!(
        "{}{{{}}}{}{{{}}}{}",
        &template[..a.start],
        b.name,
        &template[a.end..b.start],
        a.name,
        &template[b.end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            id: 0,
            cheap_room: "porch".into(),
            expensive_room: "sauna".into(),
            cheap_object: "tea bag".into(),
            expensive_object: "harp".into(),
        }
    }

    #[test]
    fn renders_both_spellings_of_the_rooms() {
        let t = "A {cheap_object} in the {first_room}={cheap_room}, a {expensive_object} in the \
                 {second_room}={expensive_room}.";
        check(t).unwrap();
        assert_eq!(
            render(t, &fields()),
            "A tea bag in the porch=porch, a harp in the sauna=sauna."
        );
    }

    #[test]
    fn rejects_bad_templates() {
        assert!(
            check("the {attic} or {second_room}")
                .unwrap_err()
                .contains("{attic}")
        );
        assert!(
            check("the {first_room} or {second_room")
                .unwrap_err()
                .contains("unclosed")
        );
        assert!(
            check("the {first_room}} or {second_room}")
                .unwrap_err()
                .contains("stray")
        );
        assert!(
            check("only the {first_room}")
                .unwrap_err()
                .contains("expensive room")
        );
    }

    #[test]
    fn mirror_swaps_only_the_question() {
        let t =
            "{first_room} has it, not the {second_room}. The {first_room} or the {second_room}?";
        assert_eq!(first_named(t), Some(Slot::Cheap));
        let m = mirror(t).unwrap();
        assert_eq!(
            m,
            "{first_room} has it, not the {second_room}. The {second_room} or the {first_room}?"
        );
        assert_eq!(first_named(&m), Some(Slot::Expensive));
        assert_eq!(mirror(&m).unwrap(), t);
    }

    #[test]
    fn no_single_question_no_mirror() {
        assert_eq!(
            mirror("In the {cheap_room} and the {expensive_room}."),
            None
        );
        let two =
            "the {cheap_room} or the {expensive_room}; the {cheap_room} or the {expensive_room}";
        assert_eq!(mirror(two), None);
        assert_eq!(first_named(two), None);
    }
}
