use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cbcheck::cli::Cli::parse_checked();
    ExitCode::from(cbcheck::run(cli).code())
}
