//! `export --from` edits the file in place: only the callback values that differ
//! from live change; comments, order, defaults, anchors and line endings stay.

use serde_json::{Value, json};

use crate::support::cbcheck;

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Comments, defaults, an anchor and its alias, flow and block sequences, quoted scalars.
const ANNOTATED: &str = "\
# yaml-language-server: $schema=callbacks.schema.json
# Fleet callbacks, reviewed by ops.
version: 1
defaults:            # shared by every app
  region: singapore
  identifier: administrator
apps:
  # the production room app
  - name: prod           # keep this name
    sdkappid: 1400000001
    callback: &prod_cb
      url: 'https://old.example.com/room'   # moved last week
      commands:
        - Room.CallbackAfterCreateRoom   # create
        - Room.CallbackAfterDestroyRoom
  - name: staging
    sdkappid: 1400000002
    callback: *prod_cb     # same hooks as prod
  - name: \"flow\"
    sdkappid: 1400000003
    callback: {url: \"https://flow.example.com/x\", commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterMemberEnter]}
  - name: unchanged
    sdkappid: 1400000004
    callback:
      url: https://same.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
  - name: retired
    sdkappid: 1400000005
    callback: absent   # keep it off
  - name: returning
    sdkappid: 1400000006
    callback: absent   # off for now
  - name: gone
    sdkappid: 1400000007
    callback:
      url: https://gone.example.com/cb
      commands:
        - Room.CallbackAfterCreateRoom
";

/// What live says: prod moved and changed commands, staging still has prod's old
/// hooks, flow lost a command, retired stays off, returning came back, gone is off.
fn snapshot() -> Value {
    let ok = |url: &str, commands: &[&str]| {
        json!({"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK",
               "Response": {"Url": url, "CallbackCommandList": commands}})
    };
    let absent = json!({"ErrorCode": 100301, "ErrorInfo": "callback config not exist", "ActionStatus": "FAIL"});
    json!({
        "1400000001": ok("https://new.example.com/room?a=1#frag: x", &["Room.CallbackAfterMemberEnter", "Room.CallbackAfterDestroyRoom"]),
        "1400000002": ok("https://old.example.com/room", &["Room.CallbackAfterCreateRoom", "Room.CallbackAfterDestroyRoom"]),
        "1400000003": ok("https://flow.example.com/x", &["Room.CallbackAfterCreateRoom"]),
        "1400000004": ok("https://same.example.com/cb", &["Room.CallbackAfterCreateRoom"]),
        "1400000005": absent.clone(),
        "1400000006": ok("https://back.example.com/cb", &["Room.CallbackAfterMemberLeave", "Room.CallbackAfterCreateRoom"]),
        "1400000007": absent,
    })
}

/// The annotated file after the refresh: the changed lines, and nothing else.
const REFRESHED: &str = "\
# yaml-language-server: $schema=callbacks.schema.json
# Fleet callbacks, reviewed by ops.
version: 1
defaults:            # shared by every app
  region: singapore
  identifier: administrator
apps:
  # the production room app
  - name: prod           # keep this name
    sdkappid: 1400000001
    callback: &prod_cb
      url: 'https://new.example.com/room?a=1#frag: x'   # moved last week
      commands:
        - Room.CallbackAfterDestroyRoom
        - Room.CallbackAfterMemberEnter
  - name: staging
    sdkappid: 1400000002
    callback: {url: https://old.example.com/room, commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]}     # same hooks as prod
  - name: \"flow\"
    sdkappid: 1400000003
    callback: {url: \"https://flow.example.com/x\", commands: [Room.CallbackAfterCreateRoom]}
  - name: unchanged
    sdkappid: 1400000004
    callback:
      url: https://same.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
  - name: retired
    sdkappid: 1400000005
    callback: absent   # keep it off
  - name: returning
    sdkappid: 1400000006
    callback:   # off for now
      url: https://back.example.com/cb
      commands:
        - Room.CallbackAfterMemberLeave
        - Room.CallbackAfterCreateRoom
  - name: gone
    sdkappid: 1400000007
    callback: absent
";

fn workdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cbcheck-export-in-place-{name}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn export(dir: &std::path::Path, file: &str, output: Option<&str>) -> std::process::Output {
    let mut cmd = cbcheck();
    cmd.current_dir(dir).env("CBCHECK_SECRET_KEY", KEY).args([
        "export",
        "--from",
        file,
        "--live-from",
        "live.json",
    ]);
    if let Some(output) = output {
        cmd.args(["-o", output]);
    }
    cmd.output().expect("runs")
}

fn verify(dir: &std::path::Path, file: &str) -> std::process::Output {
    cbcheck()
        .current_dir(dir)
        .env("CBCHECK_SECRET_KEY", KEY)
        .args(["verify", file, "--live-from", "live.json"])
        .output()
        .expect("runs")
}

/// The lines of `before` that are not in `changed` appear in `after`, unchanged and
/// in the same order.
fn unchanged_lines_kept(before: &str, after: &str, changed: &[usize]) {
    let mut after_lines = after.split_inclusive('\n');
    for (i, line) in before.split_inclusive('\n').enumerate() {
        if changed.contains(&(i + 1)) {
            continue;
        }
        assert!(
            after_lines.any(|l| l == line),
            "line {} ({line:?}) is not kept unchanged in\n{after}",
            i + 1
        );
    }
}

#[test]
fn an_annotated_file_changes_only_where_live_differs() {
    let dir = workdir("annotated");
    std::fs::write(dir.join("live.json"), snapshot().to_string()).expect("write");
    for (name, eol) in [("lf.yaml", "\n"), ("crlf.yaml", "\r\n")] {
        let before = ANNOTATED.replace('\n', eol);
        std::fs::write(dir.join(name), &before).expect("write");
        let out = export(&dir, name, None);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(stdout, REFRESHED.replace('\n', eol), "{name}");
        // prod's url and first command, staging, flow, returning, gone.
        unchanged_lines_kept(&before, &stdout, &[12, 14, 18, 21, 32, 35, 36, 37, 38]);

        let out = export(&dir, name, Some(name));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("wrote {name}: 5 of 7 apps changed to match live")),
            "{stderr}"
        );
        let written = std::fs::read_to_string(dir.join(name)).expect("written");
        assert_eq!(written, REFRESHED.replace('\n', eol));

        let out = verify(&dir, name);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("7 apps checked: 7 in sync"), "{stderr}");

        // A second refresh finds nothing to change and leaves the bytes alone.
        let out = export(&dir, name, None);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout), written);
    }
}

#[test]
fn live_and_call_entries_change_only_their_own_values() {
    let dir = workdir("services");
    let before = std::fs::read_to_string(crate::support::repo_path("examples/services.yaml"))
        .expect("example");
    std::fs::write(dir.join("callbacks.yaml"), &before).expect("write");
    let ok = |url: &str, commands: &[&str]| {
        json!({"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK",
               "Response": {"Url": url, "CallbackCommandList": commands}})
    };
    // Room as declared; Live stopped signing; Call gained a command.
    let snapshot = json!({
        "1400000001": ok("https://hooks.example.com/room", &["Room.CallbackAfterDestroyRoom", "Room.CallbackAfterCreateRoom"]),
        "1400000001/live": ok("https://hooks.example.com/live", &["Live.CallbackAfterCreateRoom", "Live.CallbackAfterDestroyRoom", "Mic.CallbackAfterSeatInfoChanged"]),
        "1400000001/live/token": {"ErrorCode": 100302, "ErrorInfo": "no token", "ActionStatus": "FAIL"},
        "1400000002/call": ok("https://hooks.example.com/call", &["Call.CallbackAfterStartCall", "Call.CallbackAfterEndCall", "Call.CallbackAfterMemberChanged"]),
    });
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("write");
    let out = export(&dir, "callbacks.yaml", Some("callbacks.yaml"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("2 of 3 apps changed"), "{stderr}");
    let after = std::fs::read_to_string(dir.join("callbacks.yaml")).expect("written");
    assert_eq!(
        after,
        before
            .replace("token_auth: enabled", "token_auth: disabled")
            .replace(
                "        - Call.CallbackAfterEndCall\n",
                "        - Call.CallbackAfterEndCall\n        - Call.CallbackAfterMemberChanged\n"
            )
    );
    let out = verify(&dir, "callbacks.yaml");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("3 apps checked: 3 in sync"), "{stderr}");
}

#[test]
fn a_merged_callback_is_refused_and_nothing_is_written() {
    let dir = workdir("merge");
    let file = "\
version: 1
defaults: {region: seoul, identifier: ops}
apps:
  - sdkappid: 1400000001
    callback: &shared
      url: https://a.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
  - sdkappid: 1400000002
    <<: {callback: *shared}
";
    std::fs::write(dir.join("callbacks.yaml"), file).expect("write");
    let ok = |url: &str| {
        json!({"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK",
               "Response": {"Url": url, "CallbackCommandList": ["Room.CallbackAfterCreateRoom"]}})
    };
    let snapshot = json!({"1400000001": ok("https://a.example.com/cb"), "1400000002": ok("https://b.example.com/cb")});
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("write");
    let out = export(&dir, "callbacks.yaml", Some("callbacks.yaml"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: callbacks.yaml cannot be refreshed in place: 1400000002 (line 9): its callback comes from a merge key (`<<`): changing the merged mapping would change every app that merges it; write this app's callback in its own entry\n  help: nothing was written; change that value by hand, then run export again\n"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.join("callbacks.yaml")).expect("kept"),
        file
    );
}

#[test]
fn a_live_word_outside_the_catalog_is_left_out_and_named() {
    let dir = workdir("unknown-word");
    let file = "\
version: 1
defaults:
  region: seoul
  identifier: ops
apps:
  - name: prod
    sdkappid: 1400000001
    callback:
      url: https://a.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
";
    std::fs::write(dir.join("callbacks.yaml"), file).expect("write");
    let snapshot = json!({"1400000001": {"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK",
        "Response": {"Url": "https://a.example.com/cb",
                     "CallbackCommandList": ["Room.CallbackAfterCreateRoom", "Room.CallbackFuture\u{1b}[31m"]}}});
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("write");
    let out = export(&dir, "callbacks.yaml", Some("callbacks.yaml"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with("note: prod: live also has `Room.CallbackFuture\\u{1b}[31m`, not a Room command word: left out of the file (`extra_commands: warn` reports it)\n"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("callbacks.yaml")).expect("written"),
        file.replace(
            "    callback:\n",
            "    extra_commands: warn\n    callback:\n"
        )
    );
    let out = verify(&dir, "callbacks.yaml");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 in sync"), "{stderr}");
}
