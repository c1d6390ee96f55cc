//! Property tests: random bytes, and random mutations of the example files, never make
//! cbcheck panic; a file is valid or has errors, and every problem has a place.
//!
//! CBCHECK_PROPTEST_CASES raises the number of cases (default 64).

use cbcheck::testing::{
    Loaded, Redaction, Renderer, Rule, Style, annotations_from_lint, is_unsafe, lint_report,
    lint_summary, load_bytes, render_github, render_sarif_lint,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::support::text::{foreign_commands, raw_unsafe};
use crate::support::vendor::{Snapshot, configured};
use crate::support::{Out, one_app, repo_path, workdir};

fn cases() -> u32 {
    std::env::var("CBCHECK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        // A failure prints its minimal input; nothing is written beside the sources.
        failure_persistence: None,
        ..Config::default()
    }
}

fn examples() -> Vec<Vec<u8>> {
    [
        "examples/minimal.yaml",
        "examples/fleet.yaml",
        "examples/services.yaml",
    ]
    .iter()
    .map(|path| std::fs::read(repo_path(path)).expect("example"))
    .collect()
}

/// One edit a careless hand, a bad merge or a broken transfer could make.
#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Replace(usize, u8),
    Swap(usize, usize),
    DuplicateLine(usize),
    DeleteLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop_oneof![
        3 => proptest::collection::vec(
            proptest::sample::select(b" \t\r\n:-[]{},#&*!|>'\"%@`?\\".to_vec()),
            1..6
        ),
        2 => "[a-zA-Z0-9_.]{1,12}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 1..6),
        1 => "[\u{0}-\u{1f}\u{7f}-\u{9f}\u{202a}-\u{202e}é日]{1,4}".prop_map(String::into_bytes),
    ];
    prop_oneof![
        (any::<usize>(), bytes).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1..32usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Replace(at, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::DeleteLine),
    ]
}

/// The byte ranges of the lines of `text`, line breaks included.
fn lines(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' {
            lines.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(start..text.len());
    }
    lines
}

fn apply(mut text: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = text.len();
        match m {
            Mutation::Insert(at, bytes) => {
                let at = at % (len + 1);
                text.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(at, n) if len > 0 => {
                let at = at % len;
                text.drain(at..(at + n).min(len));
            }
            Mutation::Replace(at, byte) if len > 0 => text[at % len] = *byte,
            Mutation::Swap(a, b) if len > 0 => text.swap(a % len, b % len),
            Mutation::DuplicateLine(i) | Mutation::DeleteLine(i) => {
                let lines = lines(&text);
                if lines.is_empty() {
                    continue;
                }
                let line = lines[i % lines.len()].clone();
                if matches!(m, Mutation::DuplicateLine(_)) {
                    let copy = text[line.clone()].to_vec();
                    text.splice(line.start..line.start, copy);
                } else {
                    text.drain(line);
                }
            }
            _ => {}
        }
    }
    text
}

/// Problems about the file as a whole, before any text could be read: they have no place.
fn whole_file(rule: Rule) -> bool {
    matches!(rule, Rule::Unreadable | Rule::TooLarge)
}

/// Output meant for a person or a CI log: no character that could drive a terminal.
fn assert_printable(what: &str, text: &str) -> Result<(), TestCaseError> {
    if let Some(c) = text
        .chars()
        .find(|&c| c != '\n' && c != '\t' && is_unsafe(c))
    {
        return Err(TestCaseError::fail(format!(
            "{what} holds a raw {c:?}:\n{text}"
        )));
    }
    Ok(())
}

/// Load the bytes and render them in every format `lint` offers: nothing panics, the
/// file is valid exactly when it has no errors, and every problem has a place.
fn lint_everything(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let loaded: Loaded = load_bytes("callbacks.yaml".into(), bytes, &Redaction::default());
    prop_assert_eq!(loaded.config.is_some(), loaded.errors() == 0);
    for diagnostic in &loaded.diagnostics {
        if !whole_file(diagnostic.rule) {
            prop_assert!(
                diagnostic.line_col().is_some(),
                "{} has no place",
                diagnostic.rule.code()
            );
        }
    }
    for narrated in [false, true] {
        let renderer = Renderer::new(Style {
            narrated,
            ..Style::plain()
        });
        let text = lint_report(&renderer, &loaded);
        assert_printable("the human report", &text)?;
        let summary = format!("{}\n", lint_summary(&loaded));
        prop_assert!(text.ends_with(&summary), "no summary line:\n{}", text);
    }
    let annotations = annotations_from_lint(std::slice::from_ref(&loaded));
    prop_assert_eq!(annotations.len(), loaded.diagnostics.len());
    let github = render_github(&annotations, &[], &lint_summary(&loaded));
    assert_printable("the GitHub annotations", &github)?;
    let sarif: serde_json::Value = serde_json::from_str(&render_sarif_lint(&annotations, None))
        .map_err(|e| TestCaseError::fail(format!("SARIF is not JSON: {e}")))?;
    prop_assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(loaded.diagnostics.len())
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(cases()))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        lint_everything(bytes)?;
    }

    #[test]
    fn random_yaml_like_text_never_panics(text in "[a-z0-9:\\-\\[\\]{},'\" \t\r\n#&*!|>.]{0,300}") {
        lint_everything(text.into_bytes())?;
    }

    #[test]
    fn mutated_examples_never_panic(
        example in 0..2usize,
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        lint_everything(apply(examples()[example].clone(), &mutations))?;
    }
}

proptest! {
    // Each case starts the binary: a few are enough to tie the library to the exit code.
    #![proptest_config(config((cases() / 8).max(4)))]

    #[test]
    fn the_binary_exits_0_or_2_on_mutated_examples(
        example in 0..2usize,
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        // A fresh directory per case: no report of an earlier case may pass.
        let dir = workdir("mutated")
            .with("callbacks.yaml", apply(examples()[example].clone(), &mutations));
        let out = dir
            .cbcheck()
            .args(["lint", "callbacks.yaml", "--report", "sarif=callbacks.sarif"])
            .run();
        prop_assert!(matches!(out.code, Some(0 | 2)), "{:?}\n{}", out.code, out.stderr);
        assert_printable("lint's stderr", &out.stderr)?;
        let written = std::fs::read_to_string(dir.join("callbacks.sarif"));
        prop_assert!(written.is_ok_and(|s| s.contains("\"results\"")), "no SARIF report");
    }
}

/// Pieces of hostile text: workflow commands, every kind of line break and Unicode
/// space, terminal controls, Markdown syntax, URLs and mentions, plain words.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        proptest::sample::select(vec![
            "##[",
            "::",
            "::error title=x::y",
            "::stop-commands::t",
            "::add-mask::",
            "#",
            ":",
            "\n",
            "\r",
            "\r\n",
            "\u{b}",
            "\u{c}",
            "\u{85}",
            "\u{2028}",
            "\u{2029}",
            "\t",
            " ",
            "\u{a0}",
            "\u{2003}",
            "\u{3000}",
            "\u{1680}",
            "\u{1b}]52;c;aGk=\u{7}",
            "\u{1b}[2J",
            "\u{9b}",
            "\u{202e}",
            "\u{200b}",
            "[x](https://a.example/l)",
            "![i](https://a.example/i.png)",
            "<img src=x>",
            "<https://a.example>",
            "@acme/team",
            "a@b.example.com",
            "www.a.example",
            "https://a.example/x",
            "//a.example",
            "`",
            "``",
            "```",
            "|",
            "*",
            "_",
            "~~",
            "&amp;",
            "\\",
            "\"",
            "'",
            "-",
            "é",
            "日本",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9.]{1,8}",
    ];
    proptest::collection::vec(piece, 1..10).prop_map(|pieces| pieces.concat())
}

/// A YAML double-quoted scalar for `text` (JSON syntax; YAML takes no raw C1 or
/// U+2028 family there, so those as escapes).
fn yaml_quoted(text: &str) -> String {
    serde_json::to_string(text)
        .expect("JSON")
        .chars()
        .map(|c| {
            if ('\u{7f}'..='\u{9f}').contains(&c) || matches!(c, '\u{2028}' | '\u{2029}') {
                format!("\\u{:04x}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Markdown from `text` that makes no link, image, HTML (but cbcheck's version
/// comment), mention or bare URL, and whose table rows have one cell count.
fn assert_inert_markdown(text: &str) -> Result<(), TestCaseError> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut rows = Vec::new();
    let mut cells = 0;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match &event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
                return Err(TestCaseError::fail(format!("{event:?} in\n{text}")));
            }
            Event::Html(html) | Event::InlineHtml(html)
                if !html.starts_with("<!-- cbcheck report version") =>
            {
                return Err(TestCaseError::fail(format!("HTML {html:?} in\n{text}")));
            }
            Event::Text(t) => {
                let chars: Vec<char> = t.chars().collect();
                prop_assert!(
                    !chars
                        .windows(2)
                        .any(|w| w[0] == '@' && w[1].is_ascii_alphanumeric()),
                    "a mention in {:?}",
                    t
                );
            }
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => {
                rows.push(cells);
                cells = 0;
            }
            _ => {}
        }
    }
    prop_assert!(
        rows.iter().all(|&n| n == rows[0]),
        "cells {:?}:\n{}",
        rows,
        text
    );
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            prop_assert!(
                !line.contains("://") && !line.contains("www."),
                "a bare URL: {}",
                line
            );
        }
    }
    Ok(())
}

proptest! {
    // Each case runs the binary once per format.
    #![proptest_config(config((cases() / 8).max(6)))]

    /// Random file text (app name, comment, key) and random vendor text (URL, command
    /// words) through every format of verify, and export: no workflow command cbcheck
    /// did not write, no raw control or separator character but line feed and tab, and
    /// no Markdown construct from data.
    #[test]
    fn hostile_text_reaches_no_output_as_a_command_or_markup(
        name in hostile(),
        comment in hostile(),
        key in hostile(),
        url in hostile(),
        word in hostile(),
        typo in any::<bool>(),
    ) {
        // A comment ends at a line break: the rest of the text lands on the next line,
        // which usually breaks the file (and is drawn in the snippet).
        let extra = if typo {
            format!("    {}: 1   # {comment}\n", yaml_quoted(&key))
        } else {
            String::new()
        };
        let live = Snapshot::new().room(
            1_400_000_001,
            configured(
                &format!("https://hooks.example.com/{url}"),
                &["Room.CallbackAfterCreateRoom", &word],
            ),
        );
        let dir = workdir("hostile")
            .with("a.yaml", one_app(&yaml_quoted(&name), &extra))
            .with("live.json", live.to_string());
        let run = |args: &[&str]| dir.cbcheck().args(args).run();
        for format in ["human", "github", "json", "sarif", "junit", "markdown", "prometheus"] {
            let Out { code, stdout, stderr, .. } = run(
                &["verify", "a.yaml", "--format", format, "--live-from", "live.json"],
            );
            prop_assert!(matches!(code, Some(0..=2)), "{} {:?}\n{}", format, code, stderr);
            let own = format == "github";
            prop_assert_eq!(foreign_commands(&stdout, own), Vec::<String>::new(), "{} stdout", format);
            prop_assert_eq!(foreign_commands(&stderr, false), Vec::<String>::new(), "{} stderr", format);
            prop_assert_eq!(raw_unsafe(&stdout), None, "{} stdout:\n{}", format, stdout);
            prop_assert_eq!(raw_unsafe(&stderr), None, "{} stderr:\n{}", format, stderr);
            match format {
                "markdown" => assert_inert_markdown(&stdout)?,
                "json" | "sarif" => {
                    prop_assert!(serde_json::from_str::<serde_json::Value>(&stdout).is_ok(), "{}", stdout);
                }
                "junit" => prop_assert!(roxmltree::Document::parse(&stdout).is_ok(), "{}", stdout),
                _ => {}
            }
        }
        let Out { stdout, stderr, .. } = run(
            &["export", "--live-from", "live.json", "--sdkappid", "1400000001",
              "--region", "singapore", "--identifier", "administrator", "--service", "room",
              "--literal-urls"],
        );
        prop_assert_eq!(foreign_commands(&stdout, false), Vec::<String>::new(), "export stdout");
        prop_assert_eq!(foreign_commands(&stderr, false), Vec::<String>::new(), "export stderr");
        prop_assert_eq!(raw_unsafe(&stdout), None, "export stdout:\n{}", stdout);
        prop_assert_eq!(raw_unsafe(&stderr), None, "export stderr:\n{}", stderr);
    }
}
