//! The real binary: stdout, stderr and exit code together.

use crate::support::{Cmd, repo_path, workdir};

const VALID: &str = include_str!("fixtures/cli-valid.yaml");

#[test]
fn lint_passes_the_bundled_examples() {
    Cmd::new()
        .current_dir(&repo_path(""))
        .args([
            "lint",
            "examples/minimal.yaml",
            "examples/fleet.yaml",
            "examples/services.yaml",
        ])
        .run()
        .code(0)
        .stdout_is("")
        .stderr_is("examples/minimal.yaml: valid: 1 app, no warnings\nexamples/fleet.yaml: valid: 4 apps, no warnings\nexamples/services.yaml: valid: 3 apps, no warnings\n");
}

#[test]
fn lint_reports_every_file_and_fails_on_any_invalid_one() {
    let dir = workdir("lint-every-file")
        .with("good.yaml", VALID)
        .with("bad.yaml", VALID.replace("commands:", "comands:"));
    dir.cbcheck()
        .args(["lint", "bad.yaml", "good.yaml"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("cbcheck::config::unknown-key")
        .stderr_has("did you mean `commands`?")
        // The snippet header names file:line:col.
        .stderr_has("bad.yaml:8:7")
        .stderr_has("bad.yaml: invalid: 1 error\n")
        .stderr_has("good.yaml: valid: 1 app, no warnings\n");
}

#[test]
fn warnings_fail_only_with_deny_warnings() {
    let dir = workdir("deny-warnings").with(
        "warn.yaml",
        VALID.replace("[Room.CallbackAfterCreateRoom]", "[]"),
    );
    dir.cbcheck()
        .args(["lint", "warn.yaml"])
        .run()
        .code(0)
        .stderr_has("valid: 1 app, 1 warning");
    dir.cbcheck()
        .args(["lint", "--deny-warnings", "warn.yaml"])
        .run()
        .code(2)
        .stderr_has("cbcheck::config::empty-commands");
}

#[test]
fn unreadable_and_hostile_files_exit_2_with_a_clear_message() {
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let deep = format!("{}{}", "{a: ".repeat(50_000), "}".repeat(50_000));
    let dir = workdir("hostile")
        .with("huge.yaml", vec![b'#'; 10 * 1024 * 1024])
        .with("junk.yaml", junk)
        .with("deep.yaml", deep);
    for (file, message) in [
        ("does/not/exist.yaml", "cannot read does/not/exist.yaml"),
        ("huge.yaml", "cbcheck::config::too-large"),
        ("junk.yaml", "not UTF-8"),
        ("deep.yaml", "cbcheck::config::syntax"),
    ] {
        dir.cbcheck()
            .args(["lint", file])
            .run()
            .code(2)
            .stderr_has(message);
    }
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = Cmd::new().arg("schema").run();
    out.code(0);
    let committed = std::fs::read(repo_path("schemas/callbacks.schema.json")).expect("committed");
    assert_eq!(out.output.stdout, committed);
}

#[test]
fn help_shows_examples_and_exit_codes() {
    Cmd::new()
        .args(["lint", "--help"])
        .run()
        .code(0)
        .stdout_has("cbcheck lint callbacks.yaml");
    Cmd::new()
        .arg("--help")
        .run()
        .stdout_has("3  credentials missing or rejected");
    Cmd::new()
        .args(["schema", "--help"])
        .run()
        .stdout_has("cbcheck schema >");
    Cmd::new()
        .arg("--version")
        .run()
        .code(0)
        .stdout_is(&format!("cbcheck {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["lint", "--colour", "x.yaml"],
        &["--color", "sometimes", "schema"],
    ] {
        Cmd::new().args(args).run().code(2);
    }
}

#[test]
fn colour_and_narration_follow_flags_and_environment() {
    let dir = workdir("colour").with("colour.yaml", VALID.replace("singapore", "tokyo"));
    let run = |args: &[&str], env: &[(&str, &str)]| {
        dir.cbcheck()
            .args(args)
            .arg("colour.yaml")
            .envs(env)
            .run()
            .stderr
    };
    // Not a terminal: no colour by default, but the drawn snippet stays for CI logs.
    let plain = run(&["lint"], &[]);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(plain.contains("╭─["), "{plain}");
    assert!(run(&["--color", "always", "lint"], &[]).contains('\u{1b}'));
    assert!(!run(&["--color", "never", "lint"], &[]).contains('\u{1b}'));
    let narrated = run(&["lint"], &[("NO_GRAPHICS", "1")]);
    assert!(!narrated.contains("╭─["), "{narrated}");
    assert!(narrated.contains("unknown region `tokyo`"), "{narrated}");
}

#[test]
fn a_failed_write_to_stdout_is_an_error_not_a_truncated_success() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux: nothing to check
    };
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_cbcheck"))
        .arg("schema")
        .env_clear()
        .stdout(full)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(2));
}

#[test]
fn files_are_replaced_whole_keeping_permissions_and_symlinks() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workdir("atomic")
        .with("private.yaml", "old")
        .with("real/target.yaml", "old");
    let private = dir.join("private.yaml");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    cbcheck::testing::write_file_atomically(&private, "new").expect("replaced");
    assert_eq!(dir.read("private.yaml"), "new");
    let mode = std::fs::metadata(&private)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "a private file stays private");

    let link = dir.join("link.yaml");
    std::os::unix::fs::symlink(dir.join("real/target.yaml"), &link).expect("symlink");
    cbcheck::testing::write_file_atomically(&link, "through the link").expect("replaced");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    assert_eq!(dir.read("real/target.yaml"), "through the link");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .chain(std::fs::read_dir(dir.join("real")).expect("dir"))
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// In pull-request CI the checkout is the PR author's: a committed symlink at a report
/// path must not aim the report (or the metrics file) at another file.
#[test]
fn a_symlink_at_a_report_path_is_replaced_never_followed() {
    use std::os::unix::fs::PermissionsExt;
    const REPORTS: [&str; 4] = [
        "report.json",
        "report.sarif",
        "cbcheck.prom",
        "cbcheck_success.prom",
    ];
    let dir = workdir("report-links").with("victim", "precious\n");
    for name in REPORTS {
        std::os::unix::fs::symlink(dir.join("victim"), dir.join(name)).expect("symlink");
    }
    dir.cbcheck()
        .arg("verify")
        .arg(repo_path("examples/fleet.yaml"))
        .arg("--live-from")
        .arg(repo_path("examples/live-snapshot.json"))
        .args([
            "--report",
            "json=report.json",
            "--report",
            "sarif=report.sarif",
            "--report",
            "prometheus=cbcheck.prom",
        ])
        .run()
        .code(1);
    assert_eq!(dir.read("victim"), "precious\n");
    for name in REPORTS {
        let meta = std::fs::symlink_metadata(dir.join(name)).expect("written");
        assert!(
            meta.file_type().is_file(),
            "{name} is a file of its own now"
        );
        assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{name}");
    }
    let report = dir.read("report.json");
    assert!(report.contains("\"status\": \"drifted\""), "{report}");
}
