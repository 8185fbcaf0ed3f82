//! Errors a person can act on: where (file, line, column, with the line and
//! a caret), what was expected, and a suggestion when a name looks misspelled.

use std::fmt;

/// A place in a source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file path, or a description such as `--set client.web.rate=x`.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The text of the line.
    pub line_text: String,
    /// Characters to underline (at least one).
    pub width: usize,
    /// Whether `origin` is a file (shown as `file:line:column`) or a
    /// one-line text such as a command-line override.
    pub in_file: bool,
}

/// One problem, ready to print.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostic {
    pub message: String,
    pub location: Option<Location>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), location: None, help: None }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if let Some(loc) = &self.location {
            let num = loc.line.to_string();
            let pad = " ".repeat(num.len());
            if loc.in_file {
                writeln!(f, "{pad}--> {}:{}:{}", loc.origin, loc.line, loc.column)?;
            } else {
                writeln!(f, "{pad}--> {} (column {})", loc.origin, loc.column)?;
            }
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {}", loc.line_text)?;
            let lead: String = loc
                .line_text
                .chars()
                .take(loc.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} | {lead}{}", "^".repeat(loc.width.max(1)))?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

/// Several problems at once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// Finds the line and column of byte `offset` in `text`.
pub fn locate(origin: &str, text: &str, span: std::ops::Range<usize>) -> Location {
    let start = span.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let end = span.end.clamp(start, line_end);
    let width = text[start..end].chars().count().max(1);
    Location {
        origin: origin.to_string(),
        line,
        column,
        line_text: text[line_start..line_end].trim_end_matches('\r').to_string(),
        width,
        in_file: true,
    }
}

/// For "unknown field `x`, expected one of `a`, `b`" and the like.
pub(crate) fn suggestion(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("unknown variant `"))?;
    let (unknown, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    tailsim_components::suggest::did_you_mean(unknown, candidates.iter().copied())
        .map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let text = "a = 1\nbad = 2\n";
        let loc = locate("m.toml", text, 6..9);
        assert_eq!((loc.line, loc.column, loc.width), (2, 1, 3));
        assert_eq!(loc.line_text, "bad = 2");
        let d = Diagnostic {
            message: "unknown field `bad`".into(),
            location: Some(loc),
            help: Some("did you mean `bar`?".into()),
        };
        let shown = d.to_string();
        assert!(shown.contains("--> m.toml:2:1"), "{shown}");
        assert!(shown.contains("2 | bad = 2\n  | ^^^"), "{shown}");
        assert!(shown.contains("help: did you mean `bar`?"), "{shown}");
    }

    #[test]
    fn clamps_out_of_range_spans() {
        let loc = locate("m", "abc", 10..20);
        assert_eq!((loc.line, loc.column), (1, 4));
    }
}
