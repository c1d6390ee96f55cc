//! Human-readable output: the miette renderer, the one-line messages several
//! commands print, and stderr. What `lint` and `verify` show a person is in
//! `lint` and `verify`.

mod lint;
mod verify;

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NarratableReportHandler,
    ReportHandler, Severity,
};

use super::excerpt::Excerpt;
use super::{Style, printable};
use crate::config::ConfigDiagnostic;
use crate::model::file_text::FileText;

pub use lint::{lint_file, lint_report, lint_summary};
pub use verify::{
    invalid_entries_notice, invalid_entries_summary, stopped_summary, undeclared_notice,
    verify_report_to, verify_summary,
};

/// Renders diagnostics in one style.
pub struct Renderer {
    handler: Box<dyn ReportHandler>,
    /// The graphical handler again without wrapping, for a diagnostic whose texts
    /// wrapping would give back as they are ([`Shown::wraps_unchanged`]): filling a
    /// fleet's help bodies costs more than drawing the rest. With the width it is for.
    unwrapped: Option<(GraphicalReportHandler, usize)>,
}

impl Renderer {
    pub fn new(style: Style) -> Renderer {
        if style.narrated {
            return Renderer {
                handler: Box::new(NarratableReportHandler::new()),
                unwrapped: None,
            };
        }
        let theme = if style.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let graphical = GraphicalReportHandler::new_themed(theme)
            .with_width(style.width)
            .with_links(false)
            // Never split RequestIds, URLs or command words at their hyphens.
            .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
            .with_break_words(false);
        Renderer {
            unwrapped: Some((graphical.clone().with_wrap_lines(false), style.width)),
            handler: Box::new(graphical),
        }
    }

    /// A diagnostic that points at no file (usage, network, output problems).
    pub fn render(&self, diagnostic: &dyn Diagnostic) -> String {
        self.draw(&Shown::new(diagnostic, None))
    }

    /// A diagnostic whose labels point into `file`: they are drawn on an excerpt of it.
    pub fn render_in(&self, diagnostic: &dyn Diagnostic, file: &FileText) -> String {
        self.draw(&Shown::new(diagnostic, Some(file)))
    }

    /// A problem in a config file, with its snippet when the file's text is known.
    pub fn render_config(&self, diagnostic: &ConfigDiagnostic) -> String {
        match &diagnostic.source {
            Some(file) => self.render_in(diagnostic, file),
            None => self.render(diagnostic),
        }
    }

    fn draw(&self, shown: &Shown) -> String {
        match &self.unwrapped {
            Some((unwrapped, width)) if shown.wraps_unchanged(*width) => draw(unwrapped, shown),
            _ => draw(self.handler.as_ref(), shown),
        }
    }
}

fn draw(handler: &dyn ReportHandler, diagnostic: &dyn Diagnostic) -> String {
    struct Show<'a>(&'a dyn ReportHandler, &'a dyn Diagnostic);
    impl fmt::Display for Show<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.debug(self.1, f)
        }
    }
    Show(handler, diagnostic).to_string()
}

/// The widest indent miette writes before a text it wraps (`  help: `; the message
/// has `  × `, a cause `  ├─▶ `).
const WIDEST_INDENT: usize = 8;

/// Whether textwrap, filling `text` as miette does in a report `width` columns wide
/// (two short of it, behind an indent of at most [`WIDEST_INDENT`], first fit, words
/// kept whole), gives back each of its lines as it is behind the indent: no line is
/// too wide to fit, blank (filled to nothing, not to the indent), or ends in a space
/// (trimmed), and no control character (an escape sequence) makes a line's width
/// other than the sum of its characters'.
fn fill_keeps(text: &str, width: usize) -> bool {
    let room = width.saturating_sub(2 + WIDEST_INDENT);
    text.split('\n').all(|line| {
        // Printable ASCII is a column a byte; only other text needs measuring.
        let width = if line.bytes().all(|b| matches!(b, b' '..=b'~')) {
            line.len()
        } else if line.chars().any(char::is_control) {
            return false;
        } else {
            textwrap::core::display_width(line)
        };
        !line.trim().is_empty() && !line.ends_with(' ') && width <= room
    })
}

/// A diagnostic as the terminal may show it: every text from the file or the vendor
/// with unsafe characters escaped, and the labels on an excerpt of the file.
#[derive(Debug)]
struct Shown<'a> {
    inner: &'a dyn Diagnostic,
    message: String,
    help: Option<String>,
    cause: Option<Box<Cause>>,
    labels: Vec<LabeledSpan>,
    excerpt: Option<Excerpt>,
}

impl<'a> Shown<'a> {
    fn new(inner: &'a dyn Diagnostic, file: Option<&FileText>) -> Shown<'a> {
        let labels: Vec<LabeledSpan> = inner.labels().map(Iterator::collect).unwrap_or_default();
        let (excerpt, labels) = match file {
            Some(file) if !labels.is_empty() => {
                let (excerpt, labels) = Excerpt::new(file, &labels);
                (Some(excerpt), labels)
            }
            // Without a file to draw them on, labels would show nothing.
            _ => (None, Vec::new()),
        };
        let mut causes = Vec::new();
        let mut next = inner.source();
        while let Some(cause) = next {
            causes.push(printable(&cause.to_string(), &[]).into_owned());
            next = cause.source();
        }
        Shown {
            message: printable(&inner.to_string(), &[]).into_owned(),
            help: inner
                .help()
                .map(|help| printable(&help.to_string(), &['\n']).into_owned()),
            cause: causes
                .into_iter()
                .rev()
                .fold(None, |next, text| Some(Box::new(Cause { text, next }))),
            inner,
            labels,
            excerpt,
        }
    }

    /// Whether miette, wrapping at `width`, would draw this as it does without
    /// wrapping: it wraps the message, the causes and the help (a `Shown` has no
    /// related diagnostics and no diagnostic source), and [`fill_keeps`] each.
    fn wraps_unchanged(&self, width: usize) -> bool {
        let mut causes = std::iter::successors(self.cause.as_deref(), |c| c.next.as_deref());
        fill_keeps(&self.message, width)
            && self
                .help
                .as_deref()
                .is_none_or(|help| fill_keeps(help, width))
            && causes.all(|cause| fill_keeps(&cause.text, width))
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Shown<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }
    fn severity(&self) -> Option<Severity> {
        self.inner.severity()
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

/// One link of an escaped cause chain.
#[derive(Debug)]
struct Cause {
    text: String,
    next: Option<Box<Cause>>,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.next
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Where a command's words to a person go: stderr, in the order they are said, in
/// the run's one style. `run/` decides what is said and when; this writes it.
pub struct Stderr {
    style: Style,
    renderer: Renderer,
}

impl Stderr {
    pub fn new(style: Style) -> Stderr {
        Stderr {
            style,
            renderer: Renderer::new(style),
        }
    }

    pub fn style(&self) -> Style {
        self.style
    }

    /// The run's diagnostic renderer, for text that is then said here.
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// Text made for stderr (what it quotes is already escaped by its maker).
    pub fn say(&self, text: &str) {
        eprint(text);
    }

    /// Lines that quote names, URLs or messages from the file or the vendor: every
    /// unsafe character escaped but the line breaks.
    pub fn say_lines(&self, text: &str) {
        eprint_lines(text);
    }

    /// A diagnostic that stopped the command, then `after` (what it meant for the run).
    pub fn error(&self, diagnostic: &dyn Diagnostic, after: &str) {
        eprint(&format!("{}\n{after}", self.renderer.render(diagnostic)));
    }

    /// The progress drawn while the run waits (when `wanted` and stderr can show it).
    pub fn progress(&self, wanted: bool) -> super::progress::Progress {
        super::progress::Progress::on_stderr(wanted)
    }
}

/// Plain lines that quote names, URLs or messages from the file or the vendor, on
/// stderr with every unsafe character escaped but the line breaks.
fn eprint_lines(text: &str) {
    eprint(&super::printable(text, &['\n']));
}

/// Write human output to stderr (ignoring a closed pipe, as for stdout).
fn eprint(text: &str) {
    use std::io::Write;
    let text = crate::model::text::guard(text, super::Commands::None);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A notice about the run (e.g. a region's rate limit), on its own line.
pub fn notice_line(notice: &str) -> String {
    format!("warning: {}\n", printable(notice, &[]))
}

/// `cbcheck init` wrote its starter file.
pub fn init_written(file: &str) -> String {
    format!("wrote {file}: replace the example app with yours, then `cbcheck lint {file}`\n")
}

/// An app that could not be read (outside a verify run), with what to check.
pub fn failure_report(app: &crate::model::App, failure: &crate::model::Failure) -> String {
    format!(
        "error: {} could not be read ({}): {}\n  help: {}\n",
        printable(&app.label(), &[]),
        failure.class().id(),
        printable(&failure.message(), &[]),
        printable(&failure.help(), &[])
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A diagnostic of nothing but the texts miette wraps.
    #[derive(Debug)]
    struct Texts {
        message: String,
        help: Option<String>,
        cause: Option<Box<Texts>>,
    }

    impl fmt::Display for Texts {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.message)
        }
    }

    impl std::error::Error for Texts {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.cause
                .as_deref()
                .map(|c| c as &(dyn std::error::Error + 'static))
        }
    }

    impl Diagnostic for Texts {
        fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
            self.help
                .as_ref()
                .map(|h| Box::new(h) as Box<dyn fmt::Display>)
        }
    }

    /// Lines of words and spaces (leading, several), wide and invisible characters;
    /// now and then a blank line, a trailing space or an escape sequence.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            16 => proptest::sample::select(vec![
                "word", "a", "{", "\"Url\": ", "https://x.example/a-b", " ", "  ", "日本", "é",
                "-", "\u{a0}", "\u{3000}", "\u{200b}",
            ]),
            1 => proptest::sample::select(vec!["\t", "\u{1b}[1m", "\n", "\n\n", " \n"]),
        ];
        let line = proptest::collection::vec(piece, 1..6).prop_map(|pieces| pieces.concat());
        proptest::collection::vec(line, 1..4).prop_map(|lines| lines.join("\n"))
    }

    proptest! {
        // Many texts drawn do not fit (wrapping changes them): the cases are those that do.
        #![proptest_config(ProptestConfig { max_global_rejects: u32::MAX, ..ProptestConfig::default() })]

        #[test]
        fn drawing_unwrapped_is_drawing_wrapped_when_wrapping_keeps_the_texts(
            message in text(),
            help in proptest::option::of(text()),
            cause in proptest::option::of(text()),
            width in 0..120usize,
            color in any::<bool>(),
        ) {
            let renderer = Renderer::new(Style { color, narrated: false, width });
            let (unwrapped, _) = renderer.unwrapped.as_ref().expect("a graphical renderer");
            let cause = cause.map(|message| Box::new(Texts { message, help: None, cause: None }));
            let texts = Texts { message, help, cause };
            let shown = Shown::new(&texts, None);
            prop_assume!(shown.wraps_unchanged(width));
            prop_assert_eq!(draw(unwrapped, &shown), draw(renderer.handler.as_ref(), &shown));
        }
    }

    #[test]
    fn texts_that_wrapping_would_change_are_wrapped() {
        let fits = |text: &str, width| fill_keeps(text, width);
        assert!(fits("{\n  \"Url\": \"https://x\"\n}", 40));
        // Too wide for the width less the indent, blank, or ending in a space.
        assert!(!fits("0123456789", 19));
        assert!(fits("0123456789", 20));
        assert!(!fits("日本語の文", 19));
        assert!(!fits("a\n\nb", 40));
        assert!(!fits("a\n", 40));
        assert!(!fits("a \nb", 40));
        assert!(!fits("\u{1b}[1ma", 40));
    }
}
