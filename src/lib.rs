//! cbcheck: a declarative, GitOps-style drift checker for Tencent Chat/TRTC Room
//! callback configuration.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod api;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod drift;
pub mod redact;
pub mod region;
pub mod report;
pub mod secret;
pub mod usersig;
pub mod verify;

use cli::{Cli, Command, Format};
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

/// The exit outcome of a verification: the worst app decides; an error outranks drift.
pub fn verify_outcome(run: &verify::Run, deny_warnings: bool) -> Outcome {
    run.results
        .iter()
        .map(|result| match (&result.failure, result.status()) {
            (Some(failure), _) if failure.is_credentials() => Outcome::Credentials,
            (Some(_), _) => Outcome::Api,
            (None, verify::Status::Drifted) => Outcome::Drift,
            (None, _) if deny_warnings && result.warnings() > 0 => Outcome::Drift,
            (None, _) => Outcome::Clean,
        })
        .max()
        .unwrap_or(Outcome::Clean)
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
                let loaded = config::load(file, redact::Redaction::default());
                human::eprint(&human::lint_report(&renderer, &loaded));
                if loaded.errors() > 0 || (deny_warnings && loaded.warnings() > 0) {
                    outcome = Outcome::Invalid;
                }
            }
            outcome
        }
        Command::Verify {
            file,
            apps,
            format,
            live_from,
            deny_warnings,
            show_secrets,
            network,
        } => {
            let style = Style::for_stderr(cli.color);
            let renderer = Renderer::new(style);
            let redaction = redact::Redaction { show_secrets };
            let loaded = config::load(&file, redaction);
            let Some(config) = loaded.config else {
                human::eprint(&human::lint_report(&renderer, &loaded));
                return Outcome::Invalid;
            };
            if format == Format::Human {
                for diagnostic in &loaded.diagnostics {
                    human::eprint(&format!("{}\n", renderer.render(diagnostic)));
                }
            }
            let options = verify::VerifyOptions {
                selectors: apps,
                live_from,
                endpoint: network.endpoint,
                client: api::ClientOptions {
                    timeout: std::time::Duration::from_secs(network.timeout),
                    concurrency: usize::from(network.concurrency),
                    max_rps: network.max_rps,
                    ..api::ClientOptions::default()
                },
                redaction,
            };
            match verify::verify(config, &options) {
                Ok(run) => {
                    match format {
                        Format::Human => {
                            human::eprint(&human::verify_report(&renderer, style, &run))
                        }
                        Format::Json => {
                            for notice in &run.notices {
                                human::eprint(&format!("warning: {notice}\n"));
                            }
                            report::print_stdout(&report::json::render(&run));
                        }
                    }
                    verify_outcome(&run, deny_warnings)
                }
                Err(err) => {
                    human::eprint(&format!("{}\n", renderer.render(&err)));
                    match err {
                        verify::VerifyError::Client(_) | verify::VerifyError::Runtime(_) => {
                            Outcome::Api
                        }
                        _ => Outcome::Invalid,
                    }
                }
            }
        }
        Command::Schema { report } => {
            report::print_stdout(&if report {
                report::json::schema_json()
            } else {
                config::schema_json()
            });
            Outcome::Clean
        }
    }
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
