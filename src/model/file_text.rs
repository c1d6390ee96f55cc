//! A file's text and its line index, built once when a report first asks for a line or
//! column (a file without diagnostics never needs it): every report then finds a line
//! and column by binary search instead of scanning the file from its start.
//!
//! A line ends at `\n`, `\r\n` or a bare `\r`, as YAML (and the parser) count them.

use std::ops::Range;
use std::sync::OnceLock;

/// A config file as every report quotes and locates it (secret values masked).
#[derive(Debug)]
pub struct FileText {
    name: String,
    text: String,
    index: OnceLock<LineIndex>,
}

impl FileText {
    pub fn new(name: impl Into<String>, text: String) -> FileText {
        FileText {
            name: name.into(),
            text,
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The file's name as the user gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and (character) column of a byte offset. An offset past the end
    /// is the end; one inside a line break is the end of that line.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.floor(offset);
        let index = self.index();
        let line = index.line_of(offset);
        let start = index.starts[line];
        let offset = offset.min(self.line(line).end);
        let column =
            index.chars_before(&self.text, offset) - index.chars_before(&self.text, start) + 1;
        (line + 1, column)
    }

    /// The 0-based line holding a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.index().line_of(offset.min(self.text.len()))
    }

    /// How many lines the file has (an empty file, or a last line break, ends with an
    /// empty line).
    pub fn line_count(&self) -> usize {
        self.index().starts.len()
    }

    /// The bytes of a 0-based line, without its line break.
    pub fn line(&self, line: usize) -> Range<usize> {
        self.index().line(&self.text, line)
    }

    /// The number of characters in a byte range.
    pub fn chars_in(&self, range: Range<usize>) -> usize {
        let (start, end) = (self.floor(range.start), self.floor(range.end));
        let index = self.index();
        index.chars_before(&self.text, end) - index.chars_before(&self.text, start)
    }

    /// The offset, moved back to the start of the character it falls in, within the text.
    fn floor(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// Where each line starts, and a character count every few bytes.
#[derive(Debug)]
pub struct LineIndex {
    /// The byte offset of each line's first byte; the first is 0.
    starts: Vec<usize>,
    /// The characters before every `CHUNK`-th byte, so a column costs at most `CHUNK`
    /// steps, however long its line.
    chars: Vec<usize>,
}

const CHUNK: usize = 64;

/// A byte that continues a UTF-8 sequence (every other byte starts a character).
fn continues(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut chars = Vec::with_capacity(bytes.len() / CHUNK + 1);
        let mut count = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            if i.is_multiple_of(CHUNK) {
                chars.push(count);
            }
            if !continues(byte) {
                count += 1;
            }
            match byte {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        if bytes.len().is_multiple_of(CHUNK) {
            chars.push(count);
        }
        LineIndex { starts, chars }
    }

    /// The 0-based line holding a byte offset.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        // starts[0] is 0, so at least one start is at or before any offset.
        self.starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// The bytes of a 0-based line (the last one for a line past the end), without its
    /// line break.
    pub(crate) fn line(&self, text: &str, line: usize) -> Range<usize> {
        let line = line.min(self.starts.len() - 1);
        let start = self.starts[line];
        let end = match self.starts.get(line + 1) {
            Some(&next) if text.as_bytes()[..next].ends_with(b"\r\n") => next - 2,
            Some(&next) => next - 1,
            None => text.len(),
        };
        start..end
    }

    /// The number of characters before a byte offset (at a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let chunk = offset / CHUNK;
        let counted = text.as_bytes()[chunk * CHUNK..offset]
            .iter()
            .filter(|&&b| !continues(b))
            .count();
        self.chars[chunk] + counted
    }

    /// The byte offset of a 1-based line and character column, as the parser reports
    /// them; a column past the line's end is its end.
    pub(crate) fn offset_of(&self, text: &str, line: usize, column: usize) -> Option<usize> {
        if line > self.starts.len() {
            return None;
        }
        let range = self.line(text, line.checked_sub(1)?);
        let content = &text[range.clone()];
        let skip = column.saturating_sub(1);
        Some(
            range.start
                + content
                    .char_indices()
                    .nth(skip)
                    .map_or(content.len(), |(i, _)| i),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every offset's place, computed the slow way: a line break is `\r\n`, `\r` or `\n`.
    fn slow_line_col(text: &str, offset: usize) -> (usize, usize) {
        let (mut line, mut column) = (1, 1);
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if i >= offset {
                break;
            }
            match c {
                '\r' if chars.peek().is_some_and(|&(_, n)| n == '\n') => {
                    // The `\n` of a `\r\n` ends the line; an offset on it is the line's end.
                    if chars.peek().is_some_and(|&(j, _)| j >= offset) {
                        break;
                    }
                    chars.next();
                    line += 1;
                    column = 1;
                }
                '\r' | '\n' => {
                    line += 1;
                    column = 1;
                }
                _ => column += 1,
            }
        }
        (line, column)
    }

    #[test]
    fn every_offset_has_the_place_a_slow_scan_gives() {
        let samples = [
            "",
            "a",
            "a\n",
            "ab\ncd\n\nef",
            "a\r\nb\r\n",
            "a\rb\rc",
            "\r\r\n\n\r",
            "é: ü\n日本語: x\r\n\u{1f600}\rz",
            &"x".repeat(200),
            &format!("{}\n{}", "é".repeat(100), "日".repeat(70)),
        ];
        for text in samples {
            let file = FileText::new("t", text.to_owned());
            for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
                assert_eq!(
                    file.line_col(offset),
                    slow_line_col(text, offset),
                    "{text:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn bare_cr_crlf_and_lf_each_end_one_line() {
        for text in ["a\nbb\nc", "a\r\nbb\r\nc", "a\rbb\rc"] {
            let file = FileText::new("t", text.to_owned());
            assert_eq!(file.line_count(), 3, "{text:?}");
            assert_eq!(&text[file.line(1)], "bb", "{text:?}");
            assert_eq!(file.line_col(text.len()), (3, 2), "{text:?}");
        }
    }

    #[test]
    fn offsets_inside_a_character_or_past_the_end_are_clamped() {
        let file = FileText::new("t", "aé\nb".to_owned());
        assert_eq!(file.line_col(2), (1, 2));
        assert_eq!(file.line_col(99), (2, 2));
        assert_eq!(file.chars_in(0..3), 2);
    }

    #[test]
    fn parser_places_become_offsets() {
        let text = "ab\r\né日x\rlast";
        let index = LineIndex::new(text);
        assert_eq!(index.offset_of(text, 1, 1), Some(0));
        assert_eq!(
            index.offset_of(text, 2, 3),
            Some(text.find('x').expect("x"))
        );
        assert_eq!(index.offset_of(text, 2, 99), text.rfind('\r'));
        assert_eq!(
            index.offset_of(text, 3, 1),
            Some(text.find("last").expect("last"))
        );
        assert_eq!(index.offset_of(text, 4, 1), None);
        assert_eq!(index.offset_of(text, 0, 1), None);
    }
}
