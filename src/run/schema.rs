//! `cbcheck schema` and `cbcheck completions`: generated text on stdout.

use super::Outcome;
use super::error::Error;
use crate::cli::Cli;
use crate::{config, report};

pub(super) fn schema(report: bool, plan: bool, apply: bool, lint: bool) -> Result<Outcome, Error> {
    let schema = if report {
        report::json::schema_json()
    } else if plan {
        report::plan::schema_json()
    } else if apply {
        report::apply::schema_json()
    } else if lint {
        report::json::lint_schema_json()
    } else {
        config::schema_json()
    };
    report::print_stdout(&schema)?;
    Ok(Outcome::Clean)
}

pub(super) fn completions(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "cbcheck", &mut script);
    report::print_stdout(&String::from_utf8_lossy(&script))?;
    Ok(Outcome::Clean)
}
