//! Findings, failures and config problems as located annotations: what the GitHub
//! and SARIF formats show on the file.

use super::problem::Problem;
use crate::config::Loaded;
use crate::model::{App, AppResult, FileResults, Status};
use crate::model::{Finding, Kind, Severity};

/// One problem at one place in one file.
#[derive(Debug, Clone)]
pub struct Annotation {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub level: Level,
    /// Stable rule id, e.g. `cbcheck/missing_command`.
    pub rule: String,
    pub title: String,
    pub message: String,
    /// Stable across runs: the same problem keeps its fingerprint when lines move.
    pub fingerprint: String,
}

/// How loud an annotation is: a finding's or problem's severity, or a note for a
/// change a pull request makes (`verify --base`), which fails nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    /// As a GitHub workflow command names it.
    pub fn github(self) -> &'static str {
        match self {
            Level::Note => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// As SARIF names it.
    pub fn sarif(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl From<Severity> for Level {
    fn from(severity: Severity) -> Level {
        match severity {
            Severity::Notice => Level::Note,
            Severity::Warning => Level::Warning,
            Severity::Error => Level::Error,
        }
    }
}

/// The rule id of a finding kind, and of an app that could not be checked.
pub fn rule_id(kind: Kind) -> String {
    format!("cbcheck/{}", kind.id())
}

pub const FAILED_RULE: &str = "cbcheck/failed";

pub fn from_runs(runs: &[FileResults]) -> Vec<Annotation> {
    runs.iter()
        .flat_map(|run| {
            run.results
                .iter()
                .flat_map(move |r| app_annotations(run, r))
        })
        .collect()
}

fn app_annotations<'a>(run: &'a FileResults, result: &'a AppResult) -> Vec<Annotation> {
    let at = |offset: usize| run.config.source.line_col(offset);
    let app = &result.app;
    let title_of = |what: &str| format!("{}: {what}", app.title());
    if let Some(failure) = &result.failure {
        let (line, column) = at(app.spans.sdkappid.offset());
        return vec![Annotation {
            file: run.config.file.clone(),
            line,
            column,
            level: Level::Error,
            rule: FAILED_RULE.into(),
            title: title_of(&format!("could not be checked ({})", failure.class().id())),
            message: format!("{} — {}", failure.message(), failure.help()),
            fingerprint: format!("{}:failed", fingerprint_id(app)),
        }];
    }
    result
        .findings
        .iter()
        .map(|finding| {
            let (line, column) = at(finding.span.offset());
            let mut message = finding.message.clone();
            if let Some(help) = &finding.help {
                message.push_str(". ");
                message.push_str(help);
            }
            let pending = result.status() == Status::Pending;
            if let Some(fix) = &result.remediation {
                if pending {
                    let why = match result.base {
                        Some(crate::model::BaseMatch::NotDeclared) => "the app is new in the file",
                        _ => "live is as the base declares",
                    };
                    message.push_str(&format!(
                        ". Pending: {why}; applying the file calls {}",
                        fix.path()
                    ));
                } else {
                    message.push_str(&format!(". Fix: call {}", fix.path()));
                }
            }
            Annotation {
                file: run.config.file.clone(),
                line,
                column,
                // A pending change's findings are what the change does, not drift.
                level: if pending && finding.severity == Severity::Error {
                    Level::Note
                } else {
                    finding.severity.into()
                },
                rule: rule_id(finding.kind),
                title: if pending {
                    title_of(&format!("pending {}", finding.kind.id()))
                } else {
                    title_of(finding.kind.id())
                },
                message,
                fingerprint: format!(
                    "{}:{}:{}",
                    fingerprint_id(app),
                    finding.kind.id(),
                    subject(finding)
                ),
            }
        })
        .collect()
}

/// The app in a fingerprint: its SDKAppID, with the service when it is not Room
/// (`1400000002/call`), so Room fingerprints stay as they were.
fn fingerprint_id(app: &App) -> String {
    app.service.qualified(app.sdkappid, "/")
}

/// What a finding is about, for its fingerprint: the command, else the kind alone.
fn subject(finding: &Finding) -> &str {
    match finding.kind {
        Kind::MissingCommand => finding.desired.as_deref().unwrap_or(""),
        Kind::UnexpectedCommand | Kind::UnknownCommand => finding.live.as_deref().unwrap_or(""),
        Kind::Absent | Kind::UrlMismatch | Kind::InsecureUrl | Kind::UnwantedCallback => "callback",
        Kind::TokenAuthMismatch => "token_auth",
        // One of each kind per app: its callback URL's endpoint.
        Kind::EndpointUnresolvable
        | Kind::EndpointPrivate
        | Kind::EndpointUnreachable
        | Kind::TlsInvalid
        | Kind::CertExpiring
        | Kind::EndpointSlow => "endpoint",
    }
}

/// Every file's diagnostics, located.
pub fn from_lint(loaded: &[Loaded]) -> Vec<Annotation> {
    from_problems(&super::problem::from_loaded(loaded))
}

/// The problems located in a file (a problem of the run itself has no place to show).
pub fn from_problems(problems: &[Problem]) -> Vec<Annotation> {
    problems
        .iter()
        .filter_map(|problem| {
            let file = problem.file.as_ref()?;
            let mut message = problem.message.clone();
            if let Some(help) = &problem.help {
                message.push_str(". ");
                message.push_str(help);
            }
            // `cbcheck::config::unknown-key` → `cbcheck/config/unknown-key`.
            let rule = problem.code.replace("::", "/");
            Some(Annotation {
                file: file.clone(),
                line: problem.line.unwrap_or(1),
                column: problem.column.unwrap_or(1),
                level: problem.severity.into(),
                title: format!("{} ({})", problem.message, problem.code),
                fingerprint: format!("{rule}:{}", problem.message),
                rule,
                message,
            })
        })
        .collect()
}
