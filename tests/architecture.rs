//! The layer rules of ARCHITECTURE.md, checked on the sources: which layer may name
//! which (`crate::…` paths outside test code), where the network crates may appear,
//! and that the pure layers keep no process-wide mutable state.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layer a source file belongs to, by its path under `src/`.
fn layer_of(relative: &Path) -> String {
    let first = relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_owned()
}

/// The layers a layer may name, besides itself. Data flows one way: model at the
/// bottom, run at the top; `lib` only wires the modules together.
fn allowed(layer: &str) -> Option<&'static [&'static str]> {
    Some(match layer {
        "model" => &[],
        "config" => &["model"],
        "drift" => &["model"],
        "source" => &["model"],
        "report" => &["model", "config"],
        "cli" => &["model", "report"],
        "run" => &["model", "config", "drift", "source", "report", "cli"],
        "lib" | "main" => return None,
        _ => &[],
    })
}

/// The layers whose code may name the network crates.
const NETWORK_LAYERS: [&str; 1] = ["source"];

/// Layers that keep no process-wide mutable state.
const PURE_LAYERS: [&str; 4] = ["model", "config", "drift", "report"];

/// The file's text without its `#[cfg(test)]` items and without comments: tests may
/// reach across layers to build their fixtures.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            // Skip the item that follows: to the end of its braces, or its `;`.
            let mut depth = 0usize;
            let mut opened = false;
            for line in lines.by_ref() {
                let code = line.split("//").next().unwrap_or("");
                for c in code.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                }
                if (opened && depth == 0) || (!opened && code.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::NAME` the code names.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        // `cbcheck::…` in a test, or an identifier ending in `crate`, is another path.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = code[at + "crate::".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

/// What is wrong with one file of `layer`, as lines for the failure message.
fn violations(file: &str, layer: &str, text: &str) -> Vec<String> {
    let code = production_code(text);
    let mut problems = Vec::new();
    if let Some(allowed) = allowed(layer) {
        for name in crate_paths(&code) {
            if name != layer && !allowed.contains(&name.as_str()) {
                problems.push(format!(
                    "{file}: `{layer}` names `crate::{name}`; it may name only {allowed:?}"
                ));
            }
        }
    }
    if !NETWORK_LAYERS.contains(&layer) {
        for network in ["reqwest::", "tokio::", "hyper::"] {
            if code.contains(network) {
                problems.push(format!(
                    "{file}: `{layer}` names `{network}`; only {NETWORK_LAYERS:?} touch the network"
                ));
            }
        }
    }
    if PURE_LAYERS.contains(&layer) {
        for line in code.lines() {
            let item = line.trim_start();
            let is_static = [
                "static ",
                "pub static ",
                "pub(crate) static ",
                "pub(super) static ",
            ]
            .iter()
            .any(|p| item.starts_with(p));
            let mutable = ["Lock", "Mutex", "Cell", "Atomic", "static mut"]
                .iter()
                .any(|t| item.contains(t));
            if (is_static && mutable) || item.contains("thread_local!") {
                problems.push(format!(
                    "{file}: `{layer}` keeps process-wide state: `{}`; carry it in a value",
                    item.trim_end()
                ));
            }
        }
    }
    problems
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn architecture_every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 40, "the sources were not found under {src:?}");
    let mut problems = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src");
        let text = std::fs::read_to_string(path).expect("read source");
        problems.extend(violations(
            &relative.display().to_string(),
            &layer_of(relative),
            &text,
        ));
    }
    assert!(
        problems.is_empty(),
        "layer rules broken (ARCHITECTURE.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn architecture_check_catches_what_it_forbids() {
    // The checker itself: each rule fires on a file that breaks it, and test code
    // and comments are left out.
    let upward = "use crate::model::App;\nuse crate::source::keys;\n";
    assert_eq!(violations("model/x.rs", "model", upward).len(), 1);
    assert_eq!(violations("report/x.rs", "report", upward).len(), 1);
    assert!(violations("run/x.rs", "run", upward).is_empty());
    let network = "fn f() { let _ = reqwest::Client::new(); }\n";
    assert_eq!(violations("drift.rs", "drift", network).len(), 1);
    assert!(violations("source/x.rs", "source", network).is_empty());
    let state = "static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());\nthread_local! { static X: u8 = 0; }\n";
    assert_eq!(violations("model/x.rs", "model", state).len(), 2);
    let tests_only = "// crate::source in a comment\nfn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::source;\n    fn g() { if true { } }\n}\nuse crate::run;\n";
    assert_eq!(
        violations("model/x.rs", "model", tests_only),
        ["model/x.rs: `model` names `crate::run`; it may name only []"]
    );
}

/// The public modules of `lib.rs`: `cli`, and `testing`, which re-exports what the
/// integration tests use (hidden from the documentation, not an API).
fn public_modules(lib: &str) -> Vec<String> {
    production_code(lib)
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches([';', '{', ' ']).trim().to_owned())
        .collect()
}

#[test]
fn architecture_lib_exposes_cli_and_the_testing_surface_only() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("read lib.rs");
    assert_eq!(public_modules(&lib), ["cli", "testing"]);
    assert!(
        lib.contains("#[doc(hidden)]\npub mod testing"),
        "the testing surface is hidden from the documentation"
    );
    assert_eq!(
        public_modules(
            "pub mod cli;\nmod run;\n#[doc(hidden)]\npub mod testing {\n}\npub mod source;\n"
        ),
        ["cli", "testing", "source"]
    );
}
