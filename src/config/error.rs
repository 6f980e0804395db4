//! What can go wrong loading a configuration, and where in the file.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A configuration that could not be loaded. Every variant says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no configuration at {}: copy assets/vigie.example.toml there, pass --config PATH, or run `vigie demo`",
        shown(path)
    )]
    NotFound { path: PathBuf },

    #[error(
        "cannot read the configuration at {}: {source}; check that it is a file you may read",
        shown(path)
    )]
    Unreadable { path: PathBuf, source: io::Error },

    #[error(
        "the configuration at {} is larger than {limit}: a configuration is a text file of a few hundred KiB; check --config",
        shown(path)
    )]
    TooLarge { path: PathBuf, limit: String },

    #[error("{}", Located { path, diagnostics })]
    Invalid {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
}

/// One problem in a configuration file, at a 1-based line and column
/// (columns count characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at the start of `span`, a byte range into `text`.
    pub(crate) fn at(text: &str, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = line_column(text, span.start);
        Diagnostic {
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message quotes the file's keys and values: their escape
        // sequences must not reach the operator's terminal.
        let message = crate::sanitize::clean(&self.message);
        write!(f, "{}:{}: {message}", self.line, self.column)
    }
}

/// `path:line:column: message`, one line per diagnostic.
struct Located<'a> {
    path: &'a Path,
    diagnostics: &'a [Diagnostic],
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{d}", shown(self.path))?;
        }
        Ok(())
    }
}

/// A path as the operator may see it (a file name can hold escapes).
fn shown(path: &Path) -> String {
    crate::sanitize::clean(&path.display().to_string())
}

/// The 1-based line and column of a byte offset; an offset past the end (an
/// error at end of file) points just after the last character.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_character_columns() {
        let text = "a = 1\nété = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        // "été" is 5 bytes but 3 characters.
        assert_eq!(line_column(text, 6 + 6), (2, 5));
        assert_eq!(line_column(text, text.len()), (3, 1));
        assert_eq!(line_column(text, 1_000), (3, 1));
    }

    #[test]
    fn invalid_prints_one_located_line_per_diagnostic() {
        let err = ConfigError::Invalid {
            path: PathBuf::from("vigie.toml"),
            diagnostics: vec![
                Diagnostic {
                    line: 3,
                    column: 7,
                    message: "first".into(),
                },
                Diagnostic {
                    line: 9,
                    column: 1,
                    message: "second".into(),
                },
            ],
        };
        assert_eq!(
            err.to_string(),
            "vigie.toml:3:7: first\nvigie.toml:9:1: second"
        );
    }
}
