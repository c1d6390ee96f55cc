//! Property tests: random bytes, and random mutations of the example files, never make
//! cbcheck panic; a file is valid or has errors, and every problem has a place.
//!
//! CBCHECK_PROPTEST_CASES raises the number of cases (default 64).

use cbcheck::Redaction;
use cbcheck::config::{self, Loaded, Rule};
use cbcheck::report::human::{self, Renderer};
use cbcheck::report::{self, Style};
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::support::{cbcheck, repo_path};

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
        .find(|&c| c != '\n' && c != '\t' && report::is_unsafe(c))
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
    let loaded: Loaded = config::load_bytes("callbacks.yaml".into(), bytes, &Redaction::default());
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
        let text = human::lint_report(&renderer, &loaded);
        assert_printable("the human report", &text)?;
        let summary = format!("{}\n", human::lint_summary(&loaded));
        prop_assert!(text.ends_with(&summary), "no summary line:\n{}", text);
    }
    let annotations = report::annotation::from_lint(std::slice::from_ref(&loaded));
    prop_assert_eq!(annotations.len(), loaded.diagnostics.len());
    let github = report::github::render(&annotations, &[], &human::lint_summary(&loaded));
    assert_printable("the GitHub annotations", &github)?;
    let sarif: serde_json::Value =
        serde_json::from_str(&report::sarif::render_lint(&annotations, None))
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
        let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("properties");
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let file = tempfile::NamedTempFile::with_suffix_in(".yaml", &dir).expect("scratch file");
        std::fs::write(file.path(), apply(examples()[example].clone(), &mutations)).expect("written");
        let sarif = file.path().with_extension("sarif");
        let output = cbcheck()
            .arg("lint")
            .arg(file.path())
            .arg("--report")
            .arg(format!("sarif={}", sarif.display()))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        prop_assert!(matches!(output.status.code(), Some(0 | 2)), "{:?}\n{}", output.status, stderr);
        assert_printable("lint's stderr", &stderr)?;
        let written = std::fs::read_to_string(&sarif);
        let _ = std::fs::remove_file(&sarif);
        prop_assert!(written.is_ok_and(|s| s.contains("\"results\"")), "no SARIF report");
    }
}
