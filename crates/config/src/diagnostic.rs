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

/// Reads a TOML file (`what` is "model" or "experiment"). A file that is
/// not UTF-8 text is reported at its first bad byte, by offset, line and
/// column.
pub(crate) fn read_text(path: &std::path::Path, what: &str) -> Result<String, Diagnostic> {
    let bytes =
        std::fs::read(path).map_err(|e| Diagnostic::new(format!("cannot read {what} `{}`: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // The text before the bad byte is valid: it gives the line and column.
        let before = String::from_utf8_lossy(&bytes[..at]);
        let mut location = locate(&path.display().to_string(), &before, at..at);
        // Binary bytes would drive the terminal: show them as dots.
        location.line_text =
            location.line_text.chars().map(|c| if c.is_control() && c != '\t' { '.' } else { c }).collect();
        Diagnostic {
            message: format!(
                "{what} `{}` is not UTF-8 text: byte {at} (0x{:02x}) is not valid UTF-8",
                path.display(),
                bytes[at]
            ),
            location: Some(location),
            help: Some(format!("a {what} is a TOML text file; is this the file you meant?")),
        }
    })
}

/// A deserialisation error as a diagnostic: serde's Rust type names
/// ("invalid type: string \"900\", expected f64") said in the model's
/// words, naming the key from the located line, with a suggestion.
pub(crate) fn from_serde(message: &str, location: Option<Location>) -> Diagnostic {
    let key = location.as_ref().and_then(|l| l.line_text.split_once('=')).map(|(k, _)| {
        // The last part of a dotted key or of a `--set` path.
        k.trim().rsplit('.').next().unwrap_or_default().trim_matches('"')
    });
    match in_plain_words(message, key) {
        Some((message, help)) => Diagnostic { message, location, help },
        None => Diagnostic { message: message.to_string(), help: suggestion(message), location },
    }
}

/// "invalid type: FOUND, expected TYPE" and "invalid value: ..." in words.
fn in_plain_words(message: &str, key: Option<&str>) -> Option<(String, Option<String>)> {
    let rest = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let wanted = match (key, expected) {
        (Some("rate"), "f64") => "a number of requests per second, such as 900.0",
        (Some("replicas" | "workers" | "shards" | "replications" | "choices" | "min" | "max"), _)
            if expected.starts_with('u') =>
        {
            "a whole number ≥ 1"
        }
        (_, "f64" | "f32") => "a number",
        (_, "u8" | "u16" | "u32" | "u64" | "usize") => "a whole number ≥ 0",
        (_, "i8" | "i16" | "i32" | "i64" | "isize") => "a whole number",
        (_, "a boolean" | "bool") => "true or false",
        (_, "a string") => "text in quotes",
        (_, "a sequence") => "an array, such as [1, 2]",
        (_, other) => other,
    };
    // "integer `18446744073709551616` as i128": the number between the
    // backticks, and very large or small numbers as 1e308.
    let literal = |prefix: &str| {
        found.strip_prefix(prefix).map(|v| v.split('`').find(|p| !p.is_empty()).unwrap_or(v).trim().to_string())
    };
    let readable = |v: String| match v.parse::<f64>() {
        Ok(x) if x != 0.0 && (x.abs() >= 1e15 || x.abs() < 1e-6) => format!("{x:e}"),
        _ => v,
    };
    let shown = if let Some(text) = found.strip_prefix("string ") {
        format!("the text {text}")
    } else if let Some(v) = literal("integer ").or_else(|| literal("floating point ")) {
        readable(v)
    } else if let Some(v) = literal("boolean ") {
        v
    } else {
        match found {
            "map" => "a table".to_string(),
            "sequence" => "an array".to_string(),
            other => other.to_string(),
        }
    };
    let subject = key.map_or("expected".to_string(), |k| format!("`{k}` expects"));
    let message = format!("{subject} {wanted}, found {shown}");
    // "900" for a number: the quotes are the mistake.
    let unquoted = found.strip_prefix("string \"").and_then(|t| t.strip_suffix('"'));
    let help = match (unquoted, expected) {
        (Some(t), "f64" | "f32" | "u8" | "u16" | "u32" | "u64" | "usize" | "i64" | "i32")
            if t.trim().parse::<f64>().is_ok() =>
        {
            Some(format!("write the number without quotes: `{} = {t}`", key.unwrap_or("key")))
        }
        _ if found.ends_with(" as i128") || found.ends_with(" as u128") => {
            Some("it is larger than any whole number the model holds (2^64 - 1): is it in the wrong unit?".into())
        }
        _ => None,
    };
    Some((message, help))
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
    fn serde_type_names_become_the_model_words() {
        let said = |m: &str, key: Option<&str>| in_plain_words(m, key).unwrap();
        let (m, help) = said("invalid type: string \"900\", expected f64", Some("rate"));
        assert_eq!(m, "`rate` expects a number of requests per second, such as 900.0, found the text \"900\"");
        assert_eq!(help.as_deref(), Some("write the number without quotes: `rate = 900`"));
        assert_eq!(
            said("invalid value: integer `-1`, expected u32", Some("replicas")).0,
            "`replicas` expects a whole number ≥ 1, found -1"
        );
        assert_eq!(
            said("invalid type: map, expected u32", Some("capacity")).0,
            "`capacity` expects a whole number ≥ 0, found a table"
        );
        assert_eq!(said("invalid type: integer `3`, expected a boolean", None).0, "expected true or false, found 3");
        assert!(in_plain_words("unknown field `rat`", None).is_none());
        // Numbers past 2^64, and huge floats, are shown as a person writes them.
        let (m, help) = said("invalid value: integer `18446744073709551616` as i128, expected u64", Some("n"));
        assert_eq!(m, "`n` expects a whole number ≥ 0, found 1.8446744073709552e19");
        assert!(help.unwrap().contains("wrong unit"));
        let huge = format!("invalid type: floating point `1{}`, expected u32", "0".repeat(308));
        assert_eq!(said(&huge, Some("min")).0, "`min` expects a whole number ≥ 1, found 1e308");
    }

    #[test]
    fn clamps_out_of_range_spans() {
        let loc = locate("m", "abc", 10..20);
        assert_eq!((loc.line, loc.column), (1, 4));
    }
}
