//! `export --from` edits the file in place: only the callback values that differ
//! from live change; comments, order, defaults, anchors and line endings stay.

use crate::support::cmd::Workdir;
use crate::support::vendor::{Snapshot, configured, fail, not_configured};
use crate::support::{Cmd, fixture, repo_path, workdir};

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// What live says about `export-annotated.yaml` (comments, defaults, an anchor and
/// its alias, flow and block sequences, quoted scalars): prod moved and changed
/// commands, staging still has prod's old hooks, flow lost a command, retired stays
/// off, returning came back, gone is off. `export-refreshed.yaml` is the file after
/// the refresh: the changed lines, and nothing else.
fn snapshot() -> Snapshot {
    Snapshot::new()
        .room(
            1_400_000_001,
            configured(
                "https://new.example.com/room?a=1#frag: x",
                &[
                    "Room.CallbackAfterMemberEnter",
                    "Room.CallbackAfterDestroyRoom",
                ],
            ),
        )
        .room(
            1_400_000_002,
            configured(
                "https://old.example.com/room",
                &[
                    "Room.CallbackAfterCreateRoom",
                    "Room.CallbackAfterDestroyRoom",
                ],
            ),
        )
        .room(
            1_400_000_003,
            configured(
                "https://flow.example.com/x",
                &["Room.CallbackAfterCreateRoom"],
            ),
        )
        .room(
            1_400_000_004,
            configured(
                "https://same.example.com/cb",
                &["Room.CallbackAfterCreateRoom"],
            ),
        )
        .room(1_400_000_005, not_configured())
        .room(
            1_400_000_006,
            configured(
                "https://back.example.com/cb",
                &[
                    "Room.CallbackAfterMemberLeave",
                    "Room.CallbackAfterCreateRoom",
                ],
            ),
        )
        .room(1_400_000_007, not_configured())
}

/// `export --from file --live-from live.json`, to stdout or `-o output`.
fn export(dir: &Workdir, file: &str, output: Option<&str>) -> Cmd {
    let cmd = dir
        .cbcheck()
        .key(KEY)
        .args(["export", "--from", file, "--live-from", "live.json"]);
    match output {
        Some(output) => cmd.args(["-o", output]),
        None => cmd,
    }
}

/// `verify file --live-from live.json`.
fn verify(dir: &Workdir, file: &str) -> Cmd {
    dir.cbcheck()
        .key(KEY)
        .args(["verify", file, "--live-from", "live.json"])
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
    let dir = workdir("annotated").with("live.json", snapshot().to_string());
    let (annotated, refreshed) = (
        fixture("export-annotated.yaml"),
        fixture("export-refreshed.yaml"),
    );
    for (name, eol) in [("lf.yaml", "\n"), ("crlf.yaml", "\r\n")] {
        let before = annotated.replace('\n', eol);
        dir.write(name, &before);
        let out = export(&dir, name, None).run();
        out.code(0).stdout_is(&refreshed.replace('\n', eol));
        // prod's url and first command, staging, flow, returning, gone.
        unchanged_lines_kept(&before, &out.stdout, &[12, 14, 18, 21, 32, 35, 36, 37, 38]);

        export(&dir, name, Some(name))
            .run()
            .code(0)
            .stderr_has(&format!("wrote {name}: 5 of 7 apps changed to match live"));
        let written = dir.read(name);
        assert_eq!(written, refreshed.replace('\n', eol));

        verify(&dir, name)
            .run()
            .code(0)
            .stderr_has("7 apps checked: 7 in sync");

        // A second refresh finds nothing to change and leaves the bytes alone.
        export(&dir, name, None).run().code(0).stdout_is(&written);
    }
}

#[test]
fn live_and_call_entries_change_only_their_own_values() {
    let before = crate::support::cmd::read(&repo_path("examples/services.yaml"));
    // Room as declared; Live stopped signing; Call gained a command.
    let snapshot = Snapshot::new()
        .room(
            1_400_000_001,
            configured(
                "https://hooks.example.com/room",
                &[
                    "Room.CallbackAfterDestroyRoom",
                    "Room.CallbackAfterCreateRoom",
                ],
            ),
        )
        .service(
            1_400_000_001,
            "live",
            configured(
                "https://hooks.example.com/live",
                &[
                    "Live.CallbackAfterCreateRoom",
                    "Live.CallbackAfterDestroyRoom",
                    "Mic.CallbackAfterSeatInfoChanged",
                ],
            ),
        )
        .token(1_400_000_001, fail(100_302, "no token"))
        .service(
            1_400_000_002,
            "call",
            configured(
                "https://hooks.example.com/call",
                &[
                    "Call.CallbackAfterStartCall",
                    "Call.CallbackAfterEndCall",
                    "Call.CallbackAfterMemberChanged",
                ],
            ),
        );
    let dir = workdir("services")
        .with("callbacks.yaml", &before)
        .with("live.json", snapshot.to_string());
    export(&dir, "callbacks.yaml", Some("callbacks.yaml"))
        .run()
        .code(0)
        .stderr_has("2 of 3 apps changed");
    assert_eq!(
        dir.read("callbacks.yaml"),
        before
            .replace("token_auth: enabled", "token_auth: disabled")
            .replace(
                "        - Call.CallbackAfterEndCall\n",
                "        - Call.CallbackAfterEndCall\n        - Call.CallbackAfterMemberChanged\n"
            )
    );
    verify(&dir, "callbacks.yaml")
        .run()
        .code(0)
        .stderr_has("3 apps checked: 3 in sync");
}

#[test]
fn a_merged_callback_is_refused_and_nothing_is_written() {
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
    let snapshot = Snapshot::new()
        .room(
            1_400_000_001,
            configured(
                "https://a.example.com/cb",
                &["Room.CallbackAfterCreateRoom"],
            ),
        )
        .room(
            1_400_000_002,
            configured(
                "https://b.example.com/cb",
                &["Room.CallbackAfterCreateRoom"],
            ),
        );
    let dir = workdir("merge")
        .with("callbacks.yaml", file)
        .with("live.json", snapshot.to_string());
    export(&dir, "callbacks.yaml", Some("callbacks.yaml"))
        .run()
        .code(2)
        .stderr_is("error: callbacks.yaml cannot be refreshed in place: 1400000002 (line 9): its callback comes from a merge key (`<<`): changing the merged mapping would change every app that merges it; write this app's callback in its own entry\n  help: nothing was written; change that value by hand, then run export again\n")
        .stdout_is("");
    assert_eq!(dir.read("callbacks.yaml"), file);
}

#[test]
fn a_live_word_outside_the_catalog_is_left_out_and_named() {
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
    let snapshot = Snapshot::new().room(
        1_400_000_001,
        configured(
            "https://a.example.com/cb",
            &[
                "Room.CallbackAfterCreateRoom",
                "Room.CallbackFuture\u{1b}[31m",
            ],
        ),
    );
    let dir = workdir("unknown-word")
        .with("callbacks.yaml", file)
        .with("live.json", snapshot.to_string());
    let out = export(&dir, "callbacks.yaml", Some("callbacks.yaml")).run();
    out.code(0);
    assert!(
        out.stderr.starts_with("note: prod: live also has `Room.CallbackFuture\\u{1b}[31m`, not a Room command word: left out of the file (`extra_commands: warn` reports it)\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        dir.read("callbacks.yaml"),
        file.replace(
            "    callback:\n",
            "    extra_commands: warn\n    callback:\n"
        )
    );
    verify(&dir, "callbacks.yaml")
        .run()
        .code(0)
        .stderr_has("1 in sync");
}
