//! `cbcheck verify`: compare every app with its live configuration and report.

use super::{
    Outcome, Sink, emit, forget_allowed_endpoints, load_all, sinks, verify_all, verify_outcome,
};
use crate::cli::{self, Format};
use crate::config;
use crate::model::probe::FailOn;
use crate::model::run_info::{FileDigest, RunInfo};
use crate::report::human::{self, Renderer};
use crate::report::{self, Style};
use crate::source as check;
use crate::source::probe;

/// `--probe` and its options.
pub(super) struct Probe {
    options: probe::ProbeOptions,
    fail_on: Option<FailOn>,
}

impl Probe {
    pub(super) fn from_args(args: &cli::ProbeArgs) -> Option<Probe> {
        args.probe.then(|| Probe {
            options: probe::ProbeOptions {
                allow_private: args.probe_allow_private,
                timeout: std::time::Duration::from_secs_f64(args.probe_timeout),
                concurrency: usize::from(args.probe_concurrency),
            },
            fail_on: args.probe_fail_on.map(|level| match level {
                cli::ProbeFailOn::Warning => FailOn::Warning,
                cli::ProbeFailOn::Error => FailOn::Error,
            }),
        })
    }
}

/// What makes the run fail besides drift.
pub(super) struct Gates {
    pub deny_warnings: bool,
    pub probe: Option<Probe>,
}

pub(super) fn verify_files(
    style: Style,
    files: &[std::path::PathBuf],
    options: &check::VerifyOptions,
    gates: Gates,
    format: Format,
    reports: &[cli::ReportFile],
) -> Outcome {
    let Gates {
        deny_warnings,
        probe,
    } = gates;
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
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
    let digests = digests(&loaded);
    let configs: Vec<config::Config> = loaded.into_iter().filter_map(|l| l.config).collect();
    // Started before the configuration checks and run beside them, on its own thread.
    let probing = probe.map(|probe| {
        let (targets, notices) = super::check::probe_targets(&configs, &options.selectors);
        (probe::start(targets, probe.options), notices, probe.fail_on)
    });
    let mut runs = match verify_all(
        &renderer,
        configs,
        options,
        &mut check::Remote::new(options.client.clone()),
    ) {
        Ok(runs) => runs,
        Err(outcome) => return outcome,
    };
    let probes = match probing {
        Some((probing, notices, fail_on)) => {
            let probes = probing.finish();
            super::check::add_probe_findings(&mut runs, &probes, notices, fail_on);
            probes
        }
        None => Vec::new(),
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
    let info = RunInfo {
        started,
        finished: std::time::SystemTime::now(),
        duration: clock.elapsed(),
        files: digests,
        probes,
    };
    let annotations = || {
        let mut all = config_annotations.clone();
        all.extend(report::annotation::from_runs(&runs));
        all
    };
    for (format, sink) in sinks(format, reports) {
        let text = match format {
            Format::Human => human::verify_report(&renderer, style, &runs),
            Format::Json => report::json::render(&runs, &config_annotations, &info),
            Format::Github => {
                let markdown = report::markdown::render(&runs, &summary);
                // An output like any other: one that cannot be written fails the run
                // (exit 2), and the annotations are still printed.
                if matches!(sink, Sink::Terminal)
                    && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY")
                    && let Err(err) = report::append_file(std::path::Path::new(&path), &markdown)
                {
                    outcome = outcome.max(super::error::fail(&renderer, err, ""));
                }
                report::github::render(&annotations(), &summary)
            }
            Format::Sarif => report::sarif::render_verify(
                &annotations(),
                std::env::current_dir().ok().as_deref(),
            ),
            Format::Junit => report::junit::render(&runs),
            Format::Markdown => report::markdown::render(&runs, &summary),
            // Last, below: it records the run's exit code.
            Format::Prometheus => continue,
        };
        if let Err(code) = emit(format, sink, &text, &renderer) {
            outcome = outcome.max(code);
        }
    }
    let metrics = sinks(format, reports).filter(|(format, _)| *format == Format::Prometheus);
    for (_, sink) in metrics {
        if let Err(code) = emit_metrics(sink, &runs, &info, outcome, &renderer) {
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
/// when the run completed (exit 0 or 1), the time of this last success.
fn emit_metrics(
    sink: Sink<'_>,
    runs: &[crate::model::Run],
    info: &RunInfo,
    outcome: Outcome,
    renderer: &Renderer,
) -> Result<(), Outcome> {
    let text = report::prometheus::render(runs, info, outcome.code());
    let Sink::File(path) = sink else {
        return emit(Format::Prometheus, sink, &text, renderer);
    };
    let fail = |err| super::error::fail(renderer, err, "");
    report::publish_file(path, &text).map_err(fail)?;
    if outcome <= Outcome::Drift {
        let success = report::prometheus::success_path(path);
        report::publish_file(&success, &report::prometheus::render_success(info)).map_err(fail)?;
    }
    Ok(())
}
