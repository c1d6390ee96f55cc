//! A fleet's keys from one secret (`CBCHECK_SECRET_KEYS`, `CBCHECK_SECRET_KEYS_FILE`,
//! `CBCHECK_SECRET_KEY_COMMAND`) and its placeholder values (`CBCHECK_PLACEHOLDERS`,
//! `export --secrets-out`), through the real binary against a fake vendor that checks
//! each UserSig with its app's own key; no key or value in any output or report.

use std::path::Path;

use crate::support::vendor::{LIVE, Vendor, config};
use crate::support::{Cmd, Out, Workdir, workdir};

const K1: &str = "Key0ne-fr0m-the-map-9c41d2e7aa";
const K2: &str = "KeyTw0-fr0m-the-file-51be03f9c8";
const K3: &str = "KeyThr33-fr0m-the-command-7d20e4";
const K4: &str = "KeyF0ur-the-default-8e13b6a0f2";
const WRONG: &str = "Wr0ngKey-never-signs-3a9f71c0d5";
/// What a failing command prints: never to be shown.
const LEAK: &str = "CommandOutput-never-shown-0b7e";

const URL: &str = "https://hooks.example.com/cb";
const WORD: &str = "Room.CallbackAfterCreateRoom";

const FLEET: &str = "version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: from-map
    sdkappid: 1400000001
    callback: {url: https://hooks.example.com/cb, commands: [Room.CallbackAfterCreateRoom]}
  - name: from-file
    sdkappid: 1400000002
    callback: {url: https://hooks.example.com/cb, commands: [Room.CallbackAfterCreateRoom]}
  - name: from-command
    sdkappid: 1400000003
    callback: {url: https://hooks.example.com/cb, commands: [Room.CallbackAfterCreateRoom]}
  - name: from-command-live
    sdkappid: 1400000003
    service: live
    callback: {url: https://hooks.example.com/cb, commands: [Live.CallbackAfterCreateRoom]}
";

/// A key command: `key.sh MODE… SDKAPPID`. It logs each SDKAppID it is asked for to
/// `calls.log` beside it, then, by mode: prints the key of 1400000003 (`ok`), prints
/// 1400000004's and a wrong one for any other (`four`), fails saying things (`fail`), prints nothing (`empty`),
/// hangs (`hang`), or hangs waiting for a process it started (`orphan`).
const SCRIPT: &str = r#"#!/bin/sh
for id; do :; done
echo "$id" >> "$(dirname "$0")/calls.log"
case "$1" in
  ok) [ "$id" = 1400000003 ] && printf '  %s\n' "KeyThr33-fr0m-the-command-7d20e4" && exit 0; exit 2 ;;
  four) [ "$id" = 1400000004 ] && echo "KeyF0ur-the-default-8e13b6a0f2" && exit 0; echo "Wr0ngKey-never-signs-3a9f71c0d5" ;;
  fail) echo "CommandOutput-never-shown-0b7e"; echo "CommandOutput-never-shown-0b7e" >&2; exit 1 ;;
  empty) echo "   " ;;
  hang) exec sleep 30 ;;
  orphan) sleep 30 & echo $! > "$(dirname "$0")/orphan.pid"; wait ;;
esac
"#;

/// The fake vendor: every app in sync, each SDKAppID checking its own key.
fn vendor() -> Vendor {
    let vendor = Vendor::start();
    for (id, key) in [
        (1_400_000_001, K1),
        (1_400_000_002, K2),
        (1_400_000_003, K3),
        (1_400_000_004, K4),
    ] {
        vendor.room(id, URL, &[WORD]).key(id, key);
    }
    vendor.set(
        LIVE,
        1_400_000_003,
        Some(config(URL, &["Live.CallbackAfterCreateRoom"])),
    );
    vendor
}

fn mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The fleet file, `keys.json` (mode `file_mode`) holding `file_keys`, and `key.sh`.
fn dir(name: &str, file_keys: &str, file_mode: u32) -> Workdir {
    let dir = workdir(name)
        .with("callbacks.yaml", FLEET)
        .with("keys.json", file_keys)
        .with("key.sh", SCRIPT);
    mode(&dir.join("keys.json"), file_mode);
    mode(&dir.join("key.sh"), 0o755);
    dir
}

fn map(entries: &[(u64, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|(id, key)| (id.to_string(), (*key).into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// `verify` with the three sources set (the command in `command_mode`), every key and
/// the command's output hidden, a JSON report written.
fn verify(dir: &Workdir, vendor: &Vendor, command_mode: &str) -> Cmd {
    dir.cbcheck()
        .args(["verify", "callbacks.yaml", "--report", "json=report.json"])
        // Every other format too, for the keys to be looked for in each.
        .args([
            "--report",
            "sarif=report.sarif",
            "--report",
            "junit=report.xml",
        ])
        .args([
            "--report",
            "markdown=report.md",
            "--report",
            "prometheus=report.prom",
        ])
        .args(["--report", "github=report.github"])
        .endpoint(vendor)
        .env("CBCHECK_SECRET_KEYS", map(&[(1_400_000_001, K1)]))
        .env("CBCHECK_SECRET_KEYS_FILE", dir.join("keys.json"))
        .env(
            "CBCHECK_SECRET_KEY_COMMAND",
            format!("'{}' {command_mode}", dir.join("key.sh").display()),
        )
        .env_remove("CBCHECK_SECRET_KEY")
        .hides(K1)
        .hides(K2)
        .hides(K3)
        .hides(WRONG)
        .hides(LEAK)
}

/// Neither the report file nor anything else the run left shows a key.
#[track_caller]
fn no_key_in_report(dir: &Workdir) {
    for file in [
        "report.json",
        "report.sarif",
        "report.xml",
        "report.md",
        "report.prom",
        "report.github",
    ] {
        let report = dir.read(file);
        assert!(!report.is_empty(), "{file} was written");
        for key in [K1, K2, K3, K4, WRONG, LEAK] {
            assert!(!report.contains(key), "{file} shows {key}:\n{report}");
        }
    }
}

/// The `-q` line of the app named `name`.
#[track_caller]
fn row<'o>(out: &'o Out, name: &str) -> &'o str {
    out.stderr
        .lines()
        .find(|line| line.starts_with("failed") && line.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no failed line for {name}:\n{}", out.stderr))
}

fn calls(dir: &Workdir) -> String {
    std::fs::read_to_string(dir.join("calls.log")).unwrap_or_default()
}

#[test]
fn three_apps_are_signed_with_three_keys_from_the_map_the_file_and_the_command() {
    let vendor = vendor();
    let dir = dir("three-keys", &map(&[(1_400_000_002, K2)]), 0o600);
    let out = verify(&dir, &vendor, "ok").run();
    out.code(0).stderr_lacks("readable by every user");
    no_key_in_report(&dir);
    let report: serde_json::Value =
        serde_json::from_str(&dir.read("report.json")).expect("a JSON report");
    assert_eq!(report["summary"]["in_sync"], 4, "{report:#}");
    // Every SDKAppID was read, each with its own key (the vendor refuses any other).
    for id in [1_400_000_001, 1_400_000_002, 1_400_000_003] {
        assert!(!vendor.requests_for(id).is_empty(), "{id}");
    }
    // The command ran once for the SDKAppID it holds the key of, not per entry.
    assert_eq!(calls(&dir), "1400000003\n");
}

#[test]
fn an_apps_own_variable_beats_the_map_the_map_the_file_the_file_the_command_the_command_the_default()
 {
    let vendor = vendor();
    let fleet = format!(
        "{}  - name: default-key
    sdkappid: 1400000004
    callback: {{url: {URL}, commands: [{WORD}]}}
",
        FLEET
            .replace(
                "    sdkappid: 1400000001\n",
                "    sdkappid: 1400000001\n    secret_key_env: PROD_KEY\n"
            )
            .replace(
                "  - name: from-command-live\n    sdkappid: 1400000003\n    service: live\n    callback: {url: https://hooks.example.com/cb, commands: [Live.CallbackAfterCreateRoom]}\n",
                ""
            )
    );
    // Each app's right key is in its best place, a wrong one in the next (the vendor
    // refuses a request signed with any other key).
    let dir = dir(
        "precedence",
        &map(&[(1_400_000_002, WRONG), (1_400_000_003, K3)]),
        0o600,
    )
    .with("callbacks.yaml", fleet);
    dir.cbcheck()
        .args(["verify", "callbacks.yaml"])
        .endpoint(&vendor)
        .env("PROD_KEY", K1)
        .env(
            "CBCHECK_SECRET_KEYS",
            map(&[(1_400_000_001, WRONG), (1_400_000_002, K2)]),
        )
        .env("CBCHECK_SECRET_KEYS_FILE", dir.join("keys.json"))
        .env(
            "CBCHECK_SECRET_KEY_COMMAND",
            format!("{} four", dir.join("key.sh").display()),
        )
        .env("CBCHECK_SECRET_KEY", WRONG)
        .hides(K1)
        .hides(K2)
        .hides(K3)
        .hides(WRONG)
        .hides(K4)
        .run()
        .code(0);
    // The command was asked for 1400000004 alone: the file held 1400000003's key.
    assert_eq!(calls(&dir), "1400000004\n");
    for id in [1_400_000_001, 1_400_000_002, 1_400_000_003] {
        assert!(
            vendor
                .requests_for(id)
                .iter()
                .all(|r| r.interface() == "get_callback"),
            "{id}"
        );
    }
}

#[test]
fn a_key_file_others_can_write_is_refused_and_the_other_apps_are_checked() {
    let vendor = vendor();
    let dir = dir("writable", &map(&[(1_400_000_002, K2)]), 0o622);
    let out = verify(&dir, &vendor, "ok").args(["-q"]).run();
    out.code(3)
        .stderr_has("is writable by other users (mode 0622)");
    assert!(
        row(&out, "from-file").ends_with(&format!(
            "credentials error: CBCHECK_SECRET_KEYS_FILE ({}) is writable by other users (mode 0622), who could replace the keys: `chmod go-w` it",
            dir.join("keys.json").display()
        )),
        "{}",
        out.stderr
    );
    assert!(vendor.requests_for(1_400_000_002).is_empty());
    assert!(!vendor.requests_for(1_400_000_001).is_empty());
    // The command is never reached past a broken key file: 1400000003 fails with it.
    assert!(vendor.requests_for(1_400_000_003).is_empty());
    assert!(row(&out, "from-command").contains("CBCHECK_SECRET_KEYS_FILE ("));
    assert_eq!(calls(&dir), "");
    no_key_in_report(&dir);
}

#[test]
fn a_key_file_others_can_read_is_used_with_one_warning() {
    let vendor = vendor();
    let dir = dir(
        "readable",
        &map(&[(1_400_000_002, K2), (1_400_000_003, K3)]),
        0o644,
    );
    let out = verify(&dir, &vendor, "fail").run();
    out.code(0);
    assert_eq!(
        out.stderr
            .matches("is readable by every user (mode 0644)")
            .count(),
        1,
        "{}",
        out.stderr
    );
    assert_eq!(calls(&dir), "", "the file held every key");
}

#[test]
fn a_malformed_key_file_fails_its_apps_without_showing_its_content() {
    let vendor = vendor();
    let text = format!("{{\n  \"1400000002\": \"{K2}\",\n  \"1400000003\": [\"{K3}\"]\n}}\n");
    let dir = dir("malformed", &text, 0o600);
    let out = verify(&dir, &vendor, "ok").run();
    out.code(3)
        .stderr_has("is not a JSON object whose values are all strings (line 3, column 16)");
    // The key file is read once, and fails both SDKAppIDs that reach it.
    assert!(vendor.requests_for(1_400_000_002).is_empty());
    assert!(vendor.requests_for(1_400_000_003).is_empty());
    assert!(!vendor.requests_for(1_400_000_001).is_empty());
    assert_eq!(calls(&dir), "");
    no_key_in_report(&dir);
}

#[test]
fn a_failing_key_command_fails_its_app_naming_the_command_never_its_output() {
    for (mode, says) in [
        ("fail", "exited with status 1"),
        ("empty", "printed nothing"),
        ("hang", "did not finish within 1 s"),
        ("orphan", "did not finish within 1 s"),
    ] {
        let vendor = vendor();
        let dir = dir(
            &format!("command-{mode}"),
            &map(&[(1_400_000_002, K2)]),
            0o600,
        );
        let out: Out = verify(&dir, &vendor, mode)
            .env("CBCHECK_SECRET_KEY_COMMAND_TIMEOUT", "1")
            .args(["-q"])
            .run();
        out.code(3);
        for name in ["from-command", "from-command-live"] {
            assert!(
                row(&out, name).ends_with(&format!(
                    "credentials error: CBCHECK_SECRET_KEY_COMMAND (`{}`) {says}",
                    dir.join("key.sh").display()
                )),
                "{mode}: {}",
                out.stderr
            );
        }
        assert!(out.took.as_secs() < 10, "{mode}: {:?}", out.took);
        assert!(vendor.requests_for(1_400_000_003).is_empty(), "{mode}");
        assert!(!vendor.requests_for(1_400_000_001).is_empty(), "{mode}");
        assert!(!vendor.requests_for(1_400_000_002).is_empty(), "{mode}");
        // Once for the SDKAppID, though two entries needed it.
        assert_eq!(calls(&dir), "1400000003\n", "{mode}");
        no_key_in_report(&dir);
        if mode == "orphan" {
            // What the command started was killed with it (dead, or a zombie no one
            // reaped yet in this container), not left running for 30 s.
            let pid = std::fs::read_to_string(dir.join("orphan.pid")).expect("the pid");
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
            let state = stat
                .as_deref()
                .ok()
                .and_then(|s| s.rsplit_once(") "))
                .and_then(|(_, rest)| rest.chars().next());
            assert!(
                matches!(state, None | Some('Z' | 'X')),
                "still running: {stat:?}"
            );
        }
    }
}

#[test]
fn a_command_in_the_callbacks_file_is_refused_by_lint() {
    let file = FLEET.replace(
        "    sdkappid: 1400000003\n    callback",
        "    sdkappid: 1400000003\n    secret_key_command: vault kv get -field=key secret/trtc\n    callback",
    );
    workdir("command-in-file")
        .with("callbacks.yaml", file)
        .cbcheck()
        .args(["lint", "callbacks.yaml"])
        .run()
        .code(2)
        .stderr_has("cbcheck::config::command-in-file")
        .stderr_has("`secret_key_command` in apps[2] is refused")
        .stderr_has("a pull request can change this file")
        .stderr_lacks("secret-in-file");
}

#[test]
fn placeholder_values_come_from_the_variable_then_the_map_and_are_never_shown() {
    const MAPPED: &str = "MappedT0ken-b81d0e5c49a7";
    const OWN: &str = "VariableT0ken-2c7fe0a914";
    let vendor = Vendor::start();
    vendor
        .room(1_400_000_001, &format!("{URL}?t={MAPPED}&u={OWN}"), &[WORD])
        .key(1_400_000_001, K1);
    let file = FLEET
        .split("  - name: from-file")
        .next()
        .unwrap_or_default()
        .replace(
            "url: https://hooks.example.com/cb,",
            "url: \"https://hooks.example.com/cb?t=${HOOK_T}&u=${HOOK_U}\",",
        );
    let dir = workdir("placeholders").with("callbacks.yaml", file);
    let placeholders = format!(r#"{{"HOOK_T": "{MAPPED}", "HOOK_U": "{WRONG}"}}"#);
    dir.cbcheck()
        .args(["verify", "callbacks.yaml", "--report", "json=report.json"])
        .endpoint(&vendor)
        .env("CBCHECK_SECRET_KEYS", map(&[(1_400_000_001, K1)]))
        .env("CBCHECK_PLACEHOLDERS", &placeholders)
        .env("HOOK_U", OWN)
        .hides(MAPPED)
        .hides(OWN)
        .hides(WRONG)
        .run()
        .code(0);
    let report = dir.read("report.json");
    assert!(
        !report.contains(MAPPED) && !report.contains(OWN),
        "{report}"
    );
    // A malformed map is named, never quoted.
    dir.cbcheck()
        .args(["verify", "callbacks.yaml"])
        .endpoint(&vendor)
        .env("CBCHECK_SECRET_KEYS", map(&[(1_400_000_001, K1)]))
        .env("CBCHECK_PLACEHOLDERS", format!(r#"{{"HOOK_T": {MAPPED}}}"#))
        .env("HOOK_U", OWN)
        .hides(MAPPED)
        .run()
        .code(3)
        .stderr_has(
            "HOOK_T is not set (CBCHECK_PLACEHOLDERS is not valid JSON (line 1, column 12))",
        );
}

#[test]
fn the_placeholder_map_is_never_a_placeholder() {
    let file = FLEET.replace(
        "url: https://hooks.example.com/cb,",
        "url: \"https://hooks.example.com/cb?all=${CBCHECK_PLACEHOLDERS}\",",
    );
    workdir("map-in-url")
        .with("callbacks.yaml", file)
        .cbcheck()
        .args(["lint", "callbacks.yaml"])
        .run()
        .code(2)
        .stderr_has("key-in-url");
}

#[test]
fn export_writes_the_placeholder_values_to_a_private_file_verify_reads_back() {
    const TOKEN: &str = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV";
    let vendor = Vendor::start();
    vendor
        .room(1_400_000_001, &format!("{URL}?token={TOKEN}"), &[WORD])
        .key(1_400_000_001, K1);
    let dir = workdir("secrets-out");
    let export = || {
        dir.cbcheck()
            .args([
                "export",
                "--sdkappid",
                "1400000001",
                "--region",
                "singapore",
                "-o",
                "callbacks.yaml",
                "--secrets-out",
                "placeholders.json",
            ])
            .endpoint(&vendor)
            .env("CBCHECK_SECRET_KEYS", map(&[(1_400_000_001, K1)]))
            .hides(K1)
            .hides(TOKEN)
            .run()
    };
    export()
        .code(0)
        .stderr_has("wrote placeholders.json (mode 0600): the values of 1 placeholder(s), the format of CBCHECK_PLACEHOLDERS (CBCHECK_1400000001_TOKEN)");
    let written = dir.read("placeholders.json");
    let values: serde_json::Value = serde_json::from_str(&written).expect("JSON");
    assert_eq!(
        values,
        serde_json::json!({"CBCHECK_1400000001_TOKEN": TOKEN})
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("placeholders.json"))
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        dir.read("callbacks.yaml")
            .contains("${CBCHECK_1400000001_TOKEN}")
    );
    // The file and the values verify in sync, together.
    dir.cbcheck()
        .args(["verify", "callbacks.yaml"])
        .endpoint(&vendor)
        .env("CBCHECK_SECRET_KEYS", map(&[(1_400_000_001, K1)]))
        .env("CBCHECK_PLACEHOLDERS", &written)
        .hides(TOKEN)
        .run()
        .code(0);
    // Never replaced: refused before any request.
    let before = vendor.requests().len();
    export()
        .code(2)
        .stderr_has("--secrets-out names a file that exists");
    assert_eq!(vendor.requests().len(), before);
    assert_eq!(dir.read("placeholders.json"), written);
}
