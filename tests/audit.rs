//! The nightly audit: the Prometheus textfile report and its last-success companion.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::prometheus::{Sample, parse};
use crate::support::vendor::{LIVE, Snapshot, configured, token};
use crate::support::{Out, Workdir, names, repo_path, workdir};

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

fn audit(dir: &Workdir, snapshot: &Path) -> Out {
    dir.cbcheck()
        .arg("verify")
        .arg(repo_path("examples/fleet.yaml"))
        .arg("--live-from")
        .arg(snapshot)
        .arg("--report")
        .arg(format!("prometheus={}", dir.join("cbcheck.prom").display()))
        .run()
}

#[test]
fn the_metrics_file_describes_every_app_and_the_run_for_the_textfile_collector() {
    let dir = workdir("bundled");
    let output = audit(&dir, &repo_path("examples/live-snapshot.json"));
    assert_eq!(output.code, Some(1));
    let prom = dir.join("cbcheck.prom");
    let text = std::fs::read_to_string(&prom).expect("written");
    // Readable by node_exporter running as another user; nothing left behind.
    assert_eq!(mode(&prom), 0o644);
    assert_eq!(names(&dir), ["cbcheck.prom", "cbcheck_success.prom"]);
    // No URL (tokens, cardinality) in any label.
    assert!(!text.contains("://") && !text.contains("hooks."), "{text}");

    let families = parse(&text);
    let one = |name: &str| -> f64 {
        let samples = &families[name];
        assert_eq!(samples.len(), 1, "{name}");
        samples[0].1
    };
    assert_eq!(one("cbcheck_run_exit_code"), 1.0);
    assert!(one("cbcheck_run_timestamp_seconds") > 1.7e9);
    assert!(one("cbcheck_run_duration_seconds") >= 0.0);
    assert_eq!(
        families["cbcheck_build_info"][0].0["version"],
        env!("CARGO_PKG_VERSION")
    );
    let info = &families["cbcheck_app_info"];
    assert_eq!(info.len(), 4);
    assert_eq!(info[0].0["app"], "conference-prod");
    assert_eq!(info[0].0["sdkappid"], "1400000001");
    assert_eq!(info[0].0["service"], "room");
    assert_eq!(info[0].0["region"], "singapore");
    let by_app = |name: &str| -> BTreeMap<String, f64> {
        families[name]
            .iter()
            .map(|(labels, value)| {
                assert_eq!(labels.len(), 3, "{name}: app, sdkappid and service only");
                (labels["app"].clone(), *value)
            })
            .collect()
    };
    let up = by_app("cbcheck_app_up");
    assert!(up.values().all(|v| *v == 1.0), "{up:?}");
    let in_sync = by_app("cbcheck_app_in_sync");
    assert_eq!(in_sync["conference-staging"], 1.0);
    assert_eq!(in_sync["conference-prod"], 0.0);
    assert_eq!(in_sync["classroom-cn"], 0.0);
    // Every kind for every app, zeros included.
    let findings = &families["cbcheck_app_findings"];
    let kinds: std::collections::BTreeSet<&str> =
        findings.iter().map(|(l, _)| l["kind"].as_str()).collect();
    assert!(kinds.len() >= 8, "{kinds:?}");
    assert_eq!(findings.len(), 4 * kinds.len());
    let count = |app: &str, kind: &str| {
        findings
            .iter()
            .find(|(l, _)| l["app"] == app && l["kind"] == kind)
            .map(|(_, v)| *v)
    };
    assert_eq!(count("conference-prod", "missing_command"), Some(2.0));
    assert_eq!(count("classroom-cn", "absent"), Some(1.0));
    assert_eq!(count("conference-staging", "absent"), Some(0.0));

    let success = dir.join("cbcheck_success.prom");
    assert_eq!(mode(&success), 0o644);
    let last = parse(&std::fs::read_to_string(&success).expect("written"));
    assert_eq!(
        last["cbcheck_last_success_timestamp_seconds"][0].1,
        one("cbcheck_run_timestamp_seconds")
    );
}

/// A run that could not check the fleet still writes its metrics (exit code and all),
/// but leaves the last success as it was: "audit stale" fires on it.
#[test]
fn a_failed_run_keeps_the_last_success() {
    let dir = workdir("failed");
    let output = audit(&dir, &repo_path("examples/live-snapshot.json"));
    assert_eq!(output.code, Some(1));
    let success = dir.join("cbcheck_success.prom");
    let before = std::fs::read_to_string(&success).expect("written");

    let empty = dir.join("empty.json");
    std::fs::write(&empty, "{}").expect("write");
    let output = audit(&dir, &empty);
    assert_eq!(output.code, Some(4));
    let families = parse(&std::fs::read_to_string(dir.join("cbcheck.prom")).expect("written"));
    assert_eq!(families["cbcheck_run_exit_code"][0].1, 4.0);
    assert!(families["cbcheck_app_up"].iter().all(|(_, v)| *v == 0.0));
    assert_eq!(
        std::fs::read_to_string(&success).expect("kept"),
        before,
        "the last success is not overwritten by a failed run"
    );
}

/// An invalid file is an audit that did not happen: the metrics say so (exit code 2,
/// the file not valid, no app), and the last success stays as it was.
#[test]
fn an_invalid_file_still_writes_the_metrics_and_no_success() {
    let dir = workdir("invalid");
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "version: 1\napps:\n  - sdkappid: x\n").expect("write");
    let output = dir
        .cbcheck()
        .arg("verify")
        .arg(&broken)
        .arg("--report")
        .arg(format!("prometheus={}", dir.join("cbcheck.prom").display()))
        .run();
    assert_eq!(output.code, Some(2));
    let families = parse(&std::fs::read_to_string(dir.join("cbcheck.prom")).expect("written"));
    assert_eq!(families["cbcheck_run_exit_code"][0].1, 2.0);
    let valid = &families["cbcheck_file_valid"];
    assert_eq!(valid.len(), 1);
    assert!(valid[0].0["file"].ends_with("broken.yaml"));
    assert_eq!(valid[0].1, 0.0);
    assert!(families["cbcheck_app_info"].is_empty());
    assert!(!dir.join("cbcheck_success.prom").exists());
}

/// Every series of every family, as (family, labels): none may be written twice.
fn duplicated_series(families: &BTreeMap<String, Vec<Sample>>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    families
        .iter()
        .flat_map(|(name, samples)| samples.iter().map(move |(labels, _)| (name, labels)))
        .filter(|series| !seen.insert(*series))
        .map(|(name, labels)| format!("{name}{labels:?}"))
        .collect()
}

/// Names chosen to collide with the labels cbcheck used to make up (a repeated name got
/// its SDKAppID in brackets), one SDKAppID under two services, and one host reached by
/// http and https: every series still has a label set of its own, and each per-app
/// series names its SDKAppID and service.
#[test]
fn no_series_is_written_twice_whatever_the_names() {
    let dir = workdir("adversarial");
    let app = |name: &str, sdkappid: u64, service: &str, url: &str| {
        let name = if name.is_empty() {
            String::new()
        } else {
            format!("    name: '{name}'\n")
        };
        let command = if service == "live" {
            "Live.CallbackAfterCreateRoom"
        } else {
            "Room.CallbackAfterCreateRoom"
        };
        let insecure = if url.starts_with("http:") {
            "    allow_insecure_url: true\n"
        } else {
            ""
        };
        format!(
            "  - sdkappid: {sdkappid}\n{name}{insecure}    service: {service}\n    callback:\n      url: {url}\n      commands: [{command}]\n"
        )
    };
    let file = |name: &str, apps: &[String]| {
        let path = dir.join(name);
        let text = format!(
            "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n{}",
            apps.concat()
        );
        std::fs::write(&path, text).expect("write");
        path
    };
    let https = "https://127.0.0.1/cb";
    let http = "http://127.0.0.1/cb";
    let files = [
        file("a.yaml", &[app("prod", 1_400_000_001, "room", https)]),
        file(
            "b.yaml",
            &[
                app("prod", 1_400_000_002, "room", https),
                app("", 1_400_000_003, "room", http),
            ],
        ),
        file(
            "c.yaml",
            &[
                app("prod (1400000001)", 1_400_000_004, "room", https),
                app("prod (1400000002)", 1_400_000_003, "live", https),
            ],
        ),
    ];
    let snapshot = dir.join("live.json");
    let room = configured(https, &["Room.CallbackAfterCreateRoom"]);
    let live = Snapshot::new()
        .room(1_400_000_001, room.clone())
        .room(1_400_000_002, room.clone())
        .room(1_400_000_003, room.clone())
        .room(1_400_000_004, room)
        .service(
            1_400_000_003,
            LIVE,
            configured(https, &["Live.CallbackAfterCreateRoom"]),
        )
        .token(1_400_000_003, token(false));
    std::fs::write(&snapshot, live.to_string()).expect("write");
    let output = dir
        .cbcheck()
        .arg("verify")
        .args(&files)
        .arg("--live-from")
        .arg(&snapshot)
        .args(["--probe", "--probe-allow-private", "--probe-timeout", "1"])
        .arg("--report")
        .arg(format!("prometheus={}", dir.join("cbcheck.prom").display()))
        .run();
    let stderr = &output.stderr;
    let text = std::fs::read_to_string(dir.join("cbcheck.prom")).expect("written");
    let families = parse(&text);
    assert_eq!(families["cbcheck_app_info"].len(), 5, "{stderr}\n{text}");
    assert_eq!(
        families["cbcheck_probe_success"].len(),
        2,
        "{stderr}\n{text}"
    );
    assert_eq!(duplicated_series(&families), Vec::<String>::new(), "{text}");
    for family in [
        "cbcheck_app_up",
        "cbcheck_app_in_sync",
        "cbcheck_app_findings",
    ] {
        for (labels, _) in &families[family] {
            assert!(
                labels.contains_key("sdkappid") && labels.contains_key("service"),
                "{family}: {labels:?}"
            );
        }
    }
}
