//! `apply --plan PLAN.json --yes`: a saved plan applied as planned, against the fake
//! vendor; refused whole (exit 2, nothing sent) when it is stale, altered, or not a
//! plan; no key, UserSig or placeholder value is ever in one.

use serde_json::{Value, json};

use crate::support::cmd::Workdir;
use crate::support::vendor::{ROOM, Vendor, config};
use crate::support::{Cmd, Out, repo_path, workdir};

const KEY: &str = "7a6b5c4d3e2f10fe1d2c3b4a59687766a5b4c3d2e1f00f1e2d3c4b5a69788796";
const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Room.CallbackAfterDestroyRoom";
/// The value of `${HOOK_TOKEN}`: never in a plan, always in the URL sent.
const PLACEHOLDER: &str = "ph-value-5d0e7a";

/// An update with a placeholder, an update someone else races, a delete, and an app
/// in sync.
const FLEET: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: hooked
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/a?token=${HOOK_TOKEN}
      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]
  - name: raced
    sdkappid: 1400000002
    callback:
      url: https://hooks.example.com/b
      commands: [Room.CallbackAfterCreateRoom]
  - name: retired
    sdkappid: 1400000003
    callback: absent
  - name: steady
    sdkappid: 1400000004
    callback:
      url: https://hooks.example.com/d
      commands: [Room.CallbackAfterCreateRoom]
";

fn fleet() -> Vendor {
    let vendor = Vendor::start();
    vendor
        .room(1_400_000_001, "https://hooks.example.com/old", &[A])
        .room(1_400_000_002, "https://hooks.example.com/old", &[A])
        .room(1_400_000_003, "https://hooks.example.com/c", &[A])
        .room(1_400_000_004, "https://hooks.example.com/d", &[A]);
    vendor
}

/// `cbcheck ARGS` in `dir` against `vendor`, with the key and `${HOOK_TOKEN}` set.
fn cbcheck(dir: &Workdir, vendor: &Vendor, args: &[&str]) -> Out {
    dir.cbcheck()
        .args(args)
        .endpoint(vendor)
        .key(KEY)
        .env("HOOK_TOKEN", PLACEHOLDER)
        .run()
}

/// `cbcheck apply --plan plan.json --yes ARGS` in `dir` against `vendor`.
fn apply_saved(dir: &Workdir, vendor: &Vendor, args: &[&str]) -> Out {
    let mut all = vec!["apply", "--plan", "plan.json", "--yes"];
    all.extend_from_slice(args);
    cbcheck(dir, vendor, &all)
}

/// The plan of FLEET saved as plan.json (exit 1: there is drift), and the plan.
fn saved_plan(name: &str, vendor: &Vendor) -> (Workdir, Value) {
    let dir = workdir(name).with("callbacks.yaml", FLEET);
    let out = cbcheck(
        &dir,
        vendor,
        &["apply", "callbacks.yaml", "--dry-run", "--format", "json"],
    );
    out.code(1);
    dir.write("plan.json", &out.stdout);
    (dir, out.stdout_json())
}

/// A change made to a saved plan.
type Edit = fn(&mut Value);

/// Rewrite plan.json by `edit`.
fn edit_plan(dir: &Workdir, edit: impl FnOnce(&mut Value)) {
    let mut plan: Value = serde_json::from_str(&dir.read("plan.json")).expect("a plan");
    edit(&mut plan);
    dir.write("plan.json", plan.to_string());
}

/// The writes the vendor received from the `from`th request on: `(call, sdkappid, body)`.
fn writes_since(vendor: &Vendor, from: usize) -> Vec<(String, u64, Value)> {
    vendor.requests()[from..]
        .iter()
        .filter(|r| r.interface() != "get_callback")
        .map(|r| (r.call(), r.sdkappid(), r.json()))
        .collect()
}

/// The diagnostic's words on one line, as the renderer's wrapping left them.
fn unwrapped(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

fn hooked_body() -> Value {
    json!({"Url": format!("https://hooks.example.com/a?token={PLACEHOLDER}"),
           "CallbackCommandList": [A, B]})
}

#[test]
fn the_saved_plan_is_applied_as_planned_and_a_raced_app_is_left_alone() {
    let vendor = fleet();
    let (dir, plan) = saved_plan("loop", &vendor);
    assert_eq!(plan["version"], 2);
    // After the plan: someone changes one app.
    vendor.room(1_400_000_002, "https://hooks.example.com/someone", &[A]);
    let before = vendor.requests().len();
    // Its URL names `${HOOK_TOKEN}`: without the files, nothing says the reviewed file
    // named that variable (a plan could name any, another app's key), so it is refused.
    apply_saved(&dir, &vendor, &[])
        .code(2)
        .stderr_has("cbcheck::plan::needs_files");
    assert_eq!(vendor.requests().len(), before, "nothing was sent");
    let out = apply_saved(&dir, &vendor, &["callbacks.yaml"]);
    out.code(1)
        .stderr_has("raced: NOT changed: it changed since the plan was shown")
        .stderr_has("hooked: changed with v4/room_config/update_callback; read back: in sync")
        .stderr_has("retired: changed with v4/room_config/delete_callback; read back: in sync")
        .stderr_has(
            "apply: 2 changed and in sync, 0 changed but still drifted, 1 not changed, 0 unknown",
        )
        .stderr_lacks(PLACEHOLDER);
    assert_eq!(
        writes_since(&vendor, before),
        [
            (
                "room_config/update_callback".to_owned(),
                1_400_000_001,
                hooked_body()
            ),
            (
                "room_config/delete_callback".to_owned(),
                1_400_000_003,
                json!({})
            ),
        ],
        "exactly the planned bodies, the placeholder expanded"
    );
    assert_eq!(
        vendor.get(ROOM, 1_400_000_002),
        Some(config("https://hooks.example.com/someone", &[A])),
        "the raced app is as someone left it"
    );
    // Applied again, the plan finds the changed apps as planned and the raced one still not.
    let again = apply_saved(&dir, &vendor, &["callbacks.yaml"]);
    again
        .code(1)
        .stderr_has("hooked: not changed: already in sync when cbcheck got to it");
}

#[test]
fn with_the_files_given_the_plan_is_applied_only_if_they_are_unchanged() {
    let vendor = fleet();
    let (dir, _) = saved_plan("files", &vendor);
    let before = vendor.requests().len();
    dir.write("callbacks.yaml", FLEET.replace("/b\n", "/b2\n"));
    apply_saved(&dir, &vendor, &["callbacks.yaml"])
        .code(2)
        .stderr_has("callbacks.yaml changed since the plan plan.json was made")
        .stderr_has("plans from the file as it is now")
        .stderr_has("nothing was changed");
    assert_eq!(vendor.requests().len(), before, "nothing was sent");

    // The file as planned: applied, and the outcome is apply's JSON document.
    dir.write("callbacks.yaml", FLEET);
    let out = apply_saved(&dir, &vendor, &["callbacks.yaml", "--format", "json"]);
    out.code(0);
    let document = out.stdout_json();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("schemas/apply.schema.json")).expect("schema"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("a JSON Schema");
    assert!(validator.is_valid(&document), "{document:#}");
    let outcomes: Vec<(&str, &str)> = document["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("?"),
                a["outcome"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("hooked", "changed"),
            ("raced", "changed"),
            ("retired", "changed"),
            ("steady", "in_sync")
        ]
    );
    assert_eq!(document["files"], json!(["callbacks.yaml"]));
    assert!(!out.stdout.contains(PLACEHOLDER), "{}", out.stdout);
}

#[test]
fn a_plan_altered_against_its_file_is_refused_when_the_file_is_given() {
    let vendor = fleet();
    let (dir, _) = saved_plan("tampered", &vendor);
    let before = vendor.requests().len();
    let alterations: [(&str, Edit); 4] = [
        ("another callback URL", |plan| {
            plan["apps"][0]["request"]["body"]["Url"] = json!("https://evil.example.com/x");
        }),
        ("another set of commands", |plan| {
            plan["apps"][1]["request"]["body"]["CallbackCommandList"] =
                json!([A, "Room.CallbackAfterMemberEnter"]);
        }),
        ("another region or endpoint", |plan| {
            plan["apps"][1]["request"]["endpoint"] = json!("https://evil.example.com/");
        }),
        ("the plan deletes a callback the file declares", |plan| {
            plan["apps"][1]["request"]["body"] = json!({});
            plan["apps"][1]["interface"] = json!("v4/room_config/delete_callback");
        }),
    ];
    for (what, alter) in alterations {
        let pristine = dir.read("plan.json");
        edit_plan(&dir, alter);
        let out = apply_saved(
            &dir,
            &vendor,
            &["callbacks.yaml", "--allow-endpoint", "evil.example.com"],
        );
        out.code(2);
        let message = unwrapped(&out.stderr);
        assert!(
            message.contains("does not match callbacks.yaml for ") && message.contains(what),
            "{what}: {message}"
        );
        assert_eq!(vendor.requests().len(), before, "{what}: nothing was sent");
        dir.write("plan.json", pristine);
    }
}

#[test]
fn old_future_other_version_and_malformed_plans_are_refused_and_nothing_is_sent() {
    let vendor = fleet();
    let (dir, plan) = saved_plan("refused", &vendor);
    let before = vendor.requests().len();
    let pristine = plan.to_string();
    let cases: [(&str, Edit, &str); 4] = [
        (
            "old",
            |p| p["created"] = json!("2000-01-01T00:00:00.000Z"),
            "was made at 2000-01-01T00:00:00.000Z, more than 168 hours ago",
        ),
        (
            "future",
            |p| p["created"] = json!("2999-01-01T00:00:00.000Z"),
            "is dated 2999-01-01T00:00:00.000Z, in the future",
        ),
        (
            "version 1",
            |p| p["version"] = json!(1),
            "has version 1; this cbcheck applies plan version 2",
        ),
        (
            "a wrong type",
            |p| p["apps"][0]["sdkappid"] = json!("ECHOED-1400000001"),
            "plan.json is not a cbcheck plan: a field is missing or has the wrong type at line 1",
        ),
    ];
    for (case, edit, message) in cases {
        dir.write("plan.json", &pristine);
        edit_plan(&dir, edit);
        let out = apply_saved(&dir, &vendor, &[]);
        out.code(2)
            .stderr_has(message)
            .stderr_has("nothing was changed")
            .stderr_lacks("ECHOED");
        assert_eq!(vendor.requests().len(), before, "{case}: nothing was sent");
    }
    for (garbage, message) in [
        (
            "{\"version\": 2,\n  \"created\": ECHOED}",
            "invalid JSON at line 2, column 14",
        ),
        ("", "the JSON ends early at line 1, column 0"),
    ] {
        dir.write("plan.json", garbage);
        apply_saved(&dir, &vendor, &[])
            .code(2)
            .stderr_has(message)
            .stderr_lacks("ECHOED");
    }
    // Without --yes, and with --dry-run, it is a usage error.
    for args in [
        &["apply", "--plan", "plan.json"][..],
        &["apply", "--plan", "plan.json", "--dry-run"][..],
        &["apply", "--plan", "plan.json", "--yes", "--app", "hooked"][..],
    ] {
        cbcheck(&dir, &vendor, args).code(2);
    }
    assert_eq!(vendor.requests().len(), before);
}

#[test]
fn a_plan_whose_endpoint_the_operator_did_not_allow_is_refused() {
    let vendor = Vendor::start();
    vendor.room(1_400_000_001, "https://hooks.example.com/old", &[A]);
    let dir = workdir("endpoint").with(
        "callbacks.yaml",
        format!(
            "version: 1\napps:\n  - name: proxied\n    sdkappid: 1400000001\n    \
             identifier: administrator\n    endpoint: {}\n    callback:\n      \
             url: https://hooks.example.com/new\n      commands: [{A}]\n",
            vendor.uri()
        ),
    );
    let allow = vendor.host_port();
    let run = |args: &[&str]| Cmd::new().current_dir(&dir).args(args).key(KEY).run();
    let plan = run(&[
        "apply",
        "callbacks.yaml",
        "--dry-run",
        "--format",
        "json",
        "--allow-endpoint",
        &allow,
    ]);
    plan.code(1);
    dir.write("plan.json", &plan.stdout);
    let before = vendor.requests().len();
    run(&["apply", "--plan", "plan.json", "--yes"])
        .code(2)
        .stderr_has("cbcheck::plan::endpoint_not_allowed")
        .stderr_has(&format!("CBCHECK_ALLOW_ENDPOINTS={allow}"))
        .stderr_has("nothing was changed");
    assert_eq!(vendor.requests().len(), before, "no request, no UserSig");
    run(&[
        "apply",
        "--plan",
        "plan.json",
        "--yes",
        "--allow-endpoint",
        &allow,
    ])
    .code(0);
    assert_eq!(
        vendor.get(ROOM, 1_400_000_001),
        Some(config("https://hooks.example.com/new", &[A]))
    );
}

#[test]
fn no_key_usersig_or_placeholder_value_is_ever_in_a_plan() {
    let vendor = fleet();
    let file = FLEET.replace(
        "  - name: raced\n",
        "  - name: raced\n    secret_key_env: RACED_KEY\n",
    );
    let dir = workdir("no-secrets").with("callbacks.yaml", &file);
    let other_key = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
    let out = dir
        .cbcheck()
        .args(["apply", "callbacks.yaml", "--dry-run", "--format", "json"])
        .endpoint(&vendor)
        .key(KEY)
        .env("RACED_KEY", other_key)
        .env("HOOK_TOKEN", PLACEHOLDER)
        .run();
    out.code(1);
    let plan = out.stdout_json();
    assert_eq!(
        plan["apps"][0]["request"]["body"]["Url"],
        "https://hooks.example.com/a?token=${HOOK_TOKEN}"
    );
    assert_eq!(plan["apps"][1]["request"]["secret_key_env"], "RACED_KEY");
    let usersigs = vendor.usersigs();
    assert_eq!(usersigs.len(), 4, "one read per app");
    for secret in [KEY, other_key, PLACEHOLDER]
        .into_iter()
        .chain(usersigs.iter().map(String::as_str))
    {
        assert!(!out.stdout.contains(secret), "{secret} in the plan");
    }
}

/// A plan altered to keep command words the file does not declare (claiming it saw
/// them live) sends nothing for that app: words beyond the file's are sent only if
/// they are live just before the write.
#[test]
fn a_plan_cannot_add_words_by_claiming_it_saw_them_live() {
    let vendor = Vendor::start();
    vendor.room(1_400_000_001, "https://hooks.example.com/a", &[A]);
    let file = "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n  - name: tolerant\n    sdkappid: 1400000001\n    extra_commands: warn\n    callback:\n      url: https://hooks.example.com/a\n      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]\n";
    let dir = workdir("plan-extras").with("callbacks.yaml", file);
    let plan = cbcheck(
        &dir,
        &vendor,
        &["apply", "callbacks.yaml", "--dry-run", "--format", "json"],
    );
    plan.code(1);
    dir.write("plan.json", &plan.stdout);
    const ADDED: &str = "Room.CallbackAfterSendMsg";
    edit_plan(&dir, |plan| {
        for path in [
            "/apps/0/live/callback/CallbackCommandList",
            "/apps/0/request/body/CallbackCommandList",
        ] {
            plan.pointer_mut(path)
                .and_then(Value::as_array_mut)
                .expect("a list")
                .push(json!(ADDED));
        }
    });
    let before = vendor.requests().len();
    apply_saved(&dir, &vendor, &["callbacks.yaml"])
        .code(4)
        .stderr_has(
            "which the file does not declare and the app does not have live: nothing was sent",
        );
    assert_eq!(writes_since(&vendor, before), [], "nothing was written");
    assert_eq!(
        vendor.get(ROOM, 1_400_000_001),
        Some(config("https://hooks.example.com/a", &[A]))
    );
}
