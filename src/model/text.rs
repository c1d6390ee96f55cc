//! Escaping text from the file or the vendor before it is written anywhere a person, a
//! terminal or a CI log reads it. One escaper ([`printable`]) for every text format, one
//! for JSON-syntax strings ([`json_string_safe`]), and a last guard at the output
//! streams ([`guard`]).
//!
//! The GitHub runner reads both output streams of a step. It acts on `##[command]`
//! anywhere in a line, and on `::command::` at the start of a line once the line's
//! leading whitespace (Unicode's, NBSP and U+3000 included) is trimmed. So text from
//! the file or the vendor never carries `##[` (its last `#` is written `\u{23}`), never
//! `::` at the start of a word (its first `:` is written `\u{3a}`: wrapping can start a
//! line with any word), and no raw line break or control character.

use std::borrow::Cow;

/// `text` with each character for which `escape` returns a replacement replaced by it.
pub fn escape_each(text: &str, escape: impl Fn(char) -> Option<String>) -> String {
    escape_at(text, |_, c| escape(c))
}

/// As [`escape_each`], `escape` also told the character's byte offset in `text`.
fn escape_at(text: &str, escape: impl Fn(usize, char) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match escape(i, c) {
            Some(escaped) => out.push_str(&escaped),
            None => out.push(c),
        }
    }
    out
}

/// Whether a character must not reach a terminal or a CI log as it is: control
/// characters (C0, DEL, C1: line feed, CR, VT, FF and NEL among them), and the
/// invisible ones that reorder text or break lines (bidirectional controls, the
/// Unicode line and paragraph separators).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Whether the character at byte `i` of `text` would complete a workflow command the
/// runner acts on: the `#` of `##[` just before the `[`, or the first `:` of a `::`
/// at the start of a word (of the text, or after whitespace).
pub fn starts_command(text: &str, i: usize, c: char) -> bool {
    match c {
        '#' => text[..i].ends_with('#') && text[i + 1..].starts_with('['),
        ':' => {
            text[i + 1..].starts_with(':')
                && text[..i]
                    .chars()
                    .next_back()
                    .is_none_or(char::is_whitespace)
        }
        _ => false,
    }
}

/// The characters of `text`, with their byte offsets, that [`is_unsafe`] or
/// [`starts_command`] may hold: every one but the printable ASCII other than `:` and
/// `#`, for which both are false. The escapers look at these alone.
pub fn suspects(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    text.char_indices()
        .filter(|&(_, c)| !matches!(c, ' '..='~') || c == ':' || c == '#')
}

/// A character as a visible escape: `\u{1b}`, `\n`, `\t`, `\u{23}`.
pub fn visible(c: char) -> String {
    match c {
        '#' | ':' => format!("\\u{{{:x}}}", u32::from(c)),
        _ => c.escape_debug().to_string(),
    }
}

/// Text from the file or the vendor, safe to print in any text format: every unsafe
/// character but those in `keep` written as a visible escape (`\u{1b}`, `\t`), and no
/// workflow command ([`starts_command`]).
pub fn printable<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let escape = |i: usize, c: char| {
        ((is_unsafe(c) && !keep.contains(&c)) || starts_command(text, i, c)).then(|| visible(c))
    };
    if !suspects(text).any(|(i, c)| escape(i, c).is_some()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(escape_at(text, escape))
}

/// JSON text (or YAML double-quoted scalars, written as JSON strings) with every
/// character serde_json leaves raw that a log or a YAML 1.1 reader would act on
/// written as a `\uXXXX` escape: the text means the same to a JSON reader. Outside
/// strings JSON is ASCII punctuation, digits and keywords, so only strings change.
pub fn json_string_safe(json: &str) -> Cow<'_, str> {
    let escape = |i: usize, c: char| {
        // serde_json escapes every C0 control in strings: raw ones are the layout's.
        let unsafe_raw =
            (is_unsafe(c) && c >= ' ') || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}');
        (unsafe_raw || starts_command(json, i, c)).then(|| format!("\\u{:04x}", u32::from(c)))
    };
    if !suspects(json).any(|(i, c)| escape(i, c).is_some()) {
        return Cow::Borrowed(json);
    }
    Cow::Owned(escape_at(json, escape))
}

/// [`json_string_safe`] of an owned document, with a newline after it; the text is
/// kept, not copied, when nothing in it needs escaping.
pub fn json_document_safe(json: String) -> String {
    let escaped = match json_string_safe(&json) {
        Cow::Owned(escaped) => Some(escaped),
        Cow::Borrowed(_) => None,
    };
    let mut text = escaped.unwrap_or(json);
    text.push('\n');
    text
}

/// What a text written to stdout or stderr may carry of workflow commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commands {
    /// None: every text but the GitHub format.
    None,
    /// The ones cbcheck writes in the GitHub format (`::debug::`, `::error `,
    /// `::warning `, `::notice `), at the very start of a line.
    Own,
}

/// The commands the GitHub format writes.
const OWN: [&str; 4] = ["::debug::", "::error ", "::warning ", "::notice "];

/// Whether a character ends a line for a runner or a YAML 1.1 reader.
fn breaks_line(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// The last guard before a stream: whatever the renderers let through, no line
/// carries `##[`, and no line starts (after its leading whitespace) with `::` unless
/// it is one of cbcheck's own commands. Text escaped at its source passes unchanged.
pub fn guard(text: &str, commands: Commands) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    // Only a `:` before a `:`, or a `#` between a `#` and a `[`, can complete a
    // command: the text between them is passed over (megabytes of a fleet's report).
    let completes = |i: usize| match bytes[i] {
        b':' => bytes.get(i + 1) == Some(&b':') && starts_line(text, i, commands),
        _ => i > 0 && bytes[i - 1] == b'#' && bytes.get(i + 1) == Some(&b'['),
    };
    let mut escapes = memchr::memchr2_iter(b':', b'#', bytes)
        .filter(|&i| completes(i))
        .peekable();
    if escapes.peek().is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut copied = 0;
    for i in escapes {
        out.push_str(&text[copied..i]);
        out.push_str(&visible(char::from(bytes[i])));
        copied = i + 1;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether the `::` at byte `i` of `text` starts a workflow command the guard must
/// break: only whitespace before it on its line, and not one of cbcheck's own
/// commands at the very start of a line when `commands` allows them.
fn starts_line(text: &str, i: usize, commands: Commands) -> bool {
    let before_indent = text[..i].trim_end_matches(|c: char| c.is_whitespace() && !breaks_line(c));
    if !before_indent.chars().next_back().is_none_or(breaks_line) {
        return false;
    }
    let own = commands == Commands::Own
        && before_indent.len() == i
        && OWN.iter().any(|own| text[i..].starts_with(own));
    !own
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The guard as its rule reads, character by character, each told the start of
    /// its line: what [`guard`] must give, however it gets there.
    fn guard_by_char(text: &str, commands: Commands) -> String {
        let mut out = String::new();
        let mut line_start = 0;
        for (i, c) in text.char_indices() {
            let at_start = c == ':'
                && text[i + 1..].starts_with(':')
                && text[line_start..i].chars().all(char::is_whitespace)
                && !(commands == Commands::Own
                    && i == line_start
                    && OWN.iter().any(|own| text[line_start..].starts_with(own)));
            let hashes = c == '#' && text[..i].ends_with('#') && text[i + 1..].starts_with('[');
            if at_start || hashes {
                out.push_str(&visible(c));
            } else {
                out.push(c);
            }
            if breaks_line(c) {
                line_start = i + c.len_utf8();
            }
        }
        out
    }

    proptest! {
        #[test]
        fn the_guard_escapes_what_its_rule_says(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    ":", "::", "#", "##", "[", "##[", " ", "\t", "\u{a0}", "\u{3000}", "\n",
                    "\r", "\u{b}", "\u{85}", "\u{2028}", "a", "é", "日", "::error ",
                    "::warning ", "::notice ", "::debug::", "::set-output ",
                ]),
                0..24,
            ),
            own in any::<bool>(),
        ) {
            let text = pieces.concat();
            let commands = if own { Commands::Own } else { Commands::None };
            let guarded = guard(&text, commands);
            prop_assert_eq!(&guarded, &guard_by_char(&text, commands));
            prop_assert_eq!(matches!(guarded, Cow::Borrowed(_)), guarded == text);
        }
    }

    #[test]
    fn workflow_commands_in_data_are_neutralised() {
        assert_eq!(
            printable("a ##[stop-commands]x", &[]),
            "a #\\u{23}[stop-commands]x"
        );
        assert_eq!(printable("###[x", &[]), "##\\u{23}[x");
        assert_eq!(printable("::error::x", &[]), "\\u{3a}:error::x");
        assert_eq!(
            printable("k \u{a0}::stop-commands::t", &[]),
            "k \u{a0}\\u{3a}:stop-commands::t"
        );
        assert_eq!(printable("a\n::x", &['\n']), "a\n\\u{3a}:x");
        // Inside a word `::` starts no line: IPv6 hosts and Rust paths stay as they are.
        assert_eq!(
            printable("https://[::1]:8/ a::b", &[]),
            "https://[::1]:8/ a::b"
        );
        let twice = printable("x ##[a ::b\u{2028}", &[]).into_owned();
        assert_eq!(printable(&twice, &[]), twice);
    }

    #[test]
    fn characters_not_suspected_are_never_escaped() {
        for c in ' '..='~' {
            let text = format!("{c}{c}[ {c}{c}:");
            let suspected: Vec<usize> = suspects(&text).map(|(i, _)| i).collect();
            for (i, c) in text.char_indices().filter(|(i, _)| !suspected.contains(i)) {
                assert!(
                    !is_unsafe(c) && !starts_command(&text, i, c),
                    "{text:?} at {i}"
                );
            }
        }
        assert_eq!(suspects("a\u{1b}é:#").count(), 4);
    }

    #[test]
    fn json_strings_keep_their_meaning() {
        let json = serde_json::to_string("##[x]\u{2028}\u{85}\u{7f}\u{202e}é").expect("JSON");
        let safe = json_string_safe(&json);
        assert_eq!(safe, "\"#\\u0023[x]\\u2028\\u0085\\u007f\\u202eé\"");
        let back: String = serde_json::from_str(&safe).expect("JSON");
        assert_eq!(back, "##[x]\u{2028}\u{85}\u{7f}\u{202e}é");
        let pretty = serde_json::to_string_pretty(&["a\n\u{1b}"]).expect("JSON");
        assert_eq!(json_string_safe(&pretty), pretty);
    }

    #[test]
    fn the_guard_keeps_only_own_commands() {
        let text = "::error file=a::m\n  ::error x\n\u{3000}::stop-commands::t\nok ##[x]\n::set-output name=a::b\r::warning x\n";
        assert_eq!(
            guard(text, Commands::Own),
            "::error file=a::m\n  \\u{3a}:error x\n\u{3000}\\u{3a}:stop-commands::t\nok #\\u{23}[x]\n\\u{3a}:set-output name=a::b\r::warning x\n"
        );
        assert!(guard("::error x\n", Commands::None).starts_with("\\u{3a}:error"));
        assert!(matches!(
            guard("plain a::b\n", Commands::None),
            Cow::Borrowed(_)
        ));
    }
}
