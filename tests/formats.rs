//! The CI formats on one mixed run (in sync, drifted, failed), offline via --live-from.

use std::path::Path;

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::support::vendor::{Snapshot, configured, fail, with_request_id};
use crate::support::{Cmd, Out, REPORT_VERSION, Workdir, workdir};

/// The file name has a comma, the ErrorInfo a `%` and a newline: GitHub must escape them.
const FILE: &str = "prod,eu.yaml";

const FLEET: &str = include_str!("fixtures/formats-fleet.yaml");

fn snapshot() -> Snapshot {
    Snapshot::new()
        .room(
            1_400_000_001,
            with_request_id(
                configured(
                    "https://hooks.example.com/a",
                    &[
                        "Room.CallbackAfterCreateRoom",
                        "Room.CallbackAfterMemberLeave",
                    ],
                ),
                "Id-1",
            ),
        )
        .room(
            1_400_000_002,
            with_request_id(
                configured(
                    "https://hooks.example.com/b?token=hook-secret",
                    &[
                        "Room.CallbackAfterCreateRoom",
                        "Room.CallbackAfterMemberEnter",
                    ],
                ),
                "Id-2",
            ),
        )
        .room(
            1_400_000_003,
            with_request_id(fail(70009, "50% of\nchecks failed"), "Id-3"),
        )
}

/// A scratch directory holding the fleet as `FILE` and its live state as `live.json`.
fn fleet(name: &str) -> Workdir {
    workdir(name)
        .with(FILE, FLEET)
        .with("live.json", snapshot().to_string())
}

/// cbcheck run in `dir`; the hook's token is never shown.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    Cmd::new()
        .current_dir(dir)
        .args(args)
        .envs(env)
        .hides("hook-secret")
        .run()
}

fn verify(dir: &Path, format: &str) -> Out {
    run(
        dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--format",
            format,
        ],
        &[],
    )
}

#[test]
fn github_annotations_are_escaped_and_summarised() {
    let dir = fleet("github");
    let summary = dir.join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").expect("summary");
    let out = run(
        &dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--format",
            "github",
        ],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8 path"))],
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("::debug::cbcheck report version {REPORT_VERSION}")
    );
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(
        errors.len(),
        3,
        "two drift findings and one failed app:\n{}",
        out.stdout
    );
    for line in &errors {
        assert!(
            line.starts_with("::error file=prod%2Ceu.yaml,line="),
            "{line}"
        );
        assert!(!line.contains('\n') && !line.contains('\r'));
    }
    let failed = errors
        .iter()
        .find(|l| l.contains("could not be checked"))
        .expect("failed app");
    assert!(
        failed.contains(",line=20,col=15,"),
        "on the sdkappid line: {failed}"
    );
    // A newline (in the app's name) and a `%` (in the vendor's message) are encoded;
    // the vendor's own control characters arrive already escaped as text.
    assert!(
        failed.contains("title=failed%0Aagain (1400000003)%3A could not be checked"),
        "{failed}"
    );
    assert!(failed.contains("50%25 of\\nchecks failed"), "{failed}");
    assert!(
        failed.contains("::prod,eu.yaml:20: "),
        "file:line repeated in the text: {failed}"
    );
    let warnings: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "the tolerated extra command:\n{}",
        out.stdout
    );
    assert_eq!(
        lines.last(),
        Some(&"3 apps checked: 1 in sync, 1 drifted, 1 failed, 1 warning")
    );
    assert_snapshot!("github", out.stdout);

    let written = std::fs::read_to_string(&summary).expect("summary written");
    assert!(
        written.starts_with(&format!(
            "earlier step\n<!-- cbcheck report version {REPORT_VERSION} -->"
        )),
        "appended:\n{written}"
    );
    assert!(
        written.contains("| prod,eu\\.yaml | drifted | 1400000002 | singapore | ❌ drifted |"),
        "{written}"
    );
}

#[test]
fn an_unwritable_step_summary_exits_2_and_the_annotations_are_still_printed() {
    let dir = fleet("summary-unwritable");
    // Relative to the run's directory, so the message fits on one line.
    let summary = "no-such-dir/step-summary.md";
    // Only the app in sync: the run itself would exit 0.
    let args = [
        "verify",
        FILE,
        "--live-from",
        "live.json",
        "--format",
        "github",
        "--app",
        "in-sync",
    ];
    let clean = run(&dir, &args, &[]);
    assert_eq!(clean.code, Some(0), "{}", clean.stderr);
    let out = run(&dir, &args, &[("GITHUB_STEP_SUMMARY", summary)]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("cannot write the report {summary}")),
        "names the path:\n{}",
        out.stderr
    );
    assert_eq!(
        out.stdout, clean.stdout,
        "the annotations are still printed"
    );
    assert!(out.stdout.contains("::warning "), "{}", out.stdout);
}

#[test]
fn sarif_has_the_required_2_1_0_structure() {
    let dir = fleet("sarif");
    let out = verify(&dir, "sarif");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "cbcheck");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    for id in [
        "cbcheck/absent",
        "cbcheck/url_mismatch",
        "cbcheck/insecure_url",
        "cbcheck/missing_command",
        "cbcheck/unexpected_command",
        "cbcheck/unknown_command",
        "cbcheck/unwanted_callback",
        "cbcheck/failed",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(
        rules
            .iter()
            .all(|r| r["help"]["text"].as_str().is_some_and(|t| !t.is_empty()))
    );
    let results = run["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        4,
        "two drift errors, a warning, a failed app"
    );
    for result in results {
        let rule = result["ruleId"].as_str().expect("ruleId");
        assert!(ids.contains(&rule));
        assert_eq!(
            rules[result["ruleIndex"].as_u64().expect("index") as usize]["id"],
            rule
        );
        assert!(matches!(
            result["level"].as_str(),
            Some("error" | "warning")
        ));
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "prod%2Ceu.yaml");
        assert!(location["region"]["startLine"].as_u64().expect("startLine") >= 1);
        assert!(result["partialFingerprints"]["cbcheck/v1"].is_string());
    }
    assert_eq!(
        results[1]["partialFingerprints"]["cbcheck/v1"],
        "1400000002:missing_command:Mic.CallbackAfterSeatInfoChanged"
    );
    // Fingerprints do not depend on line numbers: moving the app keeps them.
    let moved = FLEET.replace("apps:\n", "apps:\n  # a comment that shifts every line\n");
    dir.write(FILE, moved);
    let again: Value = serde_json::from_str(&verify(&dir, "sarif").stdout).expect("JSON");
    let prints = |v: &Value| -> Vec<Value> {
        v["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(prints(&sarif), prints(&again));
    assert_ne!(
        sarif["runs"][0]["results"][0]["locations"],
        again["runs"][0]["results"][0]["locations"]
    );
    assert_snapshot!(
        "sarif",
        out.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]")
    );
}

/// Where each result of a SARIF document points.
fn sarif_locations(sarif: &Value) -> Vec<&Value> {
    sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
        .collect()
}

#[test]
fn sarif_locates_a_file_outside_the_working_directory_by_an_absolute_file_uri() {
    // The run's directory is `cwd`; the file sits beside it, under a name to encode.
    let dir = fleet("sarif_outside");
    let cwd = dir.join("cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let outside = dir.join("out side #1 ü.yaml");
    std::fs::copy(dir.join(FILE), &outside).expect("outside file");
    let absolute = outside.to_str().expect("utf-8 path");
    let live = dir.join("live.json");
    let live = live.to_str().expect("utf-8 path");
    for path in [absolute, "../out side #1 ü.yaml"] {
        let out = run(
            &cwd,
            &["verify", path, "--live-from", live, "--format", "sarif"],
            &[],
        );
        assert_eq!(out.code, Some(3), "{}", out.stderr);
        let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
        let locations = sarif_locations(&sarif);
        assert_eq!(locations.len(), 4, "{}", out.stdout);
        for location in locations {
            let uri = location["uri"].as_str().expect("uri");
            assert!(
                uri.starts_with("file:///") && uri.ends_with("/out%20side%20%231%20%C3%BC.yaml"),
                "{path}: {uri}"
            );
            let parsed = url::Url::parse(uri).expect("an absolute URI");
            assert_eq!(parsed.to_file_path().as_deref(), Ok(outside.as_path()));
            assert!(location.get("uriBaseId").is_none(), "{location}");
        }
    }
}

#[test]
fn sarif_locates_a_file_inside_the_working_directory_by_a_relative_uri() {
    let dir = fleet("sarif_inside");
    std::fs::create_dir_all(dir.join("envs")).expect("envs");
    std::fs::copy(dir.join(FILE), dir.join("envs").join(FILE)).expect("nested file");
    // However the file is named, its URI is relative to the working directory.
    let absolute = dir.join(FILE);
    for (path, expected) in [
        (absolute.to_str().expect("utf-8 path"), "prod%2Ceu.yaml"),
        ("./prod,eu.yaml", "prod%2Ceu.yaml"),
        ("envs/../envs/prod,eu.yaml", "envs/prod%2Ceu.yaml"),
    ] {
        let out = run(
            &dir,
            &[
                "verify",
                path,
                "--live-from",
                "live.json",
                "--format",
                "sarif",
            ],
            &[],
        );
        assert_eq!(out.code, Some(3), "{}", out.stderr);
        let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
        for location in sarif_locations(&sarif) {
            assert_eq!(location, &json!({"uri": expected}), "{path}");
        }
    }
}

#[test]
fn sarif_lint_of_two_files_locates_each_in_its_own_place() {
    let dir = fleet("sarif_lint_two");
    let bad = FLEET.replace("commands: [Room", "comands: [Room");
    dir.write("bad.yaml", &bad);
    let outside = tempfile::Builder::new()
        .suffix(".yaml")
        .tempfile()
        .expect("a file outside the working directory");
    std::fs::write(outside.path(), &bad).expect("outside");
    let outside_path = outside.path().to_str().expect("utf-8 path");
    let out = run(
        &dir,
        &["lint", "--format", "sarif", "bad.yaml", outside_path],
        &[],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    let uris: Vec<&str> = sarif_locations(&sarif)
        .iter()
        .map(|l| l["uri"].as_str().expect("uri"))
        .collect();
    let file_uri = url::Url::from_file_path(outside.path())
        .expect("absolute")
        .to_string();
    // The same problems in each file, in the order of the files.
    let half = uris.len() / 2;
    assert!(half > 0, "{}", out.stdout);
    assert_eq!(uris[..half], vec!["bad.yaml"; half]);
    assert_eq!(uris[half..], vec![file_uri.as_str(); half]);
}

#[test]
fn sarif_driver_says_where_to_learn_about_the_tool() {
    let dir = fleet("sarif_information_uri");
    let home = env!("CARGO_PKG_HOMEPAGE");
    assert!(
        home.starts_with("https://"),
        "Cargo.toml names a homepage: {home:?}"
    );
    let lint = run(&dir, &["lint", "--format", "sarif", FILE], &[]);
    assert_eq!(lint.code, Some(0), "{}", lint.stderr);
    for out in [lint, verify(&dir, "sarif")] {
        let sarif: Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
        assert_eq!(sarif["runs"][0]["tool"]["driver"]["informationUri"], home);
    }
}

#[test]
fn junit_is_well_formed_xml_with_a_testcase_per_app() {
    let dir = fleet("junit");
    let out = verify(&dir, "junit");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let doc = roxmltree::Document::parse(&out.stdout).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("3"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].attribute("name"), Some(FILE));
    assert_eq!(suites[0].attribute("failures"), Some("1"));
    assert_eq!(suites[0].attribute("errors"), Some("1"));
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    assert!(
        cases[0]
            .children()
            .all(|c| !c.has_tag_name("failure") && !c.has_tag_name("error"))
    );
    let failure = cases[1]
        .children()
        .find(|c| c.has_tag_name("failure"))
        .expect("drift is a failure");
    assert!(failure.text().unwrap_or("").contains("missing_command"));
    let error = cases[2]
        .children()
        .find(|c| c.has_tag_name("error"))
        .expect("failed app is an error");
    assert_eq!(error.attribute("type"), Some("auth"));
    assert!(
        error
            .attribute("message")
            .unwrap_or("")
            .contains("50% of\\nchecks failed")
    );
    assert_snapshot!("junit", out.stdout);
}

#[test]
fn markdown_has_a_table_and_a_section_per_problem_app() {
    let dir = fleet("markdown");
    let out = verify(&dir, "markdown");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("| file | app | sdkappid | region | status | findings |")
    );
    assert!(out.stdout.contains("### drifted (1400000002) — ❌ drifted"));
    assert!(
        out.stdout
            .contains("To fix, call `v4/room_config/update_callback` with:")
    );
    assert!(
        out.stdout
            .contains("### failed\\\\nagain (1400000003) — ⚠️ failed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.find("### failed\\\\nagain") < out.stdout.find("### drifted"),
        "failed apps first"
    );
    assert!(
        out.stdout
            .contains("To fix the drifted app, run:\n\n```sh\ncbcheck apply 'prod,eu.yaml' --app drifted\n```\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("shown as `***`"), "{}", out.stdout);
    assert!(!out.stdout.contains("more app"), "nothing left out");
    assert_snapshot!("markdown", out.stdout);

    // An app in sync without warnings is counted, not listed.
    std::fs::write(
        dir.join(FILE),
        FLEET.replace("extra_commands: warn", "extra_commands: ignore"),
    )
    .expect("fleet");
    let folded = verify(&dir, "markdown");
    assert_eq!(folded.code, Some(3), "{}", folded.stderr);
    assert!(!folded.stdout.contains("| in-sync |"), "{}", folded.stdout);
    assert!(
        folded
            .stdout
            .contains("|\n\n1 app in sync is not listed.\n\n### failed\\\\nagain"),
        "{}",
        folded.stdout
    );
}

#[test]
fn reports_go_to_files_while_the_terminal_keeps_its_format() {
    let dir = fleet("reports");
    let out = run(
        &dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--report",
            "sarif=out.sarif",
            "--report",
            "junit=out.xml",
            "--report",
            "json=out.json",
            "--report",
            "markdown=out.md",
        ],
        &[],
    );
    assert_eq!(out.code, Some(3));
    assert_eq!(out.stdout, "", "human output stays on stderr");
    assert!(
        out.stderr
            .contains("3 apps checked: 1 in sync, 1 drifted, 1 failed, 1 warning")
    );
    for (file, probe) in [
        ("out.sarif", "\"2.1.0\""),
        ("out.xml", "<testsuites"),
        ("out.json", &*format!("\"version\": {REPORT_VERSION}")),
        ("out.md", "## cbcheck verify"),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(text.contains(probe), "{file}: {text}");
    }
    // A report that cannot be written where it goes is known before the run: no
    // audit runs for minutes to lose its report, nor turns drift into exit 2.
    let missing = run(
        &dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--report",
            "sarif=no/such/dir/x.sarif",
        ],
        &[],
    );
    assert_eq!(missing.code, Some(2), "{}", missing.stderr);
    assert!(
        missing.stderr.contains(
            "--report sarif=no/such/dir/x.sarif: the directory no/such/dir does not exist"
        ),
        "{}",
        missing.stderr
    );
    assert!(
        !missing.stderr.contains("apps checked"),
        "{}",
        missing.stderr
    );
    // One that fails only when written (a directory in its place) is reported then,
    // and the run's own outcome still wins over it.
    std::fs::create_dir_all(dir.join("taken.sarif")).expect("a directory");
    let bad = run(
        &dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--report",
            "sarif=taken.sarif",
        ],
        &[],
    );
    assert_eq!(
        bad.code,
        Some(3),
        "the run's own outcome still wins over the report error"
    );
    assert!(
        bad.stderr.contains("cannot write the report taken.sarif"),
        "{}",
        bad.stderr
    );
    let unknown = run(&dir, &["verify", FILE, "--report", "yaml=x.yaml"], &[]);
    assert_eq!(unknown.code, Some(2));
}

#[test]
fn lint_speaks_github_and_sarif_and_takes_several_files() {
    let dir = fleet("lint");
    std::fs::write(
        dir.join("bad.yaml"),
        FLEET.replace(
            "commands: [Room.CallbackAfterCreateRoom]\n  - name: drifted",
            "comands: [Room.CallbackAfterCreateRoom]\n  - name: drifted",
        ),
    )
    .expect("bad");
    let out = run(&dir, &["lint", "--format", "github", FILE, "bad.yaml"], &[]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    assert!(
        errors[0].starts_with("::error file=bad.yaml,line=11,col=7,title="),
        "{}",
        errors[0]
    );
    assert!(
        out.stdout
            .contains("prod,eu.yaml: valid: 3 apps, no warnings"),
        "{}",
        out.stdout
    );

    let out = run(&dir, &["lint", "--format", "sarif", "bad.yaml"], &[]);
    let sarif: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "cbcheck/config/unknown-key"
    );
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        11
    );

    let out = run(&dir, &["lint", "--format", "junit", FILE], &[]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("invalid value 'junit' for '--format <FORMAT>'"),
        "{}",
        out.stderr
    );
}

#[test]
fn lint_refuses_a_verify_format_before_writing_any_report() {
    let dir = fleet("lint-refused");
    let out = run(
        &dir,
        &[
            "lint",
            FILE,
            "--report",
            "sarif=first.sarif",
            "--report",
            "markdown=second.md",
        ],
        &[],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains(
            "lint does not write `markdown` (junit and markdown describe verify runs): use json, github, sarif or human"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !dir.join("first.sarif").exists(),
        "an earlier --report was written before the refusal"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(Path::new("."), &["completions", shell], &[]);
        assert_eq!(out.code, Some(0), "{shell}: {}", out.stderr);
        assert!(
            out.stdout.contains("cbcheck") && out.stdout.contains("verify"),
            "{shell}"
        );
        assert!(
            out.stdout.contains("live-from"),
            "{shell}: flags are completed"
        );
    }
}

#[test]
fn verify_reports_the_files_own_warnings_and_denies_them_on_request() {
    let dir = fleet("config_warnings");
    let doubled = FLEET.replace(
        "        - Mic.CallbackAfterSeatInfoChanged\n",
        "        - Mic.CallbackAfterSeatInfoChanged\n        - Mic.CallbackAfterSeatInfoChanged\n",
    );
    dir.write(FILE, doubled);
    let out = verify(&dir, "github");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("::warning ") && l.contains("listed twice")),
        "{}",
        out.stdout
    );
    let sarif: Value = serde_json::from_str(&verify(&dir, "sarif").stdout).expect("JSON");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    for result in sarif["runs"][0]["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let json: Value = serde_json::from_str(&verify(&dir, "json").stdout).expect("JSON");
    assert_eq!(
        json["diagnostics"][0]["code"],
        "cbcheck::config::duplicate-command"
    );
    assert_eq!(json["diagnostics"][0]["severity"], "warning");
    assert_eq!(json["diagnostics"][0]["line"], 19);
    let denied = run(
        &dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--app",
            "in-sync",
            "--deny-warnings",
        ],
        &[],
    );
    assert_eq!(denied.code, Some(2), "{}", denied.stderr);
}

/// Apps drifted, failed and in sync, as a fleet of `apps` with its live snapshot:
/// every third app drifted (a missing and an extra command), eight others among
/// the first failed (refused), the rest in sync.
fn big_fleet(apps: usize) -> (String, Snapshot) {
    let mut yaml = String::from(
        "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n",
    );
    let mut live = Snapshot::new();
    for i in 0..apps {
        let id = 1_400_100_000 + i as u64;
        let url = format!("https://hooks.example.com/{i}?token=hook-secret-{i}");
        yaml.push_str(&format!(
            "  - name: app-{i:04}\n    sdkappid: {id}\n    callback:\n      url: {url}\n      commands: [Room.CallbackAfterCreateRoom, Room.CallbackAfterDestroyRoom]\n"
        ));
        let reply = if i % 3 == 1 && i < 24 {
            fail(70009, "signature verification failed")
        } else if i % 3 == 0 {
            configured(
                &url,
                &[
                    "Room.CallbackAfterCreateRoom",
                    "Mic.CallbackAfterSeatInfoChanged",
                ],
            )
        } else {
            configured(
                &url,
                &[
                    "Room.CallbackAfterCreateRoom",
                    "Room.CallbackAfterDestroyRoom",
                ],
            )
        };
        live = live.room(id, with_request_id(reply, &format!("Id-{i}")));
    }
    (yaml, live)
}

/// GitHub's limit on a comment or a step summary, in characters.
const GITHUB_LIMIT: usize = 65_536;

/// The Markdown of a fleet too large to show whole: under GitHub's limit, summary
/// and fix first, failed apps before drifted ones, every table row and code fence
/// whole, and a last line counting the apps left out.
fn assert_capped_fleet_markdown(text: &str) {
    assert!(
        text.chars().count() < GITHUB_LIMIT,
        "{} characters",
        text.chars().count()
    );
    assert!(
        text.starts_with(&format!(
            "<!-- cbcheck report version {REPORT_VERSION} -->\n## cbcheck verify\n\n1000 apps checked: 658 in sync, 334 drifted, 8 failed\n\n"
        )),
        "{}",
        &text[..300]
    );
    assert!(
        text.contains("```sh\ncbcheck apply fleet.yaml\n```"),
        "every app of the file is listed: no --app for 334 of them"
    );
    assert!(text.contains("\n658 apps in sync are not listed.\n"));
    let lines: Vec<&str> = text.lines().collect();
    let first_row = lines
        .iter()
        .position(|l| l.starts_with('|'))
        .expect("a table");
    let table_len = lines[first_row..]
        .iter()
        .position(|l| !l.starts_with('|'))
        .expect("the table ends");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with('|')).count(),
        table_len,
        "one table, every row whole"
    );
    let rows = &lines[first_row + 2..first_row + table_len];
    assert!(rows.iter().all(|row| row.ends_with(" |")));
    assert!(
        rows[..8].iter().all(|row| row.contains("⚠️ failed")),
        "failed first"
    );
    assert!(rows[8..].iter().all(|row| row.contains("❌ drifted")));
    assert!(rows.len() < 342, "{} rows", rows.len());
    let sections = lines.iter().filter(|l| l.starts_with("### ")).count();
    assert_eq!(sections, rows.len(), "each listed app has its section");
    let fences = lines.iter().filter(|l| l.starts_with("```")).count();
    assert_eq!(fences % 2, 0, "every code fence is closed");
    assert_eq!(
        lines.last().copied(),
        Some(
            format!(
                "… {} more apps: see the JSON/SARIF report.",
                342 - rows.len()
            )
            .as_str()
        )
    );
    assert!(!text.contains("hook-secret"));
}

#[test]
fn markdown_of_a_1000_app_fleet_fits_a_pull_request_comment() {
    let dir = fleet("fleet-1000");
    let (yaml, live) = big_fleet(1000);
    dir.write("fleet.yaml", yaml);
    dir.write("live.json", live.to_string());
    let args = [
        "verify",
        "fleet.yaml",
        "--live-from",
        "live.json",
        "--format",
    ];
    let markdown = run(&dir, &[&args[..], &["markdown"]].concat(), &[]);
    assert_eq!(markdown.code, Some(3), "{}", markdown.stderr);
    assert_eq!(markdown.stderr, "");
    assert_capped_fleet_markdown(&markdown.stdout);

    let summary = dir.join("step-summary.md");
    std::fs::write(&summary, "").expect("summary");
    let github = run(
        &dir,
        &[&args[..], &["github"]].concat(),
        &[("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8 path"))],
    );
    assert_eq!(github.code, Some(3), "{}", github.stderr);
    let written = std::fs::read_to_string(&summary).expect("summary written");
    assert_capped_fleet_markdown(&written);
    assert_eq!(
        written, markdown.stdout,
        "the step summary is the same report"
    );
}

/// An invalid file is what a stranger's pull request most often brings: its report,
/// however many diagnostics, fits a comment and the step summary too.
#[test]
fn markdown_of_a_file_with_thousands_of_errors_fits_a_pull_request_comment() {
    let dir = fleet("invalid-5000");
    let apps: String = (0..5000)
        .map(|i| format!("  - name: bad{i}\n    sdkappid: {i}\n    region: nowhere\n"))
        .collect();
    dir.write("bad.yaml", format!("version: 1\napps:\n{apps}"));
    let args = ["verify", "bad.yaml", "--format"];
    let json = run(&dir, &[&args[..], &["json"]].concat(), &[]);
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    // The first 1,000 are listed, the last one counts the rest.
    let listed = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed.len(), 1001);
    let count = |severity: &str| listed[1000]["omitted"][severity].as_u64().unwrap_or(0);
    let total = 1000 + usize::try_from(count("errors") + count("warnings")).expect("a count");
    assert!(total >= 5000, "{total} diagnostics");
    let markdown = run(&dir, &[&args[..], &["markdown"]].concat(), &[]);
    assert_eq!(markdown.code, Some(2), "{}", markdown.stderr);
    let summary = dir.join("step-summary.md");
    std::fs::write(&summary, "").expect("summary");
    let github = run(
        &dir,
        &[&args[..], &["github"]].concat(),
        &[("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8 path"))],
    );
    assert_eq!(github.code, Some(2), "{}", github.stderr);
    let written = std::fs::read_to_string(&summary).expect("summary written");
    assert_eq!(
        written, markdown.stdout,
        "the step summary is the same report"
    );
    let text = markdown.stdout;
    assert!(
        text.encode_utf16().count() < GITHUB_LIMIT,
        "{} characters",
        text.encode_utf16().count()
    );
    let lines: Vec<&str> = text.lines().collect();
    let rows = lines
        .iter()
        .filter(|l| l.starts_with("| bad\\.yaml |"))
        .count();
    assert!(rows > 0 && rows < total, "{rows} rows");
    assert!(
        lines
            .iter()
            .filter(|l| l.starts_with("| "))
            .all(|l| l.ends_with(" |"))
    );
    assert_eq!(
        lines.last().copied(),
        Some(
            format!(
                "… {} more problems: see the JSON/SARIF report.",
                total - rows
            )
            .as_str()
        ),
        "{}",
        &text[text.len() - 300..]
    );
}

#[test]
fn the_human_summary_names_the_apply_command_and_the_body_says_it_is_redacted() {
    let dir = fleet("human-fix");
    let out = run(&dir, &["verify", FILE, "--live-from", "live.json"], &[]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let (_, after) = out
        .stderr
        .split_once("3 apps checked: 1 in sync, 1 drifted, 1 failed, 1 warning\n")
        .expect("the summary line");
    assert!(
        after.starts_with(
            "To fix the drifted app, run:\n  cbcheck apply 'prod,eu.yaml' --app drifted\n"
        ),
        "{after}"
    );
    assert!(
        out.stderr.contains("shown as ***") && out.stderr.contains("--show-secrets"),
        "{}",
        out.stderr
    );
    assert_snapshot!("human_fix", out.stderr);
}

#[test]
fn with_show_secrets_the_body_is_the_real_one_and_no_note_is_added() {
    let dir = fleet("shown-fix");
    let out = dir
        .cbcheck()
        .args([
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--show-secrets",
            "--report",
            "markdown=out.md",
            "--format",
            "json",
        ])
        .run();
    out.code(3).stderr_is("");
    let json = out.stdout_json();
    assert_eq!(json["apps"][1]["remediation"]["redacted"], false);
    assert_eq!(
        json["apps"][1]["remediation"]["body"]["Url"],
        "https://hooks.example.com/b?token=hook-secret"
    );
    let markdown = dir.read("out.md");
    assert!(markdown.contains("token=hook-secret"), "{markdown}");
    assert!(!markdown.contains("***"), "{markdown}");

    let redacted = verify(&dir, "json");
    let json: Value = serde_json::from_str(&redacted.stdout).expect("JSON");
    assert_eq!(json["apps"][1]["remediation"]["redacted"], true);
}

/// One flow mapping of 5,000 unknown keys (the shape of a file that amplifies to
/// gigabytes at 4 MiB): every format lists the first 1,000 problems, then one that
/// counts the rest, and the counts stay true.
#[test]
fn a_file_of_thousands_of_problems_lists_the_first_thousand_and_counts_the_rest() {
    let dir = fleet("unknown-5000");
    let keys: String = (0..5000).map(|i| format!(", k{i}: 1")).collect();
    let yaml = format!(
        "version: 1\napps:\n  - {{name: prod, sdkappid: 1400000001, region: singapore, identifier: admin, callback: {{url: 'https://hooks.example.com/cb', commands: [Room.CallbackAfterCreateRoom]}}{keys}}}\n"
    );
    dir.write("keys.yaml", &yaml);
    const NOTE: &str =
        "… and 4,000 more problems not shown (4,000 errors): only a file's first 1,000 are listed";
    const CODE: &str = "cbcheck::config::too-many-problems";
    let listed = |problems: &Value| {
        let problems = problems.as_array().cloned().unwrap_or_default();
        assert_eq!(problems.len(), 1001);
        let last = &problems[1000];
        assert_eq!(
            (&last["code"], &last["message"], &last["omitted"]),
            (
                &json!(CODE),
                &json!(NOTE),
                &json!({"errors": 4000, "warnings": 0})
            ),
        );
        assert!(
            problems[..1000]
                .iter()
                .all(|p| p["code"] == "cbcheck::config::unknown-key" && p.get("omitted").is_none())
        );
    };

    let json = run(&dir, &["lint", "keys.yaml", "--format", "json"], &[]);
    assert_eq!(json.code, Some(2), "{}", json.stderr);
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        (
            &report["files"][0]["errors"],
            &report["files"][0]["warnings"]
        ),
        (&json!(5000), &json!(0))
    );
    listed(&report["files"][0]["diagnostics"]);

    let human = run(&dir, &["lint", "keys.yaml"], &[]);
    let text = format!("{}{}", human.stdout, human.stderr);
    assert_eq!(text.matches("unknown-key").count(), 1000);
    assert_eq!(
        text.matches(NOTE).count(),
        1,
        "{}",
        &text[text.len() - 2000..]
    );
    assert!(text.contains("keys.yaml: invalid: 5000 errors"));
    let quiet = run(&dir, &["lint", "keys.yaml", "--quiet"], &[]);
    let text = format!("{}{}", quiet.stdout, quiet.stderr);
    assert_eq!(text.lines().count(), 1002, "{}", &text[text.len() - 2000..]);
    assert!(text.contains(&format!("error[too-many-problems]: {NOTE}")));

    let github = run(&dir, &["lint", "keys.yaml", "--format", "github"], &[]);
    assert_eq!(
        github
            .stdout
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count(),
        1001
    );
    let sarif = run(&dir, &["lint", "keys.yaml", "--format", "sarif"], &[]);
    let sarif: Value = serde_json::from_str(&sarif.stdout).expect("SARIF");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(1001)
    );

    // The pull-request recipe, with every other report beside it.
    let verify = run(
        &dir,
        &[
            "verify",
            "keys.yaml",
            "--format",
            "github",
            "--report",
            "sarif=out.sarif",
            "--report",
            "json=out.json",
            "--report",
            "junit=out.xml",
            "--report",
            "markdown=out.md",
        ],
        &[],
    );
    assert_eq!(verify.code, Some(2), "{}", verify.stderr);
    assert_eq!(
        verify
            .stdout
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count(),
        1001
    );
    assert!(
        verify
            .stdout
            .contains("no app was checked: keys.yaml is invalid (5000 errors)"),
        "{}",
        &verify.stdout[verify.stdout.len() - 500..]
    );
    assert_eq!(verify.stderr.matches("unknown-key").count(), 1000);
    assert_eq!(verify.stderr.matches(NOTE).count(), 1);
    let read = |name: &str| dir.read(name);
    let report: Value = serde_json::from_str(&read("out.json")).expect("JSON");
    listed(&report["diagnostics"]);
    let sarif: Value = serde_json::from_str(&read("out.sarif")).expect("SARIF");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(1001)
    );
    let junit = read("out.xml");
    assert_eq!(junit.matches("<testcase ").count(), 1001);
    assert!(junit.contains("4,000 more problems not shown"));
    // Bounded by what 1,000 problems take, not by the file's count: under 1 KiB each.
    for (what, size) in [
        ("stdout", verify.stdout.len()),
        ("stderr", verify.stderr.len()),
        ("sarif", read("out.sarif").len()),
        ("json", read("out.json").len()),
        ("junit", junit.len()),
    ] {
        assert!(size < 1001 * 1024, "{what}: {size} bytes");
    }
    // The comment counts every problem it leaves out, not only the listed ones.
    let markdown = read("out.md");
    let rows = markdown
        .lines()
        .filter(|l| l.starts_with(r"| keys\.yaml |"))
        .count();
    assert!(
        markdown.ends_with(&format!(
            "… {} more problems: see the JSON/SARIF report.\n",
            5000 - rows
        )),
        "{}",
        &markdown[markdown.len() - 300..]
    );
}

#[test]
fn a_report_goes_to_stdout_with_a_dash_and_only_one_output_may() {
    let dir = fleet("report-dash");
    let out = run(
        &dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--report",
            "json=-",
        ],
        &[],
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert_eq!(out.stdout_json()["summary"]["apps"], 3);
    assert!(out.stderr.contains("3 apps checked"), "{}", out.stderr);
    assert!(!dir.join("-").exists(), "no file named -");
    for (args, message) in [
        (
            &["--report", "json=-", "--report", "sarif=-"][..],
            "--report json=- and --report sarif=- both write to standard output",
        ),
        (
            &["--format", "sarif", "--report", "json=-"][..],
            "--report json=- writes to standard output, where --format sarif goes already",
        ),
    ] {
        let refused = run(
            &dir,
            &[&["verify", FILE, "--live-from", "live.json"][..], args].concat(),
            &[],
        );
        assert_eq!(refused.code, Some(2), "{args:?}: {}", refused.stderr);
        assert!(refused.stderr.contains(message), "{}", refused.stderr);
        assert_eq!(refused.stdout, "", "{args:?}: nothing is checked");
    }
}

#[test]
fn quiet_lists_apps_in_sync_with_their_warnings() {
    let dir = fleet("quiet-warnings");
    let out = run(
        &dir,
        &["verify", FILE, "--live-from", "live.json", "-q"],
        &[],
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("warnings  in-sync        1400000001  1 unexpected_command\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_suggested_apply_keeps_the_runs_network_flags() {
    let dir = fleet("apply-flags");
    let out = run(
        &dir,
        &[
            "verify",
            FILE,
            "--live-from",
            "live.json",
            "--allow-endpoint",
            "hooks.internal.example:8443",
        ],
        &[],
    );
    assert!(
        out.stderr.contains(
            "cbcheck apply 'prod,eu.yaml' --app drifted --allow-endpoint hooks.internal.example:8443\n"
        ),
        "{}",
        out.stderr
    );
}

/// The terminal's copy of a report is written in pieces (app by app, blocks of lines)
/// and a `--report` file whole: the same bytes, whatever the format.
#[test]
fn a_report_written_in_pieces_is_the_report_written_whole() {
    let dir = fleet("pieces");
    for format in ["human", "json", "sarif", "github", "junit", "markdown"] {
        let file = format!("whole.{format}");
        let out = Cmd::new()
            .current_dir(&dir)
            .args([
                "verify",
                FILE,
                "--live-from",
                "live.json",
                "--format",
                format,
            ])
            .args(["--report", &format!("{format}={file}")])
            .env_remove("GITHUB_STEP_SUMMARY")
            .hides("hook-secret")
            .run();
        assert_eq!(out.code, Some(3), "{format}: {}", out.stderr);
        let terminal = if format == "human" {
            &out.stderr
        } else {
            &out.stdout
        };
        assert_eq!(*terminal, dir.read(&file), "{format}");
    }
}
