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
