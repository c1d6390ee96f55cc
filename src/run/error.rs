//! What stops a command, or fails one of its outputs, and the exit code it means:
//! decided and printed here, once for every command.

use super::Outcome;
use super::check::SelectionError;
use super::input::InputError;
use crate::report::WriteError;
use crate::report::human::{self, Renderer};
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
    /// Flags that clap lets through together but that make no command.
    #[error("{0}")]
    #[diagnostic(code(usage))]
    Usage(&'static str),
}

impl Error {
    /// Usage and outputs exit 2; a client or runtime that cannot be set up, 4.
    pub(super) fn outcome(&self) -> Outcome {
        match self {
            Error::Verify(VerifyError::Client(_) | VerifyError::Runtime(_)) => Outcome::Api,
            Error::Selection(_)
            | Error::Input(_)
            | Error::Verify(_)
            | Error::Write(_)
            | Error::Usage(_) => Outcome::Invalid,
        }
    }
}

/// Print the error (then `after`, what it meant for the run) and give its outcome.
pub(super) fn fail(renderer: &Renderer, err: impl Into<Error>, after: &str) -> Outcome {
    let err = err.into();
    human::eprint(&format!("{}\n{after}", renderer.render(&err)));
    err.outcome()
}
