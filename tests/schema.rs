//! The committed JSON Schema: fresh, strict, and accepting every example.

use crate::support::cmd::read;
use crate::support::{Cmd, load, repo_path};

/// The committed text of `schemas/<name>.schema.json`.
fn committed(name: &str) -> String {
    read(&repo_path(&format!("schemas/{name}.schema.json")))
}

fn committed_schema() -> serde_json::Value {
    serde_json::from_str(&committed("callbacks")).expect("the committed schema is JSON")
}

/// The committed `schemas/<name>.schema.json` is what the code generates.
#[track_caller]
fn assert_fresh(name: &str, generated: &str, flag: &str) {
    assert!(
        committed(name) == generated,
        "schemas/{name}.schema.json is stale: run `cargo run -- schema{flag} > schemas/{name}.schema.json`"
    );
}

fn yaml_as_json(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).expect("example is YAML")
}

#[test]
fn committed_schema_is_not_stale() {
    assert_fresh("callbacks", &cbcheck::testing::config_schema_json(), "");
}

#[test]
fn committed_report_schema_is_not_stale() {
    assert_fresh(
        "report",
        &cbcheck::testing::report_schema_json(),
        " --report",
    );
}

#[test]
fn committed_plan_schema_is_not_stale() {
    assert_fresh("plan", &cbcheck::testing::plan_schema_json(), " --plan");
}

#[test]
fn committed_apply_schema_is_not_stale() {
    assert_fresh("apply", &cbcheck::testing::apply_schema_json(), " --apply");
}

#[test]
fn every_example_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("a valid JSON Schema");
    let mut seen = 0;
    for entry in std::fs::read_dir(repo_path("examples")).expect("examples/ exists") {
        let path = entry.expect("readable dir").path();
        if path.extension().is_some_and(|e| e == "yaml")
            && !path.to_string_lossy().contains(".github")
        {
            let text = read(&path);
            assert!(
                text.starts_with("# yaml-language-server: $schema="),
                "{} lacks the schema modeline",
                path.display()
            );
            let errors: Vec<String> = validator
                .iter_errors(&yaml_as_json(&text))
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            seen += 1;
        }
    }
    assert!(
        seen >= 2,
        "expected the minimal and the fleet example, saw {seen}"
    );
}

#[test]
fn schema_refuses_what_validation_refuses() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("a valid JSON Schema");
    let base = "version: 1\napps:\n  - sdkappid: 1400000001\n    region: singapore\n    identifier: admin\n    callback:\n      url: https://h.example.com/cb\n      commands: [Room.CallbackAfterCreateRoom]\n";
    assert!(
        validator.is_valid(&yaml_as_json(base)),
        "the base document is valid"
    );
    let broken = [
        ("version 2", base.replace("version: 1", "version: 2")),
        ("unknown key", base.replace("commands:", "comands:")),
        ("unknown top key", format!("{base}extra: 1\n")),
        ("unknown region", base.replace("singapore", "singapur")),
        (
            "unknown command",
            base.replace(
                "Room.CallbackAfterCreateRoom",
                "Room.CallbackBeforeCreateRoom",
            ),
        ),
        ("sdkappid 0", base.replace("1400000001", "0")),
        (
            "sdkappid as string",
            base.replace("1400000001", "'1400000001'"),
        ),
        (
            "non-http url",
            base.replace("https://h.example.com/cb", "ftp://h.example.com/cb"),
        ),
        ("empty apps", "version: 1\napps: []\n".to_owned()),
        (
            "missing callback",
            base.split("    callback:")
                .next()
                .unwrap_or_default()
                .to_owned(),
        ),
        (
            "null option",
            base.replace("identifier: admin", "identifier: ~"),
        ),
        (
            "bad env name",
            base.replace(
                "identifier: admin",
                "identifier: admin\n    secret_key_env: 1-BAD",
            ),
        ),
        (
            "name of digits only",
            base.replace(
                "identifier: admin",
                "identifier: admin\n    name: '1400000002'",
            ),
        ),
        (
            "bad policy",
            base.replace(
                "identifier: admin",
                "identifier: admin\n    extra_commands: warning",
            ),
        ),
    ];
    for (what, doc) in broken {
        assert!(
            !validator.is_valid(&yaml_as_json(&doc)),
            "schema accepted: {what}"
        );
        assert!(load(&doc).errors() > 0, "validation accepted: {what}");
    }
}

#[test]
fn schema_takes_each_service_words_from_its_catalog() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("a valid JSON Schema");
    let app = |service: &str, words: &str| {
        format!(
            "version: 1\napps:\n  - sdkappid: 1400000001\n    region: singapore\n    identifier: admin\n{service}    callback:\n      url: https://h.example.com/cb\n      commands: [{words}]\n"
        )
    };
    for (service, words, valid) in [
        ("", "Room.CallbackAfterCreateRoom", true),
        ("    service: room\n", "Room.CallbackAfterCreateRoom", true),
        ("    service: room\n", "Live.CallbackAfterCreateRoom", false),
        (
            "    service: live\n",
            "Live.CallbackAfterCreateRoom, Mic.CallbackAfterSeatInfoChanged",
            true,
        ),
        ("    service: live\n", "Room.CallbackAfterCreateRoom", false),
        (
            "    service: call\n",
            "Call.CallbackAfterMemberChanged",
            true,
        ),
        (
            "    service: call\n",
            "Mic.CallbackAfterSeatInfoChanged",
            false,
        ),
        (
            "    service: video\n",
            "Room.CallbackAfterCreateRoom",
            false,
        ),
        (
            "    service: live\n    token_auth: disabled\n",
            "Live.CallbackAfterEndBattle",
            true,
        ),
    ] {
        let doc = app(service, words);
        assert_eq!(validator.is_valid(&yaml_as_json(&doc)), valid, "{doc}");
    }
}

#[test]
fn committed_lint_schema_is_not_stale() {
    assert_fresh("lint", &cbcheck::testing::lint_schema_json(), " --lint");
}

#[test]
fn the_schema_command_prints_each_committed_schema() {
    for (flag, path) in [
        (None, "schemas/callbacks.schema.json"),
        (Some("--report"), "schemas/report.schema.json"),
        (Some("--plan"), "schemas/plan.schema.json"),
        (Some("--apply"), "schemas/apply.schema.json"),
        (Some("--lint"), "schemas/lint.schema.json"),
    ] {
        Cmd::new()
            .arg("schema")
            .args(flag)
            .run()
            .code(0)
            .stdout_is(&read(&repo_path(path)));
    }
}
