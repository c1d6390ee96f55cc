//! `cbcheck lint`: validate files, no network.

use super::{Outcome, check, emit, forget_allowed_endpoints, sinks};
use crate::cli::{self, Format};
use crate::config;
use crate::model::redact::Redaction;
use crate::report::human::{self, Renderer};
use crate::report::summary::Ending;
use crate::report::{self, Style};
use crate::source::api;

pub(super) fn lint(
    style: Style,
    files: &[std::path::PathBuf],
    selectors: &[String],
    ending: Ending,
    format: Format,
    reports: &[cli::ReportFile],
    allowed_endpoints: &api::endpoint::AllowList,
) -> Outcome {
    let renderer = Renderer::new(style);
    let mut loaded: Vec<config::Loaded> = files
        .iter()
        .map(|file| config::load(file, &Redaction::default()))
        .collect();
    config::check_key_placeholders(&mut loaded);
    forget_allowed_endpoints(&mut loaded, allowed_endpoints);
    if !selectors.is_empty() {
        // Which apps exist is known only when every file is valid; otherwise the
        // errors decide the run anyway.
        if loaded.iter().all(|l| l.config.is_some()) {
            let configs = loaded.iter().filter_map(|l| l.config.as_ref());
            if let Err(err) = check::check_matched(configs, selectors) {
                return super::error::fail(&renderer, err, "");
            }
        }
        for file in &mut loaded {
            forget_unselected_warnings(file, selectors);
        }
    }
    let failed = loaded
        .iter()
        .any(|l| l.errors() > 0 || (ending.deny_warnings && l.warnings() > 0));
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
                .map(|l| human::lint_file(&renderer, l, ending))
                .collect(),
            Format::Json => report::json::render_lint(&loaded, ending.deny_warnings),
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
            Format::Junit | Format::Markdown | Format::Prometheus => continue,
        };
        if let Err(code) = emit(format, sink, &text, &renderer) {
            outcome = outcome.max(code);
        }
    }
    outcome
}

/// With `--app`, the warnings inside other apps' entries are not this run's concern;
/// errors always are (verify refuses the whole file for any of them).
fn forget_unselected_warnings(file: &mut config::Loaded, selectors: &[String]) {
    let Some(config) = &file.config else {
        return;
    };
    // The entries do not overlap: sorted by start, the one that may hold an offset
    // is found by bisection (a file may have thousands of apps and of warnings).
    let mut others: Vec<(usize, usize)> = config
        .apps
        .iter()
        .filter(|app| !selectors.iter().any(|s| check::selected(app, s)))
        .map(|app| {
            (
                app.spans.entry.offset(),
                app.spans.entry.offset() + app.spans.entry.len(),
            )
        })
        .collect();
    others.sort_unstable();
    let inside = |offset: usize| {
        let after = others.partition_point(|(start, _)| *start <= offset);
        after > 0 && offset < others[after - 1].1
    };
    file.forget(|_, error, offset| !error && inside(offset));
}
