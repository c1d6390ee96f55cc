//! The documentation a user reads on the forge: every relative link in it leads
//! somewhere (a file or folder of the repository, and the heading it names), and every
//! cbcheck version it, the Action and the recipes pin is the one in Cargo.toml.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::repo_path;

/// The Markdown a user or contributor reads: the front pages and everything in docs/.
fn documentation() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    let mut files: Vec<PathBuf> = [
        "README.md",
        "ARCHITECTURE.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
    ]
    .into_iter()
    .map(repo_path)
    .collect();
    walk(&repo_path("docs"), &mut files);
    files.sort();
    files
}

/// The lines outside fenced code blocks, with inline code spans removed.
fn prose(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut kept = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                kept.push_str(part);
            }
        }
        lines.push(kept);
    }
    lines
}

/// The targets of the inline links and images in the text: `[text](target)`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose(text) {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            targets.push(rest[..end].trim().to_owned());
            rest = &rest[end..];
        }
    }
    targets
}

/// The anchors GitHub gives the headings of a Markdown file: lower case, punctuation
/// dropped, spaces as hyphens, `-1`, `-2`… for repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#').trim();
        let slug: String = heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut n = 0;
        while seen.contains(&unique) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
        seen.insert(unique);
    }
    seen
}

#[test]
fn relative_links_in_the_documentation_resolve() {
    let files = documentation();
    assert!(
        files.len() > 10,
        "expected the README and docs/, found {files:?}"
    );
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable Markdown");
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("in a folder").join(path)
            };
            checked += 1;
            let name = file.strip_prefix(repo_path("")).unwrap_or(file).display();
            if !resolved.exists() {
                broken.push(format!("{name}: ({target}): no such file"));
                continue;
            }
            if let Some(anchor) = anchor
                && resolved.extension().is_some_and(|e| e == "md")
            {
                let heading_text = std::fs::read_to_string(&resolved).expect("readable");
                if !anchors(&heading_text).contains(anchor) {
                    broken.push(format!("{name}: ({target}): no heading with that anchor"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 50, "only {checked} relative links found");
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    let text = "# The nightly audit\n## Checking the endpoints themselves: `verify --probe`\n## Secrets in callback URLs: `${VAR}`\n```\n# not a heading\n```\n## The nightly audit\n";
    let expected: BTreeSet<String> = [
        "the-nightly-audit",
        "checking-the-endpoints-themselves-verify---probe",
        "secrets-in-callback-urls-var",
        "the-nightly-audit-1",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(anchors(text), expected);
}

/// The files that tell users which cbcheck release to install, and the least number of
/// pins each must hold (so that a reworded recipe cannot silently leave the check).
const PINNED: [(&str, usize); 9] = [
    ("README.md", 3),
    ("docs/install.md", 3),
    ("action.yml", 2),
    ("install.sh", 2),
    ("examples/ci/github-pull-request.yml", 1),
    ("examples/ci/gitlab-ci.yml", 1),
    ("examples/ci/install-pinned.sh", 1),
    (".pre-commit-hooks.yaml", 1),
    ("CONTRIBUTING.md", 0),
];

/// What comes right before a cbcheck version in the Markdown pages; elsewhere in them a
/// version number may belong to another tool (SARIF 2.1.0, junitparser 5.0.3, …).
const PIN_MARKERS: [&str; 7] = [
    "--tag v",
    // The schema URL of an exported file (docs/commands/export.md).
    "cbcheck/cbcheck/v",
    "sh -s -- ",
    "such as ",
    "pin one (`",
    "rev: v",
    "CBCHECK_VERSION: \"",
];

/// Every `X.Y.Z` in the text (a leading `v` dropped) with the text before it on its line.
fn versions(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit());
            if !starts {
                i += 1;
                continue;
            }
            let end = line[i..]
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .map_or(line.len(), |n| i + n);
            let candidate = line[i..end].trim_end_matches('.');
            let parts: Vec<&str> = candidate.split('.').collect();
            let before = &line[..i];
            if parts.len() == 3
                && parts.iter().all(|p| !p.is_empty())
                && !before.ends_with('.')
                && !before.ends_with('/')
            {
                found.push((candidate.to_owned(), before.to_owned()));
            }
            i = end.max(i + 1);
        }
    }
    found
}

#[test]
fn versions_pinned_in_docs_and_recipes_are_cargo_tomls() {
    let version = env!("CARGO_PKG_VERSION");
    let mut wrong = Vec::new();
    let mut files: Vec<(String, usize)> = PINNED
        .iter()
        .map(|(file, least)| ((*file).to_owned(), *least))
        .collect();
    for path in documentation() {
        let name = path
            .strip_prefix(repo_path(""))
            .expect("in the repository")
            .display()
            .to_string();
        if name.starts_with("docs/") && !files.iter().any(|(file, _)| *file == name) {
            files.push((name, 0));
        }
    }
    for (file, least) in files {
        let text = std::fs::read_to_string(repo_path(&file)).expect("readable");
        let markdown = file.ends_with(".md");
        let pins: Vec<String> = versions(&text)
            .into_iter()
            .filter(|(_, before)| {
                let before = before.strip_suffix('v').unwrap_or(before);
                !markdown
                    || PIN_MARKERS
                        .iter()
                        .any(|m| before.ends_with(m) || before.ends_with(m.trim_end_matches('v')))
            })
            .map(|(pin, _)| pin)
            .collect();
        if pins.len() < least {
            wrong.push(format!(
                "{file}: expected at least {least} version pins, found {pins:?}"
            ));
        }
        for pin in pins {
            if pin != version {
                wrong.push(format!("{file}: pins {pin}, Cargo.toml says {version}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let changelog = std::fs::read_to_string(repo_path("CHANGELOG.md")).expect("readable");
    assert!(
        changelog
            .lines()
            .any(|line| line.starts_with(&format!("## [{version}] - "))),
        "CHANGELOG.md has no section `## [{version}] - …`"
    );
}

#[test]
fn version_pins_are_found_where_they_are_written() {
    let text = "cargo install --tag v9.8.7 cbcheck\nSARIF 2.1.0 and 10.0.0.1\nsh -s -- 1.2.3 # x";
    let found: Vec<String> = versions(text).into_iter().map(|(v, _)| v).collect();
    assert_eq!(found, ["9.8.7", "2.1.0", "1.2.3"]);
}
