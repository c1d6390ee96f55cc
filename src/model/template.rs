//! `${NAME}` placeholders in a callback URL: the syntax, and expansion from a lookup.
//! `$${` is a literal `${`; any other `$` is itself.

use std::ops::Range;

/// A piece of a URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text taken as it is (an escaped `$${` already reads `${`).
    Text(String),
    /// `${NAME}`.
    Var(String),
}

/// Why a template does not parse, and where (byte range in the template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: Range<usize>,
    pub problem: TemplateError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `${` with no `}` after it.
    Unterminated,
    /// `${}`.
    Empty,
    /// `${…}` whose name is not `[A-Za-z_][A-Za-z0-9_]*`.
    BadName(String),
}

/// An environment variable's name as shells accept it.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The template's segments, or its first syntax error.
pub fn parse(template: &str) -> Result<Vec<Segment>, SyntaxError> {
    scan(template).map(|(segments, _)| segments)
}

/// Each placeholder's name and where it is written (the bytes of `${NAME}`), in
/// template order; or the template's first syntax error.
pub fn placeholders(template: &str) -> Result<Vec<(String, Range<usize>)>, SyntaxError> {
    let (segments, ranges) = scan(template)?;
    let names = segments.into_iter().filter_map(|segment| match segment {
        Segment::Var(name) => Some(name),
        Segment::Text(_) => None,
    });
    Ok(names.zip(ranges).collect())
}

/// The segments, and the range of each `Var` among them, in order.
fn scan(template: &str) -> Result<(Vec<Segment>, Vec<Range<usize>>), SyntaxError> {
    let mut segments = Vec::new();
    let mut ranges = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < template.len() {
        let rest = &template[i..];
        if rest.starts_with("$${") {
            text.push_str("${");
            i += 3;
        } else if rest.starts_with("${") {
            let Some(close) = rest.find('}') else {
                return Err(SyntaxError {
                    range: i..template.len(),
                    problem: TemplateError::Unterminated,
                });
            };
            let name = &rest[2..close];
            let range = i..i + close + 1;
            let problem = if name.is_empty() {
                TemplateError::Empty
            } else if !is_name(name) {
                TemplateError::BadName(name.to_owned())
            } else {
                if !text.is_empty() {
                    segments.push(Segment::Text(std::mem::take(&mut text)));
                }
                segments.push(Segment::Var(name.to_owned()));
                i = range.end;
                ranges.push(range);
                continue;
            };
            return Err(SyntaxError { range, problem });
        } else {
            // Up to the next `$` (past this one, a `$` not starting either), as it is.
            let run = memchr::memchr(b'$', &rest.as_bytes()[1..]).map_or(rest.len(), |at| at + 1);
            text.push_str(&rest[..run]);
            i += run;
        }
    }
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
    Ok((segments, ranges))
}

/// Whether the text needs expanding at all: it has a placeholder or an escape.
pub fn is_template(text: &str) -> bool {
    text.contains("${")
}

/// The template with each placeholder replaced by its value, or the first name
/// `lookup` has no value for.
pub fn expand(
    segments: &[Segment],
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Var(name) => out.push_str(&lookup(name).ok_or_else(|| name.clone())?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str) -> Segment {
        Segment::Var(name.into())
    }

    #[test]
    fn placeholders_escapes_and_plain_dollars() {
        assert_eq!(
            parse("https://h/cb?t=${HOOK_TOKEN}&x=$${y}&p=$5"),
            Ok(vec![
                Segment::Text("https://h/cb?t=".into()),
                var("HOOK_TOKEN"),
                Segment::Text("&x=${y}&p=$5".into()),
            ])
        );
        assert_eq!(parse("${a}${_B1}"), Ok(vec![var("a"), var("_B1")]));
        assert_eq!(parse(""), Ok(vec![]));
        assert_eq!(parse("é$"), Ok(vec![Segment::Text("é$".into())]));
    }

    #[test]
    fn malformed_placeholders_say_where() {
        let err = |template: &str| parse(template).expect_err(template);
        assert_eq!(
            err("https://h/?t=${TOKEN"),
            SyntaxError {
                range: 13..20,
                problem: TemplateError::Unterminated
            }
        );
        assert_eq!(
            err("https://h/?t=${}"),
            SyntaxError {
                range: 13..16,
                problem: TemplateError::Empty
            }
        );
        assert_eq!(
            err("a${1X}"),
            SyntaxError {
                range: 1..6,
                problem: TemplateError::BadName("1X".into())
            }
        );
        assert_eq!(err("${A-B}").problem, TemplateError::BadName("A-B".into()));
    }

    #[test]
    fn each_placeholder_says_where_it_is_written() {
        assert_eq!(
            placeholders("é$${x}${A}&${b_1}$"),
            Ok(vec![("A".into(), 7..11), ("b_1".into(), 12..18)])
        );
        assert_eq!(placeholders("$${A}"), Ok(vec![]));
        assert!(placeholders("${A}${").is_err());
    }

    #[test]
    fn expansion_and_escaping_round_trip() {
        let segments = parse("https://h/?t=${T}&u=${T}&v=$${lit}").expect("parses");
        assert_eq!(
            expand(&segments, |n| (n == "T").then(|| "v4l".to_owned())),
            Ok("https://h/?t=v4l&u=v4l&v=${lit}".to_owned())
        );
        assert_eq!(expand(&segments, |_| None), Err("T".to_owned()));
    }
}
