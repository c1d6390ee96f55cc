//! export and apply against a fake vendor that keeps state across calls.

use std::time::Duration;

use serde_json::Value;

use crate::support::cmd::Workdir;
use crate::support::vendor::{ROOM, Vendor, WriteFault, config};
use crate::support::{Out, workdir};

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Room.CallbackAfterDestroyRoom";
const C: &str = "Mic.CallbackAfterSeatInfoChanged";

/// The fake vendor with `initial` as the Room configuration of each SDKAppID.
fn vendor(initial: &[(u64, Value)]) -> Vendor {
    let vendor = Vendor::start();
    for (sdkappid, config) in initial {
        vendor.set(ROOM, *sdkappid, Some(config.clone()));
    }
    vendor
}

/// `cbcheck ARGS --endpoint <vendor>` in `dir` with the key, which is never shown.
fn run(dir: &Workdir, vendor: &Vendor, args: &[&str]) -> Out {
    dir.cbcheck().args(args).endpoint(vendor).key(KEY).run()
}

#[test]
fn export_then_verify_round_trips_in_sync() {
    let vendor = vendor(&[
        (
            1_400_000_001,
            config("https://hooks.example.com/cb?token=t0k", &[A, C, A]),
        ),
        (
            1_400_000_002,
            config(
                "http://legacy.example.com/cb",
                &[B, "Room.CallbackOnEverything"],
            ),
        ),
    ]);
    let dir = workdir("export");
    let out = run(
        &dir,
        &vendor,
        &[
            "export",
            "--sdkappid",
            "1400000001",
            "--sdkappid",
            "1400000002",
            "--sdkappid",
            "1400000003",
            "--region",
            "singapore",
            // Room alone: an app without one is the commented entry to uncomment
            // (every service: tests/export_fleet.rs).
            "--service",
            "room",
            "-o",
            "callbacks.yaml",
            // The token is kept in the file (placeholders: tests/placeholders.rs).
            "--literal-urls",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "wrote callbacks.yaml: 3 SDKAppIDs, 2 service entries (2 room), 1 as a comment\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("carries query values"),
        "warns about the token: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("t0k"), "{}", out.stderr);
    let written = dir.read("callbacks.yaml");
    assert!(
        written.starts_with("# yaml-language-server: $schema="),
        "{written}"
    );
    assert!(
        written.contains("# sdkappid 1400000003 has no callback configuration live"),
        "{written}"
    );
    assert!(written.contains("allow_insecure_url: true"), "{written}");
    assert!(
        written.contains("# live also has Room.CallbackOnEverything"),
        "{written}"
    );

    let lint = dir.cbcheck().args(["lint", "callbacks.yaml"]).run();
    assert_eq!(lint.code, Some(0), "{}\n{written}", lint.stderr);
    let verify = run(&dir, &vendor, &["verify", "callbacks.yaml"]);
    assert_eq!(verify.code, Some(0), "{}\n{written}", verify.stderr);
    // The commented hint for the absent app is a valid declaration once uncommented.
    let uncommented = written
        .replace("  # - sdkappid: 1400000003", "  - sdkappid: 1400000003")
        .replace("  #   callback: absent", "    callback: absent");
    dir.write("uncommented.yaml", &uncommented);
    let lint = dir.cbcheck().args(["lint", "uncommented.yaml"]).run();
    assert_eq!(lint.code, Some(0), "{}\n{uncommented}", lint.stderr);
    lint.stderr_has("valid: 3 apps");
    assert!(
        verify
            .stderr
            .contains("2 apps checked: 2 in sync, 0 drifted, 0 failed"),
        "{}",
        verify.stderr
    );
    assert!(vendor.writes().is_empty(), "export and verify never write");

    // --from refreshes an existing file, keeping what the file says about each app.
    let file = "version: 1\napps:\n  - name: prod\n    sdkappid: 1400000001\n    region: seoul\n    identifier: ops\n    secret_key_env: PROD_KEY\n    callback:\n      url: https://old.example.com/cb\n      commands: [Room.CallbackAfterCreateRoom]\n";
    dir.write("old.yaml", file);
    let out = run(
        &dir,
        &vendor,
        &["export", "--from", "old.yaml", "--literal-urls"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for kept in [
        "name: prod",
        "region: seoul",
        "identifier: ops",
        "secret_key_env: PROD_KEY",
        "url: https://hooks.example.com/cb?token=t0k",
    ] {
        assert!(out.stdout.contains(kept), "{kept} in\n{}", out.stdout);
    }
}

#[test]
fn export_writes_nothing_when_an_app_cannot_be_read() {
    let vendor = vendor(&[(1_400_000_001, config("https://h.example.com/a", &[A]))]);
    let dir = workdir("export_failed");
    // No credentials at all: the app cannot be read.
    dir.cbcheck()
        .args([
            "export",
            "--sdkappid",
            "1400000001",
            "--region",
            "singapore",
        ])
        .args(["-o", "out.yaml"])
        .endpoint(&vendor)
        .run()
        .code(3)
        .stderr_has("nothing was written");
    assert!(!dir.join("out.yaml").exists());
}

const FLEET: &str = include_str!("fixtures/reconcile-fleet.yaml");

fn fleet_live() -> Vec<(u64, Value)> {
    vec![
        (
            1_400_000_001,
            config("https://hooks.example.com/a", &[A, C]),
        ),
        (1_400_000_003, config("https://hooks.example.com/old", &[A])),
        (1_400_000_004, config("https://hooks.example.com/d", &[C])),
        (
            1_400_000_005,
            config("https://hooks.example.com/e", &[A, C]),
        ),
    ]
}

#[test]
fn apply_converges_a_mixed_fleet_and_a_second_apply_changes_nothing() {
    let vendor = vendor(&fleet_live());
    let dir = workdir("apply");
    dir.write("callbacks.yaml", FLEET);
    let out = run(&dir, &vendor, &["apply", "callbacks.yaml", "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Plan: 1 to create, 2 to update, 1 to delete, 1 unchanged.\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with(
            "apply: 4 changed and in sync, 0 changed but still drifted, 0 not changed, 0 unknown\n"
        ),
        "{}",
        out.stderr
    );
    let writes = vendor.writes();
    assert_eq!(
        writes,
        [
            ("update_callback".to_owned(), 1_400_000_001),
            ("set_callback".to_owned(), 1_400_000_002),
            ("delete_callback".to_owned(), 1_400_000_003),
            ("update_callback".to_owned(), 1_400_000_005),
        ]
    );
    let live = vendor.live(ROOM);
    assert_eq!(
        live[&1_400_000_001],
        config("https://hooks.example.com/a", &[A, B]),
        "the undeclared C is removed"
    );
    assert_eq!(
        live[&1_400_000_002],
        config("https://hooks.example.com/b", &[A])
    );
    assert!(!live.contains_key(&1_400_000_003));
    assert_eq!(
        live[&1_400_000_005],
        config("https://hooks.example.com/e", &[A, B, C]),
        "warn keeps the extra"
    );

    let again = run(&dir, &vendor, &["apply", "callbacks.yaml", "--yes"]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("No changes. The live configuration matches the file (5 apps)."),
        "{}",
        again.stderr
    );
    assert_eq!(
        vendor.writes().len(),
        4,
        "the second apply makes no write call"
    );
}

#[test]
fn a_write_that_finds_the_app_changed_makes_no_further_change() {
    let vendor = vendor(&fleet_live());
    // Absent when planned, created by someone before our Create: 100300.
    vendor.race(
        1_400_000_002,
        Some(config("https://other.example.com", &[C])),
    );
    // Present when planned, deleted by someone before our Update: 100301.
    vendor.race(1_400_000_001, None);
    let dir = workdir("races");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "drifted",
            "--app",
            "missing",
        ],
    );
    // The refusal proves the app changed since the plan: what it now holds was never
    // shown, so it is not overwritten (nor re-created) by a fallback.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        vendor.writes(),
        [
            ("update_callback".to_owned(), 1_400_000_001),
            ("set_callback".to_owned(), 1_400_000_002),
        ]
    );
    for app in ["drifted", "missing"] {
        assert!(
            out.stderr.contains(&format!(
                "{app}: NOT changed: it changed since the plan was shown"
            )),
            "{}",
            out.stderr
        );
    }
    assert!(
        out.stderr.contains("now: no callback configuration"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("https://other.example.com"),
        "{}",
        out.stderr
    );
    let live = vendor.live(ROOM);
    assert!(!live.contains_key(&1_400_000_001));
    assert_eq!(
        live[&1_400_000_002],
        config("https://other.example.com", &[C])
    );
}

#[test]
fn without_yes_and_without_a_terminal_nothing_changes() {
    let vendor = vendor(&fleet_live());
    let dir = workdir("refuse");
    dir.write("callbacks.yaml", FLEET);
    let out = run(&dir, &vendor, &["apply", "callbacks.yaml"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("refusing to change anything without --yes"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("~ update drifted (1400000001): v4/room_config/update_callback"),
        "the plan is shown: {}",
        out.stderr
    );
    let dry = run(&dir, &vendor, &["apply", "callbacks.yaml", "--dry-run"]);
    assert_eq!(dry.code, Some(1));
    assert!(dry.stderr.contains("dry run: nothing was changed"));
    assert!(vendor.writes().is_empty());
}

#[test]
fn a_partial_failure_says_which_apps_changed_and_which_did_not() {
    let vendor = vendor(&fleet_live());
    vendor.write_fault(1_400_000_002, WriteFault::Refused(100_002));
    let dir = workdir("partial");
    dir.write("callbacks.yaml", FLEET);
    let out = run(&dir, &vendor, &["apply", "callbacks.yaml", "--yes"]);
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(
        out.stderr.contains("missing: NOT changed (api)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("drifted: changed with v4/room_config/update_callback; read back: in sync"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with(
            "apply: 3 changed and in sync, 0 changed but still drifted, 1 not changed, 0 unknown\n"
        ),
        "{}",
        out.stderr
    );
    assert!(!vendor.live(ROOM).contains_key(&1_400_000_002));
}

#[test]
fn a_race_that_leaves_the_app_in_sync_or_still_drifted_causes_no_further_write() {
    let vendor = vendor(&fleet_live());
    // Someone creates exactly the declared configuration just before our Create.
    vendor.race(
        1_400_000_002,
        Some(config("https://hooks.example.com/b", &[A])),
    );
    let dir = workdir("race_in_sync");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--app", "missing"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("missing: not changed: already in sync when cbcheck got to it"),
        "{}",
        out.stderr
    );
    assert_eq!(
        vendor.writes(),
        [("set_callback".to_owned(), 1_400_000_002)]
    );

    // A `warn` app: the racing configuration still lacks a declared command, so it
    // is not in sync; it was never shown in the plan, so it is left as it is.
    let tolerant = "version: 1\napps:\n  - name: w\n    sdkappid: 1400000009\n    region: seoul\n    identifier: admin\n    extra_commands: warn\n    callback:\n      url: https://hooks.example.com/w\n      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]\n";
    dir.write("tolerant.yaml", tolerant);
    vendor.race(
        1_400_000_009,
        Some(config("https://hooks.example.com/w", &[A, C])),
    );
    let out = run(&dir, &vendor, &["apply", "tolerant.yaml", "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("w: NOT changed: it changed since the plan was shown"),
        "{}",
        out.stderr
    );
    assert_eq!(
        vendor.live(ROOM)[&1_400_000_009],
        config("https://hooks.example.com/w", &[A, C]),
    );
    assert_eq!(
        vendor.writes().last(),
        Some(&("set_callback".to_owned(), 1_400_000_009)),
    );
}

#[test]
fn an_app_declared_in_two_files_is_refused_before_anything_happens() {
    let vendor = vendor(&fleet_live());
    let dir = workdir("twice");
    dir.write("callbacks.yaml", FLEET);
    for args in [
        &["apply", "callbacks.yaml", "callbacks.yaml", "--yes"][..],
        &["verify", "callbacks.yaml", "callbacks.yaml"],
    ] {
        let out = run(&dir, &vendor, args);
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("is declared in both callbacks.yaml and callbacks.yaml"),
            "{}",
            out.stderr
        );
    }
    assert!(vendor.writes().is_empty());
}

#[test]
fn export_from_a_file_keeps_absent_declarations_and_odd_values_round_trip() {
    let vendor = vendor(&[
        (1_400_000_001, config("https://h.example.com/x:", &[A])),
        (1_400_000_002, config("ftp://h.example.com/not-http", &[A])),
    ]);
    let dir = workdir("export_from");
    let file = "\
version: 1
apps:
  - name: \"0x10\"
    sdkappid: 1400000001
    region: seoul
    identifier: \"TRUE\"
    secret_key_env: \"NULL\"
    callback:
      url: https://old.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
  - name: odd-url
    sdkappid: 1400000002
    region: seoul
    identifier: ops
    callback:
      url: https://old.example.com/b
      commands: [Room.CallbackAfterCreateRoom]
  - name: retired
    sdkappid: 1400000003
    region: seoul
    identifier: ops
    secret_key_env: RETIRED_KEY
    callback: absent
";
    dir.write("old.yaml", file);
    let out = run(
        &dir,
        &vendor,
        &["export", "--from", "old.yaml", "-o", "new.yaml"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // A live URL a file cannot hold leaves the app as the file has it: verify then
    // reports it, rather than the app vanishing into a comment.
    assert!(
        out.stderr.contains("odd-url is left as the file has it"),
        "{}",
        out.stderr
    );
    let written = dir.read("new.yaml");
    assert_eq!(
        written,
        file.replace("https://old.example.com/cb", "\"https://h.example.com/x:\"")
    );
    let lint = dir.cbcheck().args(["lint", "new.yaml"]).run();
    assert_eq!(lint.code, Some(0), "{}\n{written}", lint.stderr);
    let verify = run(&dir, &vendor, &["verify", "new.yaml"]);
    // The `NULL` variable is not set, but CBCHECK_SECRET_KEY is: all are checked.
    assert!(
        verify
            .stderr
            .contains("3 apps checked: 2 in sync, 1 drifted, 0 failed"),
        "{}\n{written}",
        verify.stderr
    );
    assert!(vendor.writes().is_empty());
}

/// The write calls the vendor received so far.
fn writes_of(vendor: &Vendor) -> Vec<(String, u64)> {
    vendor.writes()
}

#[test]
fn apply_makes_no_change_when_the_app_changed_since_the_plan() {
    let vendor = vendor(&fleet_live());
    let member_enter = "Room.CallbackAfterMemberEnter";
    // After the plan's read, a colleague changes both apps in ways that leave the
    // planned call and body as they were: `drifted` (extra_commands: error) gets
    // another undeclared command, `retired` (to be deleted) another URL.
    let colleague = [
        (
            1_400_000_001,
            config("https://hooks.example.com/a", &[A, C, member_enter]),
        ),
        (
            1_400_000_003,
            config("https://hooks.example.com/new?token=c0ll34gu3", &[A]),
        ),
    ];
    for (id, change) in &colleague {
        vendor.change_after_get(*id, 1, Some(change.clone()));
    }
    let dir = workdir("changed_since_plan");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "drifted",
            "--app",
            "retired",
        ],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(writes_of(&vendor).is_empty(), "{}", out.stderr);
    for (app, now) in [
        (
            "drifted",
            "now:\n    {\n      \"Url\": \"https://hooks.example.com/a\",\n      \"CallbackCommandList\": [\n        \"Room.CallbackAfterCreateRoom\",\n        \"Mic.CallbackAfterSeatInfoChanged\",\n        \"Room.CallbackAfterMemberEnter\"\n      ]\n    }\n",
        ),
        (
            "retired",
            "now:\n    {\n      \"Url\": \"https://hooks.example.com/new?token=***\",\n      \"CallbackCommandList\": [\n        \"Room.CallbackAfterCreateRoom\"\n      ]\n    }\n",
        ),
    ] {
        let line = format!(
            "{app}: NOT changed: it changed since the plan was shown (run apply again); {now}"
        );
        assert!(out.stderr.contains(&line), "{line}\nin\n{}", out.stderr);
    }
    assert!(!out.stderr.contains("c0ll34gu3"), "{}", out.stderr);
    assert!(
        out.stderr
            .ends_with("apply: nothing was changed (2 apps planned)\n"),
        "{}",
        out.stderr
    );
    let live = vendor.live(ROOM);
    for (id, change) in colleague {
        assert_eq!(live[&id], change, "the colleague's change stands");
    }
}

#[test]
fn a_write_that_timed_out_but_took_effect_is_sent_once_and_reported_changed() {
    let vendor = vendor(&fleet_live());
    // Far past --timeout: the client gives up on the reply, not the vendor on the change.
    vendor.write_fault(
        1_400_000_002,
        WriteFault::AppliedButLate(Duration::from_secs(30)),
    );
    let dir = workdir("late_reply");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "missing",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        writes_of(&vendor),
        [("set_callback".to_owned(), 1_400_000_002)]
    );
    assert!(
        out.stderr.contains(
            "missing: changed (confirmed by read-back) with v4/room_config/set_callback, \
             though its reply failed (timeout): v4/room_config/set_callback for sdkappid 1400000002 \
             failed: timed out after 1s; read back: in sync\n"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.ends_with(
            "apply: 1 changed and in sync, 0 changed but still drifted, 0 not changed, 0 unknown\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        vendor.live(ROOM)[&1_400_000_002],
        config("https://hooks.example.com/b", &[A])
    );
}

#[test]
fn a_write_that_failed_with_a_gateway_error_is_sent_once_and_read_back_as_not_changed() {
    let vendor = vendor(&fleet_live());
    vendor.write_fault(1_400_000_001, WriteFault::Status(502));
    let dir = workdir("gateway_error");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--app", "drifted"],
    );
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert_eq!(
        writes_of(&vendor),
        [("update_callback".to_owned(), 1_400_000_001)]
    );
    // The error's class name is left to the classifier; the outcome and cause are asserted.
    assert!(
        out.stderr
            .contains("drifted: NOT changed when read back; its call failed ("),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "v4/room_config/update_callback for sdkappid 1400000001 failed: HTTP 502 Bad Gateway\n"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .ends_with("apply: nothing was changed (1 app planned)\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        vendor.live(ROOM)[&1_400_000_001],
        config("https://hooks.example.com/a", &[A, C])
    );
}

#[test]
fn a_failed_write_that_cannot_be_read_back_is_reported_unknown() {
    let vendor = vendor(&fleet_live());
    vendor.write_fault(1_400_000_003, WriteFault::StatusThenUnreadable(503));
    let dir = workdir("unknown");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--app", "retired"],
    );
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert_eq!(
        writes_of(&vendor),
        [("delete_callback".to_owned(), 1_400_000_003)]
    );
    // The last line about the app: its outcome, after its plan.
    let line = out
        .stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("retired: "))
        .unwrap_or_default();
    assert!(
        line.starts_with("retired: unknown: v4/room_config/delete_callback failed ("),
        "{}",
        out.stderr
    );
    for part in [
        "v4/room_config/delete_callback for sdkappid 1400000003 failed: HTTP 503 Service Unavailable; reading it back failed too (",
        "v4/room_config/get_callback for sdkappid 1400000003 kept failing: gave up after 4 attempts; last: HTTP 503 Service Unavailable",
    ] {
        assert!(line.contains(part), "{part} in {}", out.stderr);
    }
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.ends_with(
            "apply: 0 changed and in sync, 0 changed but still drifted, 0 not changed, 1 unknown\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn writes_refused_for_their_rate_are_retried() {
    let vendor = vendor(&fleet_live());
    vendor.write_fault(1_400_000_002, WriteFault::RateLimited(2));
    let dir = workdir("rate_limited");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--app", "missing"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        writes_of(&vendor),
        vec![("set_callback".to_owned(), 1_400_000_002); 3],
        "a refusal for rate was not applied: the call is made again"
    );
    assert!(
        out.stderr
            .contains("missing: changed with v4/room_config/set_callback; read back: in sync\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_summary_says_so_when_nothing_was_changed() {
    let vendor = vendor(&fleet_live());
    vendor.write_fault(1_400_000_002, WriteFault::Refused(100_002));
    let dir = workdir("nothing_changed");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--app", "missing"],
    );
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "missing: NOT changed (api): v4/room_config/set_callback for sdkappid 1400000002 \
             failed: ErrorCode 100002 (refused) [RequestId Id-100002-O-Seq-9]\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .ends_with("apply: nothing was changed (1 app planned)\n"),
        "{}",
        out.stderr
    );
    assert_eq!(writes_of(&vendor).len(), 1, "a refusal is not retried");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn a_failed_write_whose_read_back_shows_a_third_state_is_reported_unknown() {
    let vendor = vendor(&fleet_live());
    // The write fails without effect, but someone changes the app between the re-read
    // before the write and the read-back after it: neither as it was nor as sent.
    vendor.write_fault(1_400_000_001, WriteFault::Status(502));
    vendor.change_after_get(
        1_400_000_001,
        2,
        Some(config("https://hooks.example.com/z?k=s3cr3t", &[B])),
    );
    let dir = workdir("third_state");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--app", "drifted"],
    );
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(
        writes_of(&vendor),
        [("update_callback".to_owned(), 1_400_000_001)]
    );
    assert!(
        out.stderr
            .contains("drifted: unknown: v4/room_config/update_callback failed ("),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "failed: HTTP 502 Bad Gateway; it reads back neither as it was nor as sent; now:\n    {\n      \"Url\": \"https://hooks.example.com/z?k=***\",\n"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("s3cr3t"), "{}", out.stderr);
    assert!(
        out.stderr.ends_with(
            "apply: 0 changed and in sync, 0 changed but still drifted, 0 not changed, 1 unknown\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_change_since_the_plan_that_leaves_nothing_to_do_or_only_reorders_is_no_obstacle() {
    let vendor = vendor(&fleet_live());
    // Someone creates exactly what the file declares: nothing is left to do.
    vendor.change_after_get(
        1_400_000_002,
        1,
        Some(config("https://hooks.example.com/b", &[A])),
    );
    // Someone only reorders the list: the same configuration, so the plan stands.
    vendor.change_after_get(
        1_400_000_001,
        1,
        Some(config("https://hooks.example.com/a", &[C, A, C])),
    );
    let dir = workdir("harmless_change");
    dir.write("callbacks.yaml", FLEET);
    let out = run(
        &dir,
        &vendor,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "drifted",
            "--app",
            "missing",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(
        writes_of(&vendor),
        [("update_callback".to_owned(), 1_400_000_001)]
    );
    for line in [
        "drifted: changed with v4/room_config/update_callback; read back: in sync\n",
        "missing: not changed: already in sync when cbcheck got to it\n",
        "apply: 1 changed and in sync, 0 changed but still drifted, 1 not changed, 0 unknown\n",
    ] {
        assert!(out.stderr.contains(line), "{line} in\n{}", out.stderr);
    }
}

/// An app's name may hold control characters (a double-quoted `\e`): apply's plan and
/// report show them as visible escapes, never raw to the terminal.
#[test]
fn apply_escapes_control_characters_in_names() {
    let vendor = vendor(&fleet_live());
    let dir = workdir("escaped_names");
    let fleet = FLEET.replace("name: missing", "name: \"missing\\e[31m\\a\"");
    dir.write("callbacks.yaml", fleet);
    let out = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--app", "1400000002"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(writes_of(&vendor).len(), 1);
    assert!(
        !out.stderr.contains(['\u{1b}', '\u{7}']),
        "{:?}",
        out.stderr
    );
    assert!(
        out.stderr.contains("missing\\u{1b}[31m\\u{7}: "),
        "{}",
        out.stderr
    );
}

#[test]
fn quiet_apply_shows_the_list_and_the_counts_instead_of_the_bodies() {
    let vendor = vendor(&fleet_live());
    vendor.unreadable(1_400_000_004, 404);
    let dir = workdir("quiet");
    dir.write("callbacks.yaml", FLEET);
    let plan = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--dry-run", "-q"],
    );
    assert_eq!(plan.code, Some(4), "{}", plan.stderr);
    assert!(plan.stdout.is_empty(), "{}", plan.stdout);
    insta::assert_snapshot!("apply_quiet_plan", plan.stderr);
    let full = run(&dir, &vendor, &["apply", "callbacks.yaml", "--dry-run"]);
    assert!(
        full.stderr.contains("~ update drifted (1400000001)")
            && full
                .stderr
                .ends_with(&plan.stderr[plan.stderr.find("Plan: ").expect("totals")..]),
        "the full plan shows the diffs and ends with the quiet one's totals: {}",
        full.stderr
    );

    let applied = run(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--yes", "--quiet"],
    );
    assert_eq!(applied.code, Some(4), "{}", applied.stderr);
    insta::assert_snapshot!("apply_quiet_yes", applied.stderr);
    assert_eq!(writes_of(&vendor).len(), 4);
}

#[test]
fn the_apply_command_verify_names_fixes_exactly_the_drifted_apps() {
    let vendor = vendor(&fleet_live());
    // One app cannot be read: it is not named, so the command changes only what
    // verify saw drifted. Names and file that the shell must have quoted.
    vendor.unreadable(1_400_000_002, 502);
    let dir = workdir("apply-command");
    let file = "prod fleet's.yaml";
    std::fs::write(
        dir.join(file),
        FLEET
            .replace("name: drifted", "name: \"o'drifted $HOME\"")
            .replace("name: retired", "name: \"-retired\""),
    )
    .expect("fleet");
    let verify = run(&dir, &vendor, &["verify", file]);
    assert_eq!(verify.code, Some(4), "{}", verify.stderr);
    let (_, after) = verify
        .stderr
        .split_once("5 apps checked: 1 in sync, 3 drifted, 1 failed, 1 warning\n")
        .expect("the summary line");
    let command = after
        .lines()
        .nth(1)
        .and_then(|line| line.strip_prefix("  "))
        .expect("the command, indented, after the first line");
    let words = shlex::split(command).expect("shell words");
    assert_eq!(
        words,
        [
            "cbcheck",
            "apply",
            "prod fleet's.yaml",
            "--app",
            "o'drifted $HOME",
            "--app",
            "1400000003",
            "--app",
            "tolerant",
            // The endpoint the run was given, so the command reaches the same vendor.
            "--endpoint",
            &format!("{}/", vendor.uri()),
        ],
        "{after}"
    );
    assert!(vendor.writes().is_empty());

    vendor.readable(1_400_000_002);
    // The command as printed, endpoint included.
    let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    args.push("--yes");
    let applied = dir.cbcheck().args(&args).key(KEY).run();
    assert_eq!(applied.code, Some(0), "{}", applied.stderr);
    assert_eq!(
        vendor.writes(),
        [
            ("update_callback".to_owned(), 1_400_000_001),
            ("delete_callback".to_owned(), 1_400_000_003),
            ("update_callback".to_owned(), 1_400_000_005),
        ],
        "the drifted apps, and not the one verify could not read"
    );
}

/// A number given to `--app` is an SDKAppID: an app whose name is that number (here
/// the one with SDKAppID 1400000004, live and meant to be deleted) is never picked by
/// it. Such a name is refused outright, so the run stops before any request.
#[test]
fn a_number_selects_an_sdkappid_never_an_app_named_so() {
    let file = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: conference
    sdkappid: 1400000003
    callback:
      url: https://hooks.example.com/c
      commands: [Room.CallbackAfterCreateRoom]
  - name: \"1400000003\"
    sdkappid: 1400000004
    callback: absent
";
    let vendor = vendor(&[
        (1_400_000_003, config("https://hooks.example.com/c", &[A])),
        (1_400_000_004, config("https://hooks.example.com/d", &[A])),
    ]);
    let dir = workdir("numeric_name").with("callbacks.yaml", file);
    for args in [
        &["apply", "callbacks.yaml", "--app", "1400000003", "--yes"][..],
        &["verify", "callbacks.yaml", "--app", "1400000003"],
    ] {
        let out = run(&dir, &vendor, args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("numeric-name") && out.stderr.contains("callbacks.yaml:11:11"),
            "{args:?}: {}",
            out.stderr
        );
        // apply refuses the file whole; verify checks its valid app, the one selected.
        let asked: Vec<u64> = vendor.requests().iter().map(|r| r.sdkappid()).collect();
        match args[0] {
            "apply" => assert!(asked.is_empty(), "{asked:?}"),
            _ => assert!(
                !asked.is_empty() && asked.iter().all(|id| *id == 1_400_000_003),
                "{asked:?}"
            ),
        }
    }
    assert!(vendor.writes().is_empty());
    assert!(vendor.get(ROOM, 1_400_000_004).is_some());
}
