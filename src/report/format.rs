//! The output formats: their names, what the command line says of each, where each
//! goes on the terminal, and which renderer writes it. The one list of formats: the
//! command line offers it (`cli`), `run` only decides where each output goes.

use super::Commands;

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
            Format::Junit => "JUnit XML: one testsuite per file, one testcase per app (verify only)",
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
