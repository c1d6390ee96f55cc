//! Issue 20's promises where two of its changes meet: the escaper applied to what the
//! other changes print, and report paths that reach a descriptor. Through the real
//! binary.

use crate::support::text::{foreign_commands, raw_unsafe};
use crate::support::vendor::{Snapshot, configured};
use crate::support::{fixture, workdir};

/// The snapshot in which `one-app.yaml` is in sync.
fn in_sync() -> Snapshot {
    Snapshot::new().room(
        1400000001,
        configured(
            "https://hooks.example.com/cb",
            &["Room.CallbackAfterCreateRoom"],
        ),
    )
}

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
        vec![
            "verify",
            name,
            "--live-from",
            "live.json",
            "--format",
            "github",
        ],
    ] {
        let out = dir.cbcheck().args(&args).run();
        assert!(matches!(out.code, Some(1 | 2)), "{args:?}: {}", out.stderr);
        if !args.contains(&"github") {
            assert!(
                out.stderr.contains("─["),
                "{args:?}: no snippet\n{}",
                out.stderr
            );
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

/// A report path in the checkout that links to the run's standard input (or any
/// descriptor but stdout and stderr) is a link like any other: replaced by the report,
/// never followed. Followed, it reopened the file the shell gave as stdin for writing
/// (even one opened read-only) and appended the report to it.
#[cfg(unix)]
#[test]
fn a_link_to_standard_input_is_replaced_not_written_through() {
    let live = in_sync().room(1400000002, configured("https://hooks.example.com/cb", &[]));
    let fleet = fixture("two-apps.yaml");
    let dir = workdir("stdin-link")
        .with("callbacks.yaml", &fleet)
        .with("live.json", live.to_string());
    for (link, target) in [
        ("report.json", "/proc/self/fd/0"),
        ("report.sarif", "/dev/fd/0"),
    ] {
        std::os::unix::fs::symlink(target, dir.join(link)).expect("symlink");
        let stdin = std::fs::File::open(dir.join("callbacks.yaml")).expect("open");
        let format = link.rsplit('.').next().expect("extension");
        // The builder writes stdin through a pipe: the file itself must be stdin here.
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_cbcheck"))
            .current_dir(&*dir)
            .args(["verify", "-", "--live-from", "live.json", "--report"])
            .arg(format!("{format}={link}"))
            .stdin(stdin)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("runs");
        assert_eq!(status.code(), Some(1), "{link}");
        assert_eq!(dir.read("callbacks.yaml"), fleet, "{link} wrote into stdin");
        let meta = std::fs::symlink_metadata(dir.join(link)).expect("written");
        assert!(meta.file_type().is_file(), "{link} is still a link");
        assert!(dir.read(link).contains("1400000002"), "{link}");
    }
}

/// `cbcheck_file_valid` is labelled by the file's name as shown: a file given twice, or
/// two names that show alike (a raw ESC is shown as the text `\u{1b}`), are one series,
/// valid only when every file behind it is. Written twice, the textfile collector
/// refuses the whole file (or reads the valid one and hides the broken one).
#[test]
fn a_file_label_is_written_once_however_the_files_are_named() {
    let live = Snapshot::new().room(
        1400000001,
        configured(
            "https://hooks.example.com/cb",
            &["Room.CallbackAfterCreateRoom"],
        ),
    );
    let dir = workdir("file-label")
        .with("a\u{1b}.yaml", fixture("one-app.yaml"))
        .with("a\\u{1b}.yaml", "version: 1\napps: []\n")
        .with("live.json", live.to_string());
    let out = dir
        .cbcheck()
        .args([
            "verify",
            "a\u{1b}.yaml",
            "a\\u{1b}.yaml",
            "a\\u{1b}.yaml",
            "--live-from",
            "live.json",
            "--format",
            "prometheus",
        ])
        .run();
    out.code(2);
    let families = crate::support::prometheus::parse(&out.stdout);
    let valid = &families["cbcheck_file_valid"];
    assert_eq!(valid.len(), 1, "{}", out.stdout);
    assert_eq!(valid[0].1, 0.0, "{}", out.stdout);
}

/// Names are unique within a file, not across files: `--app prod` where two files each
/// have a `prod` would check (and apply would change) both. Refused before anything
/// is read; the SDKAppID selects one.
#[test]
fn a_name_two_files_share_selects_nothing() {
    // one-app.yaml is `prod`, 1400000001, in sync with `in_sync()`; its twin is 1400000009.
    let twin = fixture("one-app.yaml").replace("1400000001", "1400000009");
    let live = in_sync().room(1400000009, configured("https://hooks.example.com/old", &[]));
    let dir = workdir("shared-name")
        .with("p1.yaml", fixture("one-app.yaml"))
        .with("p2.yaml", twin)
        .with("live.json", live.to_string());
    for command in [&["verify"][..], &["apply", "--dry-run"]] {
        dir.cbcheck()
            .args(command)
            .args([
                "p1.yaml",
                "p2.yaml",
                "--app",
                "prod",
                "--live-from",
                "live.json",
            ])
            .run()
            .code(2)
            .stderr_has("--app prod names more than one app: sdkappid 1400000001 in p1.yaml")
            .stderr_has("sdkappid 1400000009 in")
            .stderr_has("select the app by its");
    }
    dir.cbcheck()
        .args([
            "verify",
            "p1.yaml",
            "p2.yaml",
            "--app",
            "1400000001",
            "--live-from",
            "live.json",
        ])
        .run()
        .code(0);
}
