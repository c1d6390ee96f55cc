//! GitHub Actions workflow commands: one annotation per finding.

use std::fmt::Write as _;

use super::annotation::Annotation;
use super::problem::Problem;
use super::{REPORT_VERSION, printable};

/// One `::error`/`::warning` line per annotation, one per problem that stopped the run
/// (it has no place in a file), then the summary as plain text.
pub fn render(annotations: &[Annotation], stopped_by: &[Problem], summary: &str) -> String {
    let mut text = String::new();
    write(annotations, stopped_by, summary, &mut |piece| {
        text.push_str(piece)
    });
    text
}

/// [`render`], given to `sink` in blocks of whole lines: a fleet's annotations are
/// never held whole as text.
pub fn write(
    annotations: &[Annotation],
    stopped_by: &[Problem],
    summary: &str,
    sink: &mut dyn FnMut(&str),
) {
    const BLOCK: usize = 64 * 1024;
    let mut out = format!("::debug::cbcheck report version {REPORT_VERSION}\n");
    for p in stopped_by {
        let message = match &p.help {
            Some(help) => format!("{}. {help}", p.message),
            None => p.message.clone(),
        };
        let _ = writeln!(
            out,
            "::{} title={}::{}",
            super::annotation::Level::from(p.severity).github(),
            escape_property(&p.code),
            escape_data(&message),
        );
    }
    for a in annotations {
        // GitHub shows the properties on the annotation; the text also names the place,
        // for logs read without annotations.
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            a.level.github(),
            escape_property(&a.file),
            a.line,
            a.column,
            escape_property(&a.title),
            escape_data(&format!("{}:{}: {}", a.file, a.line, a.message)),
        );
        if out.len() >= BLOCK {
            sink(&out);
            out.clear();
        }
    }
    out.push_str(&printable(summary, &['\n']));
    out.push('\n');
    sink(&out);
}

/// Message text: `%`, CR and LF must be encoded; other control characters would reach
/// the log as they are, so they are escaped.
pub fn escape_data(text: &str) -> String {
    printable(text, &['\r', '\n'])
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values: also `:` and `,`, which delimit properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_workflow_command_rules() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(
            escape_property("envs/prod,eu:1.yaml"),
            "envs/prod%2Ceu%3A1.yaml"
        );
        assert_eq!(escape_property("50%\n"), "50%25%0A");
        assert_eq!(
            escape_data("a\u{1b}[2J\u{7}\u{9b}\u{202e}\tb"),
            "a\\u{1b}[2J\\u{7}\\u{9b}\\u{202e}\\tb"
        );
    }
}
