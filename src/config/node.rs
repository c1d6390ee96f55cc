//! A lenient, spanned YAML tree.
//!
//! The file is first read into this generic tree, so that only true YAML syntax
//! errors stop the load; every other mistake (wrong types, unknown keys, bad
//! values) is found by validation, all of them in one run, each at its span.

use std::fmt;

use miette::SourceSpan;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use crate::model::file_text::LineIndex;

#[cfg(test)]
mod differential;
mod events;

/// A YAML node and the bytes of the file it came from.
#[derive(Debug, Clone)]
pub struct Node {
    pub span: SourceSpan,
    /// Where the value is written: for an alias (`*a`), the anchored node; otherwise `span`.
    pub defined: SourceSpan,
    pub value: Value,
}

impl Node {
    /// The bytes the node is written over, its children included (a collection's own
    /// span may cover only its start). Nesting is bounded by validation's depth limit.
    pub fn extent(&self) -> SourceSpan {
        fn end(node: &Node) -> usize {
            let own = node.span.offset() + node.span.len();
            let children = match &node.value {
                Value::Seq(items) => items.iter().map(end).max(),
                Value::Map(pairs) => pairs.iter().map(|(k, v)| end(k).max(end(v))).max(),
                _ => None,
            };
            own.max(children.unwrap_or(0))
        }
        let start = self.span.offset();
        SourceSpan::new(start.into(), end(self) - start)
    }
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What a person calls this kind of value, for "expected …, found …".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a number with a fraction",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            span: byte_span(&spanned.referenced),
            defined: byte_span(&spanned.defined),
            value: spanned.value,
        })
    }
}

fn byte_span(location: &Location) -> SourceSpan {
    // Text input always carries byte offsets (only reader input lacks them).
    let span = location.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(offset), Some(len)) => SourceSpan::new(
            usize::try_from(offset).unwrap_or(usize::MAX).into(),
            usize::try_from(len).unwrap_or(0),
        ),
        _ => SourceSpan::new(0.into(), 0),
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}

/// Parser limits: far above any real fleet file, far below what hurts.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // YAML 1.2 booleans only: `n`, `no`, `yes` stay strings, and a country code
        // or a name is never silently turned into `false`.
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            // The deepest legitimate path is top → apps → app → callback → commands.
            max_depth: 16,
            max_aliases: 10_000,
            max_anchors: 10_000,
            // The 4 MiB file cap bounds the tree already; these let a compact
            // 20,000-app fleet (about 15 nodes per app) load, at about 100 bytes a node.
            max_nodes: 1_000_000,
            max_events: 2_000_000,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 200_000,
        },
    }
}

/// A YAML syntax (or resource-limit) error, with the byte offset it concerns.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub offset: Option<usize>,
}

/// Parse `text` into a spanned tree. Only malformed YAML fails here.
///
/// The tree is built from the parser's events ([`events`]); where that builder
/// declines, serde-saphyr reads the text, which decides the tree or the refusal.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    match events::build(text) {
        Ok(root) => Ok(root),
        Err(events::Declined) => read(text),
    }
}

/// The tree (or the refusal) as serde-saphyr's deserialiser gives it.
fn read(text: &str) -> Result<Node, SyntaxError> {
    serde_saphyr::from_str_with_options::<Node>(text, options()).map_err(|err| {
        let inner = err.without_snippet();
        let message = serde_saphyr::MessageFormatter::format_message(
            &serde_saphyr::UserMessageFormatter,
            inner,
        );
        let offset = err.location().and_then(|l| {
            let line = usize::try_from(l.line()).ok()?;
            let column = usize::try_from(l.column()).ok()?;
            LineIndex::new(text).offset_of(text, line, column)
        });
        SyntaxError {
            offset: match offset {
                Some(offset) if about_a_tab(&message) => Some(the_tab(text, offset)),
                other => other,
            },
            // The formatter's output may in principle carry control characters.
            message: message.escape_debug().to_string(),
        }
    })
}

/// Whether the parser's message is one of its tab errors ("found a tab", "tabs
/// disallowed…", "tab cannot be used as indentation").
fn about_a_tab(message: &str) -> bool {
    message
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word == "tab" || word == "tabs")
}

/// The tab a tab error is about. The parser places it at the start of the scalar
/// before the tab (often on the line above), or just after the tab: point at the tab
/// itself, the first in the blanks around `offset`, else the first in a later line's
/// indentation.
fn the_tab(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let before = bytes[..offset]
        .iter()
        .rev()
        .take_while(|b| blank(b))
        .count();
    let after = bytes[offset..].iter().take_while(|b| blank(b)).count();
    if let Some(i) = bytes[offset - before..offset + after]
        .iter()
        .position(|&b| b == b'\t')
    {
        return offset - before + i;
    }
    let mut at_line_start = false;
    for (i, &byte) in bytes.iter().enumerate().skip(offset) {
        match byte {
            b'\n' | b'\r' => at_line_start = true,
            b'\t' if at_line_start => return i,
            b' ' => {}
            _ => at_line_start = false,
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &[(Node, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("expected a map, got {other:?}"),
        }
    }

    #[test]
    fn spans_are_byte_ranges_even_after_multibyte_text() {
        let text = "a: é\nkey: value\n";
        let root = parse(text).expect("valid YAML");
        let (key, value) = &map(&root)[1];
        assert_eq!(
            &text[key.span.offset()..key.span.offset() + key.span.len()],
            "key"
        );
        assert_eq!(
            &text[value.span.offset()..value.span.offset() + value.span.len()],
            "value"
        );
    }

    #[test]
    fn an_extent_covers_every_child_of_a_collection() {
        let text = "apps:\n  - name: a\n    callback:\n      commands: [x, yy]\n  - name: b\n";
        let root = parse(text).expect("valid YAML");
        let Value::Seq(apps) = &map(&root)[0].1.value else {
            panic!("a list");
        };
        let first = apps[0].extent();
        let written = &text[first.offset()..first.offset() + first.len()];
        assert!(written.starts_with("name: a"), "{written:?}");
        assert!(written.ends_with("yy"), "{written:?}");
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let root = parse("a: no\nb: yes\nc: true\n").expect("valid YAML");
        let entries = map(&root);
        assert!(matches!(&entries[0].1.value, Value::Str(s) if s == "no"));
        assert!(matches!(&entries[1].1.value, Value::Str(s) if s == "yes"));
        assert!(matches!(entries[2].1.value, Value::Bool(true)));
    }

    #[test]
    fn syntax_errors_carry_an_offset() {
        let text = "a: [1, 2\nb: 3\n";
        let err = parse(text).expect_err("unclosed flow sequence");
        assert!(!err.message.is_empty());
        let offset = err.offset.expect("located");
        assert!(offset <= text.len());
    }

    #[test]
    fn tab_errors_point_at_the_tab() {
        for (text, line) in [
            // Reported at the start of `1400000001`, the scalar above the tab.
            ("apps:\n  - sdkappid: 1400000001\n\tregion: x\n", "\tregion"),
            // Reported just after the tab.
            ("a:\n\tb: 1\n", "\tb"),
            ("a:\n  b: 1\n  \t c: 2\n", "\t c"),
            ("- a\n\t- b\n", "\t- b"),
        ] {
            let err = parse(text).expect_err("a tab in indentation");
            assert!(err.message.contains("tab"), "{}", err.message);
            assert_eq!(err.offset, text.find(line), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn bare_cr_line_breaks_are_counted_as_the_parser_counts_them() {
        let text = "version: 1\r  apps: [\rfoo: 1\r";
        let err = parse(text).expect_err("a mapping inside a flow sequence");
        assert_eq!(err.offset, text.find("apps:").map(|i| i + 4));
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for i in 1..12u8 {
            let (prev, this) = ((b'a' + i - 1) as char, (b'a' + i) as char);
            bomb.push_str(&format!(
                "{this}: &{this} [{}]\n",
                vec![format!("*{prev}"); 10].join(",")
            ));
        }
        assert!(parse(&bomb).is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep).is_err());
    }
}
