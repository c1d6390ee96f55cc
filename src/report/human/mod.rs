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
}

impl Renderer {
    pub fn new(style: Style) -> Renderer {
        let handler: Box<dyn ReportHandler> = if style.narrated {
            Box::new(NarratableReportHandler::new())
        } else {
            let theme = if style.color {
                GraphicalTheme::unicode()
            } else {
                GraphicalTheme::unicode_nocolor()
            };
            Box::new(
                GraphicalReportHandler::new_themed(theme)
                    .with_width(style.width)
                    .with_links(false)
                    // Never split RequestIds, URLs or command words at their hyphens.
                    .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
                    .with_break_words(false),
            )
        };
        Renderer { handler }
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

    fn draw(&self, diagnostic: &dyn Diagnostic) -> String {
        struct Show<'a>(&'a dyn ReportHandler, &'a dyn Diagnostic);
        impl fmt::Display for Show<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.debug(self.1, f)
            }
        }
        Show(self.handler.as_ref(), diagnostic).to_string()
    }
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
