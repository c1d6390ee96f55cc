//! Reading the parsed tree and the text around a value: its key, its style (scalar,
//! flow or block), whether it is read through an alias, where it ends, anchors in use.

use std::ops::Range;

use crate::config::node::{Node, Value};

/// Whether an alias (`*name`) of the anchor `&name` appears in the text.
pub(super) fn aliased(text: &str, anchor: &str) -> bool {
    let alias = format!("*{}", &anchor[1..]);
    text.match_indices(&alias).any(|(at, _)| {
        text[at + alias.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
    })
}

pub(super) fn get<'n>(map: &'n Node, key: &str) -> Option<&'n (Node, Node)> {
    match &map.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key)),
        _ => None,
    }
}

pub(super) fn str_of(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

pub(super) fn is_absent(node: &Node) -> bool {
    str_of(node) == Some("absent")
}

pub(super) fn is_scalar(node: &Node) -> bool {
    !matches!(node.value, Value::Seq(_) | Value::Map(_))
}

/// Read through an alias (or a merge key): its text is elsewhere.
pub(super) fn replayed(node: &Node) -> bool {
    node.span != node.defined
}

/// A flow collection's span is its opening bracket; a block one's is empty.
pub(super) fn is_flow(text: &str, node: &Node) -> bool {
    !is_scalar(node) && matches!(text.get(span(node)), Some("[" | "{"))
}

pub(super) fn span(node: &Node) -> Range<usize> {
    node.span.offset()..node.span.offset() + node.span.len()
}

/// The end of a key's text (where its `:` follows).
pub(super) fn key_end(key: &Node) -> usize {
    span(key).end
}

/// The offset after the bracket closing the one at `open`, skipping quoted scalars
/// and comments.
pub(super) fn closing(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'\'' => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    text.len()
}
