//! cbcheck: a declarative, GitOps-style drift checker for Tencent Chat/TRTC Room
//! callback configuration.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod api;
pub mod apply;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod drift;
pub mod export;
pub mod model;
pub mod report;
pub mod secret;
pub mod usersig;
pub mod verify;

pub use model::redact::Redaction;
pub use model::region::Region;

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

pub fn run(cli: Cli) -> Outcome {
    let style = Style::for_stderr(cli.color);
    match cli.command {
        Command::Lint {
            files,
            deny_warnings,
            format,
            reports,
            allow,
        } => lint(
            style,
            &files,
            deny_warnings,
            format,
            &reports,
            &allow.hosts(),
        ),
        Command::Verify {
            files,
            apps,
            format,
            reports,
            live_from,
            deny_warnings,
            show_secrets,
            network,
        } => {
            let options = verify::VerifyOptions {
                selectors: apps,
                live_from,
                redaction: Redaction { show_secrets },
                ..network_options(network)
            };
            verify_files(style, &files, &options, deny_warnings, format, &reports)
        }
        Command::Apply {
            files,
            apps,
            dry_run,
            yes,
            show_secrets,
            network,
        } => {
            let options = verify::VerifyOptions {
                selectors: apps,
                redaction: Redaction { show_secrets },
                ..network_options(network)
            };
            apply::run(
                style,
                &files,
                &options,
                apply::Consent::from_flags(dry_run, yes),
            )
        }
        Command::Export {
            sdkappids,
            region,
            identifier,
            from,
            output,
            network,
        } => {
            let source = match (from, region) {
                (Some(file), _) => export::Source::File(file),
                (None, Some(region)) => export::Source::Ids {
                    sdkappids,
                    region,
                    identifier,
                },
                // clap requires one of them.
                (None, None) => return Outcome::Invalid,
            };
            export::run(style, source, output.as_deref(), &network_options(network))
        }
        Command::Schema { report } => {
            let schema = if report {
                report::json::schema_json()
            } else {
                config::schema_json()
            };
            stdout_outcome(style, &schema)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "cbcheck", &mut script);
            stdout_outcome(style, &String::from_utf8_lossy(&script))
        }
    }
}

/// The client options the network flags describe.
fn network_options(network: cli::NetworkArgs) -> verify::VerifyOptions {
    verify::VerifyOptions {
        endpoint: network.endpoint,
        allowed_endpoints: network.allow.hosts(),
        client: api::ClientOptions {
            timeout: std::time::Duration::from_secs(network.timeout),
            concurrency: usize::from(network.concurrency),
            max_rps: network.max_rps,
            ..api::ClientOptions::default()
        },
        ..verify::VerifyOptions::default()
    }
}

/// Print to stdout; a failed write (not a closed pipe) is reported and exits 2.
fn stdout_outcome(style: Style, text: &str) -> Outcome {
    match report::print_stdout(text) {
        Ok(()) => Outcome::Clean,
        Err(err) => {
            human::eprint(&format!("{}\n", Renderer::new(style).render(&err)));
            Outcome::Invalid
        }
    }
}

/// Where a rendered report goes: the terminal (stdout, or stderr for human) or a file.
enum Sink<'a> {
    Terminal,
    File(&'a std::path::Path),
}

/// The chosen format on the terminal, then every `--report FORMAT=PATH`.
fn sinks<'a>(
    format: Format,
    reports: &'a [cli::ReportFile],
) -> impl Iterator<Item = (Format, Sink<'a>)> {
    std::iter::once((format, Sink::Terminal))
        .chain(reports.iter().map(|r| (r.format, Sink::File(&r.path))))
}

/// Load every file; if one is invalid, each invalid file is reported as `lint`
/// would and the run stops (exit 2) before any request is made.
pub(crate) fn load_all(
    renderer: &Renderer,
    files: &[std::path::PathBuf],
    redaction: Redaction,
) -> Result<Vec<config::Loaded>, Outcome> {
    let loaded: Vec<config::Loaded> = files
        .iter()
        .map(|file| config::load(file, redaction))
        .collect();
    if loaded.iter().any(|l| l.config.is_none()) {
        for file in loaded.iter().filter(|l| l.config.is_none()) {
            human::eprint(&human::lint_report(renderer, file));
        }
        return Err(Outcome::Invalid);
    }
    Ok(loaded)
}

/// Check the selectors and verify every file; a problem that stops the run is
/// reported with its exit outcome (usage: 2; the client could not be set up: 4).
pub(crate) fn verify_all(
    renderer: &Renderer,
    configs: Vec<config::Config>,
    options: &verify::VerifyOptions,
) -> Result<Vec<verify::Run>, Outcome> {
    let stop = |err: verify::VerifyError| {
        human::eprint(&format!("{}\n", renderer.render(&err)));
        match err {
            verify::VerifyError::Client(_) | verify::VerifyError::Runtime(_) => Outcome::Api,
            _ => Outcome::Invalid,
        }
    };
    verify::check_selectors(&configs, &options.selectors).map_err(stop)?;
    configs
        .into_iter()
        .map(|config| verify::verify(config, options).map_err(stop))
        .collect()
}

/// An app that could not be checked: a file endpoint the operator did not allow
/// exits 2 (the file is at fault), refused or missing credentials 3, everything else 4.
pub fn failure_outcome(failure: &verify::Failure) -> Outcome {
    if failure.class() == verify::ErrorClass::EndpointNotAllowed {
        Outcome::Invalid
    } else if failure.is_credentials() {
        Outcome::Credentials
    } else {
        Outcome::Api
    }
}

/// Write one rendered report; a file that cannot be written is a usage error.
fn emit(format: Format, sink: Sink<'_>, text: &str, renderer: &Renderer) -> Result<(), Outcome> {
    let written = match sink {
        Sink::Terminal if format == Format::Human => {
            human::eprint(text);
            Ok(())
        }
        Sink::Terminal => report::print_stdout(text),
        Sink::File(path) => report::write_file(path, text),
    };
    written.map_err(|err| {
        human::eprint(&format!("{}\n", renderer.render(&err)));
        Outcome::Invalid
    })
}

/// An endpoint the operator allowed is not worth a warning (nor, under
/// --deny-warnings, a failure).
fn forget_allowed_endpoints(loaded: &mut [config::Loaded], allowed: &api::endpoint::AllowList) {
    for file in loaded {
        file.forget_allowed_endpoints(|url| api::endpoint::file_may_use(url, allowed));
    }
}

fn lint(
    style: Style,
    files: &[std::path::PathBuf],
    deny_warnings: bool,
    format: Format,
    reports: &[cli::ReportFile],
    allowed_endpoints: &api::endpoint::AllowList,
) -> Outcome {
    let renderer = Renderer::new(style);
    let mut loaded: Vec<config::Loaded> = files
        .iter()
        .map(|file| config::load(file, Redaction::default()))
        .collect();
    forget_allowed_endpoints(&mut loaded, allowed_endpoints);
    let failed = loaded
        .iter()
        .any(|l| l.errors() > 0 || (deny_warnings && l.warnings() > 0));
    let mut outcome = if failed {
        Outcome::Invalid
    } else {
        Outcome::Clean
    };
    for (format, sink) in sinks(format, reports) {
        let text = match format {
            Format::Human => loaded
                .iter()
                .map(|l| human::lint_report(&renderer, l))
                .collect(),
            Format::Github => report::github::render(
                &report::annotation::from_lint(&loaded),
                &loaded
                    .iter()
                    .map(human::lint_summary)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Format::Sarif => report::sarif::render_lint(
                &report::annotation::from_lint(&loaded),
                std::env::current_dir().ok().as_deref(),
            ),
            Format::Json | Format::Junit | Format::Markdown => {
                human::eprint(&format!(
                    "error: --format/--report {format:?} describes verify runs; lint offers human, github and sarif\n"
                ));
                return Outcome::Invalid;
            }
        };
        if let Err(code) = emit(format, sink, &text, &renderer) {
            outcome = outcome.max(code);
        }
    }
    outcome
}

fn verify_files(
    style: Style,
    files: &[std::path::PathBuf],
    options: &verify::VerifyOptions,
    deny_warnings: bool,
    format: Format,
    reports: &[cli::ReportFile],
) -> Outcome {
    let renderer = Renderer::new(style);
    let mut loaded = match load_all(&renderer, files, options.redaction) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    forget_allowed_endpoints(&mut loaded, &options.allowed_endpoints);
    if format == Format::Human {
        for diagnostic in loaded.iter().flat_map(|l| &l.diagnostics) {
            human::eprint(&format!("{}\n", renderer.render_config(diagnostic)));
        }
    }
    // The file's own warnings: annotated beside the findings, and failing the run
    // under --deny-warnings as they do for lint.
    let config_annotations = report::annotation::from_lint(&loaded);
    let config_warnings = loaded.iter().map(config::Loaded::warnings).sum::<usize>();
    let configs: Vec<config::Config> = loaded.into_iter().filter_map(|l| l.config).collect();
    let runs = match verify_all(&renderer, configs, options) {
        Ok(runs) => runs,
        Err(outcome) => return outcome,
    };
    if format != Format::Human {
        for notice in runs.iter().flat_map(|run| &run.notices) {
            human::eprint(&human::notice_line(notice));
        }
    }
    let summary = human::verify_summary(&runs);
    let mut outcome = verify_outcome(&runs, deny_warnings);
    if deny_warnings && config_warnings > 0 {
        outcome = outcome.max(Outcome::Invalid);
    }
    let annotations = || {
        let mut all = config_annotations.clone();
        all.extend(report::annotation::from_runs(&runs));
        all
    };
    for (format, sink) in sinks(format, reports) {
        let text = match format {
            Format::Human => human::verify_report(&renderer, style, &runs),
            Format::Json => report::json::render(&runs, &config_annotations),
            Format::Github => {
                let markdown = report::markdown::render(&runs, &summary);
                // An output like any other: one that cannot be written fails the run
                // (exit 2), and the annotations are still printed.
                if matches!(sink, Sink::Terminal)
                    && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY")
                    && let Err(err) = report::append_file(std::path::Path::new(&path), &markdown)
                {
                    human::eprint(&format!("{}\n", renderer.render(&err)));
                    outcome = outcome.max(Outcome::Invalid);
                }
                report::github::render(&annotations(), &summary)
            }
            Format::Sarif => report::sarif::render_verify(
                &annotations(),
                std::env::current_dir().ok().as_deref(),
            ),
            Format::Junit => report::junit::render(&runs),
            Format::Markdown => report::markdown::render(&runs, &summary),
        };
        if let Err(code) = emit(format, sink, &text, &renderer) {
            outcome = outcome.max(code);
        }
    }
    outcome
}

/// The exit outcome of a verification: the worst app decides; an error outranks drift.
pub fn verify_outcome(runs: &[verify::Run], deny_warnings: bool) -> Outcome {
    runs.iter()
        .flat_map(|run| &run.results)
        .map(|result| match (&result.failure, result.status()) {
            (Some(failure), _) => failure_outcome(failure),
            (None, verify::Status::Drifted) => Outcome::Drift,
            (None, _) if deny_warnings && result.warnings() > 0 => Outcome::Drift,
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
}
