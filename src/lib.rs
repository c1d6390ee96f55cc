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
