//! What stops a command, or fails one of its outputs, and the exit code it means:
//! decided and printed here, once for every command.

use super::Outcome;
use super::check::SelectionError;
use super::input::InputError;
use crate::report::human::Stderr;
use crate::report::{self, WriteError};
use crate::source::VerifyError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(super) enum Error {
    /// The selectors or files do not make one set of apps.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Selection(#[from] SelectionError),
    /// No file to read, or stdin named twice.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] InputError),
    /// No live state at all: the snapshot, the client or the runtime.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Verify(#[from] VerifyError),
    /// An output (stdout, a report, the step summary, an exported file) could not be written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Write(#[from] WriteError),
    /// Outputs that cannot all be written where they go.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Output(#[from] super::output::OutputError),
    /// A `--base` file that cannot be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Base(#[from] super::base::Unreadable),
    /// `export --sdkappid`/`--sdkappid-file` that make no fleet.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fleet(#[from] super::export::FleetError),
    /// Flags that clap lets through together but that make no command.
    #[error("{0}")]
    #[diagnostic(code(usage))]
    Usage(&'static str),
    /// apply's client could not be set up once the plan was made: nothing was changed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NothingChanged(VerifyError),
    /// A saved plan that `apply --plan` refuses whole: nothing was sent.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] super::apply_plan::PlanError),
    /// Two errors, printed in this order (the run's, then an output's).
    #[error("{0}")]
    Then(Box<Error>, Box<Error>),
}

impl Error {
    /// Usage and outputs exit 2; a client or runtime that cannot be set up, 4.
    pub(super) fn outcome(&self) -> Outcome {
        match self {
            Error::Verify(VerifyError::Client(_) | VerifyError::Runtime(_))
            | Error::NothingChanged(VerifyError::Client(_) | VerifyError::Runtime(_)) => {
                Outcome::Api
            }
            Error::Then(first, second) => first.outcome().max(second.outcome()),
            Error::Selection(_)
            | Error::Input(_)
            | Error::Base(_)
            | Error::Output(_)
            | Error::Verify(_)
            | Error::Write(_)
            | Error::Usage(_)
            | Error::Fleet(_)
            | Error::Plan(_)
            | Error::NothingChanged(_) => Outcome::Invalid,
        }
    }

    /// What the error meant for the run, printed after it.
    fn after(&self) -> &'static str {
        match self {
            Error::NothingChanged(_) | Error::Plan(_) => report::apply::NOTHING_CHANGED,
            _ => "",
        }
    }
}

/// Print the error (then what it meant for the run) and give its outcome.
pub(super) fn fail(stderr: &Stderr, err: impl Into<Error>) -> Outcome {
    match err.into() {
        Error::Then(first, second) => fail(stderr, *first).max(fail(stderr, *second)),
        err => {
            stderr.error(&err, err.after());
            err.outcome()
        }
    }
}
