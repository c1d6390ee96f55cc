//! Human-readable output: miette diagnostics and one-line summaries, on stderr.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NarratableReportHandler,
    ReportHandler, Severity,
};

use super::document::Verified;
use super::excerpt::Excerpt;
use super::problem::Problem;
use super::summary::{self, Warnings};
use super::{Style, printable};
use crate::config::{ConfigDiagnostic, Loaded};
use crate::model::CallbackConfig;
use crate::model::file_text::FileText;
use crate::model::{AppResult, FileResults, Status, Summary};
use crate::model::{Finding, Kind};

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

/// Every diagnostic of a linted file, then its summary line.
pub fn lint_report(renderer: &Renderer, loaded: &Loaded) -> String {
    lint_file(renderer, loaded, false, Warnings::Pass)
}

/// A linted file as `lint` shows it: every diagnostic (drawn, or one line each when
/// quiet), then the summary line.
pub fn lint_file(renderer: &Renderer, loaded: &Loaded, quiet: bool, warnings: Warnings) -> String {
    let mut out = String::new();
    if quiet {
        out.push_str(&summary::lint_lines(loaded));
    } else {
        for diagnostic in loaded.listed() {
            out.push_str(&renderer.render_config(&diagnostic));
            out.push('\n');
        }
    }
    out.push_str(&lint_summary(loaded));
    // Only a valid file is failed by its warnings alone.
    if loaded.config.is_some() {
        out.push_str(summary::denied_note(loaded.warnings(), warnings));
    }
    out.push('\n');
    out
}

/// e.g. `callbacks.yaml: invalid: 2 errors, 1 warning` or `callbacks.yaml: valid: 3 apps, no warnings`.
pub fn lint_summary(loaded: &Loaded) -> String {
    let mut line = format!("{}: ", printable(&loaded.file, &[]));
    let warnings = plural(loaded.warnings(), "warning");
    match &loaded.config {
        Some(config) => {
            let _ = write!(line, "valid: {}, ", plural(config.apps.len(), "app"));
            line.push_str(if loaded.warnings() == 0 {
                "no warnings"
            } else {
                &warnings
            });
        }
        None => {
            let _ = write!(line, "invalid: {}", plural(loaded.errors(), "error"));
            if loaded.warnings() > 0 {
                let _ = write!(line, ", {warnings}");
            }
        }
    }
    line
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Plain lines that quote names, URLs or messages from the file or the vendor, on
/// stderr with every unsafe character escaped but the line breaks.
pub fn eprint_lines(text: &str) {
    eprint(&super::printable(text, &['\n']));
}

/// Write human output to stderr (ignoring a closed pipe, as for stdout).
pub fn eprint(text: &str) {
    use std::io::Write;
    let text = crate::model::text::guard(text, super::Commands::None);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// One app's verdict as a diagnostic: labels on the YAML, what to do as help.
type AppDiagnostic = ConfigDiagnostic<&'static str>;

/// Everything `verify` shows a person: notices, one report per drifted or failed app
/// (with a desired-vs-live diff), the list of those apps, and the summary line. Quiet:
/// the list and the summary line only.
pub fn verify_report(renderer: &Renderer, style: Style, verified: &Verified) -> String {
    let runs = &verified.runs;
    let mut out = String::new();
    if !verified.quiet {
        for notice in runs.iter().flat_map(|run| &run.notices) {
            out.push_str(&notice_line(notice));
        }
        for run in runs {
            for result in &run.results {
                out.push_str(&app_report(renderer, style, run, result));
            }
        }
    }
    out.push_str(&summary::app_list(runs, verified.warnings));
    out.push_str(&verify_summary(
        runs,
        verified.file_warnings,
        verified.warnings,
    ));
    out.push('\n');
    if !verified.quiet
        && let Some(fix) = super::fix::apply_command(runs)
    {
        out.push_str(&apply_hint(&fix));
    }
    out
}

/// One app's diagnostic and diff; empty for an app in sync without warnings.
fn app_report(renderer: &Renderer, style: Style, run: &FileResults, result: &AppResult) -> String {
    let Some(diagnostic) = app_diagnostic(run, result) else {
        return String::new();
    };
    let mut out = renderer.render_in(&diagnostic, &run.config.source);
    // A token finding alone leaves the callback as declared: no diff to show.
    let callback_drift = result
        .findings
        .iter()
        .any(|f| f.kind != Kind::TokenAuthMismatch);
    if let Some(live) = result.live.as_ref().filter(|_| callback_drift) {
        out.push_str(&diff(run, result, live.as_ref(), style.color));
    }
    out.push('\n');
    out
}

/// After the summary: the command that fixes the drifted apps, and the second way.
fn apply_hint(fix: &super::fix::ApplyCommand) -> String {
    let mut text = format!(
        "To fix {}, run:\n  {}\nIt shows its plan first, and changes only the apps that differ from the file.\nOr call each app's interface yourself, with the body shown above for it.\n",
        fix.apps_phrase(),
        fix.line
    );
    if let Some(note) = fix.by_hand_note("each one's help above") {
        text.push_str(&note);
        text.push('\n');
    }
    text
}

/// After a redacted body: it is not the one to send, and how to get the real one.
pub const REDACTED_BODY: &str = "the URL's secret parts are shown as ***: add --show-secrets to print the real body, or let `cbcheck apply` send it";

/// A notice about the run (e.g. a region's rate limit), on its own line.
pub fn notice_line(notice: &str) -> String {
    format!("warning: {}\n", printable(notice, &[]))
}

/// e.g. `3 apps checked: 1 in sync, 1 drifted, 1 failed`, or `2 apps: none could be
/// checked (2 failed)`; then the warnings, of the apps and of the files, and whether
/// --deny-warnings makes them fail the run.
pub fn verify_summary(runs: &[FileResults], file_warnings: usize, warnings: Warnings) -> String {
    let summary = Summary::of_runs(runs);
    let mut line = match (summary.apps, summary.failed) {
        (1, 1) => "1 app: it could not be checked".to_owned(),
        (apps, failed) if apps == failed && apps > 0 => {
            format!("{apps} apps: none could be checked ({failed} failed)")
        }
        _ => format!(
            "{} checked: {} in sync, {} drifted, {} failed",
            plural(summary.apps, "app"),
            summary.in_sync,
            summary.drifted,
            summary.failed
        ),
    };
    let count = summary.warnings + file_warnings;
    if count > 0 {
        let _ = write!(line, ", {}", plural(count, "warning"));
    }
    if file_warnings > 0 {
        let files = if runs.len() == 1 { "file" } else { "files" };
        if summary.warnings == 0 {
            let _ = write!(line, " (in the {files})");
        } else {
            let _ = write!(line, " ({} in the {files})", file_warnings);
        }
    }
    line.push_str(summary::denied_note(count, warnings));
    line
}

/// The summary of a verify run that stopped before any app was checked: each invalid
/// file with its errors, then what else stopped it, e.g.
/// `no app was checked: broken.yaml is invalid (2 errors)`.
pub fn stopped_summary(problems: &[Problem]) -> String {
    let mut invalid: Vec<(&str, usize)> = Vec::new();
    for (file, count) in problems
        .iter()
        .filter(|p| p.errors() > 0)
        .filter_map(|p| Some((p.file.as_deref()?, p.errors())))
    {
        match invalid.iter_mut().find(|(f, _)| *f == file) {
            Some((_, errors)) => *errors += count,
            None => invalid.push((file, count)),
        }
    }
    let causes: Vec<String> = invalid
        .into_iter()
        .map(|(file, errors)| {
            format!(
                "{} is invalid ({})",
                printable(file, &[]),
                plural(errors, "error")
            )
        })
        .chain(
            problems
                .iter()
                .filter(|p| p.file.is_none())
                .map(|p| printable(&p.message, &[]).into_owned()),
        )
        .collect();
    format!("no app was checked: {}", causes.join("; "))
}

/// `cbcheck init` wrote its starter file.
pub fn init_written(file: &str) -> String {
    format!("wrote {file}: replace the example app with yours, then `cbcheck lint {file}`\n")
}

/// `export` stops when an app could not be read.
pub const EXPORT_INCOMPLETE: &str =
    "nothing was written: every app must be readable to export a complete file\n";

/// `export` found nothing a callbacks file could declare.
pub fn export_none_declarable(apps: usize) -> String {
    format!(
        "error: none of the {apps} apps can be declared (no configuration live, or none a callbacks file accepts): a callbacks file needs at least one app\n  help: declare them by hand, with `callback: absent` for apps that must stay without one\n"
    )
}

/// `export` writes an app as a comment: its live URL cannot be declared.
pub fn export_url_commented(
    app: &crate::model::App,
    url: &str,
    problem: &str,
    redaction: &crate::model::redact::Redaction,
) -> String {
    format!(
        "warning: {} is written as a comment: its live URL {} cannot be declared: {}\n",
        printable(&app.label(), &[]),
        printable(&redaction.url(url), &[]),
        printable(problem, &[])
    )
}

/// `export` writes a live URL that carries a token as it is.
pub fn export_url_with_secrets(
    app: &crate::model::App,
    url: &str,
    redaction: &crate::model::redact::Redaction,
) -> String {
    format!(
        "warning: the live URL of {} carries query values or userinfo ({}); it is written as is: keep the file private, or move the token out of the URL\n",
        printable(&app.label(), &[]),
        printable(&redaction.url(url), &[])
    )
}

/// `export` wrote a query value of a live URL as a placeholder: which variable to set.
pub fn export_placeholder(app: &crate::model::App, param: &str, variable: &str) -> String {
    format!(
        "note: {}: the live URL's query parameter `{}` looks like a secret: written as ${{{variable}}}; set {variable} to its value where verify and apply run (or export with --literal-urls)\n",
        printable(&app.label(), &[]),
        printable(param, &[]),
    )
}

/// `export --from` leaves an app as it is: its live URL cannot be declared.
pub fn export_url_kept(
    app: &crate::model::App,
    url: &str,
    problem: &str,
    redaction: &crate::model::redact::Redaction,
) -> String {
    format!(
        "warning: {} is left as the file has it: its live URL {} cannot be declared: {}\n",
        printable(&app.label(), &[]),
        printable(&redaction.url(url), &[]),
        printable(problem, &[])
    )
}

/// `export --from` leaves out a live word the file cannot declare.
pub fn export_word_left_out(app: &crate::model::App, word: &str) -> String {
    format!(
        "note: {}: live also has `{}`, not a {} command word: left out of the file (`extra_commands: warn` reports it)\n",
        printable(&app.label(), &[]),
        printable(word, &[]),
        app.service.title()
    )
}

/// `export --from` declares `callback: absent` for an app that has none live.
pub fn export_now_absent(app: &crate::model::App) -> String {
    format!(
        "note: {} has no callback configuration live (get_callback answered 100301): it is now declared `callback: absent`\n",
        printable(&app.label(), &[])
    )
}

/// `export --from` could not edit the file in place.
pub fn export_not_refreshed(
    from: &std::path::Path,
    err: &crate::config::edit::EditError,
) -> String {
    format!(
        "error: {} cannot be refreshed in place: {} (line {}): {}\n  help: nothing was written; change that value by hand, then run export again\n",
        printable(&from.display().to_string(), &[]),
        printable(&err.app, &[]),
        err.line,
        printable(&err.reason.to_string(), &[])
    )
}

/// What `export --from -o` wrote.
pub fn export_refreshed(path: &std::path::Path, changed: usize, apps: usize) -> String {
    format!(
        "wrote {}: {changed} of {apps} apps changed to match live; every other line kept as it was\n",
        path.display()
    )
}

/// What `export -o` wrote.
pub fn export_written(path: &std::path::Path, declared: usize, commented: usize) -> String {
    format!(
        "wrote {}: {declared} app(s) declared, {commented} as comments\n",
        path.display()
    )
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

/// How the human report names an app: one line, whatever its name holds.
fn app_title(result: &AppResult) -> String {
    result
        .app
        .title()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn app_diagnostic(run: &FileResults, result: &AppResult) -> Option<AppDiagnostic> {
    if let Some(failure) = &result.failure {
        let message = format!(
            "{} could not be checked: {}",
            app_title(result),
            failure.message()
        );
        return Some(
            AppDiagnostic::coded("cbcheck::verify::failed", Severity::Error, message)
                .primary(
                    result.app.spans.sdkappid,
                    format!("{} error", failure.class().id()),
                )
                .help(failure.help()),
        );
    }
    if result.findings.is_empty() {
        return None;
    }
    let drifted = result.status() == Status::Drifted;
    let kinds: Vec<String> = result
        .kind_counts()
        .into_iter()
        .map(|(kind, n)| format!("{n} {}", kind.id()))
        .collect();
    let message = if drifted {
        format!("{} has drifted: {}", app_title(result), kinds.join(", "))
    } else {
        format!(
            "{} is in sync, with warnings: {}",
            app_title(result),
            kinds.join(", ")
        )
    };
    let labels = merged_labels(&result.findings);
    let mut help: Vec<String> = Vec::new();
    if let Some(fix) = &result.remediation {
        help.push(format!(
            "to fix, call {} with this body:\n{}",
            fix.path(),
            fix.body_text(|url| run.redaction.url(url))
        ));
        if super::fix::is_redacted(&run.redaction, fix) {
            help.push(REDACTED_BODY.into());
        }
    }
    // Each help once; a set, as an app may have a finding for every live word.
    let mut helped: HashSet<String> = help.iter().cloned().collect();
    for finding in &result.findings {
        // One line each: a line break in a live word stays an escape.
        let text = finding
            .help
            .as_deref()
            .map(|t| printable(t, &[]).into_owned());
        if let Some(text) = text.filter(|t| helped.insert(t.clone())) {
            help.push(text);
        }
    }
    let (code, severity) = if drifted {
        ("cbcheck::verify::drift", Severity::Error)
    } else {
        ("cbcheck::verify::warning", Severity::Warning)
    };
    Some(ConfigDiagnostic {
        labels,
        help: (!help.is_empty()).then(|| help.join("\n")),
        ..AppDiagnostic::coded(code, severity, message)
    })
}

/// One label per span: findings of one kind on the same span are listed together
/// (e.g. "live also has `A`, `B`" on the `commands:` key).
fn merged_labels(findings: &[Finding]) -> Vec<LabeledSpan> {
    /// The label texts on one span, by finding kind.
    type SpanGroup<'a> = (miette::SourceSpan, Vec<(Kind, Vec<&'a str>)>);
    let mut groups: Vec<SpanGroup<'_>> = Vec::new();
    for finding in findings {
        let index = match groups.iter().position(|(span, _)| *span == finding.span) {
            Some(index) => index,
            None => {
                groups.push((finding.span, Vec::new()));
                groups.len() - 1
            }
        };
        let kinds = &mut groups[index].1;
        match kinds.iter_mut().find(|(kind, _)| *kind == finding.kind) {
            Some((_, texts)) => texts.push(&finding.label),
            None => kinds.push((finding.kind, vec![&finding.label])),
        }
    }
    groups
        .into_iter()
        .map(|(span, kinds)| {
            let parts: Vec<String> = kinds
                .into_iter()
                .map(|(kind, texts)| match kind {
                    Kind::UnexpectedCommand => format!("live also has {}", texts.join(", ")),
                    Kind::UnknownCommand => format!("not known: {}", texts.join(", ")),
                    _ => texts.join("; "),
                })
                .collect();
            LabeledSpan::new_with_span(Some(parts.join("; ")), span)
        })
        .collect()
}

/// A compact diff of the two configurations in the file's order: the declared
/// commands as written, then the live-only ones in the vendor's order. The live side
/// follows the file's order, so a reordering alone shows no change (order never matters).
fn diff(
    run: &FileResults,
    result: &AppResult,
    live: Option<&CallbackConfig>,
    color: bool,
) -> String {
    let as_text = |url: &str, commands: &[&str]| {
        // One value a line, whatever the vendor put in it.
        let mut text = format!(
            "url: {}\ncommands:\n",
            printable(&run.redaction.url(url), &[])
        );
        for command in commands {
            let _ = writeln!(text, "  - {}", printable(command, &[]));
        }
        text
    };
    let declared: Vec<&str> = result
        .app
        .callback
        .iter()
        .flat_map(|desired| desired.commands.iter().map(|c| c.word.as_str()))
        .collect();
    let desired = match &result.app.callback {
        Some(desired) => as_text(&desired.url, &declared),
        None => "(no callback: declared absent)\n".to_owned(),
    };
    let live_text = match live {
        Some(live) => {
            // Sets, not scans: linear in the two lists.
            let live_words: HashSet<&str> = live.commands.iter().map(String::as_str).collect();
            let declared_words: HashSet<&str> = declared.iter().copied().collect();
            let in_file_order: Vec<&str> = declared
                .iter()
                .copied()
                .filter(|word| live_words.contains(word))
                .chain(
                    live.commands
                        .iter()
                        .map(String::as_str)
                        .filter(|word| !declared_words.contains(word)),
                )
                .collect();
            as_text(&live.url, &in_file_order)
        }
        None => "(no callback configured)\n".to_owned(),
    };
    let mut out = format!(
        "  --- desired ({})\n  +++ live (get_callback)\n",
        printable(&run.config.file, &[])
    );
    // Myers' algorithm only: `TextDiff` dispatches at run time to every algorithm
    // similar has, which put half a megabyte of code into the binary for a diff of a
    // dozen lines.
    let old: Vec<&str> = desired.lines().collect();
    let new: Vec<&str> = live_text.lines().collect();
    // Replace turns a delete next to an insert into one change, deletions first.
    let mut capture = similar::algorithms::Replace::new(similar::algorithms::Capture::new());
    // Capture never fails.
    let _ = similar::algorithms::myers::diff(&mut capture, &old, 0..old.len(), &new, 0..new.len());
    let changes = capture
        .into_inner()
        .into_ops()
        .into_iter()
        .flat_map(|op| op.iter_changes(&old, &new).collect::<Vec<_>>());
    for change in changes {
        let (sign, paint) = match change.tag() {
            similar::ChangeTag::Delete => ('-', "\u{1b}[31m"),
            similar::ChangeTag::Insert => ('+', "\u{1b}[32m"),
            similar::ChangeTag::Equal => (' ', ""),
        };
        let line = format!("  {sign} {}", change.value());
        if color && !paint.is_empty() {
            let _ = writeln!(out, "{paint}{line}\u{1b}[0m");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}
