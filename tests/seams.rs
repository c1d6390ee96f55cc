//! Issue 20's promises where two of its changes meet: the escaper applied to what the
//! other changes print. Through the real binary.

use crate::log_commands::{foreign_commands, raw_unsafe};
use crate::support::vendor::{Snapshot, configured};
use crate::support::{fixture, workdir};

/// A callbacks file's name is the header of every snippet: a terminal escape (OSC 52
/// writes the clipboard), a line break or `##[` in it is escaped like any file text.
#[test]
fn a_file_name_in_a_snippet_header_is_escaped() {
    let name = "a\u{1b}]52;c;eA==\u{7}\n::error::x ##[y]\u{2028}.yaml";
    let live = Snapshot::new().room(
        1400000001,
        configured("https://hooks.example.com/other", &[]),
    );
    let typo = format!("typo-{name}");
    let dir = workdir("snippet-name")
        .with(name, fixture("one-app.yaml"))
        .with(&typo, "version: 1\napps: []\ncalback: x\n")
        .with("live.json", live.to_string());
    for args in [
        vec!["lint", &typo],
        vec!["lint", &typo, "--format", "github"],
        vec!["verify", name, "--live-from", "live.json"],
        vec!["verify", name, "--live-from", "live.json", "--format", "github"],
    ] {
        let out = dir.cbcheck().args(&args).run();
        assert!(matches!(out.code, Some(1 | 2)), "{args:?}: {}", out.stderr);
        if !args.contains(&"github") {
            assert!(out.stderr.contains("─["), "{args:?}: no snippet\n{}", out.stderr);
        }
        assert_eq!(raw_unsafe(&out.stderr), None, "{args:?}:\n{}", out.stderr);
        assert_eq!(foreign_commands(&out.stderr, false), Vec::<String>::new());
        // Only the line breaks cbcheck writes: none from the name.
        assert!(
            !out.stderr.contains("\n::error::x"),
            "{args:?}:\n{}",
            out.stderr
        );
    }
}
