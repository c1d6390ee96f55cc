//! A Markdown report: a summary table and a section per drifted or failed app.

use std::fmt::Write as _;

use super::REPORT_VERSION;
use super::problem::Problem;
use crate::model::{AppResult, Run, ServiceName, Status};

pub fn render(runs: &[Run], summary: &str) -> String {
    let mut out = format!(
        "<!-- cbcheck report version {REPORT_VERSION} -->\n## cbcheck verify\n\n{summary}\n\n"
    );
    // The service column appears when an app is not Room: a Room-only table is as it was.
    let services = runs
        .iter()
        .flat_map(|run| &run.results)
        .any(|result| result.app.service != ServiceName::Room);
    if services {
        out.push_str("| file | app | sdkappid | service | region | status | findings |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
    } else {
        out.push_str("| file | app | sdkappid | region | status | findings |\n");
        out.push_str("|---|---|---|---|---|---|\n");
    }
    for run in runs {
        for result in &run.results {
            let app = &result.app;
            let service = if services {
                format!(" {} |", app.service.name())
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} |{service} {} | {} | {} |",
                cell(&run.config.file),
                cell(app.name.as_deref().unwrap_or("")),
                app.sdkappid,
                app.region.map_or("(endpoint)", |r| r.name()),
                status(result),
                cell(&counts(result)),
            );
        }
    }
    for run in runs {
        for result in run.results.iter().filter(|r| r.status() != Status::InSync) {
            section(&mut out, run, result);
        }
    }
    out
}

/// A run that stopped before any app was checked: the summary, then a table of the
/// problems (the files' diagnostics, then what stopped the run).
pub fn stopped(problems: &[Problem], summary: &str) -> String {
    let mut out = format!(
        "<!-- cbcheck report version {REPORT_VERSION} -->\n## cbcheck verify\n\n{}\n\n",
        inline(summary)
    );
    out.push_str("| file | line | column | severity | code | message | what to do |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    let or_dash = |n: Option<usize>| n.map_or_else(|| "—".to_owned(), |n| n.to_string());
    for p in problems {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | `{}` | {} | {} |",
            cell(p.file.as_deref().unwrap_or("—")),
            or_dash(p.line),
            or_dash(p.column),
            p.severity.id(),
            cell(&p.code),
            cell(&p.message),
            cell(p.help.as_deref().unwrap_or("—")),
        );
    }
    out
}

fn status(result: &AppResult) -> &'static str {
    match result.status() {
        Status::InSync if result.warnings() > 0 => "✅ in sync (warnings)",
        Status::InSync => "✅ in sync",
        Status::Drifted => "❌ drifted",
        Status::Failed => "⚠️ failed",
    }
}

fn counts(result: &AppResult) -> String {
    if let Some(failure) = &result.failure {
        return format!("{} error", failure.class().id());
    }
    let parts: Vec<String> = result
        .kind_counts()
        .into_iter()
        .map(|(kind, n)| format!("{n} {}", kind.id()))
        .collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(", ")
    }
}

fn section(out: &mut String, run: &Run, result: &AppResult) {
    let app = &result.app;
    let title = app.title();
    let _ = writeln!(out, "\n### {} — {}\n", inline(&title), status(result));
    if let Some(failure) = &result.failure {
        let _ = writeln!(
            out,
            "- **{}**: {}",
            failure.class().id(),
            inline(&failure.message())
        );
        let _ = writeln!(out, "- what to check: {}", inline(&failure.help()));
        return;
    }
    for finding in &result.findings {
        let (line, _) = run.config.source.line_col(finding.span.offset());
        let _ = writeln!(
            out,
            "- `{}` ({}) at `{}:{line}`: {}",
            finding.kind.id(),
            if finding.severity == crate::model::Severity::Error {
                "error"
            } else {
                "warning"
            },
            run.config.file,
            inline(&finding.message)
        );
    }
    if let Some(fix) = &result.remediation {
        let _ = writeln!(
            out,
            "\nTo fix, call `{}` with:\n\n```json\n{}\n```",
            fix.path(),
            fix.body_text(|url| run.redaction.url(url))
        );
    }
}

/// Text inside a table cell: `|` and line breaks would break the table.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Text on one line, with Markdown's HTML and backtick surprises defused.
fn inline(text: &str) -> String {
    text.replace(['\r', '\n'], " ").replace('<', "&lt;")
}
