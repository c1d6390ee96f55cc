//! The end of a human report: one line per app that needs attention, aligned like
//! `kubectl get`, then the summary line. Compact enough for a fleet of a thousand
//! apps, and all that `--quiet` prints.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

use super::printable;
use crate::config::Loaded;
use crate::model::{AppResult, FileResults, Status};

/// Whether warnings fail the run: the run decides (`--deny-warnings`), and the
/// reports list the apps and files that fail by them and say why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Warnings {
    /// Warnings are shown; they fail nothing.
    #[default]
    Pass,
    /// An app or a file with warnings fails the run.
    Fail,
}

impl Warnings {
    /// Whether `count` warnings fail the run.
    pub fn fail(self, count: usize) -> bool {
        self == Warnings::Fail && count > 0
    }
}

/// A name column wider than this is not padded to: one long name must not push
/// every other line of a large fleet to the right.
const MAX_NAME_WIDTH: usize = 32;

/// One line per drifted, pending, unhealthy or failed app, and per app in sync with
/// warnings, in file order: status, name, SDKAppID, the service when not Room, then
/// the finding kinds or the error class. Apps plainly in sync are only counted, by
/// the summary line. Empty when no app needs attention.
pub fn app_list(runs: &[FileResults]) -> String {
    let listed = |result: &&AppResult| match result.status() {
        // In sync with warnings: listed, with which, so `-q` shows them too.
        Status::InSync => result.warnings() > 0,
        Status::Drifted | Status::Pending | Status::Unhealthy | Status::Failed => true,
    };
    let rows: Vec<(&FileResults, Row)> = runs
        .iter()
        .flat_map(|run| {
            run.results
                .iter()
                .filter(listed)
                .map(move |r| (run, row(r)))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let width = |column: fn(&Row) -> &str| {
        rows.iter()
            .map(|(_, row)| column(row).width())
            .max()
            .unwrap_or(0)
    };
    let status = width(|row| row.status);
    let name = width(|row| &row.name).min(MAX_NAME_WIDTH);
    let id = width(|row| &row.sdkappid);
    let service = width(|row| row.service);
    // Several files: each file's apps under its name, as the details are.
    let (grouped, indent) = if runs.len() > 1 {
        (true, "  ")
    } else {
        (false, "")
    };
    let mut out = String::new();
    let mut file = None;
    for (run, row) in &rows {
        if grouped && file != Some(&run.config.file) {
            let _ = writeln!(out, "{}:", printable(&run.config.file, &[]));
            file = Some(&run.config.file);
        }
        let mut line = format!(
            "{indent}{}  {}  {}",
            pad(row.status, status),
            pad(&row.name, name),
            pad(&row.sdkappid, id)
        );
        if service > 0 {
            let _ = write!(line, "  {}", pad(row.service, service));
        }
        let _ = writeln!(line, "  {}", row.detail);
        out.push_str(&line);
    }
    out
}

/// One app's line, cell by cell, escaped.
struct Row {
    status: &'static str,
    name: String,
    sdkappid: String,
    /// Empty for Room, which most fleets are.
    service: &'static str,
    detail: String,
}

fn row(result: &AppResult) -> Row {
    let app = &result.app;
    let (status, detail) = match &result.failure {
        Some(failure) => (
            "failed",
            match failure.detail() {
                Some(detail) => {
                    format!("{} error: {}", failure.class().id(), printable(detail, &[]))
                }
                None => format!("{} error", failure.class().id()),
            },
        ),
        None => {
            let kinds: Vec<String> = result
                .kind_counts()
                .into_iter()
                .map(|(kind, n)| format!("{n} {}", kind.id()))
                .collect();
            let status = match result.status() {
                Status::Drifted => "drifted",
                Status::Pending => "pending",
                Status::Unhealthy => "unhealthy",
                Status::InSync | Status::Failed => "warnings",
            };
            (status, kinds.join(", "))
        }
    };
    Row {
        status,
        name: app
            .name
            .as_deref()
            .map_or_else(|| "-".to_owned(), |name| printable(name, &[]).into_owned()),
        sdkappid: app.sdkappid.to_string(),
        service: app.service.qualifier().unwrap_or_default(),
        detail,
    }
}

/// `text` padded with spaces to `width` columns of a terminal (CJK names are two a character).
fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.width());
    format!("{text}{}", " ".repeat(fill))
}

/// One line per diagnostic of a linted file, like a compiler's short format:
/// `file:line:col: severity[code]: message`.
pub fn lint_lines(loaded: &Loaded) -> String {
    let file = printable(&loaded.file, &[]);
    let mut out = String::new();
    for diagnostic in loaded.listed() {
        let severity = if diagnostic.is_error() {
            "error"
        } else if diagnostic.is_warning() {
            "warning"
        } else {
            "notice"
        };
        let place = match diagnostic.line_col() {
            Some((line, column)) => format!("{file}:{line}:{column}"),
            None => file.to_string(),
        };
        let _ = writeln!(
            out,
            "{place}: {severity}[{}]: {}",
            diagnostic.rule.name(),
            printable(&diagnostic.message, &[])
        );
    }
    out
}

/// `; --deny-warnings makes it a failure`, when warnings fail the run.
pub fn denied_note(count: usize, warnings: Warnings) -> &'static str {
    match count {
        _ if !warnings.fail(count) => "",
        1 => "; --deny-warnings makes it a failure",
        _ => "; --deny-warnings makes them a failure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_are_padded_by_their_width_on_a_terminal() {
        assert_eq!(pad("会议", 6), "会议  ");
        assert_eq!(pad("ab", 6), "ab    ");
        assert_eq!(pad("longer than", 4), "longer than");
    }
}
