//! Where the callbacks file comes from: stdin, the default callbacks.yaml, `cbcheck
//! init`; `lint --app`; help that stands on its own in an installed binary.

use std::path::PathBuf;

use crate::support::{cbcheck, repo_path};

/// An empty directory of the test's own, to run in (the default file is looked up there).
fn empty_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("inputs")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Two apps; `quiet` has no commands (a warning), `loud` is fine.
const TWO_APPS: &str = "\
version: 1
defaults: {region: singapore, identifier: admin}
apps:
  - name: quiet
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/a
      commands: []
  - name: loud
    sdkappid: 1400000002
    callback:
      url: https://hooks.example.com/b
      commands: [Room.CallbackAfterCreateRoom]
";

#[test]
fn lint_and_verify_read_the_file_from_stdin() {
    let fleet = std::fs::read(repo_path("examples/fleet.yaml")).expect("example");
    let output = cbcheck()
        .args(["lint", "-"])
        .write_stdin(fleet.clone())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        "<stdin>: valid: 4 apps, no warnings\n"
    );

    let output = cbcheck()
        .args(["verify", "-", "--live-from"])
        .arg(repo_path("examples/live-snapshot.json"))
        .write_stdin(fleet)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("[<stdin>:"), "{stderr}");
    assert!(
        stderr.contains("4 apps checked: 1 in sync, 3 drifted"),
        "{stderr}"
    );

    // An invalid file on stdin is pointed at by line, like any other.
    let output = cbcheck()
        .args(["lint", "-"])
        .write_stdin("version: 1\napps:\n  - sdkappid: x\n")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("<stdin>:3:"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn stdin_can_be_named_once() {
    let output = cbcheck()
        .args(["lint", "-", "-"])
        .write_stdin("version: 1\n")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("`-` (stdin) is given 2 times"), "{stderr}");
}

#[test]
fn without_a_file_argument_callbacks_yaml_is_used_or_its_absence_explained() {
    let dir = empty_dir("default");
    for command in [&["lint"][..], &["verify"], &["apply", "--dry-run"]] {
        let output = cbcheck()
            .args(command)
            .current_dir(&dir)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr
                .contains("no FILE given, and there is no callbacks.yaml in the current directory"),
            "{command:?}: {stderr}"
        );
        assert!(stderr.contains("cbcheck init"), "{stderr}");
    }

    std::fs::copy(repo_path("examples/fleet.yaml"), dir.join("callbacks.yaml")).expect("copy");
    let output = cbcheck()
        .arg("lint")
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        "callbacks.yaml: valid: 4 apps, no warnings\n"
    );

    let output = cbcheck()
        .args(["verify", "--live-from"])
        .arg(repo_path("examples/live-snapshot.json"))
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("[callbacks.yaml:"));
}

#[test]
fn lint_app_selects_like_verify() {
    let dir = empty_dir("lint-app");
    let file = dir.join("two.yaml");
    std::fs::write(&file, TWO_APPS).expect("write");

    // Every app: quiet's warning counts.
    let output = cbcheck()
        .args(["lint", "--deny-warnings"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));

    // Only loud (by name, then by SDKAppID): quiet's warning is not this run's.
    for selector in ["loud", "1400000002"] {
        let output = cbcheck()
            .args(["lint", "--deny-warnings", "--app", selector])
            .arg(&file)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(
            text(&output.stderr).ends_with("two.yaml: valid: 2 apps, no warnings\n"),
            "{}",
            text(&output.stderr)
        );
    }

    let output = cbcheck()
        .args(["lint", "--app", "quiet"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stderr).contains("empty-commands"));

    // A selector that matches nothing is a typo, as in verify.
    let output = cbcheck()
        .args(["lint", "--app", "lowd"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--app lowd matches no app in"),
        "{}",
        text(&output.stderr)
    );

    // Errors anywhere in the file stay: verify refuses the whole file for them.
    let broken = dir.join("broken.yaml");
    std::fs::write(
        &broken,
        TWO_APPS.replace("sdkappid: 1400000001", "sdkappid: x"),
    )
    .expect("w");
    let output = cbcheck()
        .args(["lint", "--app", "loud"])
        .arg(&broken)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("broken.yaml:5:"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn init_writes_a_valid_starter_file_and_never_replaces_one_unasked() {
    let dir = empty_dir("init");
    let output = cbcheck()
        .arg("init")
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("wrote callbacks.yaml"));
    let written = std::fs::read_to_string(dir.join("callbacks.yaml")).expect("written");
    assert!(written.contains("cbcheck verify"), "{written}");

    // Valid as written, without a single warning; and the default file of lint.
    let output = cbcheck()
        .args(["lint", "--deny-warnings"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    // `init -` prints the same text.
    let output = cbcheck().args(["init", "-"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), written);

    // An existing file is left alone, unless --force.
    std::fs::write(dir.join("callbacks.yaml"), "# mine\n").expect("write");
    let output = cbcheck()
        .arg("init")
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("callbacks.yaml already exists"));
    assert!(text(&output.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.join("callbacks.yaml")).expect("kept"),
        "# mine\n"
    );
    let output = cbcheck()
        .args(["init", "--force", "callbacks.yaml"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("callbacks.yaml")).expect("replaced"),
        written
    );
}

/// An installed binary has no README and no examples/ beside it.
#[test]
fn help_and_hints_do_not_send_the_user_to_the_repository() {
    let mut texts = Vec::new();
    for command in [
        &[][..],
        &["lint"],
        &["verify"],
        &["export"],
        &["apply"],
        &["init"],
        &["schema"],
        &["completions"],
    ] {
        let output = cbcheck()
            .args(command)
            .arg("--help")
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{command:?}");
        texts.push(text(&output.stdout));
    }
    let dir = empty_dir("hints");
    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, "").expect("write");
    let no_apps = dir.join("no-apps.yaml");
    std::fs::write(&no_apps, "version: 1\n").expect("write");
    let creds = dir.join("creds.yaml");
    std::fs::write(&creds, TWO_APPS).expect("write");
    for args in [
        vec!["lint".to_owned(), empty.display().to_string()],
        vec!["lint".to_owned(), no_apps.display().to_string()],
        vec![
            "verify".to_owned(),
            creds.display().to_string(),
            "--endpoint".to_owned(),
            "http://127.0.0.1:9".to_owned(),
        ],
    ] {
        let output = cbcheck()
            .args(&args)
            .env_remove("CBCHECK_SECRET_KEY")
            .env_remove("CBCHECK_USERSIG")
            .output()
            .expect("runs");
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        texts.push(text(&output.stderr));
    }
    for text in texts {
        for pointer in ["README", "examples/"] {
            assert!(!text.contains(pointer), "`{pointer}` in:\n{text}");
        }
    }
}
