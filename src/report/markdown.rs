//! A Markdown report, for a pull-request comment or a step summary: the summary,
//! the command that fixes the drift, a table of the apps that are not plainly in
//! sync and a section per drifted or failed app.
//!
//! GitHub takes at most 65,536 characters in a comment or a step summary. Apps are
//! listed worst first: failed (not checked at all), then drifted, then in sync with
//! warnings; in file order within each. Apps in sync without warnings are counted,
//! not listed. When the whole report would pass [`MAX_CHARS`], the apps that do not
//! fit are left out whole, row and section, and a last line counts them.

use std::fmt::Write as _;

use super::fix::{self, ApplyCommand};
use super::problem::Problem;
use super::{REPORT_VERSION, printable};
use crate::model::text::json_string_safe;
use crate::model::{AppResult, BaseRun, FileResults, Status};

/// The report's size limit in characters (UTF-16 units), under GitHub's 65,536 with
/// room to spare.
pub const MAX_CHARS: usize = 65_000;

/// `problems`: the files' diagnostics; their errors (invalid app entries, beside
/// which the valid apps were checked) come first, in a table of their own.
pub fn render(
    runs: &[FileResults],
    problems: &[Problem],
    summary: &str,
    base: Option<&BaseRun>,
    apply_flags: &[String],
) -> String {
    let mut head = format!(
        "<!-- cbcheck report version {REPORT_VERSION} -->\n## cbcheck verify\n\n{}\n\n",
        lines(summary)
    );
    let errors: Vec<Problem> = problems.iter().filter(|p| p.is_error()).cloned().collect();
    if !errors.is_empty() {
        head.push_str(&invalid_entries(&errors, MAX_CHARS / 4));
    }
    // What the pull request changes comes before any drift: the comment's first news.
    head.push_str(&pending_section(runs, base));
    // apply refuses a file with errors: no command to run yet.
    if let Some(fix) = fix::apply_command(runs, apply_flags).filter(|_| errors.is_empty()) {
        head.push_str(&apply_block(&fix));
    }
    let mut listed: Vec<(&FileResults, &AppResult)> = runs
        .iter()
        .flat_map(|run| run.results.iter().map(move |result| (run, result)))
        .filter(|(_, result)| result.status() != Status::InSync || result.warnings() > 0)
        .collect();
    let total: usize = runs.iter().map(|run| run.results.len()).sum();
    let folded = total - listed.len();
    listed.sort_by_key(|(_, result)| rank(result));

    // The service column appears when an app is not Room: a Room-only table is as it was.
    let services = runs
        .iter()
        .flat_map(|run| &run.results)
        .any(|result| result.app.service.qualifier().is_some());
    let table_head = if services {
        "| file | app | sdkappid | service | region | status | findings |\n|---|---|---|---|---|---|---|\n"
    } else {
        "| file | app | sdkappid | region | status | findings |\n|---|---|---|---|---|---|\n"
    };
    let rows: Vec<String> = listed
        .iter()
        .map(|(run, result)| row(run, result, services))
        .collect();
    let sections: Vec<String> = listed
        .iter()
        .map(|(run, result)| {
            let mut text = String::new();
            // A pending app's change is in the section above.
            if !matches!(result.status(), Status::InSync | Status::Pending) {
                section(&mut text, run, result);
            }
            text
        })
        .collect();
    // With nothing listed, the summary line says it all.
    let fold = match folded {
        n if n == 0 || listed.is_empty() => String::new(),
        1 => "\n1 app in sync is not listed.\n".to_owned(),
        n => format!("\n{n} apps in sync are not listed.\n"),
    };

    let shown = fitting(
        chars(&head) + chars(&fold),
        chars(table_head),
        &rows,
        &sections,
        &more(listed.len()),
    );
    let mut out = head;
    if shown > 0 {
        out.push_str(table_head);
        rows[..shown].iter().for_each(|row| out.push_str(row));
    }
    out.push_str(&fold);
    sections[..shown]
        .iter()
        .for_each(|section| out.push_str(section));
    if shown < listed.len() {
        out.push_str(&more(listed.len() - shown));
    }
    out
}

/// The most of the report the pending changes take: drift must still fit after them.
const MAX_PENDING_CHARS: usize = MAX_CHARS / 2;

/// `verify --base`: the changes the pull request makes (the plan `apply` will carry
/// out once it is merged), and the apps it no longer declares; empty without --base.
fn pending_section(runs: &[FileResults], base: Option<&BaseRun>) -> String {
    let Some(base) = base else {
        return String::new();
    };
    let pending: Vec<(&FileResults, &AppResult)> = super::plan::results(runs)
        .filter(|(_, result)| result.status() == Status::Pending)
        .collect();
    let mut out = String::new();
    if !pending.is_empty() {
        out.push_str("### Changes this pull request makes\n\nLive is as the base declares: applying the file once merged makes these changes. They are not drift.\n\n");
        // As many apps' blocks as fit the budget, the rest counted.
        let text = |n: usize| super::plan::blocks(pending[..n].iter().copied(), false);
        let (mut low, mut high) = (0, pending.len());
        while low < high {
            let mid = (low + high).div_ceil(2);
            if chars(&text(mid)) <= MAX_PENDING_CHARS {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        let blocks = text(low);
        if !blocks.is_empty() {
            let fence = fence(&blocks);
            let _ = writeln!(out, "{fence}\n{}\n{fence}", blocks.trim_end_matches('\n'));
        }
        if low < pending.len() {
            let _ = writeln!(
                out,
                "\n… {} more pending changes: see `cbcheck apply --dry-run`.",
                pending.len() - low
            );
        }
        out.push('\n');
    }
    if !base.undeclared.is_empty() {
        out.push_str("### No longer declared\n\nNothing deletes these apps' live configuration: to remove one, declare `callback: absent` and apply, then delete the entry.\n\n");
        for (i, app) in base.undeclared.iter().enumerate() {
            let line = format!("- {} (in {})\n", inline(&app.title()), inline(&app.file));
            if chars(&out) + chars(&line) > MAX_PENDING_CHARS {
                let _ = writeln!(out, "- … {} more", base.undeclared.len() - i);
                break;
            }
            out.push_str(&line);
        }
        out.push('\n');
    }
    out
}

/// A run that stopped before any app was checked: the summary, then a table of the
/// problems (the files' diagnostics, then what stopped the run), cut to [`MAX_CHARS`]
/// with a last line counting the problems left out.
pub fn stopped(problems: &[Problem], summary: &str) -> String {
    let mut out = format!(
        "<!-- cbcheck report version {REPORT_VERSION} -->\n## cbcheck verify\n\n{}\n\n",
        lines(summary)
    );
    let budget = MAX_CHARS - chars(&out);
    out.push_str(&problem_table(problems, budget));
    out
}

/// A file's errors, beside which its valid apps were checked: one line each, in at
/// most `budget` characters, the rest counted.
fn invalid_entries(errors: &[Problem], budget: usize) -> String {
    let mut out = String::from("### Invalid entries (not checked)\n\n");
    let total: usize = errors.iter().map(Problem::count).sum();
    let mut used = chars(&out) + chars(&more_problems(total));
    let mut shown = 0;
    for p in errors {
        let place = match (p.line, p.column) {
            (Some(line), Some(column)) => {
                format!("{}:{line}:{column}", p.file.as_deref().unwrap_or("—"))
            }
            _ => p.file.clone().unwrap_or_default(),
        };
        let line = format!(
            "- {} `{}`: {}\n",
            inline(&place),
            cell(&p.code),
            inline(&p.message)
        );
        used += chars(&line);
        if used > budget {
            out.push_str(&more_problems(total - shown));
            break;
        }
        out.push_str(&line);
        shown += p.count();
    }
    out.push('\n');
    out
}

/// A table of `problems` in at most `budget` characters, with a last line counting
/// the problems left out.
fn problem_table(problems: &[Problem], budget: usize) -> String {
    let mut out = String::new();
    out.push_str("| file | line | column | severity | code | message | what to do |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    let or_dash = |n: Option<usize>| n.map_or_else(|| "—".to_owned(), |n| n.to_string());
    // Within the limit: rows while they fit with the last line, which counts every
    // problem left out (and those a file's counting row stands for).
    let total: usize = problems.iter().map(Problem::count).sum();
    let mut used = chars(&out) + chars(&more_problems(total));
    let mut shown = 0;
    for p in problems {
        let row = format!(
            "| {} | {} | {} | {} | `{}` | {} | {} |\n",
            cell(p.file.as_deref().unwrap_or("—")),
            or_dash(p.line),
            or_dash(p.column),
            p.severity.id(),
            cell(&p.code),
            cell(&p.message),
            cell(p.help.as_deref().unwrap_or("—")),
        );
        used += chars(&row);
        if used > budget {
            out.push_str(&more_problems(total - shown));
            break;
        }
        out.push_str(&row);
        shown += p.count();
    }
    out
}

/// The last line when `n` problems did not fit.
fn more_problems(n: usize) -> String {
    let problems = if n == 1 { "problem" } else { "problems" };
    format!("\n… {n} more {problems}: see the JSON/SARIF report.\n")
}

/// How many of the listed apps (a prefix) fit, with the parts every report has
/// (`fixed`), the table's head when a row is shown, and the last line when not
/// every app is. `last` is that line for all of them, the longest it can be.
fn fitting(
    fixed: usize,
    table_head: usize,
    rows: &[String],
    sections: &[String],
    last: &str,
) -> usize {
    let whole = fixed
        + rows
            .iter()
            .chain(sections)
            .map(|text| chars(text))
            .sum::<usize>()
        + if rows.is_empty() { 0 } else { table_head };
    if whole <= MAX_CHARS {
        return rows.len();
    }
    let mut used = fixed + table_head + chars(last);
    rows.iter()
        .zip(sections)
        .take_while(|(row, section)| {
            used += chars(row) + chars(section);
            used <= MAX_CHARS
        })
        .count()
}

/// GitHub counts characters, not bytes; as UTF-16 units (JavaScript's length) an
/// emoji in a name counts twice, so they are what is counted, never too few.
fn chars(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The last line when `n` listed apps did not fit.
fn more(n: usize) -> String {
    let apps = if n == 1 { "app" } else { "apps" };
    format!("\n… {n} more {apps}: see the JSON/SARIF report.\n")
}

/// Worst first: an app that could not be checked, then drift, then warnings.
fn rank(result: &AppResult) -> u8 {
    match result.status() {
        Status::Failed => 0,
        Status::Drifted => 1,
        Status::Unhealthy => 2,
        Status::Pending => 3,
        Status::InSync => 4,
    }
}

/// The command that fixes the drift, and the second way: each app's body below.
fn apply_block(fix: &ApplyCommand) -> String {
    let line = printable(&fix.line, &[]);
    let fence = fence(&line);
    let mut text = format!(
        "To fix {}, run:\n\n{fence}sh\n{line}\n{fence}\n\n`apply` shows its plan first, and changes only the apps that differ from the file. Or call each app's interface yourself, with the body in its section below.\n\n",
        fix.apps_phrase(),
    );
    if let Some(note) = fix.by_hand_note("each one's section below") {
        text.push_str(&note);
        text.push_str("\n\n");
    }
    text
}

fn row(run: &FileResults, result: &AppResult, services: bool) -> String {
    let app = &result.app;
    let service = if services {
        format!(" {} |", app.service.name())
    } else {
        String::new()
    };
    format!(
        "| {} | {} | {} |{service} {} | {} | {} |\n",
        cell(&run.config.file),
        cell(app.name.as_deref().unwrap_or("")),
        app.sdkappid,
        app.region.map_or("(endpoint)", |r| r.name()),
        status(result),
        cell(&counts(result)),
    )
}

fn status(result: &AppResult) -> &'static str {
    match result.status() {
        Status::InSync if result.warnings() > 0 => "✅ in sync (warnings)",
        Status::InSync => "✅ in sync",
        Status::Drifted => "❌ drifted",
        Status::Pending => "📝 pending",
        Status::Unhealthy => "🔌 unhealthy",
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

fn section(out: &mut String, run: &FileResults, result: &AppResult) {
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
            "- `{}` ({}) at {}:{line}: {}",
            finding.kind.id(),
            if finding.severity == crate::model::Severity::Error {
                "error"
            } else {
                "warning"
            },
            inline(&run.config.file),
            inline(&finding.message)
        );
    }
    if let Some(fix) = &result.remediation {
        let body = fix.body_text(|url| run.redaction.url(url));
        let body = json_string_safe(&body);
        let fence = fence(&body);
        let _ = writeln!(
            out,
            "\nTo fix, call `{}` with:\n\n{fence}json\n{body}\n{fence}",
            fix.path(),
        );
        if fix::is_redacted(&run.redaction, fix) {
            out.push_str(REDACTED_BODY);
        }
    }
}

/// After a redacted body. A report that may be posted publicly does not suggest
/// printing secrets into it: `--show-secrets` is for a local run.
const REDACTED_BODY: &str = "\nThe URL's secret parts are shown as `***`, so this is not the body to send: let `cbcheck apply` send it, or print the real one locally with `cbcheck verify --show-secrets`.\n";

/// Text inside a table cell: as [`inline`], which also escapes `|`.
fn cell(text: &str) -> String {
    inline(text)
}

/// Text from the file or the vendor on one line, as Markdown shows it and makes
/// nothing of: unsafe characters (line breaks too) and workflow commands as the human
/// output escapes them, then a backslash before every character that could start a
/// link, image, autolink, HTML, entity, emphasis, strikethrough, code span, heading
/// end or table cell. Renderers that link bare URLs, domains and e-mail addresses
/// (GitHub, markdown-it's linkify) find no `://`, `//`, `www.` or `host.tld` in the
/// escaped text (the escapes split it); an `@` is followed by a word joiner (U+2060,
/// invisible), so it mentions no one. Characters that mean nothing inline stay as
/// they are: `a.yaml`'s dot is escaped (`a\.yaml`), a sentence's full stop is not.
fn inline(text: &str) -> String {
    let shown = printable(text, &[]);
    let chars: Vec<char> = shown.chars().collect();
    let mut out = String::with_capacity(shown.len() + shown.len() / 4);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|i| chars[i]);
        let after = chars.get(i + 1).copied();
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '#' | '!' => true,
            // Emphasis cannot start or end between two letters or digits.
            '_' => {
                !(before.is_some_and(char::is_alphanumeric)
                    && after.is_some_and(char::is_alphanumeric))
            }
            // A domain's dot, a scheme's `://`, a protocol-relative `//`.
            '.' => after.is_some_and(char::is_alphanumeric),
            ':' | '/' => after == Some('/'),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        if c == '@' {
            out.push('\u{2060}');
        }
    }
    out
}

/// Each line of a text of several (the summary) as [`inline`].
fn lines(text: &str) -> String {
    text.split('\n').map(inline).collect::<Vec<_>>().join("\n")
}

/// A code fence longer than any run of backticks in `text`, which cannot close it.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_are_kept_whole_while_they_fit_with_the_last_line() {
        let rows = vec!["r".repeat(100); 4];
        let sections = vec!["s".repeat(900); 4];
        // Everything fits: no last line is needed.
        assert_eq!(
            fitting(MAX_CHARS - 4_000 - 10, 10, &rows, &sections, "…"),
            4
        );
        // One character too many: the last app and the last line trade places.
        let last = "l".repeat(50);
        let fixed = MAX_CHARS - 4_000 - 10 + 1;
        assert_eq!(fitting(fixed, 10, &rows, &sections, &last), 3);
        // Room for exactly two apps and the last line.
        let fixed = MAX_CHARS - 2_000 - 10 - 50;
        assert_eq!(fitting(fixed, 10, &rows, &sections, &last), 2);
        assert_eq!(fitting(fixed + 1, 10, &rows, &sections, &last), 1);
        assert_eq!(fitting(MAX_CHARS, 10, &rows, &sections, &last), 0);
    }

    #[test]
    fn characters_are_counted_as_github_counts_them() {
        assert_eq!(chars("✅ in sync"), 9);
        assert_eq!(
            chars("app 😀"),
            6,
            "an emoji outside the BMP is two UTF-16 units"
        );
        assert_eq!(more(1), "\n… 1 more app: see the JSON/SARIF report.\n");
        assert_eq!(more(2), "\n… 2 more apps: see the JSON/SARIF report.\n");
    }
}
