//! What no output may carry: workflow commands cbcheck did not write, and raw
//! control or separator characters.

/// The lines of `text` the GitHub runner would act on as workflow commands that cbcheck
/// did not write: `##[` anywhere; `::` at the start once Unicode whitespace is trimmed
/// (cbcheck's own `::debug::`/`::error `/`::warning `/`::notice ` at column 0 aside,
/// when `own` allows them). Lines end at every character a runner or a YAML 1.1
/// reader takes for a line break.
pub fn foreign_commands(text: &str, own: bool) -> Vec<String> {
    const OWN: [&str; 4] = ["::debug::", "::error ", "::warning ", "::notice "];
    text.split([
        '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}',
    ])
    .filter(|line| {
        line.contains("##[")
            || (line.trim_start().starts_with("::")
                && !(own && OWN.iter().any(|o| line.starts_with(o))))
    })
    .map(str::to_owned)
    .collect()
}

/// Raw characters no output should carry: controls but line feed and tab, the
/// Unicode line and paragraph separators, bidirectional controls.
pub fn raw_unsafe(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| c != '\n' && c != '\t' && cbcheck::testing::is_unsafe(c))
}

/// Every `%XX` escape decoded (either case), so that a value hidden behind another
/// spelling of the same bytes is still found.
pub fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}
