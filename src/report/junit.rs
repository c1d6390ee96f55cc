//! JUnit XML: one testsuite per file, one testcase per app.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::REPORT_VERSION;
use crate::model::{AppResult, Run, Status, Summary};

pub fn render(runs: &[Run]) -> String {
    let all = Summary::of_runs(runs);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"cbcheck verify\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        all.apps, all.drifted, all.failed
    );
    for run in runs {
        let suite = Summary::of(&run.results);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\">",
            attr(&run.config.file),
            suite.apps,
            suite.drifted,
            suite.failed
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"cbcheck.report.version\" value=\"{REPORT_VERSION}\"/></properties>"
        );
        for result in &run.results {
            testcase(&mut out, run, result);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, run: &Run, result: &AppResult) {
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

/// Escaped for an XML attribute: line breaks and tabs as character references, or
/// parsers would fold them into spaces.
fn attr(value: &str) -> String {
    text(value)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// Escaped for XML, without the control characters XML 1.0 cannot carry at all.
fn text(value: &str) -> String {
    // XML 1.0's Char production: other characters cannot appear even escaped.
    let clean: String = value
        .chars()
        .filter(|c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(c)
                || ('\u{E000}'..='\u{FFFD}').contains(c)
                || *c >= '\u{10000}'
        })
        .collect();
    escape(clean.as_str()).into_owned()
}
