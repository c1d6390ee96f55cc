//! CI and cron never fail silently: a file that is invalid, or a run that stops before
//! any app is checked, still gives every machine format and every `--report` file its
//! result; `lint` has machine formats of its own.

use std::path::Path;

use serde_json::Value;

use crate::support::vendor::{Snapshot, configured, with_request_id};
use crate::support::{Out, REPORT_VERSION, Workdir, repo_path, workdir};

/// An inline secret key (refused, and masked everywhere) and a misspelt key on line 10.
const SECRET: &str = "Zq8RtV3mNw6YpK2sXc5Lb9HjGf4Dd7Aa";
const BROKEN: &str = include_str!("fixtures/machine-broken.yaml");

const VALID: &str = include_str!("fixtures/machine-valid.yaml");

const FORMATS: [(&str, &str); 5] = [
    ("json", "json"),
    ("sarif", "sarif"),
    ("junit", "xml"),
    ("markdown", "md"),
    ("github", "txt"),
];

/// A scratch directory holding `broken.yaml` and `valid.yaml`.
fn files(name: &str) -> Workdir {
    workdir(name)
        .with("broken.yaml", BROKEN)
        .with("valid.yaml", VALID)
}

/// cbcheck run in `dir`; the inline secret is never shown.
fn run(dir: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Out {
    dir.cbcheck().args(args).envs(env).hides(SECRET).run()
}

fn read(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    assert!(
        !text.contains(SECRET),
        "{}: the secret leaked",
        path.display()
    );
    text
}

fn schema_errors(schema: &str, document: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo_path(schema)).expect("committed schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema)
        .expect("a valid JSON Schema")
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every report of a format carries the invalid file's two errors, located.
fn assert_carries_the_diagnostics(format: &str, text: &str) {
    match format {
        "json" => {
            let json: Value = serde_json::from_str(text).expect("JSON");
            assert_eq!(json["version"], REPORT_VERSION);
            assert_eq!(json["status"], "invalid");
            assert_eq!(json["files"], serde_json::json!(["broken.yaml"]));
            assert_eq!(json["apps"], serde_json::json!([]));
            assert_eq!(json["summary"]["apps"], 0);
            let codes: Vec<(&str, u64, u64)> = json["diagnostics"]
                .as_array()
                .expect("diagnostics")
                .iter()
                .map(|d| {
                    assert_eq!(d["file"], "broken.yaml");
                    assert_eq!(d["severity"], "error");
                    assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()));
                    assert!(d["help"].as_str().is_some_and(|h| !h.is_empty()));
                    (
                        d["code"].as_str().expect("code"),
                        d["line"].as_u64().expect("line"),
                        d["column"].as_u64().expect("column"),
                    )
                })
                .collect();
            assert_eq!(
                codes,
                [
                    ("cbcheck::config::secret-in-file", 8, 5),
                    ("cbcheck::config::unknown-key", 11, 7)
                ]
            );
            let errors = schema_errors("schemas/report.schema.json", &json);
            assert!(errors.is_empty(), "{errors:?}\n{text}");
        }
        "sarif" => {
            let sarif: Value = serde_json::from_str(text).expect("JSON");
            let results = sarif["runs"][0]["results"].as_array().expect("results");
            let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .expect("rules");
            let found: Vec<(&str, &Value)> = results
                .iter()
                .map(|r| {
                    let index = r["ruleIndex"].as_u64().expect("index") as usize;
                    assert_eq!(rules[index]["id"], r["ruleId"]);
                    assert_eq!(r["level"], "error");
                    (
                        r["ruleId"].as_str().expect("rule"),
                        &r["locations"][0]["physicalLocation"]["region"]["startLine"],
                    )
                })
                .collect();
            assert_eq!(
                found,
                [
                    ("cbcheck/config/secret-in-file", &Value::from(8)),
                    ("cbcheck/config/unknown-key", &Value::from(11))
                ]
            );
        }
        "junit" => {
            assert!(
                text.contains(
                    "<testsuites name=\"cbcheck verify\" tests=\"2\" failures=\"2\" errors=\"0\">"
                ),
                "{text}"
            );
            assert!(
                text.contains("<testsuite name=\"broken.yaml\" tests=\"2\" failures=\"2\""),
                "{text}"
            );
            for (code, line) in [
                ("cbcheck::config::secret-in-file", 8),
                ("cbcheck::config::unknown-key", 11),
            ] {
                assert!(
                    text.contains(&format!("<failure type=\"{code}\"")),
                    "{code}: {text}"
                );
                assert!(text.contains(&format!("broken.yaml:{line}:")), "{text}");
            }
        }
        "markdown" => {
            assert!(text.contains("broken\\.yaml is invalid"), "{text}");
            assert!(
                text.contains(
                    "| broken\\.yaml | 11 | 7 | error | `cbcheck::config::unknown-key` |"
                ),
                "{text}"
            );
            assert!(text.contains("`cbcheck::config::secret-in-file`"), "{text}");
        }
        "github" => {
            let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
            assert_eq!(errors.len(), 2, "{text}");
            assert!(
                errors[0].starts_with("::error file=broken.yaml,line=8,col=5,title="),
                "{text}"
            );
            assert!(
                errors[1].starts_with("::error file=broken.yaml,line=11,col=7,title="),
                "{text}"
            );
            assert!(text.contains("broken.yaml is invalid"), "{text}");
        }
        other => unreachable!("{other}"),
    }
}

#[test]
fn an_invalid_file_is_reported_in_every_machine_format_and_every_report_file() {
    for (format, _) in FORMATS {
        let dir = files(&format!("invalid-{format}"));
        let mut args = vec!["verify", "broken.yaml", "--format", format];
        let reports: Vec<String> = FORMATS
            .iter()
            .map(|(f, ext)| format!("{f}=report.{ext}"))
            .collect();
        for report in &reports {
            args.extend(["--report", report]);
        }
        let out = run(&dir, &args, &[]);
        assert_eq!(out.code, Some(2), "{format}: {}", out.stderr);
        // The human diagnostics still go to stderr, for the log.
        assert!(
            out.stderr.contains("cbcheck::config::unknown-key"),
            "{format}: {}",
            out.stderr
        );
        assert_carries_the_diagnostics(format, &out.stdout);
        for (report, ext) in FORMATS {
            assert_carries_the_diagnostics(report, &read(&dir.join(format!("report.{ext}"))));
        }
    }
}

#[test]
fn an_invalid_file_beside_a_valid_one_reports_both_files() {
    let dir = files("invalid-beside-valid");
    let out = run(
        &dir,
        &["verify", "valid.yaml", "broken.yaml", "--format", "json"],
        &[],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(json["status"], "invalid");
    assert_eq!(
        json["files"],
        serde_json::json!(["valid.yaml", "broken.yaml"])
    );
    let found: Vec<(&str, &str, &str)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().expect("file"),
                d["severity"].as_str().expect("severity"),
                d["code"].as_str().expect("code"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "valid.yaml",
                "warning",
                "cbcheck::config::duplicate-command"
            ),
            ("broken.yaml", "error", "cbcheck::config::secret-in-file"),
            ("broken.yaml", "error", "cbcheck::config::unknown-key"),
        ]
    );
    let errors = schema_errors("schemas/report.schema.json", &json);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn an_invalid_file_still_writes_the_step_summary() {
    let dir = files("invalid-step-summary");
    let summary = dir.join("step-summary.md");
    let out = run(
        &dir,
        &["verify", "broken.yaml", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8 path"))],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_carries_the_diagnostics("github", &out.stdout);
    assert_carries_the_diagnostics("markdown", &read(&summary));
}

#[test]
fn an_unreadable_file_is_a_located_diagnostic_without_a_line() {
    let dir = files("unreadable");
    let out = run(
        &dir,
        &[
            "verify",
            "missing.yaml",
            "--format",
            "json",
            "--report",
            "sarif=out.sarif",
            "--report",
            "human=out.txt",
        ],
        &[],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    // The human report file holds what stderr showed, and the summary.
    let human = read(&dir.join("out.txt"));
    assert!(human.contains("cbcheck::config::unreadable"), "{human}");
    assert!(
        human.ends_with("no app was checked: missing.yaml is invalid (1 error)\n"),
        "{human}"
    );
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(json["status"], "invalid");
    let diagnostic = &json["diagnostics"][0];
    assert_eq!(diagnostic["code"], "cbcheck::config::unreadable");
    assert_eq!(diagnostic["file"], "missing.yaml");
    assert_eq!(diagnostic["line"], Value::Null);
    let errors = schema_errors("schemas/report.schema.json", &json);
    assert!(errors.is_empty(), "{errors:?}");
    let sarif: Value = serde_json::from_str(&read(&dir.join("out.sarif"))).expect("JSON");
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "cbcheck/config/unreadable"
    );
}

#[test]
fn a_run_that_stops_before_checking_says_why_in_every_format() {
    let dir = files("stopped");
    dir.write("again.yaml", VALID);
    for (args, code, file) in [
        (
            vec!["verify", "valid.yaml", "--app", "nosuch"],
            "cbcheck::usage::no_such_app",
            Value::Null,
        ),
        (
            vec!["verify", "valid.yaml", "again.yaml"],
            "cbcheck::usage::declared_twice",
            Value::Null,
        ),
        (
            vec!["verify", "valid.yaml", "--live-from", "nosuch.json"],
            "cbcheck::usage::snapshot",
            Value::Null,
        ),
    ] {
        let mut args = args.clone();
        args.extend([
            "--format",
            "json",
            "--report",
            "sarif=out.sarif",
            "--report",
            "junit=out.xml",
            "--report",
            "markdown=out.md",
            "--report",
            "github=out.txt",
        ]);
        let out = run(&dir, &args, &[]);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
        assert_eq!(json["status"], "invalid", "{args:?}");
        assert_eq!(json["apps"], serde_json::json!([]));
        let last = json["diagnostics"]
            .as_array()
            .and_then(|d| d.last())
            .expect("a diagnostic");
        assert_eq!(last["code"], code, "{args:?}");
        assert_eq!(last["file"], file, "{args:?}");
        assert_eq!(last["severity"], "error");
        let errors = schema_errors("schemas/report.schema.json", &json);
        assert!(errors.is_empty(), "{errors:?}");

        let sarif: Value = serde_json::from_str(&read(&dir.join("out.sarif"))).expect("JSON");
        let invocation = &sarif["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false, "{args:?}");
        assert_eq!(
            invocation["toolExecutionNotifications"][0]["descriptor"]["id"],
            code
        );
        let junit = read(&dir.join("out.xml"));
        assert!(
            junit.contains(&format!("<error type=\"{code}\"")),
            "{junit}"
        );
        assert!(read(&dir.join("out.md")).contains(code), "{args:?}");
        assert!(
            read(&dir.join("out.txt"))
                .lines()
                .any(|l| l.starts_with("::error title=") && l.contains(&code.replace(':', "%3A"))),
            "{args:?}"
        );
    }
}

#[test]
fn the_report_status_follows_the_exit_code() {
    let dir = files("status");
    let live = Snapshot::new().room(
        1_400_000_001,
        with_request_id(
            configured(
                "https://hooks.example.com/a",
                &["Room.CallbackAfterCreateRoom"],
            ),
            "Id-1",
        ),
    );
    dir.write("live.json", live.to_string());
    let drifted = VALID.replace("/a\n", "/b\n");
    dir.write("drifted.yaml", drifted);
    dir.write("failed.yaml", VALID.replace("1400000001", "1400000009"));
    for (file, extra, code, status) in [
        ("valid.yaml", None, 0, "in_sync"),
        ("drifted.yaml", None, 1, "drifted"),
        ("failed.yaml", None, 4, "failed"),
        // The file's own warning, denied: exit 2 though every app was checked.
        ("valid.yaml", Some("--deny-warnings"), 2, "invalid"),
    ] {
        let mut args = vec![
            "verify",
            file,
            "--live-from",
            "live.json",
            "--format",
            "json",
        ];
        args.extend(extra);
        let out = run(&dir, &args, &[]);
        assert_eq!(out.code, Some(code), "{file}: {}", out.stderr);
        let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
        assert_eq!(json["status"], status, "{file} {extra:?}");
        let errors = schema_errors("schemas/report.schema.json", &json);
        assert!(errors.is_empty(), "{errors:?}");
    }
}

#[test]
fn lint_json_lists_each_files_diagnostics() {
    let dir = files("lint-json");
    let out = run(
        &dir,
        &[
            "lint",
            "valid.yaml",
            "broken.yaml",
            "--format",
            "json",
            "--report",
            "json=lint.json",
        ],
        &[],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stdout, read(&dir.join("lint.json")));
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(json["version"], REPORT_VERSION);
    assert_eq!(json["status"], "invalid");
    let files = json["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], "valid.yaml");
    assert_eq!(files[0]["status"], "valid");
    assert_eq!(files[0]["apps"], 1);
    assert_eq!(files[0]["errors"], 0);
    assert_eq!(files[0]["warnings"], 1);
    assert_eq!(
        files[0]["diagnostics"][0]["code"],
        "cbcheck::config::duplicate-command"
    );
    assert_eq!(files[0]["diagnostics"][0]["line"], 10);
    assert_eq!(files[1]["file"], "broken.yaml");
    assert_eq!(files[1]["status"], "invalid");
    assert_eq!(files[1]["apps"], Value::Null);
    assert_eq!(files[1]["errors"], 2);
    assert_eq!(
        files[1]["diagnostics"][1]["code"],
        "cbcheck::config::unknown-key"
    );
    assert_eq!(files[1]["diagnostics"][1]["line"], 11);
    assert_eq!(files[1]["diagnostics"][1]["column"], 7);
    let errors = schema_errors("schemas/lint.schema.json", &json);
    assert!(errors.is_empty(), "{errors:?}");

    let valid = run(&dir, &["lint", "valid.yaml", "--format", "json"], &[]);
    assert_eq!(valid.code, Some(0), "{}", valid.stderr);
    let json: Value = serde_json::from_str(&valid.stdout).expect("JSON");
    assert_eq!(json["status"], "valid");
    let denied = run(
        &dir,
        &["lint", "valid.yaml", "--format", "json", "--deny-warnings"],
        &[],
    );
    assert_eq!(denied.code, Some(2), "{}", denied.stderr);
    let json: Value = serde_json::from_str(&denied.stdout).expect("JSON");
    assert_eq!(json["status"], "invalid");
    assert_eq!(json["files"][0]["status"], "invalid");
}

#[test]
fn lint_refuses_verify_only_formats_when_parsing() {
    let dir = files("lint-refused");
    for args in [
        vec!["lint", "valid.yaml", "--format", "junit"],
        vec!["lint", "valid.yaml", "--format", "markdown"],
        vec!["lint", "valid.yaml", "--report", "junit=lint.xml"],
    ] {
        let out = run(&dir, &args, &[]);
        assert_eq!(out.code, Some(2), "{args:?}");
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.starts_with("error: invalid value"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("Json") && !out.stderr.contains("Markdown"),
            "{}",
            out.stderr
        );
        assert!(!dir.join("lint.xml").exists());
    }
}
