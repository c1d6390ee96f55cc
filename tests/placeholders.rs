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
        assert!(
            loaded.diagnostics.is_empty(),
            "{url}:\n{}",
            rendered(&loaded)
        );
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
        (
            "https://h.example.com/cb?t=${9A}",
            39,
            "not a variable name",
        ),
        (
            "'https://h.example.com/cb?t=${A-B}'",
            40,
            "not a variable name",
        ),
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
                assert!(
                    !text.contains(VALUE),
                    "{format} {show:?} shows the value:\n{text}"
                );
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
                    format == "junit"
                        || all.contains("differs in the value of query parameter `token`")
                        // Markdown shows data's backticks as text.
                        || all.contains("differs in the value of query parameter \\`token\\`"),
                    "{format}: {all}"
                );
            }
        }
    }
}

/// The vendor's side for the round trip: one configuration per SDKAppID, and every
/// write body received.
#[derive(Clone, Default)]
struct Vendor {
    live: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<u64, serde_json::Value>>>,
    written: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl wiremock::Respond for Vendor {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let id: u64 = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "sdkappid")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let ok = |response: Option<serde_json::Value>| {
            let mut body = serde_json::json!({"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "r"});
            if let Some(response) = response {
                body["Response"] = response;
            }
            wiremock::ResponseTemplate::new(200).set_body_json(body)
        };
        let mut live = self.live.lock().expect("lock");
        if request.url.path().ends_with("/get_callback") {
            return match live.get(&id) {
                Some(config) => ok(Some(config.clone())),
                None => wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!(
                    {"ErrorCode": 100_301, "ErrorInfo": "none", "ActionStatus": "FAIL", "RequestId": "r"})),
            };
        }
        let body: serde_json::Value =
            serde_json::from_slice(&request.body).unwrap_or(serde_json::Value::Null);
        self.written.lock().expect("lock").push(body.clone());
        live.insert(id, body);
        ok(None)
    }
}

fn live_config(url: &str) -> serde_json::Value {
    serde_json::json!({"Url": url, "CallbackCommandList": ["Room.CallbackAfterCreateRoom"]})
}

const ADMIN_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const VARIABLE: &str = "CBCHECK_1400000001_TOKEN";

/// Run the binary against the fake vendor; `token`: the value of VARIABLE.
async fn against(
    dir: &std::path::Path,
    server: &wiremock::MockServer,
    token: Option<&str>,
    args: &[&str],
) -> Output {
    let mut cmd = cbcheck();
    cmd.current_dir(dir)
        .args(args)
        .args(["--endpoint", &server.uri()])
        .env("CBCHECK_SECRET_KEY", ADMIN_KEY);
    match token {
        Some(token) => cmd.env(VARIABLE, token),
        None => cmd.env_remove(VARIABLE),
    };
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn assert_never_shown(what: &str, out: &Output) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(VALUE),
            "{what} {stream} shows the value:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_round_trips_through_export_verify_and_apply_unseen() {
    let vendor = Vendor::default();
    {
        let mut live = vendor.live.lock().expect("lock");
        live.insert(
            1_400_000_001,
            live_config(&format!("https://hooks.example.com/cb?token={VALUE}&v=2")),
        );
        live.insert(
            1_400_000_002,
            live_config("https://hooks.example.com/plain"),
        );
    }
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(vendor.clone())
        .mount(&server)
        .await;
    let dir = workdir("round_trip");
    let _ = std::fs::remove_file(dir.join("callbacks.yaml"));

    // export: the token becomes a placeholder, and stderr says which variable to set.
    let ids = [
        "export",
        "--sdkappid",
        "1400000001",
        "--sdkappid",
        "1400000002",
        "--region",
        "singapore",
    ];
    let out = against(
        &dir,
        &server,
        None,
        &[&ids[..], &["-o", "callbacks.yaml"]].concat(),
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_never_shown("export", &out);
    let file = std::fs::read_to_string(dir.join("callbacks.yaml")).expect("written");
    assert!(!file.contains(VALUE), "{file}");
    assert!(
        file.contains("url: https://hooks.example.com/cb?token=${CBCHECK_1400000001_TOKEN}&v=2"),
        "{file}"
    );
    assert!(
        out.stderr.contains(&format!("set {VARIABLE}")) && out.stderr.contains("`token`"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("carries query values"),
        "{}",
        out.stderr
    );
    // --literal-urls keeps the value, for those who want it in the file.
    let literal = against(
        &dir,
        &server,
        None,
        &[&ids[..], &["--literal-urls"]].concat(),
    )
    .await;
    assert_eq!(literal.code, Some(0), "{}", literal.stderr);
    assert!(
        literal.stdout.contains(&format!("token={VALUE}")),
        "{}",
        literal.stdout
    );

    // lint needs no variable; verify with it set is in sync, without it fails the app.
    let lint = cbcheck()
        .current_dir(&dir)
        .env_remove(VARIABLE)
        .args(["lint", "callbacks.yaml"])
        .output()
        .expect("runs");
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let out = against(&dir, &server, Some(VALUE), &["verify", "callbacks.yaml"]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("2 apps checked: 2 in sync"),
        "{}",
        out.stderr
    );
    assert_never_shown("verify", &out);
    let out = against(&dir, &server, None, &["verify", "callbacks.yaml"]).await;
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains(VARIABLE), "{}", out.stderr);

    // export --from needs the value to compare, and writes nothing without it.
    let out = against(&dir, &server, None, &["export", "--from", "callbacks.yaml"]).await;
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains(VARIABLE), "{}", out.stderr);
    // export --from a file with the placeholder keeps it.
    let out = against(
        &dir,
        &server,
        Some(VALUE),
        &["export", "--from", "callbacks.yaml"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_never_shown("export --from", &out);
    assert!(
        out.stdout.contains("token=${CBCHECK_1400000001_TOKEN}&v=2"),
        "{}",
        out.stdout
    );

    // Someone rotates the live token: every output of every format, report files
    // included, shows the drift without the value, --show-secrets or not.
    vendor.live.lock().expect("lock").insert(
        1_400_000_001,
        live_config("https://hooks.example.com/cb?token=rotated0ut0fband&v=2"),
    );
    let reports = ["json", "sarif", "junit", "markdown", "github"];
    for show in [&[][..], &["--show-secrets"][..]] {
        for format in ["human", "json", "sarif", "junit", "markdown", "github"] {
            let mut args = vec!["verify", "callbacks.yaml", "--format", format];
            let paths: Vec<String> = reports.iter().map(|r| format!("{r}={r}.out")).collect();
            for path in &paths {
                args.extend(["--report", path.as_str()]);
            }
            args.extend(show);
            let out = against(&dir, &server, Some(VALUE), &args).await;
            assert_eq!(out.code, Some(1), "{format} {show:?}: {}", out.stderr);
            assert_never_shown(&format!("verify --format {format} {show:?}"), &out);
            for report in reports {
                let text = std::fs::read_to_string(dir.join(format!("{report}.out")))
                    .expect("report written");
                assert!(!text.contains(VALUE), "{report} report {show:?}:\n{text}");
            }
        }
        let mut args = vec!["apply", "callbacks.yaml", "--dry-run"];
        args.extend(show);
        let plan = against(&dir, &server, Some(VALUE), &args).await;
        assert_eq!(plan.code, Some(1), "{}", plan.stderr);
        assert_never_shown("apply --dry-run", &plan);
        assert!(
            plan.stderr.contains("token=${CBCHECK_1400000001_TOKEN}"),
            "{}",
            plan.stderr
        );
    }
    // Without the variable, apply leaves the app alone, naming the variable.
    let out = against(&dir, &server, None, &["apply", "callbacks.yaml", "--yes"]).await;
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains(VARIABLE), "{}", out.stderr);
    assert!(vendor.written.lock().expect("lock").is_empty());

    // apply sends the real value, and shows it nowhere.
    let out = against(
        &dir,
        &server,
        Some(VALUE),
        &["apply", "callbacks.yaml", "--yes", "--show-secrets"],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_never_shown("apply --yes", &out);
    let written = vendor.written.lock().expect("lock").clone();
    assert_eq!(
        written,
        [live_config(&format!(
            "https://hooks.example.com/cb?token={VALUE}&v=2"
        ))]
    );
    let out = against(&dir, &server, Some(VALUE), &["verify", "callbacks.yaml"]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(200))]

    /// Whatever follows `${` and `$`, the loader answers with a valid file or
    /// diagnostics, never a panic; a placeholder problem is an interpolation error.
    #[test]
    fn any_dollar_and_brace_text_in_the_url_is_diagnosed(tail in "[${}a_1é?=&]{0,12}") {
        let loaded = load(&with_url(&format!("'https://h.example.com/cb?t={tail}'")));
        let _ = rendered(&loaded);
        for d in &loaded.diagnostics {
            proptest::prop_assert!(
                matches!(d.rule.name(), "interpolation" | "invalid-url"),
                "{tail}: {}",
                d.rule.code()
            );
        }
    }
}

/// Every `%XX` escape decoded (either case), so that a value hidden behind another
/// spelling of the same bytes is still found.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_value_spelt_with_other_percent_escapes_live_is_still_hidden() {
    // A token with characters URLs escape, in the path (never masked), and the vendor
    // echoing it with escapes of its own: lowercase, or only some characters escaped.
    const TOKEN: &str = "hK7w+Q2r/Z9x=Lm4";
    let dir = workdir("escaped");
    std::fs::write(
        dir.join("callbacks.yaml"),
        TWO_APPS.replace(
            "https://hooks.example.com/cb?token=${HOOK_TOKEN}&v=2",
            "https://hooks.example.com/${HOOK_TOKEN}/cb?token=${HOOK_TOKEN}&v=2",
        ),
    )
    .expect("write");
    for live in [
        "hK7w%2bQ2r%2fZ9x%3dLm4",
        "hK7w%2BQ2r/Z9x=Lm4",
        "hK7w+Q2r%2FZ9x%3DLm4",
    ] {
        let snapshot = serde_json::json!({
            "1400000001": {"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "r1",
                "Response": {"Url": format!("https://hooks.example.com/{live}/x?token={live}&v=2"),
                    "CallbackCommandList": ["Room.CallbackAfterCreateRoom"]}},
            "1400000002": {"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "r2",
                "Response": {"Url": "https://hooks.example.com/plain",
                    "CallbackCommandList": ["Room.CallbackAfterCreateRoom"]}},
        });
        std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("write");
        for show in [&[][..], &["--show-secrets"][..]] {
            for format in ["human", "json", "markdown"] {
                let mut args = vec!["--format", format];
                args.extend(show);
                let out = verify_live_from(&dir, Some(TOKEN), &args);
                assert_eq!(
                    out.code,
                    Some(1),
                    "{live} {format} {show:?}: {}",
                    out.stderr
                );
                for text in [&out.stdout, &out.stderr] {
                    assert!(
                        !percent_decoded(text).contains(TOKEN),
                        "{live} {format} {show:?} shows the value:\n{text}"
                    );
                }
            }
        }
    }
}

/// A stranger's file can name any variable in its URL: one that holds a credential
/// makes the file invalid, refused before any request, so `apply` never makes the
/// admin key part of a callback URL (stored by the vendor, sent with every event).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_variable_is_never_expanded_into_a_url() {
    let vendor = Vendor::default();
    vendor
        .live
        .lock()
        .expect("lock")
        .insert(1_400_000_001, live_config("https://hooks.example.com/cb"));
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(vendor.clone())
        .mount(&server)
        .await;
    let dir = workdir("credential");
    for variable in [
        "CBCHECK_SECRET_KEY",
        "CBCHECK_SECRET_KEY_1400000001",
        "CBCHECK_USERSIG_1400000009",
    ] {
        std::fs::write(
            dir.join("callbacks.yaml"),
            TWO_APPS
                .replace("${HOOK_TOKEN}", &format!("${{{variable}}}"))
                .replace(
                    "      url: https://hooks.example.com/plain\n",
                    "      url: https://hooks.example.com/cb\n",
                ),
        )
        .expect("write");
        let mut cmd = cbcheck();
        cmd.current_dir(&dir)
            .args([
                "apply",
                "callbacks.yaml",
                "--yes",
                "--endpoint",
                &server.uri(),
            ])
            .env("CBCHECK_SECRET_KEY", ADMIN_KEY)
            .env("CBCHECK_SECRET_KEY_1400000001", ADMIN_KEY)
            .env("CBCHECK_USERSIG_1400000009", ADMIN_KEY);
        let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
            .await
            .expect("joins");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{variable}: {stderr}");
        assert!(stderr.contains(&format!("${{{variable}}}")), "{stderr}");
        assert!(stderr.contains("credential"), "{stderr}");
        assert!(
            server
                .received_requests()
                .await
                .unwrap_or_default()
                .is_empty(),
            "{variable}: a request was made"
        );
        let written = vendor.written.lock().expect("lock").clone();
        assert!(
            written
                .iter()
                .all(|body| !body.to_string().contains(ADMIN_KEY)),
            "{variable}: the key was sent as part of a URL: {written:?}"
        );
    }
}

const KEY_IN_URL: &str = "cbcheck::config::key-in-url";

/// `prod` takes its key from `TRTC_PROD_KEY`; `sandbox`'s URL (line 15, `${` at
/// column 42) names `variable`.
fn sandbox_naming(variable: &str) -> String {
    format!(
        "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: prod
    sdkappid: 1400000001
    secret_key_env: TRTC_PROD_KEY
    callback:
      url: https://hooks.example.com/prod
      commands: [Room.CallbackAfterCreateRoom]
  - name: sandbox
    sdkappid: 1400000002
    callback:
      url: https://attacker.example/cb?k=${{{variable}}}
      commands: [Room.CallbackAfterCreateRoom]
"
    )
}

/// Any variable a key comes from, in any letter case, is refused offline at the
/// placeholder: another app's `secret_key_env`, cbcheck's own key variables, and the
/// key sources planned next.
#[test]
fn a_placeholder_naming_any_key_source_is_an_error_at_its_column() {
    for variable in [
        "TRTC_PROD_KEY",
        "trtc_prod_key",
        "Trtc_Prod_Key",
        "CBCHECK_SECRET_KEY",
        "cbcheck_secret_key",
        "CBCHECK_SECRET_KEY_1400000001",
        "cbcheck_usersig",
        "CBCHECK_USERSIG_1400000009",
        "CBCHECK_SECRET_KEYS",
        "CBCHECK_SECRET_KEYS_FILE",
        "cbcheck_secret_key_command",
    ] {
        let loaded = load(&sandbox_naming(variable));
        let human = rendered(&loaded);
        assert_eq!(codes_and_lines(&loaded), [(KEY_IN_URL, 15)], "{human}");
        assert!(
            human.contains("callbacks.yaml:15:42"),
            "{variable}:\n{human}"
        );
        assert!(human.contains(&format!("${{{variable}}}")), "{human}");
        assert!(
            loaded.config.is_none(),
            "{variable}: the file must be invalid"
        );
    }
    for fine in ["HOOK_TOKEN", "TRTC_PROD_KEY_ID", "CBCHECK_1400000002_TOKEN"] {
        let loaded = load(&sandbox_naming(fine));
        assert!(
            loaded.diagnostics.is_empty(),
            "{fine}:\n{}",
            rendered(&loaded)
        );
    }
    // The app's own variable, whatever its case in the file.
    let own = sandbox_naming("sandbox_key").replace(
        "    sdkappid: 1400000002\n",
        "    sdkappid: 1400000002\n    secret_key_env: SANDBOX_KEY\n",
    );
    assert_eq!(codes_and_lines(&load(&own)), [(KEY_IN_URL, 16)]);
    assert_snapshot!(
        "placeholder_key_in_url",
        rendered(&load(&sandbox_naming("trtc_prod_key")))
    );
}

/// `prod.yaml` declares the key variable, `sandbox.yaml` names it: lint sees both
/// files, in either order, and reports the placeholder in the one that names it.
#[test]
fn lint_refuses_a_key_variable_declared_in_another_file() {
    let dir = workdir("key_across_files");
    let text = sandbox_naming("trtc_prod_key");
    let (prod, sandbox) = text.split_at(text.find("  - name: sandbox").expect("two apps"));
    std::fs::write(dir.join("prod.yaml"), prod).expect("write");
    std::fs::write(
        dir.join("sandbox.yaml"),
        format!("version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n{sandbox}"),
    )
    .expect("write");
    for files in [["prod.yaml", "sandbox.yaml"], ["sandbox.yaml", "prod.yaml"]] {
        let output = cbcheck()
            .current_dir(&dir)
            .arg("lint")
            .args(files)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{files:?}: {stderr}");
        assert!(stderr.contains("sandbox.yaml:9:42"), "{files:?}: {stderr}");
        assert!(stderr.contains("key-in-url"), "{stderr}");
        assert!(stderr.contains("prod.yaml: valid"), "{stderr}");

        let output = cbcheck()
            .current_dir(&dir)
            .args(["lint", "--format", "json"])
            .args(files)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let found: Vec<_> = report["files"]
            .as_array()
            .expect("files")
            .iter()
            .flat_map(|f| f["diagnostics"].as_array().cloned().unwrap_or_default())
            .map(|d| (d["code"].clone(), d["line"].clone(), d["column"].clone()))
            .collect();
        assert_eq!(
            found,
            [(
                serde_json::json!(KEY_IN_URL),
                serde_json::json!(9),
                serde_json::json!(42)
            )],
            "{report:#}"
        );
    }
}

/// verify, apply (with its plans) and export refuse the file before any request:
/// the fake vendor receives nothing, and the key appears in no output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_variable_in_a_url_stops_every_command_before_any_request() {
    const PROD_KEY: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9";
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(Vendor::default())
        .mount(&server)
        .await;
    let dir = workdir("key_in_url");
    let text = sandbox_naming("trtc_prod_key");
    std::fs::write(dir.join("both.yaml"), &text).expect("write");
    let (prod, sandbox) = text.split_at(text.find("  - name: sandbox").expect("two apps"));
    std::fs::write(dir.join("prod.yaml"), prod).expect("write");
    std::fs::write(
        dir.join("sandbox.yaml"),
        format!("version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n{sandbox}"),
    )
    .expect("write");
    let plan = dir.join("plan.json");
    let _ = std::fs::remove_file(&plan);
    for args in [
        &["verify", "both.yaml"][..],
        &["verify", "prod.yaml", "sandbox.yaml", "--format", "json"],
        &["verify", "sandbox.yaml", "prod.yaml", "--app", "sandbox"],
        &["apply", "prod.yaml", "sandbox.yaml", "--yes"],
        &[
            "apply",
            "both.yaml",
            "--app",
            "1400000002",
            "--yes",
            "--show-secrets",
        ],
        &[
            "apply",
            "prod.yaml",
            "sandbox.yaml",
            "--dry-run",
            "--format",
            "json",
        ],
        &["export", "--from", "both.yaml"],
        &["export", "--from", "both.yaml", "--literal-urls"],
    ] {
        let mut cmd = cbcheck();
        cmd.current_dir(&dir)
            .args(args)
            .args(["--endpoint", &server.uri()])
            .env("TRTC_PROD_KEY", PROD_KEY)
            .env("trtc_prod_key", PROD_KEY)
            .env("CBCHECK_SECRET_KEY", ADMIN_KEY);
        let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
            .await
            .expect("joins");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("key-in-url"), "{args:?}: {stderr}");
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains(PROD_KEY) && !text.contains(ADMIN_KEY),
                "{args:?}:\n{text}"
            );
        }
        let received = server.received_requests().await.unwrap_or_default();
        assert!(received.is_empty(), "{args:?}: {} requests", received.len());
    }
}
