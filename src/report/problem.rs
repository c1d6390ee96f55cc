//! Problems with a run's input rather than with an app: each file's diagnostics, and
//! what stopped a run before any app was checked. Every machine format carries them,
//! so a CI job or a cron archive never holds an empty report.

use schemars::JsonSchema;
use serde::Serialize;

use crate::config::{ConfigDiagnostic, Loaded, Rule};
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
    /// `error` makes the file invalid (exit 2); a `warning` does so under
    /// --deny-warnings; a `notice` never does.
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
    /// Only on the problem that stands for a file's problems past the first 1,000
    /// (code `cbcheck::config::too-many-problems`): how many it counts, by severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omitted: Option<OmittedCount>,
}

/// The problems of a file that no report lists, one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OmittedCount {
    pub errors: usize,
    pub warnings: usize,
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
            omitted: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// How many problems it stands for: itself, or the problems it counts.
    pub fn count(&self) -> usize {
        self.omitted
            .map_or(1, |count| count.errors + count.warnings)
    }

    /// How many errors it stands for: itself, or the errors it counts.
    pub fn errors(&self) -> usize {
        match self.omitted {
            Some(count) => count.errors,
            None => usize::from(self.is_error()),
        }
    }
}

/// Every diagnostic of every file, in file order and then in each file's report order.
pub fn from_loaded(loaded: &[Loaded]) -> Vec<Problem> {
    loaded
        .iter()
        .flat_map(|file| {
            let errors = file.omitted.iter().filter(|o| o.error).count();
            let count = OmittedCount {
                errors,
                warnings: file.omitted.len() - errors,
            };
            file.listed().map(move |d| {
                let omitted = (d.rule == Rule::TooManyProblems).then_some(count);
                of_file(&file.file, &d, omitted)
            })
        })
        .collect()
}

fn of_file(file: &str, diagnostic: &ConfigDiagnostic, omitted: Option<OmittedCount>) -> Problem {
    let place = diagnostic.line_col();
    Problem {
        file: Some(file.to_owned()),
        code: diagnostic.rule.code().to_owned(),
        severity: if diagnostic.is_error() {
            Severity::Error
        } else if diagnostic.is_warning() {
            Severity::Warning
        } else {
            Severity::Notice
        },
        message: diagnostic.message.clone(),
        help: diagnostic.help.clone(),
        line: place.map(|(line, _)| line),
        column: place.map(|(_, column)| column),
        omitted,
    }
}
