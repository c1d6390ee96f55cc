//! `cbcheck lint`: validate files, no network.

use super::{Outcome, emit, forget_allowed_endpoints, sinks};
use crate::cli::{self, Format};
use crate::config;
use crate::model::redact::Redaction;
use crate::report::human::{self, Renderer};
use crate::report::{self, Style};
use crate::source::api;

pub(super) fn lint(
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
    let annotations = report::annotation::from_lint(&loaded);
    for (format, sink) in sinks(format, reports) {
        let text = match format {
            Format::Human => loaded
                .iter()
                .map(|l| human::lint_report(&renderer, l))
                .collect(),
            Format::Json => report::json::render_lint(&loaded, deny_warnings),
            Format::Github => report::github::render(
                &annotations,
                &[],
                &loaded
                    .iter()
                    .map(human::lint_summary)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Format::Sarif => {
                report::sarif::render_lint(&annotations, std::env::current_dir().ok().as_deref())
            }
            // Refused by the command line (cli::LintFormat).
            Format::Junit | Format::Markdown => continue,
        };
        if let Err(code) = emit(format, sink, &text, &renderer) {
            outcome = outcome.max(code);
        }
    }
    outcome
}
