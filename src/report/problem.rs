//! Problems with a run's input rather than with an app: each file's diagnostics, and
//! what stopped a run before any app was checked. Every machine format carries them,
//! so a CI job or a cron archive never holds an empty report.

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::{ConfigDiagnostic, Loaded};
use crate::model::Severity;

/// A problem with a callbacks file, or with the run itself.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// The callbacks file it is about; null for a problem of the run itself (an
    /// `--app` that matches no app, an unusable `--live-from` snapshot, an SDKAppID
    /// declared in two files).
    pub file: Option<String>,
    /// Stable code, e.g. `cbcheck::config::unknown-key` or `cbcheck::usage::no_such_app`.
    pub code: String,
    /// `error` makes the file invalid (exit 2); a `warning` does so under --deny-warnings.
    pub severity: Severity,
    /// What is wrong (secret values never appear in it).
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// 1-based line in the file; null when the problem has no place in it (the file
    /// could not be read).
    pub line: Option<usize>,
    /// 1-based column, in characters; null with `line`.
    pub column: Option<usize>,
}

impl Problem {
    /// A problem of the run itself: any error with a code, such as the one that
    /// stopped the run.
    pub fn of_run(error: &dyn miette::Diagnostic) -> Problem {
        Problem {
            file: None,
            // Every error of the crate has a code; a generic one keeps the field meaningful.
            code: error
                .code()
                .map_or_else(|| "cbcheck::run".to_owned(), |c| c.to_string()),
            severity: Severity::Error,
            message: error.to_string(),
            help: error.help().map(|h| h.to_string()),
            line: None,
            column: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every diagnostic of every file, in file order and then in each file's report order.
pub fn from_loaded(loaded: &[Loaded]) -> Vec<Problem> {
    loaded
        .iter()
        .flat_map(|file| file.diagnostics.iter().map(|d| of_file(&file.file, d)))
        .collect()
}

fn of_file(file: &str, diagnostic: &ConfigDiagnostic) -> Problem {
    let place = diagnostic.line_col();
    Problem {
        file: Some(file.to_owned()),
        code: diagnostic.rule.code().to_owned(),
        severity: if diagnostic.is_error() {
            Severity::Error
        } else {
            Severity::Warning
        },
        message: diagnostic.message.clone(),
        help: diagnostic.help.clone(),
        line: place.map(|(line, _)| line),
        column: place.map(|(_, column)| column),
    }
}
