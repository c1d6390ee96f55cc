//! The nightly audit: the Prometheus textfile report and its last-success companion.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{cbcheck, repo_path};

fn empty_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("audit")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// One sample: its labels and value.
pub(crate) type Sample = (BTreeMap<String, String>, f64);

/// A strict reading of the text exposition format as cbcheck writes it: every family
/// announced once by HELP then TYPE gauge, samples only under their own family,
/// `name{labels} value` with no timestamp. Returns family → samples (labels, value).
pub(crate) fn parse(text: &str) -> BTreeMap<String, Vec<Sample>> {
    let mut families: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("a name").to_owned();
            assert!(
                !families.contains_key(&name),
                "HELP for {name} written twice"
            );
            assert_eq!(
                lines.next(),
                Some(format!("# TYPE {name} gauge").as_str()),
                "TYPE after HELP"
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                    && !name.starts_with(|c: char| c.is_ascii_digit()),
                "metric name {name}"
            );
            families.insert(name.clone(), Vec::new());
            current = Some(name);
            continue;
        }
        assert!(!line.starts_with('#'), "stray comment {line}");
        let family = current.as_ref().expect("a sample after its HELP");
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        assert!(!value.contains(' '), "a timestamp in {line}");
        let value: f64 = value.parse().expect("a number");
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        assert_eq!(name, family, "{line} outside its family");
        let mut parsed = BTreeMap::new();
        let mut rest = labels;
        while !rest.is_empty() {
            let (label, after) = rest.split_once("=\"").expect("label=\"value\"");
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().expect("a closing quote") {
                    (_, '\\') => match chars.next().expect("an escape").1 {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        c => panic!("unknown escape \\{c}"),
                    },
                    (i, '"') => break i,
                    (_, c) => value.push(c),
                }
            };
            parsed.insert(label.to_owned(), value);
            rest = after[end + 1..]
                .strip_prefix(',')
                .unwrap_or(&after[end + 1..]);
        }
        families
            .get_mut(family)
            .expect("family")
            .push((parsed, value));
    }
    families
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

fn audit(dir: &Path, snapshot: &Path) -> std::process::Output {
    cbcheck()
        .arg("verify")
        .arg(repo_path("examples/fleet.yaml"))
        .arg("--live-from")
        .arg(snapshot)
        .arg("--report")
        .arg(format!("prometheus={}", dir.join("cbcheck.prom").display()))
        .output()
        .expect("runs")
}

#[test]
fn the_metrics_file_describes_every_app_and_the_run_for_the_textfile_collector() {
    let dir = empty_dir("bundled");
    let output = audit(&dir, &repo_path("examples/live-snapshot.json"));
    assert_eq!(output.status.code(), Some(1));
    let prom = dir.join("cbcheck.prom");
    let text = std::fs::read_to_string(&prom).expect("written");
    // Readable by node_exporter running as another user; nothing left behind.
    assert_eq!(mode(&prom), 0o644);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["cbcheck.prom", "cbcheck_success.prom"]);
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
    let dir = empty_dir("failed");
    let output = audit(&dir, &repo_path("examples/live-snapshot.json"));
    assert_eq!(output.status.code(), Some(1));
    let success = dir.join("cbcheck_success.prom");
    let before = std::fs::read_to_string(&success).expect("written");

    let empty = dir.join("empty.json");
    std::fs::write(&empty, "{}").expect("write");
    let output = audit(&dir, &empty);
    assert_eq!(output.status.code(), Some(4));
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
    let dir = empty_dir("invalid");
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "version: 1\napps:\n  - sdkappid: x\n").expect("write");
    let output = cbcheck()
        .arg("verify")
        .arg(&broken)
        .arg("--report")
        .arg(format!("prometheus={}", dir.join("cbcheck.prom").display()))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
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
    let dir = empty_dir("adversarial");
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
    let reply = |command: &str| {
        serde_json::json!({
            "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-1",
            "Response": {"Url": https, "CallbackCommandList": [command]}
        })
    };
    let room = reply("Room.CallbackAfterCreateRoom");
    let snapshot_text = serde_json::json!({
        "1400000001": room, "1400000002": room, "1400000003": room, "1400000004": room,
        "1400000003/live": reply("Live.CallbackAfterCreateRoom"),
        "1400000003/live/token": {
            "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-2",
            "Response": {"IsTokenEnable": 0}
        }
    });
    std::fs::write(&snapshot, snapshot_text.to_string()).expect("write");
    let output = cbcheck()
        .arg("verify")
        .args(&files)
        .arg("--live-from")
        .arg(&snapshot)
        .args(["--probe", "--probe-allow-private", "--probe-timeout", "1"])
        .arg("--report")
        .arg(format!("prometheus={}", dir.join("cbcheck.prom").display()))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
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
