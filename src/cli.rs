//! Command-line definitions (clap). No logic here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::ColorChoice;

const EXIT_CODES: &str = "\
Exit codes:
  0  every app in sync / the file is valid
  1  drift found
  2  invalid config or usage
  3  credentials missing or rejected
  4  the API could not be reached or kept failing";

/// Declarative drift checker for Tencent Chat/TRTC Room callback configuration.
#[derive(Debug, Parser)]
#[command(name = "cbcheck", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check callbacks files offline: no credentials, no network.
    #[command(after_help = "\
Examples:
  cbcheck lint callbacks.yaml
  cbcheck lint --deny-warnings envs/*.yaml

Diagnostics and a summary line per file go to stderr. Exits 0 when every file is valid
(warnings allowed), 2 when one is invalid or, with --deny-warnings, has warnings.")]
    Lint {
        /// The callbacks files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,

        /// Treat warnings as errors (exit 2).
        #[arg(long)]
        deny_warnings: bool,
    },

    /// Print the JSON Schema of the callbacks file.
    #[command(after_help = "\
Example:
  cbcheck schema > schemas/callbacks.schema.json

Point editors at it with a modeline on the first line of callbacks.yaml:
  # yaml-language-server: $schema=./schemas/callbacks.schema.json")]
    Schema,
}
