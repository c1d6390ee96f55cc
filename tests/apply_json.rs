//! `apply --yes --format json`: one document of what happened to each app, against
//! the fake vendor, validated against schemas/apply.schema.json.

use serde_json::{Value, json};

use crate::support::vendor::{LIVE, LIVE_TOKEN, ROOM, Vendor, config, fail};
use crate::support::{repo_path, workdir};

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Room.CallbackAfterDestroyRoom";
/// The value of `${HOOK_TOKEN}`: it must never be shown.
const PLACEHOLDER: &str = "ph-value-91c2";
/// A secret written in a live URL's query: it must never be shown.
const SECRET: &str = "s3cr3t-query-value";

/// One app of each outcome, in file order: changed, in sync, changed since the plan,
/// unreadable, and a Live app whose token signing only a person can set.
const FLEET: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: changed
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/a?token=${HOOK_TOKEN}
      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]
  - name: steady
    sdkappid: 1400000002
    callback:
      url: https://hooks.example.com/b
      commands: [Room.CallbackAfterCreateRoom]
  - name: raced
    sdkappid: 1400000003
    callback:
      url: https://hooks.example.com/c
      commands: [Room.CallbackAfterCreateRoom]
  - name: refused
    sdkappid: 1400000004
    callback:
      url: https://hooks.example.com/d
      commands: [Room.CallbackAfterCreateRoom]
  - name: shows
    sdkappid: 1400000005
    service: live
    token_auth: enabled
    callback:
      url: https://hooks.example.com/live
      commands: [Live.CallbackAfterCreateRoom]
";

fn committed_apply_schema() -> Value {
    let text = std::fs::read_to_string(repo_path("schemas/apply.schema.json"))
        .expect("schemas/apply.schema.json is committed");
    serde_json::from_str(&text).expect("the committed schema is JSON")
}

#[track_caller]
fn assert_valid(document: &Value) {
    let validator = jsonschema::validator_for(&committed_apply_schema()).expect("a JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{document:#}");
}

fn fleet() -> Vendor {
    let vendor = Vendor::start();
    vendor.room(
        1_400_000_001,
        &format!("https://hooks.example.com/a?token={SECRET}"),
        &[A],
    );
    vendor.room(1_400_000_002, "https://hooks.example.com/b", &[A]);
    vendor.room(1_400_000_003, "https://hooks.example.com/old", &[A]);
    // Someone else changes it between the plan's read and apply's.
    vendor.change_after_get(
        1_400_000_003,
        1,
        Some(config(
            &format!("https://hooks.example.com/other?sign={SECRET}"),
            &[B],
        )),
    );
    vendor.answer(1_400_000_004, fail(70_009, "signature verification failed"));
    vendor.set(
        LIVE,
        1_400_000_005,
        Some(config(
            "https://hooks.example.com/live",
            &["Live.CallbackAfterCreateRoom"],
        )),
    );
    vendor.token_auth(1_400_000_005, false);
    vendor
}

#[test]
fn apply_yes_prints_each_apps_outcome_as_one_document() {
    let vendor = fleet();
    let dir = workdir("apply-json").with("callbacks.yaml", FLEET);
    let out = dir
        .cbcheck()
        .args(["apply", "callbacks.yaml", "--yes", "--format", "json"])
        .env("HOOK_TOKEN", PLACEHOLDER)
        .endpoint(&vendor)
        .key(KEY)
        .run();
    // The worst outcome: refused credentials (3), as without --format json.
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let document = out.stdout_json();
    assert_valid(&document);

    let apps = document["apps"].as_array().expect("apps");
    let by = |field: &str| -> Vec<Value> { apps.iter().map(|app| app[field].clone()).collect() };
    assert_eq!(
        by("sdkappid"),
        [
            1_400_000_001_u64,
            1_400_000_002,
            1_400_000_003,
            1_400_000_004,
            1_400_000_005
        ]
        .map(|id| json!(id))
    );
    assert_eq!(
        by("outcome"),
        ["changed", "in_sync", "not_changed", "failed", "by_hand"].map(|o| json!(o))
    );
    assert_eq!(
        by("interface"),
        [
            json!("v4/room_config/update_callback"),
            Value::Null,
            json!("v4/room_config/update_callback"),
            Value::Null,
            Value::Null,
        ]
    );
    assert_eq!(
        by("read_back"),
        [
            json!("in_sync"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
    assert_eq!(apps[0]["name"], "changed");
    assert_eq!(apps[4]["service"], "live");
    assert!(
        apps[2]["reasons"][0]
            .as_str()
            .is_some_and(|r| r.contains("it changed since the plan was shown")
                && r.contains("https://hooks.example.com/other?sign=***")),
        "{:#}",
        apps[2]
    );
    assert_eq!(apps[3]["error"]["class"], "auth");
    assert_eq!(apps[3]["error"]["code"], 70_009);
    assert_eq!(apps[3]["error"]["request_id"], "Id-70009-O-Seq-9");
    assert_eq!(
        apps[4]["by_hand"][0]["interface"],
        "v4/live_config/set_callback_token"
    );
    assert_eq!(
        document["summary"],
        json!({"apps": 5, "changed": 1, "in_sync": 1, "not_changed": 1, "unknown": 0,
               "by_hand": 1, "failed": 1, "needs_by_hand": 1})
    );
    assert_eq!(document["diagnostics"], json!([]));
    assert_eq!(document["files"], json!(["callbacks.yaml"]));

    // Only the changed app was written, and the raced one left as someone set it.
    assert_eq!(
        vendor.writes(),
        [("update_callback".to_owned(), 1_400_000_001)]
    );
    assert_eq!(
        vendor.get(ROOM, 1_400_000_003),
        Some(config(
            &format!("https://hooks.example.com/other?sign={SECRET}"),
            &[B]
        ))
    );

    // Neither the key, a UserSig, the token nor a placeholder or query value appears.
    let usersigs = vendor.usersigs();
    assert!(!usersigs.is_empty());
    for secret in [KEY, PLACEHOLDER, SECRET, LIVE_TOKEN]
        .into_iter()
        .chain(usersigs.iter().map(String::as_str))
    {
        assert!(!out.stdout.contains(secret), "{secret} in\n{}", out.stdout);
        assert!(!out.stderr.contains(secret), "{secret} in\n{}", out.stderr);
    }
    // stderr keeps only what a person needs: no plan, no outcome lines.
    for human in ["Plan:", "apply:", "+++ desired", "exit 1:"] {
        assert!(!out.stderr.contains(human), "{human} in\n{}", out.stderr);
    }
}

#[test]
fn a_fleet_in_sync_and_an_invalid_file_still_print_one_document() {
    let vendor = Vendor::start();
    vendor.room(1_400_000_002, "https://hooks.example.com/b", &[A]);
    let steady = "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n  - sdkappid: 1400000002\n    callback:\n      url: https://hooks.example.com/b\n      commands: [Room.CallbackAfterCreateRoom]\n";
    let dir = workdir("apply-json-steady")
        .with("callbacks.yaml", steady)
        .with("broken.yaml", steady.replace("commands:", "comands:"));
    let run = |file: &str| {
        dir.cbcheck()
            .args(["apply", file, "--yes", "--format", "json"])
            .endpoint(&vendor)
            .key(KEY)
            .run()
    };
    let out = run("callbacks.yaml");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let document = out.stdout_json();
    assert_valid(&document);
    assert_eq!(document["apps"][0]["outcome"], "in_sync");
    assert!(vendor.writes().is_empty());

    let out = run("broken.yaml");
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let document = out.stdout_json();
    assert_valid(&document);
    assert_eq!(document["apps"], json!([]));
    assert_eq!(document["diagnostics"][0]["severity"], "error");
}

#[test]
fn json_without_dry_run_or_yes_is_refused() {
    let dir = workdir("apply-json-ask").with("callbacks.yaml", FLEET);
    let out = dir
        .cbcheck()
        .args(["apply", "callbacks.yaml", "--format", "json"])
        .run();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("--dry-run") && out.stderr.contains("--yes"));
}
