//! `${NAME}` in `callback.url`: checked offline by lint, expanded from the environment
//! by verify, apply and export, and its value never shown in any output.

use insta::assert_snapshot;

use crate::support::{cbcheck, codes_and_lines, load, rendered};

const INTERPOLATION: &str = "cbcheck::config::interpolation";

/// A valid one-app file whose URL (line 9, value from column 12) is `url`.
fn with_url(url: &str) -> String {
    format!(
        "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: conference-prod
    sdkappid: 1400000001
    callback:
      url: {url}
      commands:
        - Room.CallbackAfterCreateRoom
"
    )
}

#[test]
fn placeholders_and_escapes_in_the_url_are_valid_without_the_variable() {
    for url in [
        "https://hooks.example.com/cb?token=${HOOK_TOKEN}",
        "\"https://hooks.example.com/${_PATH1}?a=${A}&b=$${literal}\"",
        "https://hooks.example.com/cb?price=$5",
    ] {
        let loaded = load(&with_url(url));
        assert!(loaded.diagnostics.is_empty(), "{url}:\n{}", rendered(&loaded));
    }
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("placeholders_lint");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(
        dir.join("callbacks.yaml"),
        with_url("https://hooks.example.com/cb?token=${HOOK_TOKEN}"),
    )
    .expect("write");
    let output = cbcheck()
        .current_dir(&dir)
        .env_remove("HOOK_TOKEN")
        .args(["lint", "callbacks.yaml"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("callbacks.yaml: valid: 1 app"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn malformed_placeholders_are_errors_at_their_column() {
    for (url, column, says) in [
        ("https://h.example.com/cb?t=${TOKEN", 39, "never closed"),
        ("https://h.example.com/cb?t=${}", 39, "empty placeholder"),
        ("https://h.example.com/cb?t=${9A}", 39, "not a variable name"),
        ("'https://h.example.com/cb?t=${A-B}'", 40, "not a variable name"),
        ("https://h.example.com/cb?a=${A}&t=${", 46, "never closed"),
    ] {
        let loaded = load(&with_url(url));
        let human = rendered(&loaded);
        assert_eq!(codes_and_lines(&loaded), [(INTERPOLATION, 9)], "{human}");
        let at = format!("callbacks.yaml:9:{column}");
        assert!(human.contains(&at), "{url}: {at} in\n{human}");
        assert!(human.contains(says), "{url}: {says} in\n{human}");
        assert!(human.contains("help:"), "{human}");
    }
    assert_snapshot!(
        "placeholder_unterminated",
        rendered(&load(&with_url("https://h.example.com/cb?t=${TOKEN")))
    );
}

#[test]
fn placeholders_outside_the_callback_url_are_errors_saying_where_they_belong() {
    let yaml = with_url("https://hooks.example.com/cb")
        .replace("identifier: administrator", "identifier: ${ADMIN}")
        .replace("name: conference-prod", "name: \"prod-${ENV}\"");
    let loaded = load(&yaml);
    let human = rendered(&loaded);
    assert_eq!(
        codes_and_lines(&loaded),
        [(INTERPOLATION, 4), (INTERPOLATION, 6)],
        "{human}"
    );
    assert!(human.contains("callbacks.yaml:4:15"), "{human}");
    assert!(human.contains("callbacks.yaml:6:17"), "{human}");
    assert!(human.contains("only in `callback.url`"), "{human}");
    assert_snapshot!("placeholder_elsewhere", human);
}

/// The value of `${HOOK_TOKEN}` in these tests, and a stale one live.
const VALUE: &str = "hK7wQ2rZ9xLm4Vb8";
const STALE: &str = "oLd0ldT0kEn5t4le";

fn workdir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("placeholders")
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Two apps: `prod` takes its token from `${HOOK_TOKEN}`, `plain` has none.
const TWO_APPS: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: prod
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/cb?token=${HOOK_TOKEN}&v=2
      commands: [Room.CallbackAfterCreateRoom]
  - name: plain
    sdkappid: 1400000002
    callback:
      url: https://hooks.example.com/plain
      commands: [Room.CallbackAfterCreateRoom]
";

fn snapshot(prod_token: &str) -> String {
    serde_json::json!({
        "1400000001": {"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "r1",
            "Response": {"Url": format!("https://hooks.example.com/cb?token={prod_token}&v=2"),
                "CallbackCommandList": ["Room.CallbackAfterCreateRoom"]}},
        "1400000002": {"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "r2",
            "Response": {"Url": "https://hooks.example.com/plain",
                "CallbackCommandList": ["Room.CallbackAfterCreateRoom"]}},
    })
    .to_string()
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn verify_live_from(dir: &std::path::Path, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = cbcheck();
    cmd.current_dir(dir)
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .args(args);
    match token {
        Some(token) => cmd.env("HOOK_TOKEN", token),
        None => cmd.env_remove("HOOK_TOKEN"),
    };
    let output = cmd.output().expect("runs");
    Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn an_unset_variable_fails_its_app_only_naming_the_variable() {
    let dir = workdir("unset");
    std::fs::write(dir.join("callbacks.yaml"), TWO_APPS).expect("write");
    std::fs::write(dir.join("live.json"), snapshot(VALUE)).expect("write");
    for token in [None, Some(""), Some("  ")] {
        let out = verify_live_from(&dir, token, &[]);
        assert_eq!(out.code, Some(3), "{token:?}: {}", out.stderr);
        assert!(out.stderr.contains("HOOK_TOKEN"), "{}", out.stderr);
        assert!(out.stderr.contains("credentials error"), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("2 apps checked: 1 in sync, 0 drifted, 1 failed"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains(VALUE) && !out.stdout.contains(VALUE));
        let json = verify_live_from(&dir, token, &["--format", "json"]);
        assert_eq!(json.code, Some(3));
        let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
        let prod = &report["apps"][0];
        assert_eq!(prod["error"]["class"], "credentials", "{report:#}");
        assert!(
            prod["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("${HOOK_TOKEN}")),
            "{report:#}"
        );
        assert_eq!(report["apps"][1]["status"], "in_sync", "{report:#}");
    }
}

#[test]
fn a_set_variable_is_compared_expanded_and_never_shown() {
    let dir = workdir("set");
    std::fs::write(dir.join("callbacks.yaml"), TWO_APPS).expect("write");
    std::fs::write(dir.join("live.json"), snapshot(VALUE)).expect("write");
    let out = verify_live_from(&dir, Some(VALUE), &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("2 apps checked: 2 in sync, 0 drifted, 0 failed"),
        "{}",
        out.stderr
    );

    // Live still has the stale token: drift, with the desired URL shown as written.
    std::fs::write(dir.join("live.json"), snapshot(STALE)).expect("write");
    for show in [&[][..], &["--show-secrets"][..]] {
        for format in ["human", "json", "github", "sarif", "junit", "markdown"] {
            let mut args = vec!["--format", format];
            args.extend(show);
            let out = verify_live_from(&dir, Some(VALUE), &args);
            assert_eq!(out.code, Some(1), "{format} {show:?}: {}", out.stderr);
            for text in [&out.stdout, &out.stderr] {
                assert!(!text.contains(VALUE), "{format} {show:?} shows the value:\n{text}");
            }
            let all = format!("{}{}", out.stdout, out.stderr);
            // Formats that show the URL at all (github's annotations do not) name the variable.
            assert!(
                !all.contains("hooks.example.com/cb") || all.contains("token=${HOOK_TOKEN}"),
                "{format} {show:?} names the variable:\n{all}"
            );
            if show.is_empty() {
                assert!(!all.contains(STALE), "{format}: {all}");
                assert!(
                    format == "junit" || all.contains("differs in the value of query parameter `token`"),
                    "{format}: {all}"
                );
            }
        }
    }
}
