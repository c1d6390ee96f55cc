//! cbcheck: a declarative, GitOps-style drift checker for Tencent Chat/TRTC Room
//! callback configuration.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod api;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod region;
pub mod report;
pub mod secret;
pub mod usersig;

use cli::{Cli, Command};
use report::Style;
use report::human::{self, Renderer};

/// How a run ended. Each outcome has its own exit code (documented in the README).
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

impl From<&api::ApiError> for Outcome {
    /// Refused credentials exit 3; an API or network failure exits 4.
    fn from(err: &api::ApiError) -> Outcome {
        if err.is_auth() {
            Outcome::Credentials
        } else {
            Outcome::Api
        }
    }
}

impl From<&credentials::MissingCredentials> for Outcome {
    fn from(_: &credentials::MissingCredentials) -> Outcome {
        Outcome::Credentials
    }
}

pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Lint {
            files,
            deny_warnings,
        } => {
            let renderer = Renderer::new(Style::for_stderr(cli.color));
            let mut outcome = Outcome::Clean;
            for file in &files {
                let loaded = config::load(file);
                human::eprint(&human::lint_report(&renderer, &loaded));
                if loaded.errors() > 0 || (deny_warnings && loaded.warnings() > 0) {
                    outcome = Outcome::Invalid;
                }
            }
            outcome
        }
        Command::Schema => {
            report::print_stdout(&config::schema_json());
            Outcome::Clean
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_exit_codes_and_errors_outrank_drift() {
        let auth = api::ApiError::Auth {
            interface: "v4/room_config/get_callback",
            sdkappid: 1,
            code: 70_009,
            info: String::new(),
            request_id: None,
        };
        let gave_up = api::ApiError::GaveUp {
            interface: "v4/room_config/get_callback",
            sdkappid: 1,
            attempts: 4,
            reason: "HTTP 502".into(),
            request_id: None,
        };
        let missing = credentials::MissingCredentials {
            sdkappid: 1,
            tried: vec![],
        };
        assert_eq!(Outcome::from(&auth).code(), 3);
        assert_eq!(Outcome::from(&gave_up).code(), 4);
        assert_eq!(Outcome::from(&missing).code(), 3);
        // The worst outcome of a run is its maximum.
        assert_eq!(
            Outcome::Drift.max(Outcome::Credentials),
            Outcome::Credentials
        );
        assert_eq!(Outcome::Drift.max(Outcome::Clean), Outcome::Drift);
    }
}
