//! The text edits: byte ranges replaced and lines inserted, applied in one pass
//! (overlaps refused), and values written in the style of the ones they replace.

use std::collections::HashMap;
use std::ops::Range;

use super::EditError;
use super::yaml::{closing, is_flow, is_scalar, key_end, replayed, span};
use crate::config::App;
use crate::config::node::{Node, Value};
use crate::config::writer;
use crate::model::file_text::LineIndex;

/// A value as written by an earlier edit, keyed by where it is defined.
pub(super) enum EarlierEdit {
    Url(String),
    Commands(Vec<String>),
}

pub(super) struct Editor<'t> {
    pub(super) text: &'t str,
    pub(super) lines: LineIndex,
    pub(super) eol: &'static str,
    /// (app, bytes replaced, replacement)
    pub(super) edits: Vec<(usize, Range<usize>, String)>,
    pub(super) written: HashMap<usize, EarlierEdit>,
    pub(super) changed: Vec<bool>,
}

impl Editor<'_> {
    pub(super) fn edit(&mut self, app: usize, range: Range<usize>, with: String) {
        self.changed[app] = true;
        self.edits.push((app, range, with));
    }

    fn line(&self, offset: usize) -> usize {
        self.lines.line_of(offset) + 1
    }

    pub(super) fn refuse(&self, app: &App, at: &Node, reason: &str) -> EditError {
        EditError {
            app: app.label(),
            line: self.line(at.span.offset()),
            reason: reason.to_owned(),
        }
    }

    /// The anchor (`&name`) written between a key and its value, if any.
    pub(super) fn anchor<'s>(&'s self, key: &Node, value: &Node) -> Option<&'s str> {
        let end = match &value.value {
            Value::Map(entries) if !is_flow(self.text, value) => entries.first().map(|(k, _)| k),
            Value::Seq(items) if !is_flow(self.text, value) => items.first(),
            _ => Some(value),
        }
        .map_or(value.span.offset(), |first| first.span.offset());
        let header = self.text.get(key_end(key)..end)?;
        header
            .lines()
            .map(|line| line.split(" #").next().unwrap_or(line))
            .flat_map(str::split_whitespace)
            .find(|token| token.starts_with('&'))
    }

    /// Lines inserted after the line holding `offset`.
    pub(super) fn insert_lines(&mut self, i: usize, offset: usize, lines: String) {
        let at = self.line_after(offset);
        let missing_break = at == self.text.len() && !self.text.ends_with(['\n', '\r']);
        let lines = if missing_break {
            let trimmed = lines.strip_suffix(self.eol).unwrap_or(&lines);
            format!("{}{trimmed}", self.eol)
        } else {
            lines
        };
        self.edit(i, at..at, lines);
    }

    /// Where a value's text ends: after its last child, or its closing bracket.
    pub(super) fn end(&self, node: &Node) -> usize {
        if replayed(node) || is_scalar(node) {
            return span(node).end;
        }
        if is_flow(self.text, node) {
            return closing(self.text, node.span.offset());
        }
        let children: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(entries) => entries.iter().flat_map(|(k, v)| [k, v]).collect(),
            _ => Vec::new(),
        };
        children
            .into_iter()
            .map(|n| self.end(n))
            .max()
            .unwrap_or(span(node).end)
    }

    pub(super) fn line_start(&self, offset: usize) -> usize {
        self.lines.line(self.text, self.lines.line_of(offset)).start
    }

    /// The start of the line after the one holding `offset` (the text's end on the last).
    pub(super) fn line_after(&self, offset: usize) -> usize {
        let end = self.lines.line(self.text, self.lines.line_of(offset)).end;
        let rest = &self.text[end..];
        end + if rest.starts_with("\r\n") {
            2
        } else if rest.starts_with(['\n', '\r']) {
            1
        } else {
            0
        }
    }

    /// The column of a key, counted in characters (the indentation its values take).
    pub(super) fn indent_of(&self, key: &Node) -> usize {
        let start = self.line_start(key.span.offset());
        self.text[start..key.span.offset()].chars().count()
    }

    /// The edited text; the app of the first overlap otherwise.
    pub(super) fn apply(mut self) -> Result<String, usize> {
        self.edits
            .sort_by_key(|(_, range, _)| (range.start, range.end));
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for (app, range, with) in &self.edits {
            if range.start < at {
                return Err(*app);
            }
            out.push_str(&self.text[at..range.start]);
            out.push_str(with);
            at = range.end;
        }
        out.push_str(&self.text[at..]);
        Ok(out)
    }
}

pub(super) fn flow_list(words: &[&str]) -> String {
    let items: Vec<String> = words.iter().map(|w| writer::flow_scalar(w)).collect();
    format!("[{}]", items.join(", "))
}

pub(super) fn flow_callback(url: &str, commands: &[&str]) -> String {
    format!(
        "{{url: {}, commands: {}}}",
        writer::flow_scalar(url),
        flow_list(commands)
    )
}

/// The URL in the quoting style the old value used, where that style can hold it
/// (plain in a flow mapping cannot hold `,[]{}`).
pub(super) fn styled(url: &str, original: &str, in_flow: bool) -> String {
    match original.chars().next() {
        Some('\'') if writer::single_quotable(url) => format!("'{}'", url.replace('\'', "''")),
        Some('"') => writer::double_quoted(url),
        _ if in_flow => writer::flow_scalar(url),
        _ => writer::scalar(url),
    }
}

/// The file's line break, for the lines an edit adds.
pub(super) fn line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text[i..].starts_with('\r') => "\r",
        _ => "\n",
    }
}
