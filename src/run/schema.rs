//! `cbcheck schema` and `cbcheck completions`: generated text on stdout.

use super::Outcome;
use super::output::stdout_outcome;
use crate::cli::Cli;
use crate::report::Style;
use crate::{config, report};

pub(super) fn schema(style: Style, report: bool, plan: bool, lint: bool) -> Outcome {
    let schema = if report {
        report::json::schema_json()
    } else if plan {
        report::plan::schema_json()
    } else if lint {
        report::json::lint_schema_json()
    } else {
        config::schema_json()
    };
    stdout_outcome(style, &schema)
}

pub(super) fn completions(style: Style, shell: clap_complete::Shell) -> Outcome {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "cbcheck", &mut script);
    stdout_outcome(style, &String::from_utf8_lossy(&script))
}
