//! A real fleet's file: command words the vendor added after this cbcheck was
//! released (`known_commands`), and entries with problems among valid ones (issue 23).

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::support::vendor::{LIVE, Vendor, config};
use crate::support::{Out, workdir};

const KEY: &str = "5a4b3c2d1e0f69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const URL: &str = "https://hooks.example.com/live";
const NEW: &str = "Live.CallbackAfterFutureThing";
const CREATE: &str = "Live.CallbackAfterCreateRoom";

/// A Live app declaring `commands`, under a file that declares `known` for Live.
fn live_file(known: &[&str], commands: &[&str]) -> String {
    let known = if known.is_empty() {
        String::new()
    } else {
        format!("known_commands:\n  live: [{}]\n", known.join(", "))
    };
    format!(
        "version: 1\n{known}apps:\n  - name: stream\n    sdkappid: 1400000001\n    service: live\n    region: seoul\n    identifier: admin\n    callback:\n      url: {URL}\n      commands: [{}]\n",
        commands.join(", ")
    )
}

/// A scratch directory of its own: the tests run in parallel.
fn scratch() -> crate::support::Workdir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    workdir(&format!("run-{}", NEXT.fetch_add(1, Ordering::Relaxed)))
}

fn run(yaml: &str, vendor: &Vendor, args: &[&str]) -> Out {
    scratch()
        .with("callbacks.yaml", yaml)
        .cbcheck()
        .args(args)
        .endpoint(vendor)
        .key(KEY)
        .run()
}

fn lint(yaml: &str) -> Out {
    scratch()
        .with("callbacks.yaml", yaml)
        .cbcheck()
        .args(["lint", "-q", "--deny-warnings", "callbacks.yaml"])
        .run()
}

/// `lint --format json`'s diagnostics as (severity, message, help), and its exit code.
fn lint_json(yaml: &str) -> (Option<i32>, Vec<(String, String, String)>) {
    let out = scratch()
        .with("callbacks.yaml", yaml)
        .cbcheck()
        .args(["lint", "--format", "json", "callbacks.yaml"])
        .run();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let diagnostics = out.stdout_json()["files"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| (text(&d["severity"]), text(&d["message"]), text(&d["help"])))
        .collect();
    (out.code, diagnostics)
}

/// The JSON report's apps as (sdkappid, status).
fn statuses(report: &Value) -> Vec<(u64, String)> {
    report["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|app| {
            (
                app["sdkappid"].as_u64().expect("sdkappid"),
                app["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_declared_new_word_lints_clean_with_one_notice() {
    let out = lint(&live_file(&[NEW], &[CREATE, NEW]));
    out.code(0)
        .stderr_has("callbacks.yaml:2:1: notice[declared-commands]: `known_commands` declares a word not in cbcheck's catalog: `Live.CallbackAfterFutureThing` (live)")
        .stderr_has("callbacks.yaml: valid: 1 app, no warnings")
        .stderr_lacks("unknown-command");
    // The same file without the declaration is refused.
    lint(&live_file(&[], &[CREATE, NEW]))
        .code(2)
        .stderr_has("unknown callback command `Live.CallbackAfterFutureThing`");
    // A word the catalog has is worth removing; one of a bad shape or an unknown
    // service is refused.
    let yaml = live_file(&[NEW], &[CREATE])
        .replace(
            "  live: [",
            "  live: [Live.CallbackAfterSetMetadata, not-a-word, ",
        )
        .replace("apps:\n", "  rooms: [Room.CallbackAfterX]\napps:\n");
    lint(&yaml)
        .code(2)
        .stderr_has("`Live.CallbackAfterSetMetadata` is in cbcheck's Live catalog already")
        .stderr_has("`not-a-word` in `known_commands.live` is not shaped like a command word")
        .stderr_has("unknown key `rooms` in known_commands");
}

#[test]
fn a_declared_word_is_compared_like_the_catalogs() {
    let vendor = Vendor::start();
    vendor.set(LIVE, 1_400_000_001, Some(config(URL, &[NEW, CREATE])));
    let yaml = live_file(&[NEW], &[CREATE, NEW]);
    let out = run(
        &yaml,
        &vendor,
        &["verify", "--format", "json", "callbacks.yaml"],
    );
    out.code(0);
    assert_eq!(
        statuses(&out.stdout_json()),
        [(1_400_000_001, "in_sync".to_owned())]
    );

    vendor.set(LIVE, 1_400_000_001, Some(config(URL, &[CREATE])));
    let out = run(
        &yaml,
        &vendor,
        &["verify", "--format", "json", "callbacks.yaml"],
    );
    out.code(1);
    let report = out.stdout_json();
    let findings = &report["apps"][0]["findings"];
    assert_eq!(findings[0]["kind"], "missing_command", "{findings}");
    assert_eq!(findings[0]["desired"], NEW);

    // A live word the file declares in `known_commands` but no app lists is
    // unexpected (the app does not want it), never unknown.
    let yaml = live_file(&[NEW], &[CREATE]).replace(
        "    callback:\n",
        "    extra_commands: warn\n    callback:\n",
    );
    vendor.set(LIVE, 1_400_000_001, Some(config(URL, &[CREATE, NEW])));
    let out = run(
        &yaml,
        &vendor,
        &["verify", "--format", "json", "callbacks.yaml"],
    );
    out.code(0);
    let kinds: Vec<String> = out.stdout_json()["apps"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["unexpected_command"]);
}

#[test]
fn only_a_near_word_is_suggested() {
    // Far from every catalog word: no "replace it", but how to declare it.
    let (code, diagnostics) = lint_json(&live_file(&[], &[NEW]));
    assert_eq!(code, Some(2));
    let [(severity, message, help)] = &diagnostics[..] else {
        panic!("one diagnostic: {diagnostics:?}");
    };
    assert_eq!(severity, "error");
    assert_eq!(
        message,
        "unknown callback command `Live.CallbackAfterFutureThing`"
    );
    assert!(!help.contains("replace it with"), "{help}");
    assert!(
        help.contains("declare it at the top level: `known_commands:` with `live: [Live.CallbackAfterFutureThing]`"),
        "{help}"
    );
    // A typo still gets its word.
    let (code, diagnostics) = lint_json(&live_file(&[], &["Live.CallbackAfterSetMetdata"]));
    assert_eq!(code, Some(2));
    assert_eq!(
        diagnostics[0].2, "replace it with `Live.CallbackAfterSetMetadata`",
        "{diagnostics:?}"
    );

    // verify says the same of a far live word, and never that it delivers nothing.
    let vendor = Vendor::start();
    vendor.set(LIVE, 1_400_000_001, Some(config(URL, &[CREATE, NEW])));
    let yaml = live_file(&[], &[CREATE]).replace(
        "    callback:\n",
        "    extra_commands: warn\n    callback:\n",
    );
    let out = run(&yaml, &vendor, &["verify", "callbacks.yaml"]);
    out.code(0)
        .stderr_has("not known: `Live.CallbackAfterFutureThing`")
        .stderr_has(
            "help: if the vendor added it, declare it in the file's top-level `known_commands`",
        )
        .stderr_lacks("delivers no")
        .stderr_lacks("a typo for");
}

const ROOM_WORD: &str = "Room.CallbackAfterCreateRoom";

/// Five Room entries: three valid (1, 3, 5), one with an unknown key (2) and one
/// with a bad region (4).
fn fleet() -> String {
    let entry = |id: u64, extra: &str| {
        format!(
            "  - sdkappid: {id}\n{extra}    callback:\n      url: https://hooks.example.com/{id}\n      commands: [{ROOM_WORD}]\n"
        )
    };
    format!(
        "version: 1\ndefaults:\n  region: seoul\n  identifier: admin\napps:\n{}{}{}{}{}",
        entry(1_400_000_001, "    name: one\n"),
        entry(1_400_000_002, "    colour: blue\n"),
        entry(1_400_000_003, ""),
        entry(1_400_000_004, "    region: mars\n"),
        entry(1_400_000_005, ""),
    )
}

/// The fake vendor with every entry's callback configured as declared, but the
/// fifth's URL, which has drifted.
fn fleet_vendor() -> Vendor {
    let vendor = Vendor::start();
    for id in 1_400_000_001..=1_400_000_004 {
        vendor.room(id, &format!("https://hooks.example.com/{id}"), &[ROOM_WORD]);
    }
    vendor.room(1_400_000_005, "https://hooks.example.com/old", &[ROOM_WORD]);
    vendor
}

/// The SDKAppIDs the vendor was asked about, in order, each once.
fn asked(vendor: &Vendor) -> Vec<u64> {
    let mut ids: Vec<u64> = vendor.requests().iter().map(|r| r.sdkappid()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[test]
fn the_valid_apps_of_a_file_with_invalid_entries_are_checked() {
    let vendor = fleet_vendor();
    let out = run(
        &fleet(),
        &vendor,
        &["verify", "--format", "json", "callbacks.yaml"],
    );
    // Invalid entries outrank drift.
    out.code(2)
        .stderr_has("unknown key `colour` in apps[1]")
        .stderr_has("unknown region `mars`")
        .stderr_has("2 app entries are invalid and not checked (apps[1] (sdkappid 1400000002), apps[3] (sdkappid 1400000004))");
    assert_eq!(
        asked(&vendor),
        [1_400_000_001, 1_400_000_003, 1_400_000_005]
    );
    let report = out.stdout_json();
    assert_eq!(report["status"], "invalid");
    assert_eq!(
        statuses(&report),
        [
            (1_400_000_001, "in_sync".to_owned()),
            (1_400_000_003, "in_sync".to_owned()),
            (1_400_000_005, "drifted".to_owned())
        ]
    );
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        codes,
        [
            "cbcheck::config::unknown-key",
            "cbcheck::config::unknown-region"
        ]
    );

    // The human report and the quiet one say the same.
    let vendor = fleet_vendor();
    run(&fleet(), &vendor, &["verify", "callbacks.yaml"])
        .code(2)
        .stderr_has("1400000005 has drifted: 1 url_mismatch")
        .stderr_has("3 apps checked: 2 in sync, 1 drifted, 0 failed; callbacks.yaml is invalid (2 errors): its invalid entries were not checked")
        .stderr_lacks("To fix");
    assert_eq!(
        asked(&vendor),
        [1_400_000_001, 1_400_000_003, 1_400_000_005]
    );
    run(&fleet(), &vendor, &["verify", "-q", "callbacks.yaml"])
        .code(2)
        .stderr_has("callbacks.yaml:")
        .stderr_has("error[unknown-region]: unknown region `mars`")
        .stderr_has("drifted  -  1400000005  1 url_mismatch")
        .stderr_has("; callbacks.yaml is invalid (2 errors)");

    // apply refuses the whole file, before any request.
    let vendor = fleet_vendor();
    run(&fleet(), &vendor, &["apply", "--yes", "callbacks.yaml"]).code(2);
    assert!(vendor.requests().is_empty(), "{:?}", asked(&vendor));
}

#[test]
fn a_file_level_problem_still_stops_before_any_request() {
    let vendor = fleet_vendor();
    let duplicate = fleet().replace("sdkappid: 1400000003", "sdkappid: 1400000001");
    run(&duplicate, &vendor, &["verify", "callbacks.yaml"])
        .code(2)
        .stderr_has("sdkappid 1400000001 is declared twice")
        .stderr_lacks("apps checked");
    let syntax = format!("{}  - [\n", fleet());
    run(&syntax, &vendor, &["verify", "callbacks.yaml"])
        .code(2)
        .stderr_has("invalid YAML")
        .stderr_lacks("apps checked");
    let version = fleet().replace("version: 1", "version: 2");
    run(&version, &vendor, &["verify", "callbacks.yaml"])
        .code(2)
        .stderr_has("version 2 is not supported");
    assert!(vendor.requests().is_empty(), "{:?}", asked(&vendor));
}
