//! The commands: each one loads, checks or changes, has its result rendered, and
//! turns it into an exit code. Only this layer decides exit codes.

mod apply;
mod check;
mod error;
mod export;
mod init;
mod input;
mod lint;
mod output;
mod schema;
mod verify;

use crate::cli::{self, Cli, Command};
use crate::config;
use crate::model;
use crate::model::key_names::KeyNames;
use crate::model::redact::Redaction;
use crate::report::human::{self, Renderer};
use crate::report::summary::Warnings;
use crate::report::{self, Style};
use crate::source::{self, api};

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

/// Run the command, reading keys and placeholder values from the process's environment.
pub fn run(cli: Cli) -> Outcome {
    run_in(cli, source::keys::Env::process())
}

/// Run the command with keys and placeholder values read from `env`: two runs in one
/// process share nothing.
pub fn run_in(cli: Cli, env: source::keys::Env) -> Outcome {
    let style = Style::for_stderr(cli.color.forced());
    match cli.command {
        Command::Lint(args) => match lint::Settings::new(args) {
            Ok(settings) => lint::lint(style, settings),
            Err(err) => error::fail(&Renderer::new(style), err, ""),
        },
        Command::Verify(args) => match verify::Settings::new(args, env) {
            Ok(settings) => verify::verify_files(style, settings),
            Err(err) => error::fail(&Renderer::new(style), err, ""),
        },
        Command::Apply {
            apps,
            dry_run,
            yes,
            format,
            live_from,
            network,
        } => {
            let quiet = apps.quiet;
            let (files, options) = match apps_options(apps, network, live_from, env) {
                Ok(parts) => parts,
                Err(err) => return error::fail(&Renderer::new(style), err, ""),
            };
            apply::run(
                style,
                &files,
                &options,
                apply::Consent::from_flags(dry_run, yes),
                quiet,
                format,
            )
        }
        Command::Export {
            sdkappids,
            region,
            identifier,
            service,
            from,
            output,
            literal_urls,
            live_from,
            network,
        } => {
            let scope = match (from, region) {
                (Some(file), _) => export::Scope::File(file),
                (None, Some(region)) => export::Scope::Ids {
                    sdkappids,
                    services: service.services(),
                    region,
                    identifier,
                },
                // clap requires one of them.
                (None, None) => return Outcome::Invalid,
            };
            let options = source::FetchOptions {
                live_from,
                ..network_options(network, env)
            };
            export::run(style, scope, output.as_deref(), literal_urls, &options)
        }
        Command::Init { file, force } => init::init(style, &file, force),
        Command::Schema { report, plan, lint } => schema::schema(style, report, plan, lint),
        Command::Completions { shell } => schema::completions(style, shell),
    }
}

/// The files, and the options the app selection, network flags and `--live-from`
/// describe; no file to read is reported here (exit 2).
fn apps_options(
    apps: cli::AppsArgs,
    network: cli::NetworkArgs,
    live_from: Option<std::path::PathBuf>,
    env: source::keys::Env,
) -> Result<(Vec<std::path::PathBuf>, source::FetchOptions), error::Error> {
    let files = input::files(apps.files)?;
    let options = source::FetchOptions {
        selectors: apps.apps,
        redaction: Redaction::new(apps.show_secrets),
        live_from,
        ..network_options(network, env)
    };
    Ok((files, options))
}

/// `--deny-warnings`: warnings fail the run.
pub(super) fn warnings(deny_warnings: bool) -> Warnings {
    if deny_warnings {
        Warnings::Fail
    } else {
        Warnings::Pass
    }
}

/// The client options the network flags describe.
fn network_options(network: cli::NetworkArgs, env: source::keys::Env) -> source::FetchOptions {
    source::FetchOptions {
        env,
        endpoint: network.endpoint,
        allowed_endpoints: network.allow.hosts(),
        client: api::ClientOptions {
            timeout: network.timeout,
            // The run's clock starts here, as the command starts.
            deadline: network.deadline.and_then(api::Deadline::from_now),
            concurrency: usize::from(network.concurrency),
            max_rps: network.max_rps,
            ..api::ClientOptions::default()
        },
        ..source::FetchOptions::default()
    }
}

/// The options, with each app's read told to `progress`; `doing` is what the bar
/// says is done to the apps ("checking").
pub(super) fn observed(
    options: &source::FetchOptions,
    progress: &std::sync::Arc<report::progress::Progress>,
    doing: &'static str,
) -> source::FetchOptions {
    let progress = std::sync::Arc::clone(progress);
    let mut options = options.clone();
    options.client.observer = api::Observer::new(move |tick| match tick {
        api::Tick::Started { apps } => progress.start(doing, apps),
        api::Tick::Done { failed } => progress.done(failed),
        api::Tick::Finished => progress.clear(),
    });
    options
}

/// Print to stdout; a failed write (not a closed pipe) is reported and exits 2.
pub(super) fn stdout_outcome(style: Style, text: &str) -> Outcome {
    match report::print_stdout(text) {
        Ok(()) => Outcome::Clean,
        Err(err) => error::fail(&Renderer::new(style), err, ""),
    }
}

/// Files that stop the run before any request: every file read (for the machine
/// formats to say so), and what stderr was shown of the invalid ones.
pub(super) struct Invalid {
    pub loaded: Vec<config::Loaded>,
    pub printed: String,
}

/// The files a run checks, and the key sources they name.
pub(super) struct Files {
    pub loaded: Vec<config::Loaded>,
    pub keys: KeyNames,
}

/// Load every file, and find the run's key sources in them; if one is invalid
/// (a placeholder naming a key source in any file makes it so), each invalid file is
/// reported on stderr as `lint` would (quiet or not) and the run stops (exit 2)
/// before any request is made.
pub(super) fn load_all(
    renderer: &Renderer,
    files: &[std::path::PathBuf],
    redaction: &Redaction,
    quiet: bool,
) -> Result<Files, Invalid> {
    let mut loaded: Vec<config::Loaded> = files
        .iter()
        .map(|file| config::load(file, redaction))
        .collect();
    let keys = config::check_key_placeholders(&mut loaded);
    if loaded.iter().all(|l| l.config.is_some()) {
        return Ok(Files { loaded, keys });
    }
    let printed: String = loaded
        .iter()
        .filter(|l| l.config.is_none())
        .map(|l| human::lint_file(renderer, l, quiet, Warnings::Pass))
        .collect();
    human::eprint(&printed);
    Err(Invalid { loaded, printed })
}

/// The files' names, as every report gives them.
pub(super) fn names(loaded: &[config::Loaded]) -> Vec<String> {
    loaded.iter().map(|l| l.file.clone()).collect()
}

/// Check the selectors and verify every file; the error is a problem that stops the
/// run (usage: exit 2; the client could not be set up: 4).
fn verify_all(
    configs: Vec<config::Config>,
    keys: &KeyNames,
    options: &source::FetchOptions,
    remote: &mut source::Remote,
) -> Result<Vec<model::FileResults>, error::Error> {
    check::check_selectors(&configs, &options.selectors)?;
    Ok(check::verify(configs, keys, options, remote)?)
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

/// An endpoint the operator allowed is not worth a warning (nor, under
/// --deny-warnings, a failure).
pub(super) fn forget_allowed_endpoints(
    loaded: &mut [config::Loaded],
    allowed: &api::endpoint::AllowList,
) {
    for file in loaded {
        file.forget_allowed_endpoints(|url| api::endpoint::file_may_use(url, allowed));
    }
}

/// The exit outcome of a verification: the worst app decides; an error outranks drift.
pub fn verify_outcome(runs: &[model::FileResults], warnings: Warnings) -> Outcome {
    runs.iter()
        .flat_map(|run| &run.results)
        .map(|result| match (&result.failure, result.status()) {
            (Some(failure), _) => failure_outcome(failure),
            (None, model::Status::Drifted) => Outcome::Drift,
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
