//! What `lint` shows a person: each file's diagnostics and its summary line.

use std::fmt::Write as _;

use super::{Renderer, plural};
use crate::config::Loaded;
use crate::report::printable;
use crate::report::summary::{self, Warnings};

/// Every diagnostic of a linted file, then its summary line.
pub fn lint_report(renderer: &Renderer, loaded: &Loaded) -> String {
    lint_file(renderer, loaded, false, Warnings::Pass)
}

/// A linted file as `lint` shows it: every diagnostic (drawn, or one line each when
/// quiet), then the summary line.
pub fn lint_file(renderer: &Renderer, loaded: &Loaded, quiet: bool, warnings: Warnings) -> String {
    let mut out = String::new();
    if quiet {
        out.push_str(&summary::lint_lines(loaded));
    } else {
        for diagnostic in loaded.listed() {
            out.push_str(&renderer.render_config(&diagnostic));
            out.push('\n');
        }
    }
    out.push_str(&lint_summary(loaded));
    // Only a valid file is failed by its warnings alone.
    if loaded.config.is_some() {
        out.push_str(summary::denied_note(loaded.warnings(), warnings));
    }
    out.push('\n');
    out
}

/// e.g. `callbacks.yaml: invalid: 2 errors, 1 warning` or `callbacks.yaml: valid: 3 apps, no warnings`.
pub fn lint_summary(loaded: &Loaded) -> String {
    let mut line = format!("{}: ", printable(&loaded.file, &[]));
    let warnings = plural(loaded.warnings(), "warning");
    match &loaded.config {
        Some(config) => {
            let _ = write!(line, "valid: {}, ", plural(config.apps.len(), "app"));
            line.push_str(if loaded.warnings() == 0 {
                "no warnings"
            } else {
                &warnings
            });
        }
        None => {
            let _ = write!(line, "invalid: {}", plural(loaded.errors(), "error"));
            if loaded.warnings() > 0 {
                let _ = write!(line, ", {warnings}");
            }
        }
    }
    line
}
