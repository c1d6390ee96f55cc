//! Where the callbacks file comes from: stdin, the default callbacks.yaml, `cbcheck
//! init`; `lint --app`; help that stands on its own in an installed binary.

use crate::support::cmd::read;
use crate::support::{Cmd, repo_path, workdir};

/// Two apps; `quiet` has no commands (a warning), `loud` is fine.
const TWO_APPS: &str = include_str!("fixtures/inputs-two-apps.yaml");

#[test]
fn lint_and_verify_read_the_file_from_stdin() {
    let fleet = read(&repo_path("examples/fleet.yaml"));
    Cmd::new()
        .args(["lint", "-"])
        .stdin(fleet.clone())
        .run()
        .code(0)
        .stderr_is("<stdin>: valid: 4 apps, no warnings\n");

    Cmd::new()
        .args(["verify", "-", "--live-from"])
        .arg(repo_path("examples/live-snapshot.json"))
        .stdin(fleet)
        .run()
        .code(1)
        .stderr_has("[<stdin>:")
        .stderr_has("4 apps checked: 1 in sync, 3 drifted");

    // An invalid file on stdin is pointed at by line, like any other.
    Cmd::new()
        .args(["lint", "-"])
        .stdin("version: 1\napps:\n  - sdkappid: x\n")
        .run()
        .code(2)
        .stderr_has("<stdin>:3:");
}

#[test]
fn stdin_can_be_named_once() {
    Cmd::new()
        .args(["lint", "-", "-"])
        .stdin("version: 1\n")
        .run()
        .code(2)
        .stderr_has("`-` (stdin) is given 2 times");
}

#[test]
fn without_a_file_argument_callbacks_yaml_is_used_or_its_absence_explained() {
    let dir = workdir("default");
    for command in [&["lint"][..], &["verify"], &["apply", "--dry-run"]] {
        dir.cbcheck()
            .args(command)
            .run()
            .code(2)
            .stderr_has("no FILE given, and there is no callbacks.yaml in the current directory")
            .stderr_has("cbcheck init");
    }

    dir.write("callbacks.yaml", read(&repo_path("examples/fleet.yaml")));
    dir.cbcheck()
        .arg("lint")
        .run()
        .code(0)
        .stderr_is("callbacks.yaml: valid: 4 apps, no warnings\n");

    dir.cbcheck()
        .args(["verify", "--live-from"])
        .arg(repo_path("examples/live-snapshot.json"))
        .run()
        .code(1)
        .stderr_has("[callbacks.yaml:");
}

#[test]
fn lint_app_selects_like_verify() {
    let dir = workdir("lint-app").with("two.yaml", TWO_APPS).with(
        "broken.yaml",
        TWO_APPS.replace("sdkappid: 1400000001", "sdkappid: x"),
    );
    let lint = |args: &[&str], file: &str| dir.cbcheck().arg("lint").args(args).arg(file).run();

    // Every app: quiet's warning counts.
    lint(&["--deny-warnings"], "two.yaml").code(2);

    // Only loud (by name, then by SDKAppID): quiet's warning is not this run's.
    for selector in ["loud", "1400000002"] {
        let out = lint(&["--deny-warnings", "--app", selector], "two.yaml");
        out.code(0);
        assert!(
            out.stderr
                .ends_with("two.yaml: valid: 2 apps, no warnings\n"),
            "{}",
            out.stderr
        );
    }

    lint(&["--app", "quiet"], "two.yaml")
        .code(0)
        .stderr_has("empty-commands");

    // A selector that matches nothing is a typo, as in verify.
    lint(&["--app", "lowd"], "two.yaml")
        .code(2)
        .stderr_has("--app lowd matches no app in");

    // Errors anywhere in the file stay: verify refuses the whole file for them.
    lint(&["--app", "loud"], "broken.yaml")
        .code(2)
        .stderr_has("broken.yaml:5:");
}

#[test]
fn init_writes_a_valid_starter_file_and_never_replaces_one_unasked() {
    let dir = workdir("init");
    dir.cbcheck()
        .arg("init")
        .run()
        .code(0)
        .stderr_has("wrote callbacks.yaml");
    let written = dir.read("callbacks.yaml");
    assert!(written.contains("cbcheck verify"), "{written}");

    // Valid as written, without a single warning; and the default file of lint.
    dir.cbcheck()
        .args(["lint", "--deny-warnings"])
        .run()
        .code(0);

    // `init -` prints the same text.
    Cmd::new()
        .args(["init", "-"])
        .run()
        .code(0)
        .stdout_is(&written);

    // An existing file is left alone, unless --force.
    dir.write("callbacks.yaml", "# mine\n");
    dir.cbcheck()
        .arg("init")
        .run()
        .code(2)
        .stderr_has("callbacks.yaml already exists")
        .stderr_has("--force");
    assert_eq!(dir.read("callbacks.yaml"), "# mine\n");
    dir.cbcheck()
        .args(["init", "--force", "callbacks.yaml"])
        .run()
        .code(0);
    assert_eq!(dir.read("callbacks.yaml"), written);
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
        let out = Cmd::new().args(command).arg("--help").run();
        out.code(0);
        texts.push(out.stdout);
    }
    let dir = workdir("hints")
        .with("empty.yaml", "")
        .with("no-apps.yaml", "version: 1\n")
        .with("creds.yaml", TWO_APPS);
    for args in [
        &["lint", "empty.yaml"][..],
        &["lint", "no-apps.yaml"],
        &["verify", "creds.yaml", "--endpoint", "http://127.0.0.1:9"],
    ] {
        let out = dir
            .cbcheck()
            .args(args)
            .env_remove("CBCHECK_SECRET_KEY")
            .env_remove("CBCHECK_USERSIG")
            .run();
        assert_ne!(out.code, Some(0), "{args:?}");
        texts.push(out.stderr);
    }
    for text in texts {
        for pointer in ["README", "examples/"] {
            assert!(!text.contains(pointer), "`{pointer}` in:\n{text}");
        }
    }
}
