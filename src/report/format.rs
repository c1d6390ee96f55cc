//! The output formats: their names, what the command line says of each, where each
//! goes on the terminal, and which renderer writes it. The one list of formats: the
//! command line offers it (`cli`), `run` only decides where each output goes.

use super::document::Document;
use super::human::{self, Renderer};
use super::{Commands, Style};
use super::{annotation, github, json, junit, markdown, prometheus, sarif};

/// An output format of `verify` (`--format`, `--report FORMAT=PATH`); `lint` speaks
/// those of [`Format::LINT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
    Junit,
    Markdown,
    Prometheus,
}

/// Where a format goes when it is not written to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Format {
    /// Every format, in the order the command line lists them (the default first).
    pub const ALL: [Format; 7] = [
        Format::Human,
        Format::Json,
        Format::Github,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Prometheus,
    ];

    /// The formats `lint` writes: junit, markdown and prometheus describe verify runs.
    pub const LINT: [Format; 4] = [Format::Human, Format::Json, Format::Github, Format::Sarif];

    /// The spelling on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Github => "github",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Prometheus => "prometheus",
        }
    }

    /// The format spelled `name` (any case), as the command line takes it.
    pub fn named(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(name))
    }

    /// What `verify --help` says of it.
    pub fn help(self) -> &'static str {
        match self {
            Format::Human => "miette diagnostics and a summary on stderr",
            Format::Json => "One JSON document (verify: schemas/report.schema.json)",
            Format::Github => {
                "GitHub Actions workflow commands (annotations); appends the Markdown report to $GITHUB_STEP_SUMMARY when set"
            }
            Format::Sarif => "SARIF 2.1.0, for code scanning",
            Format::Junit => {
                "JUnit XML: one testsuite per file, one testcase per app (verify only)"
            }
            Format::Markdown => "A Markdown summary for a pull-request comment (verify only)",
            Format::Prometheus => {
                "Prometheus text format for node_exporter's textfile collector (verify only); as a --report file it is replaced atomically, readable by all (0644), and a `<name>_success.prom` beside it records the last completed run"
            }
        }
    }

    /// What `lint --help` says of it (a format of [`Format::LINT`]).
    pub fn lint_help(self) -> &'static str {
        match self {
            Format::Human => "miette diagnostics and a summary line per file on stderr",
            Format::Json => "One JSON document: each file's diagnostics (schemas/lint.schema.json)",
            Format::Github => "GitHub Actions workflow commands (annotations)",
            Format::Sarif | Format::Junit | Format::Markdown | Format::Prometheus => self.help(),
        }
    }

    /// Where it goes on the terminal: the human format beside the progress and the
    /// diagnostics, on stderr; the others on stdout, for a pipe or a file.
    pub fn stream(self) -> Stream {
        match self {
            Format::Human => Stream::Stderr,
            _ => Stream::Stdout,
        }
    }

    /// The workflow commands it may carry: only the GitHub format's own annotations.
    pub fn commands(self) -> Commands {
        match self {
            Format::Github => Commands::Own,
            _ => Commands::None,
        }
    }

    /// Rendered after every other output: it records the run's exit code, which a
    /// report that cannot be written raises.
    pub fn records_exit_code(self) -> bool {
        self == Format::Prometheus
    }

    /// The format appended to `$GITHUB_STEP_SUMMARY` when this one is on the terminal.
    pub fn step_summary(self) -> Option<Format> {
        match self {
            Format::Github => Some(Format::Markdown),
            _ => None,
        }
    }

    /// As a `--report` file, it is published for another service to read (0644), with
    /// the time of the last completed run beside it.
    pub(super) fn published(self) -> bool {
        self == Format::Prometheus
    }
}

/// The document in `format`: the one place a format is matched to its renderer.
/// `style`: how the human format looks.
pub fn render(format: Format, document: &Document, style: Style) -> String {
    let mut text = String::new();
    render_to(format, document, style, &mut |piece| text.push_str(piece));
    text
}

/// [`render`], given to `out` piece by piece (each ends a line): a verify run's human
/// report goes out app by app, its JSON and SARIF reports and GitHub commands in
/// blocks of lines (a 20,000-app report is never held whole as text); the other
/// documents whole.
pub fn render_to(format: Format, document: &Document, style: Style, out: &mut dyn FnMut(&str)) {
    let cwd = || std::env::current_dir().ok();
    match document {
        Document::Verify(verified) => match format {
            Format::Human => match &verified.stopped {
                Some(printed) => out(&format!("{printed}{}\n", verified.summary())),
                None => human::verify_report_to(&Renderer::new(style), style, verified, out),
            },
            Format::Json => json::write_pretty(
                &json::report(
                    &verified.files,
                    &verified.runs,
                    &verified.problems,
                    verified.status,
                    &verified.info,
                    verified.base.as_deref(),
                ),
                out,
            ),
            Format::Github => github::write(
                &verified.annotations(),
                &verified.stopped_by(),
                &verified.summary(),
                out,
            ),
            Format::Sarif => sarif::write_verify(
                &verified.annotations(),
                &verified.stopped_by(),
                cwd().as_deref(),
                out,
            ),
            Format::Junit => out(&match verified.stopped {
                Some(_) => junit::stopped(&verified.files, &verified.problems),
                None => junit::render(&verified.runs, &verified.problems),
            }),
            Format::Markdown => out(&match verified.stopped {
                Some(_) => markdown::stopped(&verified.problems, &verified.summary()),
                None => markdown::render(
                    &verified.runs,
                    &verified.problems,
                    &verified.summary(),
                    verified.base.as_deref(),
                    &verified.apply_flags,
                ),
            }),
            Format::Prometheus => out(&prometheus::render(
                &verified.runs,
                &verified.info,
                verified.exit_code,
            )),
        },
        Document::Lint(linted) => out(&match format {
            Format::Human => {
                let renderer = Renderer::new(style);
                linted
                    .loaded
                    .iter()
                    .map(|l| human::lint_file(&renderer, l, linted.quiet, linted.warnings))
                    .collect()
            }
            Format::Json => json::render_lint(&linted.loaded, linted.warnings),
            Format::Github => github::render(
                &annotation::from_lint(&linted.loaded),
                &[],
                &linted
                    .loaded
                    .iter()
                    .map(human::lint_summary)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Format::Sarif => {
                sarif::render_lint(&annotation::from_lint(&linted.loaded), cwd().as_deref())
            }
            // Not offered for lint (Format::LINT): nothing to say.
            Format::Junit | Format::Markdown | Format::Prometheus => String::new(),
        }),
    }
}

/// Write the document in `format` to a `--report` file: replaced whole. A published
/// format (metrics) is readable by every user (0644), and beside it, when the run
/// completed (exit 0 or 1), the time of this last success (not beside a pipe or a
/// device: `/dev/null_success` is no place for a file).
pub fn write_report(
    format: Format,
    path: &std::path::Path,
    document: &Document,
    style: Style,
) -> Result<(), super::WriteError> {
    let text = render(format, document, style);
    if !format.published() {
        return super::write_file(path, &text);
    }
    let written = super::publish_file(path, &text)?;
    if let Document::Verify(verified) = document
        && verified.exit_code <= 1
        && written == super::Written::Replaced
    {
        let success = prometheus::success_path(path);
        super::publish_file(&success, &prometheus::render_success(&verified.info))?;
    }
    Ok(())
}
