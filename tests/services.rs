//! Room, Live and Call in one file, against a fake vendor that keeps each
//! service's configuration per SDKAppID.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::cbcheck;

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
/// The Live callback token the fake returns: it must never be shown.
const TOKEN: &str = "live-token-6b1f0c";

/// The vendor's side: one optional configuration per (service, SDKAppID), and
/// Live's callback token per SDKAppID (`None`: 100302, no token configured).
#[derive(Clone, Default)]
struct Vendor {
    live: Arc<Mutex<HashMap<(String, u64), Value>>>,
    tokens: Arc<Mutex<HashMap<u64, bool>>>,
    /// Every call but get_callback, as its path (`live_config/set_callback`), in order.
    calls: Arc<Mutex<Vec<String>>>,
}

fn reply(code: i64, response: Option<Value>) -> ResponseTemplate {
    let mut body = json!({"ErrorCode": code, "ErrorInfo": if code == 0 { "" } else { "refused" },
        "ActionStatus": if code == 0 { "OK" } else { "FAIL" }, "RequestId": format!("Id-{code}")});
    if let Some(response) = response {
        body["Response"] = response;
    }
    ResponseTemplate::new(200).set_body_json(body)
}

impl Respond for Vendor {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id: u64 = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "sdkappid")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut parts = request.url.path().rsplit('/');
        let interface = parts.next().unwrap_or("").to_owned();
        let group = parts.next().unwrap_or("").to_owned();
        let Some(service) = group.strip_suffix("_config").map(str::to_owned) else {
            return ResponseTemplate::new(404);
        };
        let key = (service.clone(), id);
        let mut live = self.live.lock().expect("lock");
        if interface == "get_callback" {
            return match live.get(&key) {
                Some(config) => reply(0, Some(config.clone())),
                None => reply(100_301, None),
            };
        }
        self.calls
            .lock()
            .expect("lock")
            .push(format!("{group}/{interface}"));
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        match (service.as_str(), interface.as_str()) {
            ("live", "get_callback_token") => match self.tokens.lock().expect("lock").get(&id) {
                Some(enabled) => reply(0, Some(json!({"Token": TOKEN, "IsTokenEnable": enabled}))),
                None => reply(100_302, None),
            },
            // Call has no update_callback, and its set overwrites.
            ("call", "update_callback") => ResponseTemplate::new(404),
            ("call", "set_callback") => {
                live.insert(key, body);
                reply(0, None)
            }
            (_, "set_callback") if live.contains_key(&key) => reply(100_300, None),
            (_, "update_callback") if !live.contains_key(&key) => reply(100_301, None),
            (_, "set_callback" | "update_callback") => {
                live.insert(key, body);
                reply(0, None)
            }
            (_, "delete_callback") => {
                live.remove(&key);
                reply(0, None)
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

fn config(url: &str, commands: &[&str]) -> Value {
    json!({"Url": url, "CallbackCommandList": commands})
}

async fn vendor(initial: &[(&str, u64, Value)], tokens: &[(u64, bool)]) -> (MockServer, Vendor) {
    let vendor = Vendor::default();
    vendor.live.lock().expect("lock").extend(
        initial
            .iter()
            .map(|(service, id, config)| (((*service).to_owned(), *id), config.clone())),
    );
    vendor
        .tokens
        .lock()
        .expect("lock")
        .extend(tokens.iter().copied());
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(vendor.clone())
        .mount(&server)
        .await;
    (server, vendor)
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("services")
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn run(dir: &PathBuf, server: &MockServer, args: &[&str]) -> Out {
    let mut cmd = cbcheck();
    cmd.current_dir(dir)
        .args(args)
        .args(["--endpoint", &server.uri()])
        .env("CBCHECK_SECRET_KEY", KEY);
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let out = Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(&KEY[..16]), "{text}");
        assert!(!text.contains(TOKEN), "the Live token is shown: {text}");
    }
    out
}

const ROOM_URL: &str = "https://hooks.example.com/room";
const LIVE_URL: &str = "https://hooks.example.com/live";
const CALL_URL: &str = "https://hooks.example.com/call";

/// The issue's example: the same SDKAppID under Room and Live, a Call app beside.
const FILE: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: classroom
    sdkappid: 1400000001
    callback: {url: https://hooks.example.com/room, commands: [Room.CallbackAfterCreateRoom]}
  - name: classroom-live
    sdkappid: 1400000001
    service: live
    token_auth: enabled
    callback: {url: https://hooks.example.com/live, commands: [Live.CallbackAfterCreateRoom, Mic.CallbackAfterSeatInfoChanged]}
  - name: support-calls
    sdkappid: 1400000002
    service: call
    callback: {url: https://hooks.example.com/call, commands: [Call.CallbackAfterStartCall, Call.CallbackAfterEndCall]}
";

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_services_in_one_file_are_each_read_from_their_own_interface() {
    let dir = workdir("three-in-sync");
    std::fs::write(dir.join("callbacks.yaml"), FILE).expect("write");
    let (server, vendor) = vendor(&in_sync(), &[(1_400_000_001, true)]).await;
    let out = run(
        &dir,
        &server,
        &["verify", "callbacks.yaml", "--format", "json"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).expect("json");
    let services: Vec<&str> = report["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| a["service"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(services, ["room", "live", "call"]);
    assert_eq!(
        vendor.calls.lock().expect("lock").as_slice(),
        ["live_config/get_callback_token"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_in_one_service_names_the_service_and_its_own_remedy() {
    let dir = workdir("call-drift");
    std::fs::write(dir.join("callbacks.yaml"), FILE).expect("write");
    let mut live = in_sync();
    // The same SDKAppID's Room configuration is in sync; only Call drifted.
    live[2].2 = config(CALL_URL, &["Call.CallbackAfterStartCall"]);
    let (server, _vendor) = vendor(&live, &[(1_400_000_001, true)]).await;
    let out = run(&dir, &server, &["verify", "callbacks.yaml"]).await;
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    // The human report is written to stderr.
    let out = Out {
        code: out.code,
        stdout: out.stderr,
        stderr: String::new(),
    };
    assert!(
        out.stdout.contains("support-calls (1400000002, call)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("v4/call_config/set_callback"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("update_callback"), "{}", out.stdout);
    // Room's title is as it always was.
    assert!(!out.stdout.contains(", room)"), "{}", out.stdout);

    let json = run(
        &dir,
        &server,
        &["verify", "callbacks.yaml", "--format", "json"],
    )
    .await;
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
            &server,
            &["verify", "callbacks.yaml", "--format", format],
        )
        .await;
        assert!(out.stdout.contains(needle), "{format}: {}", out.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_fixes_a_call_app_with_set_callback_only() {
    let dir = workdir("call-apply");
    std::fs::write(dir.join("callbacks.yaml"), FILE).expect("write");
    let mut live = in_sync();
    live[2].2 = config(
        "https://old.example.com/call",
        &["Call.CallbackAfterStartCall"],
    );
    let (server, vendor) = vendor(&live, &[(1_400_000_001, true)]).await;
    let out = run(&dir, &server, &["apply", "callbacks.yaml", "--yes"]).await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let calls = vendor.calls.lock().expect("lock").clone();
    assert!(
        calls.contains(&"call_config/set_callback".to_owned()),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.ends_with("update_callback")),
        "{calls:?}"
    );
    assert_eq!(
        vendor.live.lock().expect("lock")[&("call".to_owned(), 1_400_000_002)],
        config(
            CALL_URL,
            &["Call.CallbackAfterStartCall", "Call.CallbackAfterEndCall"]
        )
    );
    let again = run(&dir, &server, &["verify", "callbacks.yaml"]).await;
    assert_eq!(again.code, Some(0), "{}{}", again.stdout, again.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_deletes_an_absent_call_app_and_creates_a_missing_one() {
    let dir = workdir("call-absent");
    let file = FILE.replace(
        "    callback: {url: https://hooks.example.com/call, commands: [Call.CallbackAfterStartCall, Call.CallbackAfterEndCall]}\n",
        "    callback: absent\n  - name: new-calls\n    sdkappid: 1400000003\n    service: call\n    callback: {url: https://hooks.example.com/call, commands: [Call.CallbackAfterEndCall]}\n",
    );
    std::fs::write(dir.join("callbacks.yaml"), file).expect("write");
    let (server, vendor) = vendor(&in_sync(), &[(1_400_000_001, true)]).await;
    let out = run(&dir, &server, &["apply", "callbacks.yaml", "--yes"]).await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let calls = vendor.calls.lock().expect("lock").clone();
    assert!(
        calls.contains(&"call_config/delete_callback".to_owned()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"call_config/set_callback".to_owned()),
        "{calls:?}"
    );
    let live = vendor.live.lock().expect("lock");
    assert!(!live.contains_key(&("call".to_owned(), 1_400_000_002)));
    assert!(live.contains_key(&("call".to_owned(), 1_400_000_003)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_token_that_is_not_as_declared_is_an_error_fixed_by_hand() {
    let dir = workdir("live-token");
    std::fs::write(dir.join("callbacks.yaml"), FILE).expect("write");
    // A token that exists but is not enabled, and (below) none at all: 100302.
    for tokens in [vec![(1_400_000_001, false)], vec![]] {
        let (server, vendor) = vendor(&in_sync(), &tokens).await;
        let out = run(
            &dir,
            &server,
            &["verify", "callbacks.yaml", "--format", "json"],
        )
        .await;
        assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
        let report: Value = serde_json::from_str(&out.stdout).expect("json");
        let live = &report["apps"][1];
        assert_eq!(live["service"], "live");
        assert_eq!(live["findings"][0]["kind"], "token_auth_mismatch");
        assert_eq!(live["findings"][0]["severity"], "error");
        assert_eq!(live["findings"].as_array().map(Vec::len), Some(1));

        let human = run(&dir, &server, &["verify", "callbacks.yaml"]).await;
        // The callback is as declared: no desired-vs-live diff.
        assert!(!human.stderr.contains("+++ live"), "{}", human.stderr);
        assert!(
            human.stderr.contains("v4/live_config/set_callback_token"),
            "{}",
            human.stderr
        );

        let apply = run(&dir, &server, &["apply", "callbacks.yaml", "--yes"]).await;
        assert_ne!(apply.code, Some(0), "{}{}", apply.stdout, apply.stderr);
        let shown = format!("{}{}", apply.stdout, apply.stderr);
        assert!(
            shown.contains("v4/live_config/set_callback_token"),
            "{shown}"
        );
        assert!(shown.contains("by hand"), "{shown}");
        let calls = vendor.calls.lock().expect("lock").clone();
        assert!(
            calls.iter().all(|c| c == "live_config/get_callback_token"),
            "apply must not write for a token: {calls:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_only_file_reads_no_token_and_no_sibling_interface() {
    let dir = workdir("room-only");
    let file = FILE
        .split("  - name: classroom-live")
        .next()
        .unwrap_or(FILE);
    std::fs::write(dir.join("callbacks.yaml"), file).expect("write");
    let (server, vendor) = vendor(&in_sync(), &[]).await;
    let out = run(&dir, &server, &["verify", "callbacks.yaml"]).await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(vendor.calls.lock().expect("lock").is_empty());
    assert!(!out.stdout.contains("room)"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_all_services_of_an_sdkappid_then_verify_is_in_sync() {
    let dir = workdir("export-all");
    let (server, _vendor) = vendor(&in_sync(), &[(1_400_000_001, false)]).await;
    let out = run(
        &dir,
        &server,
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
    )
    .await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(dir.join("exported.yaml")).expect("written");
    assert!(
        text.contains("    service: live\n    token_auth: disabled\n"),
        "{text}"
    );
    assert!(text.contains("Live.CallbackAfterCreateRoom"), "{text}");
    assert!(text.contains("Room.CallbackAfterCreateRoom"), "{text}");
    // No Call configuration for this SDKAppID: a comment, as an absent Room app is.
    assert!(text.contains("  #   service: call\n"), "{text}");
    assert!(text.contains("  #   callback: absent\n"), "{text}");

    let verify = run(&dir, &server, &["verify", "exported.yaml"]).await;
    assert_eq!(verify.code, Some(0), "{}{}", verify.stdout, verify.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_one_service_and_from_a_file_keeps_each_entry_service() {
    let dir = workdir("export-from");
    std::fs::write(dir.join("callbacks.yaml"), FILE).expect("write");
    let mut live = in_sync();
    live[2].2 = config(CALL_URL, &["Call.CallbackAfterMemberChanged"]);
    let (server, _vendor) = vendor(&live, &[(1_400_000_001, true)]).await;

    let one = run(
        &dir,
        &server,
        &[
            "export",
            "--sdkappid",
            "1400000002",
            "--service",
            "call",
            "--region",
            "singapore",
        ],
    )
    .await;
    assert_eq!(one.code, Some(0), "{}{}", one.stdout, one.stderr);
    assert!(one.stdout.contains("    service: call\n"), "{}", one.stdout);
    assert!(!one.stdout.contains("token_auth"), "{}", one.stdout);

    let out = run(
        &dir,
        &server,
        &["export", "--from", "callbacks.yaml", "-o", "again.yaml"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(dir.join("again.yaml")).expect("written");
    assert!(text.contains("name: classroom-live\n    sdkappid: 1400000001\n    service: live\n    token_auth: enabled\n"), "{text}");
    assert!(
        text.contains("name: support-calls\n    sdkappid: 1400000002\n    service: call\n"),
        "{text}"
    );
    assert!(text.contains("Call.CallbackAfterMemberChanged"), "{text}");
    let verify = run(&dir, &server, &["verify", "again.yaml"]).await;
    assert_eq!(verify.code, Some(0), "{}{}", verify.stdout, verify.stderr);
}

#[test]
fn a_snapshot_holds_replies_for_several_services() {
    let dir = workdir("snapshot");
    std::fs::write(dir.join("callbacks.yaml"), FILE).expect("write");
    let ok = |value: Value| json!({"ErrorCode": 0, "ActionStatus": "OK", "Response": value});
    let snapshot = json!({
        "1400000001": ok(config(ROOM_URL, &["Room.CallbackAfterCreateRoom"])),
        "1400000001/live": ok(config(LIVE_URL, &["Live.CallbackAfterCreateRoom", "Mic.CallbackAfterSeatInfoChanged"])),
        "1400000001/live/token": {"ErrorCode": 100302, "ActionStatus": "FAIL", "ErrorInfo": "no token"},
        "1400000002/call": ok(config(CALL_URL, &["Call.CallbackAfterStartCall", "Call.CallbackAfterEndCall"])),
    });
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("write");
    let out = cbcheck()
        .current_dir(&dir)
        .args([
            "verify",
            "callbacks.yaml",
            "--live-from",
            "live.json",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
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
    let (room, rest) = FILE.split_at(FILE.find("  - name: classroom-live").unwrap_or(0));
    let header = FILE.split("apps:\n").next().unwrap_or("");
    std::fs::write(dir.join("room.yaml"), room).expect("write");
    std::fs::write(dir.join("live.yaml"), format!("{header}apps:\n{rest}")).expect("write");
    std::fs::write(dir.join("live2.yaml"), format!("{header}apps:\n{rest}")).expect("write");
    // Replies for every app, so that only the selection can fail.
    let ok = |value: Value| json!({"ErrorCode": 0, "ActionStatus": "OK", "Response": value});
    let snapshot = json!({
        "1400000001": ok(config(ROOM_URL, &["Room.CallbackAfterCreateRoom"])),
        "1400000001/live": ok(config(LIVE_URL, &["Live.CallbackAfterCreateRoom", "Mic.CallbackAfterSeatInfoChanged"])),
        "1400000001/live/token": ok(json!({"Token": TOKEN, "IsTokenEnable": true})),
        "1400000002/call": ok(config(CALL_URL, &["Call.CallbackAfterStartCall", "Call.CallbackAfterEndCall"])),
    });
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("write");
    let verify = |files: &[&str]| {
        cbcheck()
            .current_dir(&dir)
            .arg("verify")
            .args(files)
            .args(["--live-from", "live.json"])
            .output()
            .expect("runs")
    };
    let out = verify(&["room.yaml", "live.yaml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
    let out = verify(&["live.yaml", "live2.yaml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("sdkappid 1400000001 (live) is declared in both live.yaml and live2.yaml"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apply_command_says_token_signing_is_left_to_the_hand() {
    let dir = workdir("apply-command-token");
    std::fs::write(dir.join("callbacks.yaml"), FILE).expect("write");
    let mut live = in_sync();
    // The Room app drifted; the Live app's token is not configured (declared enabled).
    live[0].2 = config(ROOM_URL, &["Room.CallbackAfterDestroyRoom"]);
    let (server, _vendor) = vendor(&live, &[]).await;
    let out = run(&dir, &server, &["verify", "callbacks.yaml"]).await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let (_, after) = out
        .stderr
        .split_once("3 apps checked: 1 in sync, 2 drifted, 0 failed\n")
        .expect("the summary line");
    assert_eq!(
        after,
        "To fix the drifted app, run:\n  cbcheck apply callbacks.yaml --app classroom\n\
         It shows its plan first, and changes only the apps that differ from the file.\n\
         Or call each app's interface yourself, with the body shown above for it.\n\
         apply leaves token signing alone: set it by hand for 1 app, as each one's help above says.\n"
    );
    let markdown = run(
        &dir,
        &server,
        &["verify", "callbacks.yaml", "--format", "markdown"],
    )
    .await;
    assert!(
        markdown.stdout.contains(
            "```sh\ncbcheck apply callbacks.yaml --app classroom\n```\n\n`apply` shows its plan first, and changes only the apps that differ from the file. Or call each app's interface yourself, with the body in its section below.\n\napply leaves token signing alone: set it by hand for 1 app, as each one's section below says.\n\n|"
        ),
        "{}",
        markdown.stdout
    );
}
