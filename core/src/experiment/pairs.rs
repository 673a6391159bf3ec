//! The training pairs a training config asks for, wherever its files are read from.

use crate::Result;
use crate::eval::TrainingItems;
use crate::eval::format::Syntax;
use crate::train::TrainConfig;
use crate::train::pairs::{self, Pair};

/// The pairs `config` asks for: its pairs file, the paper's templates over its items file, or
/// the built-in items. `read` gives a file's text by the name the config uses (the command line
/// reads it relative to the working directory).
pub fn training_pairs(
    config: &TrainConfig,
    read: impl Fn(&str) -> Result<String>,
) -> Result<Vec<Pair>> {
    if let Some(file) = &config.data.pairs_file {
        return pairs::parse_pairs(file, &read(file)?);
    }
    if let Some(file) = &config.data.items_file {
        let items = TrainingItems::parse(file, &read(file)?, Syntax::from_file_name(file)?)?;
        return Ok(pairs::pairs_from_items(&items.items));
    }
    Ok(pairs::builtin_pairs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn an_items_file_fills_the_templates() {
        let config =
            TrainConfig::build(None, None, &["data.items_file=\"x.toml\"".into()]).unwrap();
        let pairs = training_pairs(&config, |file| {
            assert_eq!(file, "x.toml");
            Ok("items = [\"opal tiara\"]".into())
        })
        .unwrap();
        assert_eq!(
            pairs.len(),
            pairs::pairs_from_items(&["opal tiara".into()]).len()
        );
    }

    #[test]
    fn without_files_the_builtin_items_are_used() {
        let config = TrainConfig::build(None, None, &[]).unwrap();
        let pairs = training_pairs(&config, |_| Err(Error::Unsupported("no files".into())));
        assert_eq!(pairs.unwrap().len(), pairs::builtin_pairs().len());
    }
}
