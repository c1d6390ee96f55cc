//! The real binary: stdout, stderr and exit code together.

use std::path::PathBuf;

use crate::support::{cbcheck, repo_path};

/// Write `content` to a file under the test's scratch directory.
fn scratch(name: &str, content: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("scratch file");
    path
}

const VALID: &str = "\
version: 1
apps:
  - sdkappid: 1400000001
    region: singapore
    identifier: admin
    callback:
      url: https://hooks.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
";

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn lint_passes_the_bundled_examples() {
    let output = cbcheck()
        .current_dir(repo_path(""))
        .args([
            "lint",
            "examples/minimal.yaml",
            "examples/fleet.yaml",
            "examples/services.yaml",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(output.stdout.is_empty());
    assert_eq!(
        stderr_of(&output),
        "examples/minimal.yaml: valid: 1 app, no warnings\nexamples/fleet.yaml: valid: 4 apps, no warnings\nexamples/services.yaml: valid: 3 apps, no warnings\n"
    );
}

#[test]
fn lint_reports_every_file_and_fails_on_any_invalid_one() {
    let good = scratch("good.yaml", VALID.as_bytes());
    let bad = scratch(
        "bad.yaml",
        VALID.replace("commands:", "comands:").as_bytes(),
    );
    let output = cbcheck()
        .arg("lint")
        .arg(&bad)
        .arg(&good)
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("cbcheck::config::unknown-key"), "{stderr}");
    assert!(stderr.contains("did you mean `commands`?"), "{stderr}");
    assert!(
        stderr.contains("bad.yaml:8:7"),
        "the snippet header names file:line:col\n{stderr}"
    );
    assert!(stderr.contains("bad.yaml: invalid: 1 error\n"), "{stderr}");
    assert!(
        stderr.contains("good.yaml: valid: 1 app, no warnings\n"),
        "{stderr}"
    );
}

#[test]
fn warnings_fail_only_with_deny_warnings() {
    let file = scratch(
        "warn.yaml",
        VALID
            .replace("[Room.CallbackAfterCreateRoom]", "[]")
            .as_bytes(),
    );
    let output = cbcheck().arg("lint").arg(&file).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("valid: 1 app, 1 warning"));

    let output = cbcheck()
        .args(["lint", "--deny-warnings"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("cbcheck::config::empty-commands"));
}

#[test]
fn unreadable_and_hostile_files_exit_2_with_a_clear_message() {
    let output = cbcheck()
        .args(["lint", "does/not/exist.yaml"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("cannot read does/not/exist.yaml"),
        "{stderr}"
    );

    let huge = scratch("huge.yaml", &vec![b'#'; 10 * 1024 * 1024]);
    let output = cbcheck().arg("lint").arg(&huge).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("cbcheck::config::too-large"),
        "{}",
        stderr_of(&output)
    );

    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let output = cbcheck()
        .arg("lint")
        .arg(scratch("junk.yaml", &junk))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("not UTF-8"),
        "{}",
        stderr_of(&output)
    );

    let deep = format!("{}{}", "{a: ".repeat(50_000), "}".repeat(50_000));
    let output = cbcheck()
        .arg("lint")
        .arg(scratch("deep.yaml", deep.as_bytes()))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("cbcheck::config::syntax"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn schema_prints_the_committed_schema() {
    let output = cbcheck().arg("schema").output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let committed = std::fs::read(repo_path("schemas/callbacks.schema.json")).expect("committed");
    assert_eq!(output.stdout, committed);
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let output = cbcheck().args(["lint", "--help"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("cbcheck lint callbacks.yaml"), "{help}");

    let output = cbcheck().arg("--help").output().expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("3  credentials missing or rejected"),
        "{help}"
    );

    let output = cbcheck().args(["schema", "--help"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&output.stdout).contains("cbcheck schema >"));

    let output = cbcheck().arg("--version").output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("cbcheck {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["lint", "--colour", "x.yaml"],
        &["--color", "sometimes", "schema"],
    ] {
        let output = cbcheck().args(args).output().expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }
}

#[test]
fn colour_and_narration_follow_flags_and_environment() {
    let bad = scratch(
        "colour.yaml",
        VALID.replace("singapore", "tokyo").as_bytes(),
    );
    let run = |args: &[&str], env: Option<(&str, &str)>| {
        let mut cmd = cbcheck();
        cmd.args(args).arg(&bad);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        stderr_of(&cmd.output().expect("runs"))
    };
    // Not a terminal: no colour by default, but the drawn snippet stays for CI logs.
    let plain = run(&["lint"], None);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(plain.contains("╭─["), "{plain}");
    assert!(run(&["--color", "always", "lint"], None).contains('\u{1b}'));
    assert!(!run(&["--color", "never", "lint"], None).contains('\u{1b}'));
    let narrated = run(&["lint"], Some(("NO_GRAPHICS", "1")));
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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("atomic");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("real")).expect("dir");
    let private = dir.join("private.yaml");
    std::fs::write(&private, "old").expect("write");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    cbcheck::report::write_file_atomically(&private, "new").expect("replaced");
    assert_eq!(std::fs::read_to_string(&private).expect("read"), "new");
    let mode = std::fs::metadata(&private)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "a private file stays private");

    let target = dir.join("real").join("target.yaml");
    std::fs::write(&target, "old").expect("write");
    let link = dir.join("link.yaml");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    cbcheck::report::write_file_atomically(&link, "through the link").expect("replaced");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "through the link"
    );
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
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-links");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").expect("write");
    for name in [
        "report.json",
        "report.sarif",
        "cbcheck.prom",
        "cbcheck_success.prom",
    ] {
        std::os::unix::fs::symlink(&victim, dir.join(name)).expect("symlink");
    }
    let output = cbcheck()
        .arg("verify")
        .arg(repo_path("examples/fleet.yaml"))
        .arg("--live-from")
        .arg(repo_path("examples/live-snapshot.json"))
        .current_dir(&dir)
        .args([
            "--report",
            "json=report.json",
            "--report",
            "sarif=report.sarif",
            "--report",
            "prometheus=cbcheck.prom",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "precious\n"
    );
    for name in [
        "report.json",
        "report.sarif",
        "cbcheck.prom",
        "cbcheck_success.prom",
    ] {
        let meta = std::fs::symlink_metadata(dir.join(name)).expect("written");
        assert!(
            meta.file_type().is_file(),
            "{name} is a file of its own now"
        );
        assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{name}");
    }
    let report = std::fs::read_to_string(dir.join("report.json")).expect("read");
    assert!(report.contains("\"status\": \"drifted\""), "{report}");
}
