//! What `verify` shows a person: one diagnostic and diff per app that drifted or
//! failed, the list of those apps, and the summary line.

use std::collections::HashSet;
use std::fmt::Write as _;

use miette::{LabeledSpan, Severity};

use super::{Renderer, notice_line, plural};
use crate::config::ConfigDiagnostic;
use crate::model::CallbackConfig;
use crate::model::probe::{UrlTarget, url_target};
use crate::model::{AppResult, BaseMatch, FileResults, Status, Summary, Undeclared};
use crate::model::{Finding, Kind};
use crate::report::document::Verified;
use crate::report::problem::Problem;
use crate::report::summary::{self, Warnings};
use crate::report::{Style, printable};

/// One app's verdict as a diagnostic: labels on the YAML, what to do as help.
type AppDiagnostic = ConfigDiagnostic<&'static str>;

/// Everything `verify` shows a person, given to `out` piece by piece (each ends a
/// line; a fleet's report is never held whole, only one app's at a time): notices,
/// pending changes, one report per drifted or failed app (with a live → desired
/// diff), one per failing endpoint, the list of those apps, the summary line and the
/// fixing command. Quiet: the list and the summary line only.
pub fn verify_report_to(
    renderer: &Renderer,
    style: Style,
    verified: &Verified,
    out: &mut dyn FnMut(&str),
) {
    let runs = &verified.runs;
    if !verified.quiet {
        for notice in runs.iter().flat_map(|run| &run.notices) {
            out(&notice_line(notice));
        }
        out(&pending_changes(runs, style.color));
        for run in runs {
            for result in &run.results {
                out(&app_report(renderer, style, run, result));
            }
        }
        out(&endpoint_reports(runs));
    }
    out(&summary::app_list(runs));
    let invalid = invalid_entries_summary(&verified.problems);
    out(&format!(
        "{}{invalid}\n",
        verify_summary(runs, verified.file_warnings, verified.warnings)
    ));
    // apply refuses a file with invalid entries: no command to run yet.
    if !verified.quiet
        && invalid.is_empty()
        && let Some(fix) = crate::report::fix::apply_command(runs, &verified.apply_flags)
    {
        out(&apply_hint(&fix));
    }
}

/// `verify --base`: the changes the checked files make to the merged ones, as
/// `apply --dry-run` shows them; empty when none is pending.
fn pending_changes(runs: &[FileResults], color: bool) -> String {
    let pending = runs.iter().flat_map(|run| {
        run.results
            .iter()
            .filter(|result| result.status() == Status::Pending)
            .map(move |result| (run, result))
    });
    let blocks = crate::report::plan::blocks(pending, color);
    if blocks.is_empty() {
        return blocks;
    }
    format!(
        "Pending changes (live is as the base declares, or the app is new): applying the file makes them; they are not drift.\n\n{blocks}"
    )
}

/// One app's diagnostic and diff; empty for an app in sync without warnings, and
/// for a pending one (shown as a change, above).
fn app_report(renderer: &Renderer, style: Style, run: &FileResults, result: &AppResult) -> String {
    if result.status() == Status::Pending {
        return String::new();
    }
    // Probe findings are about the endpoint, reported once per host below.
    let without_probes;
    let result = if result.findings.iter().any(|f| f.kind.is_probe()) {
        without_probes = AppResult {
            findings: result
                .findings
                .iter()
                .filter(|f| !f.kind.is_probe())
                .cloned()
                .collect(),
            ..result.clone()
        };
        &without_probes
    } else {
        result
    };
    let Some(diagnostic) = app_diagnostic(run, result) else {
        return String::new();
    };
    let mut out = renderer.render_in(&diagnostic, &run.config.source);
    // A token finding alone leaves the callback as declared: no diff to show.
    let callback_drift = result
        .findings
        .iter()
        .any(|f| f.kind != Kind::TokenAuthMismatch);
    if let Some(live) = result.live.as_ref().filter(|_| callback_drift) {
        out.push_str(&diff(run, result, live.as_ref(), style.color));
    }
    out.push('\n');
    out
}

/// A file's invalid app entries: not checked, while the file's valid apps were.
pub fn invalid_entries_notice(file: &str, entries: &[String]) -> String {
    const LISTED: usize = 10;
    let (count, mut shown) = match entries {
        [one] => ("1 app entry is".to_owned(), one.clone()),
        _ => (
            format!("{} app entries are", entries.len()),
            entries[..entries.len().min(LISTED)].join(", "),
        ),
    };
    if entries.len() > LISTED {
        let _ = write!(shown, " and {} more", entries.len() - LISTED);
    }
    format!(
        "{file}: {count} invalid and not checked ({shown}); its other apps were checked, and the run exits 2 until the file is fixed"
    )
}

/// The most apps an endpoint's report lists by name; the rest are counted.
const LISTED_ENDPOINT_APPS: usize = 20;

/// `verify --probe`: one report per callback endpoint with a finding, naming the apps
/// (file and line) whose URL uses it: a host that four hundred apps share is one
/// problem, and its apps' configurations are as declared (no diff to show).
fn endpoint_reports(runs: &[FileResults]) -> String {
    // Hosts in the order their first app comes, each with its apps.
    let mut hosts: Vec<(String, Vec<(&FileResults, &AppResult)>)> = Vec::new();
    for run in runs {
        for result in run
            .results
            .iter()
            .filter(|r| r.findings.iter().any(|f| f.kind.is_probe()))
        {
            let Some(desired) = &result.app.callback else {
                continue;
            };
            let UrlTarget::Probe(target) = url_target(&desired.url) else {
                continue;
            };
            let host = target.label();
            match hosts.iter_mut().find(|(h, _)| *h == host) {
                Some((_, apps)) => apps.push((run, result)),
                None => hosts.push((host, vec![(run, result)])),
            }
        }
    }
    let mut out = String::new();
    for (_, apps) in hosts {
        let (_, first) = apps[0];
        let findings: Vec<&Finding> = first
            .findings
            .iter()
            .filter(|f| f.kind.is_probe())
            .collect();
        let failing = findings
            .iter()
            .any(|f| f.severity == crate::model::Severity::Error);
        for (i, finding) in findings.iter().enumerate() {
            let level = if finding.severity == crate::model::Severity::Error {
                "error"
            } else {
                "warning"
            };
            let _ = writeln!(
                out,
                "{level}[{}]: {}",
                finding.kind.id(),
                printable(&finding.message, &[])
            );
            if let Some(help) = &finding.help {
                let _ = writeln!(out, "  help: {}", printable(help, &[]));
            }
            if i + 1 < findings.len() {
                continue;
            }
            let verdict = if failing {
                "their configuration is as declared; apply cannot fix this"
            } else {
                "a warning"
            };
            let _ = writeln!(out, "  used by {} ({verdict}):", plural(apps.len(), "app"));
            for (run, result) in apps.iter().take(LISTED_ENDPOINT_APPS) {
                let span = result
                    .app
                    .callback
                    .as_ref()
                    .map_or(result.app.spans.sdkappid, |d| d.url_span);
                let (line, _) = run.config.source.line_col(span.offset());
                let _ = writeln!(
                    out,
                    "    {}  {}:{line}",
                    app_title(result),
                    printable(&run.config.file, &[])
                );
            }
            if apps.len() > LISTED_ENDPOINT_APPS {
                let _ = writeln!(out, "    … and {} more", apps.len() - LISTED_ENDPOINT_APPS);
            }
        }
        out.push('\n');
    }
    out
}

/// An app only the base declares: what happens to it (nothing), and how to remove it.
pub fn undeclared_notice(app: &Undeclared) -> String {
    format!(
        "{} is declared in the base {} and in no checked file: nothing deletes its live configuration (to remove it, declare `callback: absent` and apply, then delete the entry)",
        app.title(),
        app.file
    )
}

/// After the summary: the command that fixes the drifted apps, and the second way.
fn apply_hint(fix: &crate::report::fix::ApplyCommand) -> String {
    let mut text = format!(
        "To fix {}, run:\n  {}\nIt shows its plan first, and changes only the apps that differ from the file.\nOr call each app's interface yourself, with the body shown above for it.\n",
        fix.apps_phrase(),
        fix.line
    );
    if let Some(note) = fix.by_hand_note("each one's help above") {
        text.push_str(&note);
        text.push('\n');
    }
    text
}

/// After a redacted body: it is not the one to send, and how to get the real one.
pub const REDACTED_BODY: &str = "the URL's secret parts are shown as ***: add --show-secrets to print the real body, or let `cbcheck apply` send it";

/// e.g. `3 apps checked: 1 in sync, 1 drifted, 1 failed`, or `2 apps: none could be
/// checked (2 failed)`; then the warnings, of the apps and of the files, and whether
/// --deny-warnings makes them fail the run.
pub fn verify_summary(runs: &[FileResults], file_warnings: usize, warnings: Warnings) -> String {
    let summary = Summary::of_runs(runs);
    let mut line = match (summary.apps, summary.failed) {
        (1, 1) => "1 app: it could not be checked".to_owned(),
        (apps, failed) if apps == failed && apps > 0 => {
            format!("{apps} apps: none could be checked ({failed} failed)")
        }
        _ => {
            // Pending (--base) and unhealthy (--probe-fail-on) only when there is one.
            let mut line = format!(
                "{} checked: {} in sync, ",
                plural(summary.apps, "app"),
                summary.in_sync
            );
            if summary.pending > 0 {
                let _ = write!(line, "{} pending, ", summary.pending);
            }
            let _ = write!(line, "{} drifted, ", summary.drifted);
            if summary.unhealthy > 0 {
                let _ = write!(line, "{} unhealthy, ", summary.unhealthy);
            }
            let _ = write!(line, "{} failed", summary.failed);
            line
        }
    };
    let count = summary.warnings + file_warnings;
    if count > 0 {
        let _ = write!(line, ", {}", plural(count, "warning"));
    }
    if file_warnings > 0 {
        let files = if runs.len() == 1 { "file" } else { "files" };
        if summary.warnings == 0 {
            let _ = write!(line, " (in the {files})");
        } else {
            let _ = write!(line, " ({} in the {files})", file_warnings);
        }
    }
    line.push_str(summary::denied_note(count, warnings));
    line
}

/// The summary of a verify run that stopped before any app was checked: each invalid
/// file with its errors, then what else stopped it, e.g.
/// `no app was checked: broken.yaml is invalid (2 errors)`.
pub fn stopped_summary(problems: &[Problem]) -> String {
    let causes: Vec<String> = invalid_files(problems)
        .into_iter()
        .chain(
            problems
                .iter()
                .filter(|p| p.file.is_none())
                .map(|p| printable(&p.message, &[]).into_owned()),
        )
        .collect();
    format!("no app was checked: {}", causes.join("; "))
}

/// After the summary of a run that checked the valid apps of files with invalid
/// entries, e.g. `; fleet.yaml is invalid (2 errors): its invalid entries were not
/// checked`; empty when no file has an error.
pub fn invalid_entries_summary(problems: &[Problem]) -> String {
    invalid_files(problems)
        .into_iter()
        .map(|file| format!("; {file}: its invalid entries were not checked"))
        .collect()
}

/// `broken.yaml is invalid (2 errors)`, for each file with errors.
fn invalid_files(problems: &[Problem]) -> Vec<String> {
    let mut invalid: Vec<(&str, usize)> = Vec::new();
    for (file, count) in problems
        .iter()
        .filter(|p| p.errors() > 0)
        .filter_map(|p| Some((p.file.as_deref()?, p.errors())))
    {
        match invalid.iter_mut().find(|(f, _)| *f == file) {
            Some((_, errors)) => *errors += count,
            None => invalid.push((file, count)),
        }
    }
    invalid
        .into_iter()
        .map(|(file, errors)| {
            format!(
                "{} is invalid ({})",
                printable(file, &[]),
                plural(errors, "error")
            )
        })
        .collect()
}

/// How the human report names an app: one line, whatever its name holds.
fn app_title(result: &AppResult) -> String {
    result
        .app
        .title()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn app_diagnostic(run: &FileResults, result: &AppResult) -> Option<AppDiagnostic> {
    if let Some(failure) = &result.failure {
        let message = format!(
            "{} could not be checked: {}",
            app_title(result),
            failure.message()
        );
        return Some(
            AppDiagnostic::coded("cbcheck::verify::failed", Severity::Error, message)
                .primary(
                    result.app.spans.sdkappid,
                    format!("{} error", failure.class().id()),
                )
                .help(failure.help()),
        );
    }
    if result.findings.is_empty() {
        return None;
    }
    let drifted = result.status() == Status::Drifted;
    let kinds: Vec<String> = result
        .kind_counts()
        .into_iter()
        .map(|(kind, n)| format!("{n} {}", kind.id()))
        .collect();
    let message = if drifted {
        format!(
            "{} has drifted: {}{}",
            app_title(result),
            kinds.join(", "),
            base_note(result)
        )
    } else {
        format!(
            "{} is in sync, with warnings: {}",
            app_title(result),
            kinds.join(", ")
        )
    };
    let labels = merged_labels(&result.findings);
    let mut help: Vec<String> = Vec::new();
    if let Some(fix) = &result.remediation {
        help.push(format!(
            "to fix, call {} with this body:\n{}",
            fix.path(),
            fix.body_text(|url| run.redaction.url(url))
        ));
        if crate::report::fix::is_redacted(&run.redaction, fix) {
            help.push(REDACTED_BODY.into());
        }
    }
    // Each help once; a set, as an app may have a finding for every live word.
    let mut helped: HashSet<String> = help.iter().cloned().collect();
    for finding in &result.findings {
        // One line each: a line break in a live word stays an escape.
        let text = finding
            .help
            .as_deref()
            .map(|t| printable(t, &[]).into_owned());
        if let Some(text) = text.filter(|t| helped.insert(t.clone())) {
            help.push(text);
        }
    }
    let (code, severity) = if drifted {
        ("cbcheck::verify::drift", Severity::Error)
    } else {
        ("cbcheck::verify::warning", Severity::Warning)
    };
    Some(ConfigDiagnostic {
        labels,
        help: (!help.is_empty()).then(|| help.join("\n")),
        ..AppDiagnostic::coded(code, severity, message)
    })
}

/// After a drifted app's findings under `--base`: why it is not a pending change.
fn base_note(result: &AppResult) -> &'static str {
    match result.base {
        Some(BaseMatch::Differs) => "; live differs from the base as well",
        Some(BaseMatch::NotDeclared) => "; the app is new in the file, yet configured live",
        Some(BaseMatch::Matches) | None => "",
    }
}

/// One label per span: findings of one kind on the same span are listed together
/// (e.g. "live also has `A`, `B`" on the `commands:` key).
fn merged_labels(findings: &[Finding]) -> Vec<LabeledSpan> {
    /// The label texts on one span, by finding kind.
    type SpanGroup<'a> = (miette::SourceSpan, Vec<(Kind, Vec<&'a str>)>);
    let mut groups: Vec<SpanGroup<'_>> = Vec::new();
    for finding in findings {
        let index = match groups.iter().position(|(span, _)| *span == finding.span) {
            Some(index) => index,
            None => {
                groups.push((finding.span, Vec::new()));
                groups.len() - 1
            }
        };
        let kinds = &mut groups[index].1;
        match kinds.iter_mut().find(|(kind, _)| *kind == finding.kind) {
            Some((_, texts)) => texts.push(&finding.label),
            None => kinds.push((finding.kind, vec![&finding.label])),
        }
    }
    groups
        .into_iter()
        .map(|(span, kinds)| {
            let parts: Vec<String> = kinds
                .into_iter()
                .map(|(kind, texts)| match kind {
                    Kind::UnexpectedCommand => format!("live also has {}", texts.join(", ")),
                    Kind::UnknownCommand => format!("not known: {}", texts.join(", ")),
                    _ => texts.join("; "),
                })
                .collect();
            LabeledSpan::new_with_span(Some(parts.join("; ")), span)
        })
        .collect()
}

/// A compact diff of the two configurations, live → desired, in the file's order: the
/// declared commands as written, then the live-only ones in the vendor's order. The live side
/// follows the file's order, so a reordering alone shows no change (order never matters).
fn diff(
    run: &FileResults,
    result: &AppResult,
    live: Option<&CallbackConfig>,
    color: bool,
) -> String {
    let as_text = |url: &str, commands: &[&str]| {
        // One value a line, whatever the vendor put in it.
        let mut text = format!(
            "url: {}\ncommands:\n",
            printable(&run.redaction.url(url), &[])
        );
        for command in commands {
            let _ = writeln!(text, "  - {}", printable(command, &[]));
        }
        text
    };
    let declared: Vec<&str> = result
        .app
        .callback
        .iter()
        .flat_map(|desired| desired.commands.iter().map(|c| c.word.as_str()))
        .collect();
    let desired = match &result.app.callback {
        Some(desired) => as_text(&desired.url, &declared),
        None => "(no callback: declared absent)\n".to_owned(),
    };
    let live_text = match live {
        Some(live) => {
            // Sets, not scans: linear in the two lists.
            let live_words: HashSet<&str> = live.commands.iter().map(String::as_str).collect();
            let declared_words: HashSet<&str> = declared.iter().copied().collect();
            let in_file_order: Vec<&str> = declared
                .iter()
                .copied()
                .filter(|word| live_words.contains(word))
                .chain(
                    live.commands
                        .iter()
                        .map(String::as_str)
                        .filter(|word| !declared_words.contains(word)),
                )
                .collect();
            as_text(&live.url, &in_file_order)
        }
        None => "(no callback configured)\n".to_owned(),
    };
    // Live → desired, as apply's plan reads: `+` is what applying the file adds.
    let mut out = format!(
        "  --- live (get_callback)\n  +++ desired ({})\n",
        printable(&run.config.file, &[])
    );
    // Myers' algorithm only: `TextDiff` dispatches at run time to every algorithm
    // similar has, which put half a megabyte of code into the binary for a diff of a
    // dozen lines.
    let old: Vec<&str> = live_text.lines().collect();
    let new: Vec<&str> = desired.lines().collect();
    // Replace turns a delete next to an insert into one change, deletions first.
    let mut capture = similar::algorithms::Replace::new(similar::algorithms::Capture::new());
    // Capture never fails.
    let _ = similar::algorithms::myers::diff(&mut capture, &old, 0..old.len(), &new, 0..new.len());
    let changes = capture
        .into_inner()
        .into_ops()
        .into_iter()
        .flat_map(|op| op.iter_changes(&old, &new).collect::<Vec<_>>());
    for change in changes {
        let (sign, paint) = match change.tag() {
            similar::ChangeTag::Delete => ('-', "\u{1b}[31m"),
            similar::ChangeTag::Insert => ('+', "\u{1b}[32m"),
            similar::ChangeTag::Equal => (' ', ""),
        };
        let line = format!("  {sign} {}", change.value());
        if color && !paint.is_empty() {
            let _ = writeln!(out, "{paint}{line}\u{1b}[0m");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}
