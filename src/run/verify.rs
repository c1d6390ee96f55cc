//! `cbcheck verify`: compare every app with its live configuration and report.

use std::sync::Arc;

use super::{
    Files, Invalid, Outcome, Sink, emit, forget_allowed_endpoints, load_all, names, observed,
    sinks, verify_all, verify_outcome,
};
use crate::cli::{self, Format};
use crate::config;
use crate::model::FileResults;
use crate::model::key_names::KeyNames;
use crate::model::probe::FailOn;
use crate::model::run_info::{FileDigest, RunInfo};
use crate::report::human::{self, Renderer};
use crate::report::json::RunStatus;
use crate::report::problem::{self, Problem};
use crate::report::progress::Progress;
use crate::report::summary::Ending;
use crate::report::{self, Style};
use crate::source;
use crate::source::probe;

/// `--probe` and its options.
pub(super) struct Probe {
    options: probe::ProbeOptions,
    fail_on: Option<FailOn>,
}

impl Probe {
    /// `deadline`: the run's (`--deadline`), which ends the probe too.
    pub(super) fn from_args(
        args: &cli::ProbeArgs,
        deadline: Option<crate::source::api::Deadline>,
    ) -> Option<Probe> {
        args.probe.then(|| Probe {
            options: probe::ProbeOptions {
                allow_private: args.probe_allow_private,
                timeout: std::time::Duration::from_secs_f64(args.probe_timeout),
                concurrency: usize::from(args.probe_concurrency),
                deadline,
            },
            fail_on: args.probe_fail_on.map(|level| match level {
                cli::ProbeFailOn::Warning => FailOn::Warning,
                cli::ProbeFailOn::Error => FailOn::Error,
            }),
        })
    }
}

pub(super) fn verify_files(
    style: Style,
    files: &[std::path::PathBuf],
    options: &source::FetchOptions,
    ending: Ending,
    probe: Option<Probe>,
    format: Format,
    reports: &[cli::ReportFile],
) -> Outcome {
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    let renderer = Renderer::new(style);
    // Progress while the apps are read, never beside a machine format.
    let progress = Arc::new(Progress::on_stderr(format == Format::Human));
    let options = &observed(options, &progress, "checking");
    let (mut loaded, keys, stopped) =
        match load_all(&renderer, files, &options.redaction, ending.quiet) {
            Ok(Files { loaded, keys }) => (loaded, keys, None),
            Err(Invalid { loaded, printed }) => (loaded, KeyNames::default(), Some(printed)),
        };
    forget_allowed_endpoints(&mut loaded, &options.allowed_endpoints);
    let mut verified = Verified {
        files: names(&loaded),
        runs: Vec::new(),
        problems: problem::from_loaded(&loaded),
        status: RunStatus::Invalid,
        stopped: None,
        ending,
        info: RunInfo {
            started,
            finished: started,
            duration: std::time::Duration::ZERO,
            files: digests(&loaded),
            probes: Vec::new(),
        },
    };
    // An invalid file stops the run before any request (load_all has shown it as lint
    // would), and every report says so.
    if let Some(printed) = stopped {
        verified.stopped = Some(printed);
        verified.info.finish(clock);
        return write(
            &renderer,
            style,
            format,
            reports,
            &verified,
            Outcome::Invalid,
        );
    }
    // Quiet: the file's warnings are counted by the summary line instead.
    if format == Format::Human && !ending.quiet {
        for diagnostic in loaded.iter().flat_map(config::Loaded::listed) {
            human::eprint(&format!("{}\n", renderer.render_config(&diagnostic)));
        }
    }
    // The file's own warnings: reported beside the findings, and failing the run
    // under --deny-warnings as they do for lint.
    let config_warnings = loaded.iter().map(config::Loaded::warnings).sum::<usize>();
    let configs: Vec<config::Config> = loaded.into_iter().filter_map(|l| l.config).collect();
    // Started before the configuration checks and run beside them, on its own thread.
    let probing = probe.map(|probe| {
        let (targets, notices) = super::check::probe_targets(&configs, &options.selectors);
        (probe::start(targets, probe.options), notices, probe.fail_on)
    });
    verified.runs = match verify_all(
        configs,
        &keys,
        options,
        &mut source::Remote::new(options.client.clone()),
    ) {
        Ok(runs) => runs,
        Err(err) => {
            let printed = format!("{}\n", renderer.render(&err));
            human::eprint(&printed);
            verified.problems.push(Problem::of_run(&err));
            let outcome = err.outcome();
            verified.status = if outcome == Outcome::Invalid {
                RunStatus::Invalid
            } else {
                RunStatus::Failed
            };
            verified.stopped = Some(printed);
            verified.info.finish(clock);
            return write(&renderer, style, format, reports, &verified, outcome);
        }
    };
    if let Some((probing, notices, fail_on)) = probing {
        let probes = probing.finish();
        super::check::add_probe_findings(&mut verified.runs, &probes, notices, fail_on);
        verified.info.probes = probes;
    }
    if format != Format::Human {
        for notice in verified.runs.iter().flat_map(|run| &run.notices) {
            human::eprint(&human::notice_line(notice));
        }
    }
    verified.ending = Ending {
        file_warnings: config_warnings,
        ..ending
    };
    let mut outcome = verify_outcome(&verified.runs, ending.deny_warnings);
    if ending.deny_warnings && config_warnings > 0 {
        outcome = outcome.max(Outcome::Invalid);
    }
    let failed = verified
        .runs
        .iter()
        .flat_map(|run| &run.results)
        .any(|result| result.failure.is_some());
    verified.status = match outcome {
        _ if failed => RunStatus::Failed,
        Outcome::Clean => RunStatus::InSync,
        Outcome::Drift => RunStatus::Drifted,
        Outcome::Invalid | Outcome::Credentials | Outcome::Api => RunStatus::Invalid,
    };
    verified.info.finish(clock);
    write(&renderer, style, format, reports, &verified, outcome)
}

/// What every format reports of a run.
struct Verified {
    /// The files given, in order.
    files: Vec<String>,
    runs: Vec<FileResults>,
    /// The files' diagnostics, then what stopped the run.
    problems: Vec<Problem>,
    status: RunStatus,
    /// Set when the run stopped before any app was checked: what stderr showed.
    stopped: Option<String>,
    /// How the human report ends (quiet, --deny-warnings, the file's warnings).
    ending: Ending,
    /// When, how long, and which file contents.
    info: RunInfo,
}

/// Render the run in the terminal's format and every `--report`; an output that
/// cannot be written raises the outcome to 2.
fn write(
    renderer: &Renderer,
    style: Style,
    format: Format,
    reports: &[cli::ReportFile],
    verified: &Verified,
    mut outcome: Outcome,
) -> Outcome {
    let runs = &verified.runs;
    let summary = match verified.stopped {
        Some(_) => human::stopped_summary(&verified.problems),
        None => human::verify_summary(runs, verified.ending),
    };
    let stopped_by: Vec<Problem> = verified
        .problems
        .iter()
        .filter(|p| p.file.is_none())
        .cloned()
        .collect();
    let annotations = || {
        let mut all = report::annotation::from_problems(&verified.problems);
        all.extend(report::annotation::from_runs(runs));
        all
    };
    let markdown = || match verified.stopped {
        Some(_) => report::markdown::stopped(&verified.problems, &summary),
        None => report::markdown::render(runs, &summary),
    };
    for (format, sink) in sinks(format, reports) {
        let text = match format {
            Format::Human => match (&verified.stopped, &sink) {
                // Already shown on stderr.
                (Some(_), Sink::Terminal) => continue,
                (Some(printed), Sink::File(_)) => format!("{printed}{summary}\n"),
                (None, _) => human::verify_report(renderer, style, runs, verified.ending),
            },
            Format::Json => report::json::render(
                &verified.files,
                runs,
                &verified.problems,
                verified.status,
                &verified.info,
            ),
            Format::Github => {
                // An output like any other: one that cannot be written fails the run
                // (exit 2), and the annotations are still printed.
                if matches!(sink, Sink::Terminal)
                    && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY")
                    && let Err(err) = report::append_file(std::path::Path::new(&path), &markdown())
                {
                    outcome = outcome.max(super::error::fail(renderer, err, ""));
                }
                report::github::render(&annotations(), &stopped_by, &summary)
            }
            Format::Sarif => report::sarif::render_verify(
                &annotations(),
                &stopped_by,
                std::env::current_dir().ok().as_deref(),
            ),
            Format::Junit => match verified.stopped {
                Some(_) => report::junit::stopped(&verified.files, &verified.problems),
                None => report::junit::render(runs),
            },
            Format::Markdown => markdown(),
            // Last, below: it records the run's exit code.
            Format::Prometheus => continue,
        };
        if let Err(code) = emit(format, sink, &text, renderer) {
            outcome = outcome.max(code);
        }
    }
    let metrics = sinks(format, reports).filter(|(format, _)| *format == Format::Prometheus);
    for (_, sink) in metrics {
        if let Err(code) = emit_metrics(sink, runs, &verified.info, outcome, renderer) {
            outcome = outcome.max(code);
        }
    }
    outcome
}

/// Each file read, its digest, and whether it was valid.
fn digests(loaded: &[config::Loaded]) -> Vec<FileDigest> {
    loaded
        .iter()
        .map(|l| FileDigest {
            file: l.file.clone(),
            sha256: l.sha256.clone(),
            valid: l.config.is_some(),
        })
        .collect()
}

/// The metrics file, replaced atomically and readable by the collector; beside it,
/// when the run completed (exit 0 or 1), the time of this last success (not beside a
/// pipe or a device).
fn emit_metrics(
    sink: Sink<'_>,
    runs: &[FileResults],
    info: &RunInfo,
    outcome: Outcome,
    renderer: &Renderer,
) -> Result<(), Outcome> {
    let text = report::prometheus::render(runs, info, outcome.code());
    let Sink::File(path) = sink else {
        return emit(Format::Prometheus, sink, &text, renderer);
    };
    let fail = |err| super::error::fail(renderer, err, "");
    let written = report::publish_file(path, &text).map_err(fail)?;
    // The last success is kept between runs beside a metrics file; a pipe or a device
    // keeps nothing, and `/dev/null_success` is no place for a file.
    if outcome <= Outcome::Drift && written == report::Written::Replaced {
        let success = report::prometheus::success_path(path);
        report::publish_file(&success, &report::prometheus::render_success(info)).map_err(fail)?;
    }
    Ok(())
}
