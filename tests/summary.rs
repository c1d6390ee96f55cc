//! The end of every human run: one line per app that needs attention, then the
//! summary line; `--quiet` prints only those; `--deny-warnings` says when it fails a run.
//! Offline: recorded replies (`--live-from`), no server.

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::support::vendor::configured as reply;
use crate::support::{Cmd, Out, repo_path, workdir};

/// `verify` on the bundled fleet and its recorded replies.
fn bundled(extra: &[&str]) -> Out {
    Cmd::new()
        .current_dir(&repo_path(""))
        .args(["verify", "examples/fleet.yaml"])
        .args(["--live-from", "examples/live-snapshot.json"])
        .args(extra)
        .run()
}

/// The list and the summary line: the lines after the last blank line before the
/// closing `cbcheck apply` hint.
fn tail(stderr: &str) -> &str {
    let report = stderr
        .find("\nTo fix ")
        .map_or(stderr, |hint| &stderr[..hint + 1]);
    report.rsplit_once("\n\n").map_or(report, |(_, tail)| tail)
}

#[test]
fn a_human_run_ends_with_one_line_per_drifted_or_failed_app_in_file_order() {
    let out = bundled(&[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_snapshot!("bundled_list", tail(&out.stderr));
}

#[test]
fn quiet_prints_only_the_list_and_the_summary_line() {
    let out = bundled(&["-q"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        tail(&bundled(&[]).stderr),
        "the same tail, alone"
    );
    assert_snapshot!("bundled_quiet", out.stderr);
    assert!(!out.stderr.contains("help:") && !out.stderr.contains('│'));

    // Machine formats are what they were.
    let json = bundled(&["--format", "json"]);
    let quiet_json = bundled(&["--format", "json", "--quiet"]);
    assert_eq!(quiet_json.code, Some(1));
    // Apart from when the run happened.
    let timeless = |text: &str| -> serde_json::Value {
        let mut report: serde_json::Value = serde_json::from_str(text).expect("JSON");
        for field in ["started_at", "finished_at", "duration_ms"] {
            report[field] = serde_json::Value::Null;
        }
        report
    };
    assert_eq!(timeless(&quiet_json.stdout), timeless(&json.stdout));
    assert_eq!(quiet_json.stderr, json.stderr);
}

const WARNED: &str = include_str!("fixtures/summary-warned.yaml");

fn warned_live() -> Value {
    json!({
        "1400000001": reply("https://hooks.example.com/cb",
            &["Room.CallbackAfterCreateRoom", "Room.CallbackAfterDestroyRoom"]),
        "1400000002": reply("https://hooks.example.com/cb", &["Room.CallbackAfterCreateRoom"]),
    })
}

#[test]
fn deny_warnings_says_that_the_warnings_fail_the_run() {
    let dir = workdir("deny")
        .with("callbacks.yaml", WARNED)
        .with("live.json", warned_live().to_string());
    let allowed = dir
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .run();
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
    assert!(
        allowed
            .stderr
            .ends_with("\n2 apps checked: 2 in sync, 0 drifted, 0 failed, 1 warning\n"),
        "{}",
        allowed.stderr
    );
    let denied = dir
        .cbcheck()
        .args([
            "verify",
            "callbacks.yaml",
            "--live-from",
            "live.json",
            "--deny-warnings",
            "-q",
        ])
        .run();
    assert_eq!(denied.code, Some(1), "{}", denied.stderr);
    assert_snapshot!("deny_warnings_quiet", denied.stderr);
}

#[test]
fn deny_warnings_names_the_warnings_of_the_file_itself() {
    // A plain-http callback the file allows is a warning of the file, not of an app.
    let yaml = WARNED
        .replace("extra_commands: warn\n", "allow_insecure_url: true\n")
        .replacen(
            "url: https://hooks.example.com/cb",
            "url: http://hooks.example.com/cb",
            1,
        );
    let live = json!({
        "1400000001": reply("http://hooks.example.com/cb", &["Room.CallbackAfterCreateRoom"]),
        "1400000002": reply("https://hooks.example.com/cb", &["Room.CallbackAfterCreateRoom"]),
    });
    let dir = workdir("deny_file")
        .with("callbacks.yaml", yaml)
        .with("live.json", live.to_string());
    let args = ["verify", "callbacks.yaml", "--live-from", "live.json"];
    let plain = dir.cbcheck().args(args).run();
    let denied = dir
        .cbcheck()
        .args([&args[..], &["--deny-warnings", "-q"]].concat())
        .run();
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert_eq!(denied.code, Some(2), "{}", denied.stderr);
    assert_snapshot!("deny_warnings_file", denied.stderr);
}

#[test]
fn when_no_app_could_be_checked_the_summary_says_so() {
    // Neither app has a recorded reply: both fail.
    let dir = workdir("none_checked")
        .with("callbacks.yaml", WARNED)
        .with("live.json", json!({}).to_string());
    let out = dir
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json", "-q"])
        .run();
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert_snapshot!("none_checked", out.stderr);

    let one = dir
        .cbcheck()
        .args([
            "verify",
            "callbacks.yaml",
            "--live-from",
            "live.json",
            "-q",
            "--app",
            "strict",
        ])
        .run();
    assert_eq!(one.code, Some(4), "{}", one.stderr);
    assert!(
        one.stderr.ends_with("\n1 app: it could not be checked\n"),
        "{}",
        one.stderr
    );
}

#[test]
fn the_diff_lists_commands_in_file_order_then_live_only_ones_in_live_order() {
    let yaml = WARNED.replace(
        "commands: [Room.CallbackAfterCreateRoom]\n  - name: strict",
        "commands: [Room.CallbackAfterMemberLeave, Room.CallbackAfterCreateRoom, Mic.CallbackAfterSeatInfoChanged]\n  - name: strict",
    );
    let live = json!({
        "1400000001": reply("https://hooks.example.com/cb", &[
            "Room.CallbackAfterDestroyRoom", "Mic.CallbackAfterSeatInfoChanged",
            "Room.CallbackAfterMemberLeave", "Room.CallbackAfterMemberEnter"]),
        "1400000002": reply("https://hooks.example.com/cb", &["Room.CallbackAfterCreateRoom"]),
    });
    let dir = workdir("diff_order")
        .with("callbacks.yaml", yaml)
        .with("live.json", live.to_string());
    let out = dir
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .run();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let diff = "
    url: https://hooks.example.com/cb
    commands:
      - Room.CallbackAfterMemberLeave
  +   - Room.CallbackAfterCreateRoom
      - Mic.CallbackAfterSeatInfoChanged
  -   - Room.CallbackAfterDestroyRoom
  -   - Room.CallbackAfterMemberEnter
";
    assert!(out.stderr.contains(diff), "{}", out.stderr);
}

#[test]
fn a_thousand_apps_end_with_an_aligned_list_of_the_drifted_and_failed_in_file_order() {
    let mut yaml = String::from(
        "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n",
    );
    let mut live = serde_json::Map::new();
    let (mut drifted, mut failed) = (Vec::new(), Vec::new());
    for i in 0..1000_u64 {
        let id = 1_400_000_000 + i;
        // Names of every length, so the columns must be aligned to the longest.
        let name = format!(
            "app-{}",
            "x".repeat(usize::try_from(i % 17).expect("small"))
        );
        yaml.push_str(&format!(
            "  - name: {name}{i}\n    sdkappid: {id}\n    callback:\n      url: https://h.example.com/{i}\n      commands: [Room.CallbackAfterCreateRoom]\n"
        ));
        if i % 97 == 5 {
            failed.push(id);
            continue;
        }
        let commands: &[&str] = if i % 3 == 0 {
            drifted.push(id);
            &[]
        } else {
            &["Room.CallbackAfterCreateRoom"]
        };
        live.insert(
            id.to_string(),
            reply(&format!("https://h.example.com/{i}"), commands),
        );
    }
    let dir = workdir("thousand")
        .with("callbacks.yaml", yaml)
        .with("live.json", Value::Object(live).to_string());
    let out = dir
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json", "-q"])
        .run();
    assert_eq!(out.code, Some(4), "{}", &out.stderr[..2000]);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), drifted.len() + failed.len() + 1);
    assert_eq!(
        lines.last().copied(),
        Some(
            format!(
                "1000 apps checked: {} in sync, {} drifted, {} failed",
                1000 - drifted.len() - failed.len(),
                drifted.len(),
                failed.len()
            )
            .as_str()
        )
    );
    let listed: Vec<u64> = lines[..lines.len() - 1]
        .iter()
        .map(|line| {
            line.split_whitespace()
                .nth(2)
                .and_then(|id| id.parse().ok())
                .expect("an SDKAppID in the third column")
        })
        .collect();
    let mut expected = [drifted.clone(), failed.clone()].concat();
    expected.sort_unstable();
    assert_eq!(listed, expected, "file order");
    let column = |line: &str| line.find("1400000").expect("an SDKAppID");
    let first = column(lines[0]);
    assert!(lines[..lines.len() - 1].iter().all(|l| column(l) == first));
    for line in &lines[..lines.len() - 1] {
        assert!(
            line.starts_with("drifted  ") && line.ends_with("  1 missing_command")
                || line.starts_with("failed   ") && line.ends_with("  api error"),
            "{line}"
        );
    }
}

const INVALID: &str = include_str!("fixtures/summary-invalid.yaml");

#[test]
fn lint_quiet_prints_one_line_per_diagnostic_and_the_file_summary() {
    let dir = workdir("lint_quiet")
        .with("callbacks.yaml", INVALID)
        .with("live.json", json!({}).to_string());
    let out = dir.cbcheck().args(["lint", "-q", "callbacks.yaml"]).run();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_snapshot!("lint_quiet", out.stderr);

    // verify stops at an invalid file the same way.
    let verify = dir
        .cbcheck()
        .args([
            "verify",
            "--quiet",
            "callbacks.yaml",
            "--live-from",
            "live.json",
        ])
        .run();
    assert_eq!(verify.code, Some(2), "{}", verify.stderr);
    assert_eq!(verify.stderr, out.stderr);
}

#[test]
fn lint_deny_warnings_says_that_the_warnings_fail_the_file() {
    let yaml = WARNED.replacen(
        "url: https://hooks.example.com/cb",
        "url: http://hooks.example.com/cb",
        1,
    );
    let yaml = yaml.replace("extra_commands: warn\n", "allow_insecure_url: true\n");
    let dir = workdir("lint_deny")
        .with("callbacks.yaml", yaml)
        .with("live.json", json!({}).to_string());
    let plain = dir.cbcheck().args(["lint", "callbacks.yaml"]).run();
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert!(
        plain
            .stderr
            .ends_with("callbacks.yaml: valid: 2 apps, 1 warning\n"),
        "{}",
        plain.stderr
    );
    let denied = dir
        .cbcheck()
        .args(["lint", "--deny-warnings", "-q", "callbacks.yaml"])
        .run();
    assert_eq!(denied.code, Some(2), "{}", denied.stderr);
    assert_snapshot!("lint_deny_warnings", denied.stderr);
}
