//! `cbcheck lint`: validate files, no network.

use super::load::forget_allowed_endpoints;
use super::output::{self, Outputs};
use super::{Outcome, check, error, input};
use crate::cli;
use crate::config;
use crate::model::AllowedHost;
use crate::model::redact::Redaction;
use crate::report::human::Stderr;
use crate::report::summary::Warnings;
use crate::report::{Document, Linted};

/// What `cbcheck lint` was asked to do, checked.
pub(super) struct Settings {
    files: Vec<std::path::PathBuf>,
    /// `--app`: only these apps' warnings.
    selectors: Vec<String>,
    quiet: bool,
    warnings: Warnings,
    outputs: Outputs,
    allowed_endpoints: Vec<AllowedHost>,
}

impl Settings {
    /// The arguments as one value; no file to read is a usage error.
    pub(super) fn new(args: cli::LintArgs) -> Result<Settings, error::Error> {
        Ok(Settings {
            files: input::files(args.files)?,
            selectors: args.apps,
            quiet: args.quiet,
            warnings: super::options::warnings(args.deny_warnings),
            outputs: Outputs::new(args.format.into(), args.reports)?,
            allowed_endpoints: args.allow.hosts(),
        })
    }
}

/// The files checked; an `--app` that matches no app stops the run (exit 2).
pub(super) fn lint(stderr: &Stderr, settings: Settings) -> Result<Outcome, error::Error> {
    let Settings {
        files,
        selectors,
        quiet,
        warnings,
        outputs,
        allowed_endpoints,
    } = settings;
    let selectors = &selectors[..];
    let mut loaded: Vec<config::Loaded> = files
        .iter()
        .map(|file| config::load(file, &Redaction::default()))
        .collect();
    config::check_key_placeholders(&mut loaded);
    forget_allowed_endpoints(&mut loaded, &allowed_endpoints);
    if !selectors.is_empty() {
        // Which apps exist is known only when every file is valid; otherwise the
        // errors decide the run anyway.
        if loaded.iter().all(|l| l.config.is_some()) {
            let configs = loaded.iter().filter_map(|l| l.config.as_ref());
            check::check_matched(configs, selectors)?;
        }
        for file in &mut loaded {
            forget_unselected_warnings(file, selectors);
        }
    }
    let failed = loaded
        .iter()
        .any(|l| l.errors() > 0 || warnings.fail(l.warnings()));
    let outcome = if failed {
        Outcome::Invalid
    } else {
        Outcome::Clean
    };
    let mut document = Document::Lint(Linted {
        loaded,
        quiet,
        warnings,
    });
    Ok(output::write(&mut document, stderr, &outputs, outcome))
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
