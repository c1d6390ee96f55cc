//! JUnit XML: one testsuite per file, one testcase per app and one failing testcase
//! per error of the file (its invalid entries); for a run that stopped before
//! checking, one failing testcase per error in each file.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::REPORT_VERSION;
use super::problem::Problem;
use crate::model::{AppResult, FileResults, Status, Summary};

/// `problems`: the files' diagnostics; a file's errors (its invalid app entries, whose
/// valid apps were checked) are failing testcases of its suite.
pub fn render(runs: &[FileResults], problems: &[Problem]) -> String {
    let all = Summary::of_runs(runs);
    let errors = |file: &str| -> Vec<&Problem> {
        problems
            .iter()
            .filter(|p| p.is_error() && p.file.as_deref() == Some(file))
            .collect()
    };
    let invalid: usize = runs.iter().map(|run| errors(&run.config.file).len()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"cbcheck verify\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        all.apps + invalid,
        all.drifted + invalid,
        all.failed
    );
    for run in runs {
        let suite = Summary::of(&run.results);
        let failed = errors(&run.config.file);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">",
            attr(&run.config.file),
            suite.apps + failed.len(),
            suite.drifted + failed.len(),
            suite.failed
        );
        properties(&mut out);
        for p in &failed {
            problem_case(&mut out, &run.config.file, p);
        }
        for result in &run.results {
            testcase(&mut out, run, result);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A failing testcase for one of `file`'s errors.
fn problem_case(out: &mut String, file: &str, p: &Problem) {
    let place = match (p.line, p.column) {
        (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
        _ => file.to_owned(),
    };
    let name = match p.line {
        Some(line) => format!("{} at line {line}", p.code),
        None => p.code.clone(),
    };
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
        attr(&name),
        attr(file),
        attr(&p.code),
        attr(&p.message),
        text(&with_help(&format!("{place}: {}", p.message), p))
    );
}

/// A run that stopped before any app was checked: per file, a failing testcase for
/// each error (a file without errors passes as one testcase); what stopped the run
/// otherwise (no file to blame) is an erroring testcase of its own suite.
pub fn stopped(files: &[String], problems: &[Problem]) -> String {
    let errors = |file: Option<&str>| -> Vec<&Problem> {
        problems
            .iter()
            .filter(|p| p.is_error() && p.file.as_deref() == file)
            .collect()
    };
    let of_run = errors(None);
    let mut suites = String::new();
    let (mut tests, mut failures) = (0, 0);
    for file in files {
        let failed = errors(Some(file));
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            attr(file),
            failed.len().max(1),
            failed.len()
        );
        properties(&mut suites);
        if failed.is_empty() {
            let _ = writeln!(
                suites,
                "    <testcase name=\"valid\" classname=\"{}\"/>",
                attr(file)
            );
        }
        for p in &failed {
            problem_case(&mut suites, file, p);
        }
        tests += failed.len().max(1);
        failures += failed.len();
        suites.push_str("  </testsuite>\n");
    }
    if !of_run.is_empty() {
        let _ = writeln!(
            suites,
            "  <testsuite name=\"cbcheck verify\" tests=\"{0}\" failures=\"0\" errors=\"{0}\" skipped=\"0\">",
            of_run.len()
        );
        properties(&mut suites);
        for p in &of_run {
            let _ = writeln!(
                suites,
                "    <testcase name=\"{0}\" classname=\"cbcheck verify\">\n      <error type=\"{0}\" message=\"{1}\">{2}</error>\n    </testcase>",
                attr(&p.code),
                attr(&p.message),
                text(&with_help(&p.message, p))
            );
        }
        tests += of_run.len();
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cbcheck verify\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\">\n{suites}</testsuites>\n",
        of_run.len()
    )
}

fn with_help(text: &str, problem: &Problem) -> String {
    match &problem.help {
        Some(help) => format!("{text}\nhelp: {help}"),
        None => text.to_owned(),
    }
}

fn properties(out: &mut String) {
    let _ = writeln!(
        out,
        "    <properties><property name=\"cbcheck.report.version\" value=\"{REPORT_VERSION}\"/></properties>"
    );
}

fn testcase(out: &mut String, run: &FileResults, result: &AppResult) {
    let app = &result.app;
    let name = app.title();
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\"",
        attr(&name),
        attr(&run.config.file)
    );
    if let Some(failure) = &result.failure {
        let _ = writeln!(
            out,
            ">\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>",
            failure.class().id(),
            attr(&failure.message()),
            text(&format!("{}\n{}", failure.message(), failure.help()))
        );
        return;
    }
    let lines: Vec<String> = result
        .findings
        .iter()
        .map(|f| {
            let (line, _) = run.config.source.line_col(f.span.offset());
            format!(
                "{} {} ({}:{line}): {}",
                f.severity.id(),
                f.kind.id(),
                run.config.file,
                f.message
            )
        })
        .collect();
    match result.status() {
        Status::Drifted => {
            let mut body = lines.join("\n");
            if let Some(fix) = &result.remediation {
                let _ = write!(body, "\nfix: call {}", fix.path());
            }
            let _ = writeln!(
                out,
                ">\n      <failure type=\"drift\" message=\"{}\">{}</failure>\n    </testcase>",
                attr(&format!("drifted: {} finding(s)", lines.len())),
                text(&body)
            );
        }
        // In sync, but the vendor cannot deliver to its endpoint: apply cannot fix it.
        Status::Unhealthy => {
            let _ = writeln!(
                out,
                ">\n      <failure type=\"endpoint\" message=\"{}\">{}</failure>\n    </testcase>",
                attr("unhealthy: the configuration is in sync, its endpoint failed the probe"),
                text(&lines.join("\n"))
            );
        }
        // A change the checked file makes (`verify --base`) passes, its plan beside it.
        Status::Pending => {
            let plan = super::plan::blocks(std::iter::once((run, result)), false);
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                text(&format!(
                    "pending: live is as the base declares; applying the file makes this change\n{plan}{}",
                    lines.join("\n")
                ))
            );
        }
        _ if !lines.is_empty() => {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                text(&lines.join("\n"))
            );
        }
        _ => out.push_str("/>\n"),
    }
}

/// Escaped for an XML attribute: as [`text`], whose line breaks are character
/// references (parsers would fold raw ones into spaces) and tabs visible escapes.
fn attr(value: &str) -> String {
    text(value)
}

/// Escaped for XML. Text from the file or the vendor has its unsafe characters as
/// visible escapes, as in the human output (which also keeps XML 1.0's forbidden
/// control characters out); every line break is a character reference, so no data
/// starts a line of the document (a CI log reading it acts on `::command::` there).
fn text(value: &str) -> String {
    let shown = super::printable(value, &['\n']);
    escape(shown.as_ref()).replace('\n', "&#10;")
}
