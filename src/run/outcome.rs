//! How a run ends, and the exit code each ending means (docs/exit-codes.md): only
//! this layer decides them.

use crate::model;
use crate::report::summary::Warnings;

/// How a run ended. Each outcome has its own exit code (docs/exit-codes.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Every app in sync, or the file is valid.
    Clean,
    /// Drift found.
    Drift,
    /// Invalid config or usage.
    Invalid,
    /// Credentials missing or rejected.
    Credentials,
    /// The API could not be reached or kept failing.
    Api,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Drift => 1,
            Outcome::Invalid => 2,
            Outcome::Credentials => 3,
            Outcome::Api => 4,
        }
    }
}

/// An app that could not be checked: a file endpoint the operator did not allow
/// exits 2 (the file is at fault), refused or missing credentials 3, everything else 4.
pub fn failure_outcome(failure: &model::Failure) -> Outcome {
    if failure.class() == model::ErrorClass::EndpointNotAllowed {
        Outcome::Invalid
    } else if failure.is_credentials() {
        Outcome::Credentials
    } else {
        Outcome::Api
    }
}

/// The exit outcome of a verification: the worst app decides; an error outranks drift.
pub fn verify_outcome(runs: &[model::FileResults], warnings: Warnings) -> Outcome {
    runs.iter()
        .flat_map(|run| &run.results)
        .map(|result| match (&result.failure, result.status()) {
            (Some(failure), _) => failure_outcome(failure),
            (None, model::Status::Drifted | model::Status::Unhealthy) => Outcome::Drift,
            (None, _) if warnings.fail(result.warnings()) => Outcome::Drift,
            (None, _) => Outcome::Clean,
        })
        .max()
        .unwrap_or(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_documented_ones_and_errors_outrank_drift() {
        let codes: Vec<u8> = [
            Outcome::Clean,
            Outcome::Drift,
            Outcome::Invalid,
            Outcome::Credentials,
            Outcome::Api,
        ]
        .map(Outcome::code)
        .to_vec();
        assert_eq!(codes, [0, 1, 2, 3, 4]);
        assert_eq!(
            Outcome::Drift.max(Outcome::Credentials),
            Outcome::Credentials
        );
        assert_eq!(Outcome::Drift.max(Outcome::Clean), Outcome::Drift);
    }
}
