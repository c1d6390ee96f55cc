use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cbcheck::cli::Cli::parse();
    ExitCode::from(cbcheck::run(cli).code())
}
