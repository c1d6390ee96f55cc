//! apply's plan: a diff per app for a person, JSON for machines. Planned offline from
//! recorded replies (`apply --dry-run --live-from`).

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::support::cmd::Workdir;
use crate::support::vendor::{self, CALL, LIVE, LIVE_TOKEN as TOKEN, Snapshot, configured};
use crate::support::{Cmd, Out, repo_path, workdir};

const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Room.CallbackAfterDestroyRoom";
const C: &str = "Mic.CallbackAfterSeatInfoChanged";
const D: &str = "Room.CallbackAfterMemberEnter";
/// A secret in a callback URL's query: it must never be shown.
const SECRET: &str = "s3cr3t-query-value";

/// Every kind of plan entry, in file order: an update with a URL change and commands
/// added and removed, a create, a delete, an app in sync, an update that keeps a
/// tolerated extra, a URL differing only in a redacted value, a Call app (replaced
/// with set_callback), and Live apps whose token signing is not as declared.
const FLEET: &str = include_str!("fixtures/plan-fleet.yaml");

/// The live side of FLEET.
fn fleet_live() -> Value {
    Snapshot::new()
        // Live has C, which the file does not declare, and lacks D and B.
        .room(
            1_400_000_001,
            configured("https://hooks.example.com/old", &[C, A, C]),
        )
        .room(1_400_000_002, vendor::not_configured())
        .room(
            1_400_000_003,
            configured(
                "https://hooks.example.com/old?sign=s3cr3t-query-value",
                &[A, B],
            ),
        )
        .room(
            1_400_000_004,
            configured("https://hooks.example.com/d", &[C]),
        )
        .room(
            1_400_000_005,
            configured("https://hooks.example.com/e", &[C, A]),
        )
        .room(
            1_400_000_006,
            configured("https://hooks.example.com/f?token=old-value", &[A]),
        )
        .service(
            1_400_000_007,
            CALL,
            configured(
                "https://hooks.example.com/call",
                &["Call.CallbackAfterStartCall"],
            ),
        )
        // Only the token is not as declared: nothing for apply to send.
        .service(
            1_400_000_008,
            LIVE,
            configured(
                "https://hooks.example.com/live",
                &["Live.CallbackAfterCreateRoom"],
            ),
        )
        .token(1_400_000_008, vendor::token(false))
        // The callback and the token both differ.
        .service(
            1_400_000_009,
            LIVE,
            configured(
                "https://hooks.example.com/shows",
                &["Live.CallbackAfterCreateRoom"],
            ),
        )
        .token(1_400_000_009, vendor::token(true))
        .json()
}

/// A scratch directory holding `file` as callbacks.yaml and `live` as live.json.
fn recorded(name: &str, file: &str, live: &Value) -> Workdir {
    workdir(name)
        .with("callbacks.yaml", file)
        .with("live.json", live.to_string())
}

/// `cbcheck apply callbacks.yaml --dry-run --live-from live.json ARGS` in `dir`;
/// neither a URL secret nor the Live token is shown.
fn plan(dir: &Workdir, args: &[&str]) -> Out {
    dir.cbcheck()
        .args([
            "apply",
            "callbacks.yaml",
            "--dry-run",
            "--live-from",
            "live.json",
        ])
        .args(args)
        .hides(SECRET)
        .hides(TOKEN)
        .run()
}

#[test]
fn the_plan_shows_each_change_as_a_diff_of_live_to_desired() {
    let dir = recorded("fleet", FLEET, &fleet_live());
    let out = plan(&dir, &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_snapshot!("fleet", out.stderr);
}

#[test]
fn verify_and_the_plan_read_the_same_way_a_command_the_file_adds_is_plus_in_both() {
    let file = format!(
        "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n  \
         - name: prod\n    sdkappid: 1400000001\n    callback:\n      \
         url: https://hooks.example.com/cb\n      commands: [{A}, {D}]\n"
    );
    // Live lacks D, which the file declares.
    let live = Snapshot::new()
        .room(
            1_400_000_001,
            configured("https://hooks.example.com/cb", &[A]),
        )
        .json();
    let dir = recorded("direction", &file, &live);
    let verified = dir
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .run();
    assert_eq!(verified.code, Some(1), "{}", verified.stderr);
    assert!(
        verified.stderr.contains(&format!(
            "  --- live (get_callback)\n  +++ desired (callbacks.yaml)\n    \
             url: https://hooks.example.com/cb\n    commands:\n      - {A}\n  +   - {D}\n"
        )),
        "{}",
        verified.stderr
    );
    let planned = plan(&dir, &[]);
    assert_eq!(planned.code, Some(1), "{}", planned.stderr);
    assert!(
        planned.stderr.starts_with(&format!(
            "  --- live (get_callback)\n  +++ desired (callbacks.yaml)\n\n  \
             ~ update prod (1400000001): v4/room_config/update_callback\n        \
             url: https://hooks.example.com/cb\n        commands:\n          + {D}\n"
        )),
        "{}",
        planned.stderr
    );
}

#[test]
fn a_plan_with_nothing_to_do_says_so() {
    let live = fleet_live();
    let file = FLEET
        .split("  - name: fine")
        .nth(1)
        .and_then(|rest| rest.split("  - name: tolerant").next())
        .map(|fine| format!("version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n  - name: fine{fine}"))
        .expect("the fine app");
    let dir = recorded("nothing", &file, &live);
    let out = plan(&dir, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_snapshot!("nothing_to_do", out.stderr);
}

#[test]
fn a_plan_with_a_failed_app_says_what_is_not_planned() {
    let mut live = fleet_live();
    live["1400000001"] = json!("<html>502 Bad Gateway</html>");
    let dir = recorded("failed", FLEET, &live);
    let out = plan(&dir, &["--app", "drifted", "--app", "fine"]);
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: drifted could not be read (protocol)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with(
            "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged. \
             1 app could not be read.\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn the_plan_is_coloured_only_when_colour_is_on() {
    let dir = recorded("colour", FLEET, &fleet_live());
    let coloured = plan(&dir, &["--app", "missing", "--color", "always"]);
    assert!(
        coloured.stderr.contains(
            "\u{1b}[32m  + create missing (1400000002): v4/room_config/set_callback\u{1b}[0m"
        ),
        "{:?}",
        coloured.stderr
    );
    for plain in [
        plan(&dir, &["--app", "missing", "--color", "never"]),
        // Not a terminal: auto means no colour.
        plan(&dir, &["--app", "missing"]),
    ] {
        assert!(!plain.stderr.contains('\u{1b}'), "{:?}", plain.stderr);
        assert!(
            plain
                .stderr
                .contains("  + create missing (1400000002): v4/room_config/set_callback\n"),
            "{}",
            plain.stderr
        );
    }
}

fn committed_plan_schema() -> Value {
    let text = std::fs::read_to_string(repo_path("schemas/plan.schema.json"))
        .expect("schemas/plan.schema.json is committed");
    serde_json::from_str(&text).expect("the committed schema is JSON")
}

#[test]
fn the_json_plan_carries_each_call_its_body_and_the_live_state_and_matches_its_schema() {
    let mut live = fleet_live();
    live["1400000004"] = json!("<html>502 Bad Gateway</html>");
    let dir = recorded("json", FLEET, &live);
    let out = plan(&dir, &["--format", "json"]);
    // The unreadable app outranks the drift, as in verify.
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert_eq!(out.stderr, "", "the plan and the failure are in the JSON");
    let plan: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    let validator = jsonschema::validator_for(&committed_plan_schema()).expect("a JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{plan:#}");

    assert_eq!(plan["version"], 2);
    assert_eq!(plan["files"], json!(["callbacks.yaml"]));
    assert_eq!(
        plan["file_digests"][0]["sha256"],
        cbcheck::testing::sha256_hex(FLEET.as_bytes())
    );
    assert!(
        plan["created"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{}",
        plan["created"]
    );
    assert_eq!(
        plan["summary"],
        json!({"apps": 9, "create": 1, "update": 5, "delete": 1, "unchanged": 1, "failed": 1, "by_hand": 2})
    );
    let apps = plan["apps"].as_array().expect("apps");
    let actions: Vec<(&str, &str, Option<&str>)> = apps
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("?"),
                a["action"].as_str().unwrap_or("?"),
                a["interface"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("drifted", "update", Some("v4/room_config/update_callback")),
            ("missing", "create", Some("v4/room_config/set_callback")),
            ("retired", "delete", Some("v4/room_config/delete_callback")),
            ("fine", "failed", None),
            ("tolerant", "update", Some("v4/room_config/update_callback")),
            ("rotated", "update", Some("v4/room_config/update_callback")),
            ("calls", "update", Some("v4/call_config/set_callback")),
            ("streams", "unchanged", None),
            ("shows", "update", Some("v4/live_config/update_callback")),
        ]
    );
    let drifted = &apps[0];
    assert_eq!(
        (&drifted["sdkappid"], &drifted["service"], &drifted["file"]),
        (
            &json!(1_400_000_001),
            &json!("room"),
            &json!("callbacks.yaml")
        )
    );
    assert_eq!(
        drifted["body"],
        json!({"Url": "https://hooks.example.com/new", "CallbackCommandList": [D, A, B]})
    );
    assert_eq!(
        drifted["live"],
        json!({"callback": {"Url": "https://hooks.example.com/old", "CallbackCommandList": [C, A, C]},
               "token_auth": null})
    );
    // Secrets redacted in the body and in the live state.
    assert_eq!(
        apps[1]["body"]["Url"],
        "https://hooks.example.com/b?token=***"
    );
    assert_eq!(
        apps[1]["live"],
        json!({"callback": null, "token_auth": null})
    );
    // A secret written in the file is no request: the plan cannot be applied for it.
    assert_eq!(apps[1]["request"], Value::Null);
    assert_eq!(
        apps[1]["live_sha256"],
        cbcheck::testing::sha256_hex(b"null")
    );
    assert_eq!(apps[2]["body"], json!({}));
    assert_eq!(
        apps[2]["request"],
        json!({"region": "singapore", "endpoint": null, "identifier": "administrator",
               "secret_key_env": null, "body": {}})
    );
    assert_eq!(
        apps[2]["live"]["callback"]["Url"],
        "https://hooks.example.com/old?sign=***"
    );
    assert_eq!(apps[3]["live"], Value::Null);
    assert_eq!(apps[3]["error"]["class"], "protocol");
    assert_eq!(apps[3]["body"], Value::Null);
    assert_eq!(
        (&apps[3]["request"], &apps[3]["live_sha256"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        apps[0]["request"]["body"],
        json!({"Url": "https://hooks.example.com/new", "CallbackCommandList": [D, A, B]})
    );
    // The kept extra is in the body.
    assert_eq!(apps[4]["body"]["CallbackCommandList"], json!([A, B, C]));
    for (index, live_flag, desired) in [(7, false, "enabled"), (8, true, "disabled")] {
        let app = &apps[index];
        assert_eq!(app["service"], "live");
        assert_eq!(app["live"]["token_auth"], live_flag, "{app:#}");
        assert_eq!(app["by_hand"][0]["kind"], "token_auth_mismatch");
        assert_eq!(
            app["by_hand"][0]["interface"],
            "v4/live_config/set_callback_token"
        );
        assert_eq!(app["by_hand"][0]["desired"], desired);
    }
    assert!(apps[..7].iter().all(|a| a["by_hand"] == json!([])));
}

#[test]
fn with_show_secrets_the_json_plan_holds_the_exact_body() {
    let dir = recorded("json-secrets", FLEET, &fleet_live());
    let out = dir
        .cbcheck()
        .args([
            "apply",
            "callbacks.yaml",
            "--dry-run",
            "--live-from",
            "live.json",
        ])
        .args(["--format", "json", "--app", "missing", "--show-secrets"])
        .run();
    out.code(1);
    let plan = out.stdout_json();
    assert_eq!(
        plan["apps"][0]["body"]["Url"],
        format!("https://hooks.example.com/b?token={SECRET}")
    );
    assert_eq!(
        plan["summary"],
        json!({"apps": 1, "create": 1, "update": 0, "delete": 0, "unchanged": 0, "failed": 0, "by_hand": 0})
    );
}

#[test]
fn a_json_plan_and_a_recorded_live_state_need_dry_run() {
    let dir = recorded("needs-dry-run", FLEET, &fleet_live());
    for args in [
        &["--format", "json"][..],
        &["--live-from", "live.json"][..],
        &["--format", "json", "--yes", "--live-from", "live.json"][..],
    ] {
        let out = dir
            .cbcheck()
            .args(["apply", "callbacks.yaml"])
            .args(args)
            .run();
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(out.stderr.contains("--dry-run"), "{args:?}: {}", out.stderr);
    }
    // Formats of verify's reports are not plans.
    dir.cbcheck()
        .args(["apply", "callbacks.yaml", "--dry-run", "--format", "sarif"])
        .run()
        .code(2)
        .stderr_has("[possible values: human, json]");
}

#[test]
fn schema_plan_prints_the_committed_plan_schema() {
    let committed = std::fs::read_to_string(repo_path("schemas/plan.schema.json"))
        .expect("schemas/plan.schema.json is committed");
    Cmd::new()
        .args(["schema", "--plan"])
        .run()
        .code(0)
        .stdout_is(&committed);
}

/// A pipeline reading the JSON plan never gets an empty document: an invalid file, or
/// a run stopped before planning, is a plan of nothing whose diagnostics say why.
#[test]
fn a_json_plan_of_an_invalid_file_or_a_stopped_run_says_why() {
    let validator = jsonschema::validator_for(&committed_plan_schema()).expect("a JSON Schema");
    let broken = FLEET.replacen("sdkappid: 1400000001", "sdkappid: x", 1);
    let dir = recorded("json-invalid", &broken, &fleet_live());
    let out = plan(&dir, &["--format", "json"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let document: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(document["apps"], json!([]));
    assert_eq!(document["files"], json!(["callbacks.yaml"]));
    let first = &document["diagnostics"][0];
    assert_eq!(first["code"], "cbcheck::config::wrong-type");
    assert_eq!(first["file"], "callbacks.yaml");
    assert!(first["line"].is_u64());

    let dir = recorded("json-stopped", FLEET, &fleet_live());
    let out = plan(&dir, &["--format", "json", "--app", "no-such-app"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let document: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert!(validator.iter_errors(&document).next().is_none());
    let diagnostics = document["diagnostics"].as_array().expect("diagnostics");
    let last = diagnostics.last().expect("the stop");
    assert_eq!(last["code"], "cbcheck::usage::no_such_app");
    assert_eq!(last["file"], Value::Null);
}
