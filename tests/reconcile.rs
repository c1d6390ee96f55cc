//! export and apply against a fake vendor that keeps state across calls.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::cbcheck;

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Room.CallbackAfterDestroyRoom";
const C: &str = "Mic.CallbackAfterSeatInfoChanged";

/// The vendor's side: one optional configuration per SDKAppID.
#[derive(Clone, Default)]
struct Vendor {
    live: Arc<Mutex<HashMap<u64, Value>>>,
    /// Every write call, as (interface, sdkappid), in order.
    writes: Arc<Mutex<Vec<(String, u64)>>>,
    /// Someone else's change, made just before the first write to that app arrives.
    races: Arc<Mutex<HashMap<u64, Option<Value>>>>,
    /// Apps whose writes are refused with this ErrorCode.
    refuse_writes: Arc<Mutex<HashMap<u64, i64>>>,
    /// Someone else's change, made right after the Nth get_callback of that app is answered.
    changes_after_get: Arc<Mutex<HashMap<u64, AfterGet>>>,
    /// get_callback calls answered, per app.
    gets: Arc<Mutex<HashMap<u64, usize>>>,
    /// How the vendor mishandles an app's writes.
    faults: Arc<Mutex<HashMap<u64, Fault>>>,
    /// Apps whose reads fail with this HTTP status.
    unreadable: Arc<Mutex<HashMap<u64, u16>>>,
}

/// After this many reads of the app, its configuration becomes `change` (`None`: deleted).
type AfterGet = (usize, Option<Value>);

#[derive(Clone, Copy)]
enum Fault {
    /// The write takes effect, but its reply comes only after this delay.
    AppliedButLate(Duration),
    /// The write is answered with this HTTP status and does not take effect.
    Status(u16),
    /// As `Status`, and from then on every read of the app fails with it too.
    StatusThenUnreadable(u16),
    /// This many writes are refused for their rate (60018) before one is accepted.
    RateLimited(usize),
}

fn config(url: &str, commands: &[&str]) -> Value {
    json!({"Url": url, "CallbackCommandList": commands})
}

fn reply(code: i64, response: Option<&Value>) -> ResponseTemplate {
    let mut body = json!({"ErrorCode": code, "ErrorInfo": if code == 0 { "" } else { "refused" },
        "ActionStatus": if code == 0 { "OK" } else { "FAIL" }, "RequestId": format!("Id-{code}")});
    if let Some(response) = response {
        body["Response"] = response.clone();
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
        let interface = request
            .url
            .path()
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_owned();
        let mut live = self.live.lock().expect("lock");
        if interface == "get_callback" {
            if let Some(status) = self.unreadable.lock().expect("lock").get(&id) {
                return ResponseTemplate::new(*status);
            }
            let answer = match live.get(&id) {
                Some(config) => reply(0, Some(config)),
                None => reply(100_301, None),
            };
            let mut gets = self.gets.lock().expect("lock");
            let served = gets.entry(id).or_default();
            *served += 1;
            let mut changes = self.changes_after_get.lock().expect("lock");
            if changes.get(&id).is_some_and(|(after, _)| after == served)
                && let Some((_, change)) = changes.remove(&id)
            {
                match change {
                    Some(config) => live.insert(id, config),
                    None => live.remove(&id),
                };
            }
            return answer;
        }
        self.writes
            .lock()
            .expect("lock")
            .push((interface.clone(), id));
        if let Some(code) = self.refuse_writes.lock().expect("lock").get(&id) {
            return reply(*code, None);
        }
        let mut late = None;
        match self.faults.lock().expect("lock").get_mut(&id) {
            Some(Fault::Status(status)) => return ResponseTemplate::new(*status),
            Some(Fault::StatusThenUnreadable(status)) => {
                self.unreadable.lock().expect("lock").insert(id, *status);
                return ResponseTemplate::new(*status);
            }
            Some(Fault::RateLimited(left)) if *left > 0 => {
                *left -= 1;
                return reply(60_018, None);
            }
            Some(Fault::AppliedButLate(delay)) => late = Some(*delay),
            Some(Fault::RateLimited(_)) | None => {}
        }
        if let Some(race) = self.races.lock().expect("lock").remove(&id) {
            match race {
                Some(config) => live.insert(id, config),
                None => live.remove(&id),
            };
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let answer = match interface.as_str() {
            "set_callback" if live.contains_key(&id) => reply(100_300, None),
            "update_callback" if !live.contains_key(&id) => reply(100_301, None),
            "set_callback" | "update_callback" => {
                live.insert(id, body);
                reply(0, None)
            }
            "delete_callback" => {
                live.remove(&id);
                reply(0, None)
            }
            _ => ResponseTemplate::new(404),
        };
        match late {
            Some(delay) => answer.set_delay(delay),
            None => answer,
        }
    }
}

async fn vendor(initial: &[(u64, Value)]) -> (MockServer, Vendor) {
    let vendor = Vendor::default();
    vendor
        .live
        .lock()
        .expect("lock")
        .extend(initial.iter().cloned());
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(vendor.clone())
        .mount(&server)
        .await;
    (server, vendor)
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("reconcile")
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
    assert!(!out.stderr.contains(&KEY[..16]) && !out.stdout.contains(&KEY[..16]));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_verify_round_trips_in_sync() {
    let (server, vendor) = vendor(&[
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
    ])
    .await;
    let dir = workdir("export");
    let out = run(
        &dir,
        &server,
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
            "-o",
            "callbacks.yaml",
            // The token is kept in the file (placeholders: tests/placeholders.rs).
            "--literal-urls",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("wrote callbacks.yaml: 2 app(s) declared, 1 as comments"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("carries query values"),
        "warns about the token: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("t0k"), "{}", out.stderr);
    let written = std::fs::read_to_string(dir.join("callbacks.yaml")).expect("written");
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

    let lint = cbcheck()
        .current_dir(&dir)
        .args(["lint", "callbacks.yaml"])
        .output()
        .expect("runs");
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}\n{written}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let verify = run(&dir, &server, &["verify", "callbacks.yaml"]).await;
    assert_eq!(verify.code, Some(0), "{}\n{written}", verify.stderr);
    // The commented hint for the absent app is a valid declaration once uncommented.
    let uncommented = written
        .replace("  # - sdkappid: 1400000003", "  - sdkappid: 1400000003")
        .replace("  #   callback: absent", "    callback: absent");
    std::fs::write(dir.join("uncommented.yaml"), &uncommented).expect("write");
    let lint = cbcheck()
        .current_dir(&dir)
        .args(["lint", "uncommented.yaml"])
        .output()
        .expect("runs");
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}\n{uncommented}",
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(String::from_utf8_lossy(&lint.stderr).contains("valid: 3 apps"));
    assert!(
        verify
            .stderr
            .contains("2 apps checked: 2 in sync, 0 drifted, 0 failed"),
        "{}",
        verify.stderr
    );
    assert!(
        vendor.writes.lock().expect("lock").is_empty(),
        "export and verify never write"
    );

    // --from refreshes an existing file, keeping what the file says about each app.
    let file = "version: 1\napps:\n  - name: prod\n    sdkappid: 1400000001\n    region: seoul\n    identifier: ops\n    secret_key_env: PROD_KEY\n    callback:\n      url: https://old.example.com/cb\n      commands: [Room.CallbackAfterCreateRoom]\n";
    std::fs::write(dir.join("old.yaml"), file).expect("old");
    let out = run(
        &dir,
        &server,
        &["export", "--from", "old.yaml", "--literal-urls"],
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_nothing_when_an_app_cannot_be_read() {
    let (server, _) = vendor(&[(1_400_000_001, config("https://h.example.com/a", &[A]))]).await;
    let dir = workdir("export_failed");
    let _ = std::fs::remove_file(dir.join("out.yaml"));
    let mut cmd = cbcheck();
    cmd.current_dir(&dir)
        .args([
            "export",
            "--sdkappid",
            "1400000001",
            "--region",
            "singapore",
            "-o",
            "out.yaml",
        ])
        .args(["--endpoint", &server.uri()]);
    // No credentials at all: the app cannot be read.
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing was written"));
    assert!(!dir.join("out.yaml").exists());
}

const FLEET: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: drifted
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/a
      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]
  - name: missing
    sdkappid: 1400000002
    callback:
      url: https://hooks.example.com/b
      commands: [Room.CallbackAfterCreateRoom]
  - name: retired
    sdkappid: 1400000003
    callback: absent
  - name: fine
    sdkappid: 1400000004
    callback:
      url: https://hooks.example.com/d
      commands: [Mic.CallbackAfterSeatInfoChanged]
  - name: tolerant
    sdkappid: 1400000005
    extra_commands: warn
    callback:
      url: https://hooks.example.com/e
      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]
";

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_a_mixed_fleet_and_a_second_apply_changes_nothing() {
    let (server, vendor) = vendor(&fleet_live()).await;
    let dir = workdir("apply");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(&dir, &server, &["apply", "callbacks.yaml", "--yes"]).await;
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
    let writes = vendor.writes.lock().expect("lock").clone();
    assert_eq!(
        writes,
        [
            ("update_callback".to_owned(), 1_400_000_001),
            ("set_callback".to_owned(), 1_400_000_002),
            ("delete_callback".to_owned(), 1_400_000_003),
            ("update_callback".to_owned(), 1_400_000_005),
        ]
    );
    let live = vendor.live.lock().expect("lock").clone();
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

    let again = run(&dir, &server, &["apply", "callbacks.yaml", "--yes"]).await;
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("No changes. The live configuration matches the file (5 apps)."),
        "{}",
        again.stderr
    );
    assert_eq!(
        vendor.writes.lock().expect("lock").len(),
        4,
        "the second apply makes no write call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_finds_the_app_changed_makes_no_further_change() {
    let (server, vendor) = vendor(&fleet_live()).await;
    // Absent when planned, created by someone before our Create: 100300.
    vendor.races.lock().expect("lock").insert(
        1_400_000_002,
        Some(config("https://other.example.com", &[C])),
    );
    // Present when planned, deleted by someone before our Update: 100301.
    vendor
        .races
        .lock()
        .expect("lock")
        .insert(1_400_000_001, None);
    let dir = workdir("races");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "drifted",
            "--app",
            "missing",
        ],
    )
    .await;
    // The refusal proves the app changed since the plan: what it now holds was never
    // shown, so it is not overwritten (nor re-created) by a fallback.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        *vendor.writes.lock().expect("lock"),
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
    let live = vendor.live.lock().expect("lock").clone();
    assert!(!live.contains_key(&1_400_000_001));
    assert_eq!(
        live[&1_400_000_002],
        config("https://other.example.com", &[C])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_yes_and_without_a_terminal_nothing_changes() {
    let (server, vendor) = vendor(&fleet_live()).await;
    let dir = workdir("refuse");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(&dir, &server, &["apply", "callbacks.yaml"]).await;
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
    let dry = run(&dir, &server, &["apply", "callbacks.yaml", "--dry-run"]).await;
    assert_eq!(dry.code, Some(1));
    assert!(dry.stderr.contains("dry run: nothing was changed"));
    assert!(vendor.writes.lock().expect("lock").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_failure_says_which_apps_changed_and_which_did_not() {
    let (server, vendor) = vendor(&fleet_live()).await;
    vendor
        .refuse_writes
        .lock()
        .expect("lock")
        .insert(1_400_000_002, 100_002);
    let dir = workdir("partial");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(&dir, &server, &["apply", "callbacks.yaml", "--yes"]).await;
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
    assert!(
        !vendor
            .live
            .lock()
            .expect("lock")
            .contains_key(&1_400_000_002)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_race_that_leaves_the_app_in_sync_or_still_drifted_causes_no_further_write() {
    let (server, vendor) = vendor(&fleet_live()).await;
    // Someone creates exactly the declared configuration just before our Create.
    vendor.races.lock().expect("lock").insert(
        1_400_000_002,
        Some(config("https://hooks.example.com/b", &[A])),
    );
    let dir = workdir("race_in_sync");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--yes", "--app", "missing"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("missing: not changed: already in sync when cbcheck got to it"),
        "{}",
        out.stderr
    );
    assert_eq!(
        *vendor.writes.lock().expect("lock"),
        [("set_callback".to_owned(), 1_400_000_002)]
    );

    // A `warn` app: the racing configuration still lacks a declared command, so it
    // is not in sync; it was never shown in the plan, so it is left as it is.
    let tolerant = "version: 1\napps:\n  - name: w\n    sdkappid: 1400000009\n    region: seoul\n    identifier: admin\n    extra_commands: warn\n    callback:\n      url: https://hooks.example.com/w\n      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]\n";
    std::fs::write(dir.join("tolerant.yaml"), tolerant).expect("file");
    vendor.races.lock().expect("lock").insert(
        1_400_000_009,
        Some(config("https://hooks.example.com/w", &[A, C])),
    );
    let out = run(&dir, &server, &["apply", "tolerant.yaml", "--yes"]).await;
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("w: NOT changed: it changed since the plan was shown"),
        "{}",
        out.stderr
    );
    assert_eq!(
        vendor.live.lock().expect("lock")[&1_400_000_009],
        config("https://hooks.example.com/w", &[A, C]),
    );
    assert_eq!(
        vendor.writes.lock().expect("lock").last(),
        Some(&("set_callback".to_owned(), 1_400_000_009)),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_declared_in_two_files_is_refused_before_anything_happens() {
    let (server, vendor) = vendor(&fleet_live()).await;
    let dir = workdir("twice");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    for args in [
        &["apply", "callbacks.yaml", "callbacks.yaml", "--yes"][..],
        &["verify", "callbacks.yaml", "callbacks.yaml"],
    ] {
        let out = run(&dir, &server, args).await;
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("is declared in both callbacks.yaml and callbacks.yaml"),
            "{}",
            out.stderr
        );
    }
    assert!(vendor.writes.lock().expect("lock").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_a_file_keeps_absent_declarations_and_odd_values_round_trip() {
    let (server, vendor) = vendor(&[
        (1_400_000_001, config("https://h.example.com/x:", &[A])),
        (1_400_000_002, config("ftp://h.example.com/not-http", &[A])),
    ])
    .await;
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
    std::fs::write(dir.join("old.yaml"), file).expect("old");
    let out = run(
        &dir,
        &server,
        &["export", "--from", "old.yaml", "-o", "new.yaml"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // A live URL a file cannot hold leaves the app as the file has it: verify then
    // reports it, rather than the app vanishing into a comment.
    assert!(
        out.stderr.contains("odd-url is left as the file has it"),
        "{}",
        out.stderr
    );
    let written = std::fs::read_to_string(dir.join("new.yaml")).expect("written");
    assert_eq!(
        written,
        file.replace("https://old.example.com/cb", "\"https://h.example.com/x:\"")
    );
    let lint = cbcheck()
        .current_dir(&dir)
        .args(["lint", "new.yaml"])
        .output()
        .expect("runs");
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}\n{written}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let verify = run(&dir, &server, &["verify", "new.yaml"]).await;
    // The `NULL` variable is not set, but CBCHECK_SECRET_KEY is: all are checked.
    assert!(
        verify
            .stderr
            .contains("3 apps checked: 2 in sync, 1 drifted, 0 failed"),
        "{}\n{written}",
        verify.stderr
    );
    assert!(vendor.writes.lock().expect("lock").is_empty());
}

/// The write calls the vendor received so far.
fn writes_of(vendor: &Vendor) -> Vec<(String, u64)> {
    vendor.writes.lock().expect("lock").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_makes_no_change_when_the_app_changed_since_the_plan() {
    let (server, vendor) = vendor(&fleet_live()).await;
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
        vendor
            .changes_after_get
            .lock()
            .expect("lock")
            .insert(*id, (1, Some(change.clone())));
    }
    let dir = workdir("changed_since_plan");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "drifted",
            "--app",
            "retired",
        ],
    )
    .await;
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
    let live = vendor.live.lock().expect("lock").clone();
    for (id, change) in colleague {
        assert_eq!(live[&id], change, "the colleague's change stands");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_timed_out_but_took_effect_is_sent_once_and_reported_changed() {
    let (server, vendor) = vendor(&fleet_live()).await;
    // Far past --timeout: the client gives up on the reply, not the vendor on the change.
    vendor.faults.lock().expect("lock").insert(
        1_400_000_002,
        Fault::AppliedButLate(Duration::from_secs(30)),
    );
    let dir = workdir("late_reply");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "missing",
            "--timeout",
            "1",
        ],
    )
    .await;
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
        vendor.live.lock().expect("lock")[&1_400_000_002],
        config("https://hooks.example.com/b", &[A])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_failed_with_a_gateway_error_is_sent_once_and_read_back_as_not_changed() {
    let (server, vendor) = vendor(&fleet_live()).await;
    vendor
        .faults
        .lock()
        .expect("lock")
        .insert(1_400_000_001, Fault::Status(502));
    let dir = workdir("gateway_error");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--yes", "--app", "drifted"],
    )
    .await;
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
        vendor.live.lock().expect("lock")[&1_400_000_001],
        config("https://hooks.example.com/a", &[A, C])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_that_cannot_be_read_back_is_reported_unknown() {
    let (server, vendor) = vendor(&fleet_live()).await;
    vendor
        .faults
        .lock()
        .expect("lock")
        .insert(1_400_000_003, Fault::StatusThenUnreadable(503));
    let dir = workdir("unknown");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--yes", "--app", "retired"],
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_refused_for_their_rate_are_retried() {
    let (server, vendor) = vendor(&fleet_live()).await;
    vendor
        .faults
        .lock()
        .expect("lock")
        .insert(1_400_000_002, Fault::RateLimited(2));
    let dir = workdir("rate_limited");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--yes", "--app", "missing"],
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_says_so_when_nothing_was_changed() {
    let (server, vendor) = vendor(&fleet_live()).await;
    vendor
        .refuse_writes
        .lock()
        .expect("lock")
        .insert(1_400_000_002, 100_002);
    let dir = workdir("nothing_changed");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--yes", "--app", "missing"],
    )
    .await;
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "missing: NOT changed (api): v4/room_config/set_callback for sdkappid 1400000002 \
             failed: ErrorCode 100002 (refused) [RequestId Id-100002]\n"
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_whose_read_back_shows_a_third_state_is_reported_unknown() {
    let (server, vendor) = vendor(&fleet_live()).await;
    // The write fails without effect, but someone changes the app between the re-read
    // before the write and the read-back after it: neither as it was nor as sent.
    vendor
        .faults
        .lock()
        .expect("lock")
        .insert(1_400_000_001, Fault::Status(502));
    vendor.changes_after_get.lock().expect("lock").insert(
        1_400_000_001,
        (
            2,
            Some(config("https://hooks.example.com/z?k=s3cr3t", &[B])),
        ),
    );
    let dir = workdir("third_state");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--yes", "--app", "drifted"],
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_since_the_plan_that_leaves_nothing_to_do_or_only_reorders_is_no_obstacle() {
    let (server, vendor) = vendor(&fleet_live()).await;
    let changes = vendor.changes_after_get.clone();
    // Someone creates exactly what the file declares: nothing is left to do.
    changes.lock().expect("lock").insert(
        1_400_000_002,
        (1, Some(config("https://hooks.example.com/b", &[A]))),
    );
    // Someone only reorders the list: the same configuration, so the plan stands.
    changes.lock().expect("lock").insert(
        1_400_000_001,
        (1, Some(config("https://hooks.example.com/a", &[C, A, C]))),
    );
    let dir = workdir("harmless_change");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let out = run(
        &dir,
        &server,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--app",
            "drifted",
            "--app",
            "missing",
        ],
    )
    .await;
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_escapes_control_characters_in_names() {
    let (server, vendor) = vendor(&fleet_live()).await;
    let dir = workdir("escaped_names");
    let fleet = FLEET.replace("name: missing", "name: \"missing\\e[31m\\a\"");
    std::fs::write(dir.join("callbacks.yaml"), fleet).expect("fleet");
    let out = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--yes", "--app", "1400000002"],
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_apply_shows_the_list_and_the_counts_instead_of_the_bodies() {
    let (server, vendor) = vendor(&fleet_live()).await;
    vendor
        .unreadable
        .lock()
        .expect("lock")
        .insert(1_400_000_004, 404);
    let dir = workdir("quiet");
    std::fs::write(dir.join("callbacks.yaml"), FLEET).expect("fleet");
    let plan = run(
        &dir,
        &server,
        &["apply", "callbacks.yaml", "--dry-run", "-q"],
    )
    .await;
    assert_eq!(plan.code, Some(4), "{}", plan.stderr);
    assert!(plan.stdout.is_empty(), "{}", plan.stdout);
    insta::assert_snapshot!("apply_quiet_plan", plan.stderr);
    let full = run(&dir, &server, &["apply", "callbacks.yaml", "--dry-run"]).await;
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
        &server,
        &["apply", "callbacks.yaml", "--yes", "--quiet"],
    )
    .await;
    assert_eq!(applied.code, Some(4), "{}", applied.stderr);
    insta::assert_snapshot!("apply_quiet_yes", applied.stderr);
    assert_eq!(writes_of(&vendor).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apply_command_verify_names_fixes_exactly_the_drifted_apps() {
    let (server, vendor) = vendor(&fleet_live()).await;
    // One app cannot be read: it is not named, so the command changes only what
    // verify saw drifted. Names and file that the shell must have quoted.
    vendor
        .unreadable
        .lock()
        .expect("lock")
        .insert(1_400_000_002, 502);
    let dir = workdir("apply-command");
    let file = "prod fleet's.yaml";
    std::fs::write(
        dir.join(file),
        FLEET
            .replace("name: drifted", "name: \"o'drifted $HOME\"")
            .replace("name: retired", "name: \"-retired\""),
    )
    .expect("fleet");
    let verify = run(&dir, &server, &["verify", file]).await;
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
            "tolerant"
        ],
        "{after}"
    );
    assert!(vendor.writes.lock().expect("lock").is_empty());

    vendor.unreadable.lock().expect("lock").clear();
    let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    args.push("--yes");
    let applied = run(&dir, &server, &args).await;
    assert_eq!(applied.code, Some(0), "{}", applied.stderr);
    assert_eq!(
        vendor.writes.lock().expect("lock").clone(),
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_selects_an_sdkappid_never_an_app_named_so() {
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
    let (server, vendor) = vendor(&[
        (1_400_000_003, config("https://hooks.example.com/c", &[A])),
        (1_400_000_004, config("https://hooks.example.com/d", &[A])),
    ])
    .await;
    let dir = workdir("numeric_name");
    std::fs::write(dir.join("callbacks.yaml"), file).expect("file");
    for args in [
        &["apply", "callbacks.yaml", "--app", "1400000003", "--yes"][..],
        &["verify", "callbacks.yaml", "--app", "1400000003"],
    ] {
        let out = run(&dir, &server, args).await;
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("numeric-name") && out.stderr.contains("callbacks.yaml:11:11"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(vendor.writes.lock().expect("lock").is_empty());
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert!(
        vendor
            .live
            .lock()
            .expect("lock")
            .contains_key(&1_400_000_004)
    );
}
