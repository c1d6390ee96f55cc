//! Room, Live and Call in one file, against a fake vendor that keeps each
//! service's configuration per SDKAppID.

use serde_json::{Value, json};

use crate::support::cmd::Workdir;
use crate::support::vendor::{self, LIVE_TOKEN as TOKEN, Snapshot, Vendor, config};
use crate::support::{Out, fixture, workdir};

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// The fake vendor with `initial` as (service, SDKAppID, configuration), and Live's
/// token signing per SDKAppID.
fn vendor(initial: &[(&str, u64, Value)], tokens: &[(u64, bool)]) -> Vendor {
    let vendor = Vendor::start();
    for (service, sdkappid, config) in initial {
        vendor.set(service, *sdkappid, Some(config.clone()));
    }
    for (sdkappid, enabled) in tokens {
        vendor.token_auth(*sdkappid, *enabled);
    }
    vendor
}

/// `cbcheck ARGS --endpoint <vendor>` in `dir`; neither the key nor the Live token is shown.
fn run(dir: &Workdir, vendor: &Vendor, args: &[&str]) -> Out {
    dir.cbcheck()
        .args(args)
        .endpoint(vendor)
        .key(KEY)
        .hides(TOKEN)
        .run()
}

const ROOM_URL: &str = "https://hooks.example.com/room";
const LIVE_URL: &str = "https://hooks.example.com/live";
const CALL_URL: &str = "https://hooks.example.com/call";

/// The issue's example: the same SDKAppID under Room and Live, a Call app beside.
fn file() -> String {
    fixture("three-services.yaml")
}

fn in_sync() -> Vec<(&'static str, u64, Value)> {
    vec![
        (
            "room",
            1_400_000_001,
            config(ROOM_URL, &["Room.CallbackAfterCreateRoom"]),
        ),
        (
            "live",
            1_400_000_001,
            config(
                LIVE_URL,
                &[
                    "Live.CallbackAfterCreateRoom",
                    "Mic.CallbackAfterSeatInfoChanged",
                ],
            ),
        ),
        (
            "call",
            1_400_000_002,
            config(
                CALL_URL,
                &["Call.CallbackAfterStartCall", "Call.CallbackAfterEndCall"],
            ),
        ),
    ]
}

#[test]
fn three_services_in_one_file_are_each_read_from_their_own_interface() {
    let dir = workdir("three-in-sync");
    dir.write("callbacks.yaml", file());
    let vendor = vendor(&in_sync(), &[(1_400_000_001, true)]);
    let out = run(
        &dir,
        &vendor,
        &["verify", "callbacks.yaml", "--format", "json"],
    );
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).expect("json");
    let services: Vec<&str> = report["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| a["service"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(services, ["room", "live", "call"]);
    assert_eq!(vendor.calls(), ["live_config/get_callback_token"]);
}

#[test]
fn drift_in_one_service_names_the_service_and_its_own_remedy() {
    let dir = workdir("call-drift");
    dir.write("callbacks.yaml", file());
    let mut live = in_sync();
    // The same SDKAppID's Room configuration is in sync; only Call drifted.
    live[2].2 = config(CALL_URL, &["Call.CallbackAfterStartCall"]);
    let vendor = vendor(&live, &[(1_400_000_001, true)]);
    let out = run(&dir, &vendor, &["verify", "callbacks.yaml"]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    // The human report is written to stderr.
    let human = &out.stderr;
    assert!(
        human.contains("support-calls (1400000002, call)"),
        "{}",
        human
    );
    assert!(human.contains("v4/call_config/set_callback"), "{}", human);
    assert!(!human.contains("update_callback"), "{}", human);
    // Room's title is as it always was.
    assert!(!human.contains(", room)"), "{}", human);

    let json = run(
        &dir,
        &vendor,
        &["verify", "callbacks.yaml", "--format", "json"],
    );
    let report: Value = serde_json::from_str(&json.stdout).expect("json");
    let call = &report["apps"][2];
    assert_eq!(call["service"], "call");
    assert_eq!(
        call["remediation"]["interface"],
        "v4/call_config/set_callback"
    );
    assert_eq!(
        call["remediation"]["body"]["CallbackCommandList"],
        json!(["Call.CallbackAfterStartCall", "Call.CallbackAfterEndCall"])
    );

    for (format, needle) in [
        ("junit", "support-calls (1400000002, call)"),
        ("markdown", "| support-calls | 1400000002 | call |"),
        ("sarif", "1400000002/call:missing_command"),
    ] {
        let out = run(
            &dir,
            &vendor,
            &["verify", "callbacks.yaml", "--format", format],
        );
        assert!(out.stdout.contains(needle), "{format}: {}", out.stdout);
    }
}

#[test]
fn apply_fixes_a_call_app_with_set_callback_only() {
    let dir = workdir("call-apply");
    dir.write("callbacks.yaml", file());
    let mut live = in_sync();
    live[2].2 = config(
        "https://old.example.com/call",
        &["Call.CallbackAfterStartCall"],
    );
    let vendor = vendor(&live, &[(1_400_000_001, true)]);
    let out = run(&dir, &vendor, &["apply", "callbacks.yaml", "--yes"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let calls = vendor.calls();
    assert!(
        calls.contains(&"call_config/set_callback".to_owned()),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.ends_with("update_callback")),
        "{calls:?}"
    );
    assert_eq!(
        vendor.live("call")[&1_400_000_002],
        config(
            CALL_URL,
            &["Call.CallbackAfterStartCall", "Call.CallbackAfterEndCall"]
        )
    );
    let again = run(&dir, &vendor, &["verify", "callbacks.yaml"]);
    assert_eq!(again.code, Some(0), "{}{}", again.stdout, again.stderr);
}

#[test]
fn apply_deletes_an_absent_call_app_and_creates_a_missing_one() {
    let dir = workdir("call-absent");
    let file = file().replace(
        "    callback: {url: https://hooks.example.com/call, commands: [Call.CallbackAfterStartCall, Call.CallbackAfterEndCall]}\n",
        "    callback: absent\n  - name: new-calls\n    sdkappid: 1400000003\n    service: call\n    callback: {url: https://hooks.example.com/call, commands: [Call.CallbackAfterEndCall]}\n",
    );
    dir.write("callbacks.yaml", file);
    let vendor = vendor(&in_sync(), &[(1_400_000_001, true)]);
    let out = run(&dir, &vendor, &["apply", "callbacks.yaml", "--yes"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let calls = vendor.calls();
    assert!(
        calls.contains(&"call_config/delete_callback".to_owned()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"call_config/set_callback".to_owned()),
        "{calls:?}"
    );
    let live = vendor.live("call");
    assert!(!live.contains_key(&1_400_000_002));
    assert!(live.contains_key(&1_400_000_003));
}

#[test]
fn a_live_token_that_is_not_as_declared_is_an_error_fixed_by_hand() {
    let dir = workdir("live-token");
    dir.write("callbacks.yaml", file());
    // A token that exists but is not enabled, and (below) none at all: 100302.
    for tokens in [vec![(1_400_000_001, false)], vec![]] {
        let vendor = vendor(&in_sync(), &tokens);
        let out = run(
            &dir,
            &vendor,
            &["verify", "callbacks.yaml", "--format", "json"],
        );
        assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
        let report: Value = serde_json::from_str(&out.stdout).expect("json");
        let live = &report["apps"][1];
        assert_eq!(live["service"], "live");
        assert_eq!(live["findings"][0]["kind"], "token_auth_mismatch");
        assert_eq!(live["findings"][0]["severity"], "error");
        assert_eq!(live["findings"].as_array().map(Vec::len), Some(1));

        let human = run(&dir, &vendor, &["verify", "callbacks.yaml"]);
        // The callback is as declared: no live → desired diff.
        assert!(!human.stderr.contains("--- live"), "{}", human.stderr);
        assert!(
            human.stderr.contains("v4/live_config/set_callback_token"),
            "{}",
            human.stderr
        );

        let apply = run(&dir, &vendor, &["apply", "callbacks.yaml", "--yes"]);
        assert_ne!(apply.code, Some(0), "{}{}", apply.stdout, apply.stderr);
        let shown = format!("{}{}", apply.stdout, apply.stderr);
        assert!(
            shown.contains("v4/live_config/set_callback_token"),
            "{shown}"
        );
        assert!(shown.contains("by hand"), "{shown}");
        let calls = vendor.calls();
        assert!(
            calls.iter().all(|c| c == "live_config/get_callback_token"),
            "apply must not write for a token: {calls:?}"
        );
    }
}

#[test]
fn when_only_a_token_is_left_apply_s_last_line_says_why_it_exits_1_and_what_to_do() {
    let dir = workdir("live-token-last-line");
    dir.write("callbacks.yaml", file());
    // The Room app lacks its command: apply fixes it. The Live token is disabled.
    let mut live = in_sync();
    live[0].2 = config(ROOM_URL, &[]);
    let vendor = vendor(&live, &[(1_400_000_001, false)]);
    let why = "exit 1: 1 app needs a change apply cannot make: classroom-live \
               (token_auth: set it to enabled with v4/live_config/set_callback_token)\n";

    let first = run(&dir, &vendor, &["apply", "callbacks.yaml", "--yes"]);
    assert_eq!(first.code, Some(1), "{}", first.stderr);
    assert!(
        first.stderr.ends_with(&format!(
            "apply: 1 changed and in sync, 0 changed but still drifted, 0 not changed, 0 unknown\n{why}"
        )),
        "{}",
        first.stderr
    );
    // Everything apply can change converged: a rerun changes nothing and says the same.
    for args in [&["--yes"][..], &["--dry-run"], &["--yes", "-q"]] {
        let rerun = run(
            &dir,
            &vendor,
            &[&["apply", "callbacks.yaml"][..], args].concat(),
        );
        assert_eq!(rerun.code, Some(1), "{args:?}: {}", rerun.stderr);
        assert!(
            rerun.stderr.ends_with(&format!(
                "Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged. 1 app to fix by hand.\n{why}"
            )),
            "{args:?}: {}",
            rerun.stderr
        );
    }
    let writes: Vec<String> = vendor
        .calls()
        .into_iter()
        .filter(|c| !c.contains("get_"))
        .collect();
    assert_eq!(writes, ["room_config/update_callback"]);
}

#[test]
fn a_room_only_file_reads_no_token_and_no_sibling_interface() {
    let dir = workdir("room-only");
    let file = file();
    let room = file
        .split("  - name: classroom-live")
        .next()
        .unwrap_or(&file);
    dir.write("callbacks.yaml", room);
    let vendor = vendor(&in_sync(), &[]);
    let out = run(&dir, &vendor, &["verify", "callbacks.yaml"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(vendor.calls().is_empty());
    assert!(!out.stdout.contains("room)"), "{}", out.stdout);
}

#[test]
fn export_all_services_of_an_sdkappid_then_verify_is_in_sync() {
    let dir = workdir("export-all");
    let vendor = vendor(&in_sync(), &[(1_400_000_001, false)]);
    let out = run(
        &dir,
        &vendor,
        &[
            "export",
            "--sdkappid",
            "1400000001",
            "--service",
            "all",
            "--region",
            "singapore",
            "-o",
            "exported.yaml",
        ],
    );
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let text = dir.read("exported.yaml");
    assert!(
        text.contains("    service: live\n    token_auth: disabled\n"),
        "{text}"
    );
    assert!(text.contains("Live.CallbackAfterCreateRoom"), "{text}");
    assert!(text.contains("Room.CallbackAfterCreateRoom"), "{text}");
    // No Call configuration for this SDKAppID: a comment, as an absent Room app is.
    assert!(text.contains("  #   service: call\n"), "{text}");
    assert!(text.contains("  #   callback: absent\n"), "{text}");

    let verify = run(&dir, &vendor, &["verify", "exported.yaml"]);
    assert_eq!(verify.code, Some(0), "{}{}", verify.stdout, verify.stderr);
}

#[test]
fn export_one_service_and_from_a_file_keeps_each_entry_service() {
    let dir = workdir("export-from");
    dir.write("callbacks.yaml", file());
    let mut live = in_sync();
    live[2].2 = config(CALL_URL, &["Call.CallbackAfterMemberChanged"]);
    let vendor = vendor(&live, &[(1_400_000_001, true)]);

    let one = run(
        &dir,
        &vendor,
        &[
            "export",
            "--sdkappid",
            "1400000002",
            "--service",
            "call",
            "--region",
            "singapore",
        ],
    );
    assert_eq!(one.code, Some(0), "{}{}", one.stdout, one.stderr);
    assert!(one.stdout.contains("    service: call\n"), "{}", one.stdout);
    assert!(!one.stdout.contains("token_auth"), "{}", one.stdout);

    let out = run(
        &dir,
        &vendor,
        &["export", "--from", "callbacks.yaml", "-o", "again.yaml"],
    );
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let text = dir.read("again.yaml");
    assert!(text.contains("name: classroom-live\n    sdkappid: 1400000001\n    service: live\n    token_auth: enabled\n"), "{text}");
    assert!(
        text.contains("name: support-calls\n    sdkappid: 1400000002\n    service: call\n"),
        "{text}"
    );
    assert!(text.contains("Call.CallbackAfterMemberChanged"), "{text}");
    let verify = run(&dir, &vendor, &["verify", "again.yaml"]);
    assert_eq!(verify.code, Some(0), "{}{}", verify.stdout, verify.stderr);
}

/// `in_sync` recorded for `--live-from`, without Live's token.
fn in_sync_snapshot() -> Snapshot {
    in_sync()
        .into_iter()
        .fold(
            Snapshot::new(),
            |snapshot, (service, sdkappid, config)| match service {
                "room" => snapshot.room(sdkappid, vendor::ok(config)),
                _ => snapshot.service(sdkappid, service, vendor::ok(config)),
            },
        )
}

#[test]
fn a_snapshot_holds_replies_for_several_services() {
    let dir = workdir("snapshot");
    dir.write("callbacks.yaml", file());
    let snapshot = in_sync_snapshot().token(1_400_000_001, vendor::fail(100_302, "no token"));
    dir.write("live.json", snapshot.to_string());
    let out = dir
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .args(["--format", "json"])
        .run();
    out.code(1);
    let report = out.stdout_json();
    let kinds: Vec<(&str, usize)> = report["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| {
            (
                a["status"].as_str().unwrap_or("?"),
                a["findings"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(kinds, [("in_sync", 0), ("drifted", 1), ("in_sync", 0)]);
    assert_eq!(
        report["apps"][1]["findings"][0]["kind"],
        "token_auth_mismatch"
    );
}

#[test]
fn an_sdkappid_in_two_files_is_refused_only_for_the_same_service() {
    let dir = workdir("two-files");
    let file = file();
    let (room, rest) = file.split_at(file.find("  - name: classroom-live").unwrap_or(0));
    let header = file.split("apps:\n").next().unwrap_or("");
    dir.write("room.yaml", room);
    dir.write("live.yaml", format!("{header}apps:\n{rest}"));
    dir.write("live2.yaml", format!("{header}apps:\n{rest}"));
    // Replies for every app, so that only the selection can fail.
    let snapshot = in_sync_snapshot().token(1_400_000_001, vendor::token(true));
    dir.write("live.json", snapshot.to_string());
    let verify = |files: &[&str]| {
        dir.cbcheck()
            .arg("verify")
            .args(files)
            .args(["--live-from", "live.json"])
            .hides(TOKEN)
            .run()
    };
    verify(&["room.yaml", "live.yaml"]).code(0);
    verify(&["live.yaml", "live2.yaml"])
        .code(2)
        .stderr_has("sdkappid 1400000001 (live) is declared in both live.yaml and live2.yaml");
}

#[test]
fn the_apply_command_says_token_signing_is_left_to_the_hand() {
    let dir = workdir("apply-command-token");
    dir.write("callbacks.yaml", file());
    let mut live = in_sync();
    // The Room app drifted; the Live app's token is not configured (declared enabled).
    live[0].2 = config(ROOM_URL, &["Room.CallbackAfterDestroyRoom"]);
    let vendor = vendor(&live, &[]);
    let out = run(&dir, &vendor, &["verify", "callbacks.yaml"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let (_, after) = out
        .stderr
        .split_once("3 apps checked: 1 in sync, 2 drifted, 0 failed\n")
        .expect("the summary line");
    assert_eq!(
        after,
        format!(
            "To fix the drifted app, run:\n  cbcheck apply callbacks.yaml --app classroom --endpoint {}/\n\
         It shows its plan first, and changes only the apps that differ from the file.\n\
         Or call each app's interface yourself, with the body shown above for it.\n\
         apply leaves token signing alone: set it by hand for 1 app, as each one's help above says.\n",
            vendor.uri()
        )
    );
    let markdown = run(
        &dir,
        &vendor,
        &["verify", "callbacks.yaml", "--format", "markdown"],
    );
    assert!(
        markdown.stdout.contains(&format!(
            "```sh\ncbcheck apply callbacks.yaml --app classroom --endpoint {}/\n```\n\n`apply` shows its plan first, and changes only the apps that differ from the file. Or call each app's interface yourself, with the body in its section below.\n\napply leaves token signing alone: set it by hand for 1 app, as each one's section below says.\n\n|",
            vendor.uri()
        )),
        "{}",
        markdown.stdout
    );
}
