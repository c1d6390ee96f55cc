//! The lines of a file that a diagnostic's labels point at, as miette draws them.
//!
//! miette would scan the file from its start for every label, print every character
//! it finds there, and panics on a label past column 65,535. So the human report
//! gives it an excerpt instead: only the lines around the labels (found through the
//! file's line index), long lines clipped around the labels with `…` where text is
//! left out, unsafe characters and workflow commands escaped, every line break a `\n`. Labels are moved to
//! their place in the excerpt; line numbers and columns stay those of the file.

use std::ops::Range;

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::{is_unsafe, printable};
use crate::model::file_text::FileText;
use crate::model::text::{starts_command, suspects, visible};

/// Lines of context shown above and below a label (miette's default).
const CONTEXT: usize = 1;
/// Labels this many lines apart or closer share one snippet, with the lines between.
const MAX_GAP: usize = 8;
/// Longer lines are clipped.
const MAX_LINE: usize = 240;
/// Characters kept on each side of a label's start and end in a clipped line.
const WINDOW: usize = 60;
/// Windows this close are joined rather than separated by `…`.
const JOIN: usize = 8;

const ELLIPSIS: &str = "…";

#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    lines: Vec<Line>,
    pieces: Vec<Piece>,
}

/// One line of the file, as it appears in the excerpt.
#[derive(Debug)]
struct Line {
    /// Its content in the excerpt's text (a `\n` follows unless it ends the text).
    text: Range<usize>,
    /// Its 0-based number in the file.
    number: usize,
    /// The first and last index (in `lines`) of its run of consecutive file lines.
    block: (usize, usize),
}

/// A stretch of the file and what stands for it in the excerpt, in file order.
#[derive(Debug)]
struct Piece {
    file: Range<usize>,
    excerpt: Range<usize>,
    /// The 0-based character column of `file.start` in its line.
    column: usize,
    /// Copied as it is (else: an escape, a `…`, or a line break).
    copied: bool,
}

impl Excerpt {
    /// The excerpt for `labels`, and the labels moved onto it.
    pub fn new(file: &FileText, labels: &[LabeledSpan]) -> (Excerpt, Vec<LabeledSpan>) {
        let text = file.text();
        let spans: Vec<Range<usize>> = labels
            .iter()
            .map(|label| {
                let start = floor(text, label.offset());
                let mut end = label.offset().saturating_add(label.len()).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                start..end.max(start)
            })
            .collect();
        let mut builder = Builder {
            file,
            excerpt: Excerpt {
                // The header of the snippet: a file name is text like any other.
                name: printable(file.name(), &[]).into_owned(),
                text: String::new(),
                lines: Vec::new(),
                pieces: Vec::new(),
            },
        };
        for block in blocks(file, &spans) {
            let first = builder.excerpt.lines.len();
            for number in block.clone() {
                builder.line(number, &spans);
            }
            let last = builder.excerpt.lines.len() - 1;
            for line in &mut builder.excerpt.lines[first..] {
                line.block = (first, last);
            }
        }
        let excerpt = builder.excerpt;
        let moved = labels
            .iter()
            .zip(&spans)
            .map(|(label, span)| {
                let start = excerpt.place(span.start, false);
                let end = excerpt.place(span.end, true).max(start);
                let text = label.label().map(|t| printable(t, &[]).into_owned());
                if label.primary() {
                    LabeledSpan::new_primary_with_span(text, start..end)
                } else {
                    LabeledSpan::new_with_span(text, start..end)
                }
            })
            .collect();
        (excerpt, moved)
    }

    /// Where a file offset is in the excerpt; an `end` inside a replaced stretch is
    /// after its replacement.
    fn place(&self, offset: usize, end: bool) -> usize {
        let index = self.pieces.partition_point(|p| p.file.start <= offset);
        let Some(piece) = index.checked_sub(1).map(|i| &self.pieces[i]) else {
            return 0;
        };
        if offset >= piece.file.end {
            piece.excerpt.end
        } else if piece.copied {
            piece.excerpt.start + (offset - piece.file.start)
        } else if end && offset > piece.file.start {
            piece.excerpt.end
        } else {
            piece.excerpt.start
        }
    }

    /// The index of the line holding an excerpt offset.
    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|l| l.text.start <= offset)
            .saturating_sub(1)
    }

    /// The file column (0-based, in characters) of an excerpt offset.
    fn column_at(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|p| p.excerpt.start <= offset);
        match index.checked_sub(1).map(|i| &self.pieces[i]) {
            Some(piece) if piece.copied => {
                let end = offset.min(piece.excerpt.end);
                piece.column + self.text[piece.excerpt.start..end].chars().count()
            }
            Some(piece) => piece.column,
            None => 0,
        }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if self.lines.is_empty() || span.offset() > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_at(span.offset());
        let last = self.line_at(span.offset() + span.len().saturating_sub(1));
        let block = self.lines[first].block;
        // Lines of two blocks are not adjacent in the file: never one snippet.
        if self.lines[last].block != block {
            return Err(MietteError::OutOfBounds);
        }
        let top = first.saturating_sub(context_lines_before).max(block.0);
        let bottom = last.saturating_add(context_lines_after).min(block.1);
        let start = self.lines[top].text.start;
        // Without the last line break: miette's narrated handler takes data ending in
        // one for the end of the file, and would put the labels of the next block there.
        let end = self.lines[bottom].text.end;
        // The column tells where the span starts (miette's header); with context, the
        // data starts at a line's start.
        let column = if context_lines_before == 0 {
            self.column_at(span.offset())
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[start..end],
            SourceSpan::new(start.into(), end - start),
            self.lines[top].number,
            column,
            // miette joins two labels' snippets when one's lines reach the other's:
            // every line to the end of the block can join, none past it.
            block.1 - top + 1,
        )))
    }
}

/// The file's lines to show, as runs of consecutive lines: each label's lines with
/// their context, joined when they are close.
fn blocks(file: &FileText, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let last_line = file.line_count() - 1;
    let mut ranges: Vec<(usize, usize)> = spans
        .iter()
        .map(|span| {
            let top = file.line_of(span.start);
            let bottom = file.line_of(span.end.saturating_sub(1).max(span.start));
            (
                top.saturating_sub(CONTEXT),
                (bottom + CONTEXT).min(last_line),
            )
        })
        .collect();
    ranges.sort_unstable();
    let mut blocks: Vec<Range<usize>> = Vec::new();
    for (top, bottom) in ranges {
        match blocks.last_mut() {
            Some(block) if top <= block.end + MAX_GAP => block.end = block.end.max(bottom + 1),
            _ => blocks.push(top..bottom + 1),
        }
    }
    blocks
}

struct Builder<'f> {
    file: &'f FileText,
    excerpt: Excerpt,
}

impl Builder<'_> {
    /// Add a file line (and its line break), clipped around the labels on it.
    fn line(&mut self, number: usize, spans: &[Range<usize>]) {
        let text = self.file.text();
        let range = self.file.line(number);
        let start = self.excerpt.text.len();
        if self.file.chars_in(range.clone()) <= MAX_LINE {
            self.copy(range.clone(), range.start);
        } else {
            let mut points: Vec<usize> = spans
                .iter()
                .flat_map(|s| [s.start, s.end])
                .filter(|p| range.contains(p) || *p == range.end)
                .collect();
            if points.is_empty() {
                // Only passed through, or context: its start says what it is.
                points.push(range.start);
            }
            points.sort_unstable();
            let mut windows: Vec<Range<usize>> = Vec::new();
            for point in points {
                let window = back(text, point, WINDOW, range.start)
                    ..forward(text, point, WINDOW + 1, range.end);
                match windows.last_mut() {
                    Some(last) if forward(text, last.end, JOIN, range.end) >= window.start => {
                        last.end = last.end.max(window.end);
                    }
                    _ => windows.push(window),
                }
            }
            let mut at = range.start;
            for window in windows {
                if window.start > at {
                    self.replace(at..window.start, ELLIPSIS, range.start);
                }
                self.copy(window.clone(), range.start);
                at = window.end;
            }
            if at < range.end {
                self.replace(at..range.end, ELLIPSIS, range.start);
            }
        }
        let end = self.excerpt.text.len();
        if number + 1 < self.file.line_count() {
            let next = self.file.line(number + 1).start;
            self.replace(range.end..next, "\n", range.start);
        }
        self.excerpt.lines.push(Line {
            text: start..end,
            number,
            block: (0, 0),
        });
    }

    /// Copy a stretch of a line, escaping unsafe characters and workflow commands as
    /// [`printable`] does (the line is the text a command would start in).
    fn copy(&mut self, stretch: Range<usize>, line_start: usize) {
        let text = self.file.text();
        let line = &text[line_start..];
        let mut run = stretch.start;
        for (i, c) in suspects(&text[stretch.clone()]) {
            let at = stretch.start + i;
            if (c != '\t' && is_unsafe(c)) || starts_command(line, at - line_start, c) {
                self.copied(run..at, line_start);
                self.replace(at..at + c.len_utf8(), &visible(c), line_start);
                run = at + c.len_utf8();
            }
        }
        self.copied(run..stretch.end, line_start);
    }

    fn copied(&mut self, stretch: Range<usize>, line_start: usize) {
        if stretch.is_empty() {
            return;
        }
        let text = self.file.text();
        self.push(stretch.clone(), &text[stretch], true, line_start);
    }

    fn replace(&mut self, stretch: Range<usize>, with: &str, line_start: usize) {
        self.push(stretch, with, false, line_start);
    }

    fn push(&mut self, file: Range<usize>, shown: &str, copied: bool, line_start: usize) {
        let start = self.excerpt.text.len();
        self.excerpt.text.push_str(shown);
        self.excerpt.pieces.push(Piece {
            column: self.file.chars_in(line_start..file.start),
            file,
            excerpt: start..self.excerpt.text.len(),
            copied,
        });
    }
}

/// The offset `chars` characters before `offset`, not before `limit`.
fn back(text: &str, offset: usize, chars: usize, limit: usize) -> usize {
    text[limit..offset]
        .char_indices()
        .rev()
        .take(chars)
        .last()
        .map_or(offset, |(i, _)| limit + i)
}

/// The offset `chars` characters after `offset`, not after `limit`.
fn forward(text: &str, offset: usize, chars: usize, limit: usize) -> usize {
    text[offset..limit]
        .char_indices()
        .nth(chars)
        .map_or(limit, |(i, _)| offset + i)
}

fn floor(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt_of(text: &str, spans: &[(usize, usize)]) -> (Excerpt, Vec<LabeledSpan>) {
        let file = FileText::new("f.yaml", text.to_owned());
        let labels: Vec<LabeledSpan> = spans
            .iter()
            .map(|&(offset, len)| LabeledSpan::new(Some("here".into()), offset, len))
            .collect();
        Excerpt::new(&file, &labels)
    }

    fn shown<'a>(excerpt: &'a Excerpt, label: &LabeledSpan) -> &'a str {
        &excerpt.text[label.offset()..label.offset() + label.len()]
    }

    #[test]
    fn short_files_are_quoted_whole_around_the_label() {
        let text = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let (excerpt, labels) = excerpt_of(text, &[(text.find("c:").expect("c"), 1)]);
        assert_eq!(excerpt.text, "b: 2\nc: 3\nd: 4\n");
        assert_eq!(shown(&excerpt, &labels[0]), "c");
        let contents = excerpt
            .read_span(labels[0].inner(), 1, 1)
            .expect("readable");
        assert_eq!(contents.line(), 1);
        assert_eq!(contents.data(), b"b: 2\nc: 3\nd: 4");
        let here = excerpt
            .read_span(labels[0].inner(), 0, 0)
            .expect("readable");
        assert_eq!((here.line(), here.column()), (2, 0));
    }

    #[test]
    fn a_long_line_is_clipped_around_each_label_and_keeps_its_columns() {
        let text = format!(
            "{}KEY{}VALUE{}\n",
            "x".repeat(100_000),
            "y".repeat(500),
            "z".repeat(100_000)
        );
        let key = text.find("KEY").expect("key");
        let value = text.find("VALUE").expect("value");
        let (excerpt, labels) = excerpt_of(&text, &[(key, 3), (value, 5)]);
        assert!(
            excerpt.text.chars().count() < 4 * WINDOW + 20,
            "{}",
            excerpt.text
        );
        assert_eq!(
            excerpt.text.matches(ELLIPSIS).count(),
            3,
            "{}",
            excerpt.text
        );
        assert_eq!(shown(&excerpt, &labels[0]), "KEY");
        assert_eq!(shown(&excerpt, &labels[1]), "VALUE");
        let at_key = excerpt
            .read_span(labels[0].inner(), 0, 0)
            .expect("readable");
        assert_eq!((at_key.line(), at_key.column()), (0, key));
        let at_value = excerpt
            .read_span(labels[1].inner(), 0, 0)
            .expect("readable");
        assert_eq!(at_value.column(), value);
    }

    #[test]
    fn a_long_label_is_shown_by_its_ends() {
        let text = format!("k: {}\n", "v".repeat(10_000));
        let (excerpt, labels) = excerpt_of(&text, &[(3, 10_000)]);
        let label = shown(&excerpt, &labels[0]);
        assert!(label.starts_with('v') && label.ends_with('v') && label.contains(ELLIPSIS));
        assert!(excerpt.text.chars().count() < 3 * WINDOW);
    }

    #[test]
    fn distant_labels_get_their_own_snippets() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let near = text.find("line 3\n").expect("3");
        let far = text.find("line 90\n").expect("90");
        let (excerpt, labels) = excerpt_of(&text, &[(near, 4), (far, 4)]);
        let numbers: Vec<usize> = excerpt.lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [2, 3, 4, 89, 90, 91]);
        let both = SourceSpan::new(
            labels[0].offset().into(),
            labels[1].offset() - labels[0].offset(),
        );
        assert!(excerpt.read_span(&both, 1, 1).is_err());
        let far_lines = excerpt
            .read_span(labels[1].inner(), 1, 1)
            .expect("readable");
        assert_eq!(far_lines.line(), 89);
        assert_eq!(far_lines.data(), b"line 89\nline 90\nline 91");
    }

    #[test]
    fn unsafe_characters_are_escaped_and_line_breaks_become_newlines() {
        let text = "a: \u{1b}[31m\rb: x\u{202e}y\tz\r\nc: 3";
        let b = text.find("b:").expect("b");
        let (excerpt, labels) = excerpt_of(text, &[(b, 1), (text.find('y').expect("y"), 1)]);
        assert_eq!(excerpt.text, "a: \\u{1b}[31m\nb: x\\u{202e}y\tz\nc: 3");
        assert_eq!(shown(&excerpt, &labels[0]), "b");
        assert_eq!(shown(&excerpt, &labels[1]), "y");
        let at_y = excerpt
            .read_span(labels[1].inner(), 0, 0)
            .expect("readable");
        assert_eq!((at_y.line(), at_y.column()), (1, 5));
    }

    #[test]
    fn labels_at_the_end_and_in_an_empty_file_stay_in_range() {
        let (excerpt, labels) = excerpt_of("", &[(0, 0)]);
        assert_eq!(excerpt.text, "");
        assert_eq!(labels[0].offset(), 0);
        let (excerpt, labels) = excerpt_of("a: [1\n", &[(6, 0), (99, 3)]);
        assert!(
            labels
                .iter()
                .all(|l| l.offset() + l.len() <= excerpt.text.len())
        );
    }
}
