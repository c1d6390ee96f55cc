//! `cbcheck verify`: compare every app with its live configuration and report.

use std::sync::Arc;

use super::{
    Outcome, Sink, emit, forget_allowed_endpoints, load_all, observed, sinks, verify_all,
    verify_outcome,
};
use crate::cli::{self, Format};
use crate::config;
use crate::report::human::{self, Renderer};
use crate::report::progress::Progress;
use crate::report::{self, Style};
use crate::source as check;

pub(super) fn verify_files(
    style: Style,
    files: &[std::path::PathBuf],
    options: &check::VerifyOptions,
    deny_warnings: bool,
    format: Format,
    reports: &[cli::ReportFile],
) -> Outcome {
    let renderer = Renderer::new(style);
    // Progress while the apps are read, never beside a machine format.
    let progress = Arc::new(Progress::on_stderr(format == Format::Human));
    let options = &observed(options, &progress, "checking");
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
    let runs = match verify_all(
        &renderer,
        configs,
        options,
        &mut check::Remote::new(options.client.clone()),
    ) {
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
        };
        if let Err(code) = emit(format, sink, &text, &renderer) {
            outcome = outcome.max(code);
        }
    }
    outcome
}
