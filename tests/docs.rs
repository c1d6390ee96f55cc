//! The documentation a user reads on the forge: every relative link in it leads
//! somewhere (a file or folder of the repository, and the heading it names).

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
