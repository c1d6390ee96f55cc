//! The commands: each one loads, checks or changes, has its result rendered, and
//! turns it into an exit code. Only this layer decides exit codes.

mod apply;
mod apply_plan;
mod base;
mod check;
mod error;
mod export;
mod init;
mod input;
mod lint;
mod load;
mod options;
mod outcome;
mod output;
mod schema;
mod verify;

pub use outcome::Outcome;

use crate::cli::{Cli, Command};
use crate::report::Style;
use crate::report::human::Stderr;
use crate::source;

/// Run the command, reading keys and placeholder values from the process's environment.
pub fn run(cli: Cli) -> Outcome {
    run_in(cli, source::keys::Env::process())
}

/// Run the command with keys and placeholder values read from `env`: two runs in one
/// process share nothing.
pub fn run_in(cli: Cli, env: source::keys::Env) -> Outcome {
    let stderr = Stderr::new(Style::for_stderr(cli.color.forced()));
    match command(cli.command, &stderr, env) {
        Ok(outcome) => outcome,
        // The one place where an error that stops a command is printed.
        Err(err) => error::fail(&stderr, err),
    }
}

/// Run one command: its outcome, or the error that stopped it.
fn command(
    command: Command,
    stderr: &Stderr,
    env: source::keys::Env,
) -> Result<Outcome, error::Error> {
    Ok(match command {
        Command::Lint(args) => lint::lint(stderr, lint::Settings::new(args)?)?,
        Command::Verify(args) => verify::verify_files(stderr, verify::Settings::new(args, env)?),
        Command::Apply(args) => apply::run(stderr, apply::Settings::new(args, env)?)?,
        Command::Export(args) => export::run(stderr, export::Settings::new(args, env)?)?,
        Command::Init { file, force } => init::init(stderr, &file, force)?,
        Command::Schema {
            report,
            plan,
            apply,
            lint,
        } => schema::schema(report, plan, apply, lint)?,
        Command::Completions { shell } => schema::completions(shell)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file whose callback URL carries `${RUN_TWICE_TOKEN}` in its path, live as
    /// `live_path`, verified with `env`: the outcome and the JSON report.
    fn verify_in(env: source::keys::Env, live_path: &str) -> (Outcome, String) {
        use clap::Parser;
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("callbacks.yaml");
        let snapshot = dir.path().join("live.json");
        let report = dir.path().join("report.json");
        std::fs::write(
            &file,
            "version: 1\napps:\n  - sdkappid: 1400000001\n    region: singapore\n    identifier: administrator\n    callback:\n      url: https://hooks.example.com/${RUN_TWICE_TOKEN}/room\n      commands: [Room.CallbackAfterCreateRoom]\n",
        )
        .expect("write file");
        let live = serde_json::json!({"1400000001": {"ErrorCode": 0, "ActionStatus": "OK",
            "Response": {"Url": format!("https://hooks.example.com/{live_path}/room"),
                "CallbackCommandList": ["Room.CallbackAfterCreateRoom"]}}});
        std::fs::write(&snapshot, live.to_string()).expect("write snapshot");
        let cli = Cli::try_parse_from([
            "cbcheck".as_ref(),
            "verify".as_ref(),
            file.as_os_str(),
            "--live-from".as_ref(),
            snapshot.as_os_str(),
            "--show-secrets".as_ref(),
            "--quiet".as_ref(),
            "--report".as_ref(),
            format!("json={}", report.display()).as_ref(),
        ])
        .expect("arguments");
        let outcome = run_in(cli, env);
        (outcome, std::fs::read_to_string(report).expect("report"))
    }

    #[test]
    fn two_runs_in_one_process_share_nothing() {
        const FIRST: &str = "first-run-value-7f3a";
        const SECOND: &str = "second-run-value-0b1a";
        // Live has the first value: in sync with the first environment, and shown by
        // its name there.
        let (outcome, report) =
            verify_in(source::keys::Env::of([("RUN_TWICE_TOKEN", FIRST)]), FIRST);
        assert_eq!(outcome, Outcome::Clean, "{report}");
        assert!(!report.contains(FIRST), "{report}");
        // The same file and live state with another value: drift, and the first
        // run's value is no placeholder of this run: --show-secrets shows it.
        let (outcome, report) =
            verify_in(source::keys::Env::of([("RUN_TWICE_TOKEN", SECOND)]), FIRST);
        assert_eq!(outcome, Outcome::Drift, "{report}");
        assert!(report.contains(FIRST), "{report}");
        assert!(!report.contains(SECOND), "{report}");
    }
}
