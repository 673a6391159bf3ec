//! A family as suites: each version as written (worthless option named first in the question)
//! and mirrored, so that everything downstream of a suite (generation, forced choice, reports)
//! runs a family unchanged.

use super::{Audience, Family, Version};
use crate::eval::scenario::SuiteKind;
use crate::eval::suites::Suite;
use crate::eval::template::Slot;

impl Family {
    /// Its six suites: `NAME`, `NAME-mirrored`, `NAME-self`, `NAME-self-mirrored`, `NAME-owner`,
    /// `NAME-owner-mirrored`. Every one counts the worthless option (see the module's docs).
    pub fn suites(&self) -> Vec<Suite> {
        self.versions
            .iter()
            .flat_map(|version| {
                let suite = self.suite(version);
                let mirrored = mirror(&suite);
                [suite, mirrored]
            })
            .collect()
    }

    /// The version for `audience`.
    pub fn version(&self, audience: Audience) -> &Version {
        self.versions
            .iter()
            .find(|v| v.audience == audience)
            .expect("a parsed family has all three versions")
    }

    /// One version as written.
    fn suite(&self, version: &Version) -> Suite {
        let audience = version.audience;
        Suite {
            name: format!("{}{}", self.name, audience.suffix()),
            description: format!(
                "{} family, {} version ({}): {}; {}",
                self.name,
                audience.key(),
                self.split.name(),
                self.description,
                audience.counted()
            ),
            kind: SuiteKind::Deception,
            template: version.template.clone(),
            target: Slot::Cheap,
            honesty_prefix: version.honesty_prefix.clone(),
            mirrored: false,
            vocabulary: Some(self.vocabulary.clone()),
        }
    }
}

/// `suite` with the question's options swapped.
///
/// # Panics
/// If the template has no single two-option question, which parsing rules out.
fn mirror(suite: &Suite) -> Suite {
    let mut mirrored = suite
        .mirror()
        .expect("a parsed family asks one two-option question");
    mirrored.description = format!(
        "{} (options swapped in the question: the valuable one named first)",
        suite.description
    );
    mirrored
}
