//! `${NAME}` in `callback.url`: checked offline by lint, expanded from the environment
//! by verify, apply and export, and its value never shown in any output.

use insta::assert_snapshot;

use serde_json::Value;

use crate::support::text::percent_decoded;
use crate::support::vendor::{ROOM, Snapshot, Vendor, config, configured, with_request_id};
use crate::support::{Cmd, Out, Workdir, codes_and_lines, fixture, load, rendered, workdir};

const INTERPOLATION: &str = "cbcheck::config::interpolation";

/// A valid one-app file whose URL (line 9, value from column 12) is `url`.
fn with_url(url: &str) -> String {
    fixture("conference-prod.yaml").replace("https://hooks.example.com/tencent/room", url)
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
    workdir("lint")
        .with(
            "callbacks.yaml",
            with_url("https://hooks.example.com/cb?token=${HOOK_TOKEN}"),
        )
        .cbcheck()
        .env_remove("HOOK_TOKEN")
        .args(["lint", "callbacks.yaml"])
        .run()
        .code(0)
        .stderr_has("callbacks.yaml: valid: 1 app")
        .stdout_is("");
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

/// Two apps: `prod` takes its token from `${HOOK_TOKEN}`, `plain` has none.
const TWO_APPS: &str = include_str!("fixtures/placeholders-two-apps.yaml");

fn snapshot(prod_token: &str) -> String {
    Snapshot::new()
        .room(
            1_400_000_001,
            with_request_id(
                configured(
                    &format!("https://hooks.example.com/cb?token={prod_token}&v=2"),
                    &["Room.CallbackAfterCreateRoom"],
                ),
                "r1",
            ),
        )
        .room(
            1_400_000_002,
            with_request_id(
                configured(
                    "https://hooks.example.com/plain",
                    &["Room.CallbackAfterCreateRoom"],
                ),
                "r2",
            ),
        )
        .to_string()
}

/// `cbcheck <args>` in `dir` with `name` set to `value`, or unset.
fn with_var(dir: &Workdir, name: &str, value: Option<&str>, args: &[&str]) -> Cmd {
    let cmd = dir.cbcheck().args(args);
    match value {
        Some(value) => cmd.env(name, value),
        None => cmd.env_remove(name),
    }
}

fn verify_live_from(dir: &Workdir, token: Option<&str>, args: &[&str]) -> Out {
    with_var(
        dir,
        "HOOK_TOKEN",
        token,
        &["verify", "callbacks.yaml", "--live-from", "live.json"],
    )
    .args(args)
    .run()
}

#[test]
fn an_unset_variable_fails_its_app_only_naming_the_variable() {
    let dir = workdir("unset")
        .with("callbacks.yaml", TWO_APPS)
        .with("live.json", snapshot(VALUE));
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
    let dir = workdir("set")
        .with("callbacks.yaml", TWO_APPS)
        .with("live.json", snapshot(VALUE));
    let out = verify_live_from(&dir, Some(VALUE), &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("2 apps checked: 2 in sync, 0 drifted, 0 failed"),
        "{}",
        out.stderr
    );

    // Live still has the stale token: drift, with the desired URL shown as written.
    dir.write("live.json", snapshot(STALE));
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

fn live_config(url: &str) -> Value {
    config(url, &["Room.CallbackAfterCreateRoom"])
}

/// The body of every write the vendor received.
fn written(vendor: &Vendor) -> Vec<Value> {
    vendor
        .requests()
        .iter()
        // Reads are get_callback and (for Live) get_callback_token.
        .filter(|r| !r.interface().starts_with("get_callback"))
        .map(|r| r.json())
        .collect()
}

const ADMIN_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const VARIABLE: &str = "CBCHECK_1400000001_TOKEN";

/// Run the binary against the fake vendor; `token`: the value of VARIABLE.
fn against(dir: &Workdir, vendor: &Vendor, token: Option<&str>, args: &[&str]) -> Out {
    with_var(dir, VARIABLE, token, args)
        .endpoint(vendor)
        .key(ADMIN_KEY)
        .run()
}

fn assert_never_shown(what: &str, out: &Out) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(VALUE),
            "{what} {stream} shows the value:\n{text}"
        );
    }
}

#[test]
fn a_secret_round_trips_through_export_verify_and_apply_unseen() {
    let vendor = Vendor::start();
    vendor.set(
        ROOM,
        1_400_000_001,
        Some(live_config(&format!(
            "https://hooks.example.com/cb?token={VALUE}&v=2"
        ))),
    );
    vendor.set(
        ROOM,
        1_400_000_002,
        Some(live_config("https://hooks.example.com/plain")),
    );
    let dir = workdir("round_trip");

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
        &vendor,
        None,
        &[&ids[..], &["-o", "callbacks.yaml"]].concat(),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_never_shown("export", &out);
    let file = dir.read("callbacks.yaml");
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
        &vendor,
        None,
        &[&ids[..], &["--literal-urls"]].concat(),
    );
    assert_eq!(literal.code, Some(0), "{}", literal.stderr);
    assert!(
        literal.stdout.contains(&format!("token={VALUE}")),
        "{}",
        literal.stdout
    );

    // lint needs no variable; verify with it set is in sync, without it fails the app.
    dir.cbcheck()
        .env_remove(VARIABLE)
        .args(["lint", "callbacks.yaml"])
        .run()
        .code(0);
    let out = against(&dir, &vendor, Some(VALUE), &["verify", "callbacks.yaml"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("2 apps checked: 2 in sync"),
        "{}",
        out.stderr
    );
    assert_never_shown("verify", &out);
    let out = against(&dir, &vendor, None, &["verify", "callbacks.yaml"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains(VARIABLE), "{}", out.stderr);

    // export --from needs the value to compare, and writes nothing without it.
    let out = against(&dir, &vendor, None, &["export", "--from", "callbacks.yaml"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains(VARIABLE), "{}", out.stderr);
    // export --from a file with the placeholder keeps it.
    let out = against(
        &dir,
        &vendor,
        Some(VALUE),
        &["export", "--from", "callbacks.yaml"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_never_shown("export --from", &out);
    assert!(
        out.stdout.contains("token=${CBCHECK_1400000001_TOKEN}&v=2"),
        "{}",
        out.stdout
    );

    // Someone rotates the live token: every output of every format, report files
    // included, shows the drift without the value, --show-secrets or not.
    vendor.set(
        ROOM,
        1_400_000_001,
        Some(live_config(
            "https://hooks.example.com/cb?token=rotated0ut0fband&v=2",
        )),
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
            let out = against(&dir, &vendor, Some(VALUE), &args);
            assert_eq!(out.code, Some(1), "{format} {show:?}: {}", out.stderr);
            assert_never_shown(&format!("verify --format {format} {show:?}"), &out);
            for report in reports {
                let text = dir.read(&format!("{report}.out"));
                assert!(!text.contains(VALUE), "{report} report {show:?}:\n{text}");
            }
        }
        let mut args = vec!["apply", "callbacks.yaml", "--dry-run"];
        args.extend(show);
        let plan = against(&dir, &vendor, Some(VALUE), &args);
        assert_eq!(plan.code, Some(1), "{}", plan.stderr);
        assert_never_shown("apply --dry-run", &plan);
        assert!(
            plan.stderr.contains("token=${CBCHECK_1400000001_TOKEN}"),
            "{}",
            plan.stderr
        );
    }
    // Without the variable, apply leaves the app alone, naming the variable.
    let out = against(&dir, &vendor, None, &["apply", "callbacks.yaml", "--yes"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains(VARIABLE), "{}", out.stderr);
    assert!(written(&vendor).is_empty());

    // apply sends the real value, and shows it nowhere.
    let out = against(
        &dir,
        &vendor,
        Some(VALUE),
        &["apply", "callbacks.yaml", "--yes", "--show-secrets"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_never_shown("apply --yes", &out);
    assert_eq!(
        written(&vendor),
        [live_config(&format!(
            "https://hooks.example.com/cb?token={VALUE}&v=2"
        ))]
    );
    let out = against(&dir, &vendor, Some(VALUE), &["verify", "callbacks.yaml"]);
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

#[test]
fn a_value_spelt_with_other_percent_escapes_live_is_still_hidden() {
    // A token with characters URLs escape, in the path (never masked), and the vendor
    // echoing it with escapes of its own: lowercase, or only some characters escaped.
    const TOKEN: &str = "hK7w+Q2r/Z9x=Lm4";
    let dir = workdir("escaped").with(
        "callbacks.yaml",
        TWO_APPS.replace(
            "https://hooks.example.com/cb?token=${HOOK_TOKEN}&v=2",
            "https://hooks.example.com/${HOOK_TOKEN}/cb?token=${HOOK_TOKEN}&v=2",
        ),
    );
    for live in [
        "hK7w%2bQ2r%2fZ9x%3dLm4",
        "hK7w%2BQ2r/Z9x=Lm4",
        "hK7w+Q2r%2FZ9x%3DLm4",
    ] {
        let snapshot = snapshot(VALUE).replace(
            &format!("https://hooks.example.com/cb?token={VALUE}&v=2"),
            &format!("https://hooks.example.com/{live}/x?token={live}&v=2"),
        );
        dir.write("live.json", snapshot);
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
#[test]
fn a_credential_variable_is_never_expanded_into_a_url() {
    let vendor = Vendor::start();
    vendor.set(
        ROOM,
        1_400_000_001,
        Some(live_config("https://hooks.example.com/cb")),
    );
    let dir = workdir("credential");
    for variable in [
        "CBCHECK_SECRET_KEY",
        "CBCHECK_SECRET_KEY_1400000001",
        "CBCHECK_USERSIG_1400000009",
    ] {
        dir.write(
            "callbacks.yaml",
            TWO_APPS
                .replace("${HOOK_TOKEN}", &format!("${{{variable}}}"))
                .replace(
                    "      url: https://hooks.example.com/plain\n",
                    "      url: https://hooks.example.com/cb\n",
                ),
        );
        dir.cbcheck()
            .args(["apply", "callbacks.yaml", "--yes"])
            .endpoint(&vendor)
            .key(ADMIN_KEY)
            .env("CBCHECK_SECRET_KEY_1400000001", ADMIN_KEY)
            .env("CBCHECK_USERSIG_1400000009", ADMIN_KEY)
            .run()
            .code(2)
            .stderr_has(&format!("${{{variable}}}"))
            .stderr_has("credential");
        assert!(
            vendor.requests().is_empty(),
            "{variable}: a request was made"
        );
        let written = written(&vendor);
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

/// A scratch directory holding `sandbox_naming("trtc_prod_key")` as `both.yaml`, and
/// split in two: `prod.yaml` and `sandbox.yaml`.
fn key_files(name: &str) -> Workdir {
    let text = sandbox_naming("trtc_prod_key");
    let (prod, sandbox) = text.split_at(text.find("  - name: sandbox").expect("two apps"));
    let header = &prod[..prod.find("  - name: prod").expect("an app")];
    workdir(name)
        .with("both.yaml", &text)
        .with("prod.yaml", prod)
        .with("sandbox.yaml", format!("{header}{sandbox}"))
}

/// `prod.yaml` declares the key variable, `sandbox.yaml` names it: lint sees both
/// files, in either order, and reports the placeholder in the one that names it.
#[test]
fn lint_refuses_a_key_variable_declared_in_another_file() {
    let dir = key_files("key_across_files");
    for files in [["prod.yaml", "sandbox.yaml"], ["sandbox.yaml", "prod.yaml"]] {
        dir.cbcheck()
            .arg("lint")
            .args(files)
            .run()
            .code(2)
            .stderr_has("sandbox.yaml:9:42")
            .stderr_has("key-in-url")
            .stderr_has("prod.yaml: valid");

        let report = dir
            .cbcheck()
            .args(["lint", "--format", "json"])
            .args(files)
            .run()
            .code(2)
            .stdout_json();
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
#[test]
fn a_key_variable_in_a_url_stops_every_command_before_any_request() {
    const PROD_KEY: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9";
    let vendor = Vendor::start();
    let dir = key_files("key_in_url");
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
        dir.cbcheck()
            .args(args)
            .endpoint(&vendor)
            .key(ADMIN_KEY)
            .hides(PROD_KEY)
            .env("TRTC_PROD_KEY", PROD_KEY)
            .env("trtc_prod_key", PROD_KEY)
            .run()
            .code(2)
            .stderr_has("key-in-url");
        let received = vendor.requests();
        assert!(received.is_empty(), "{args:?}: {} requests", received.len());
    }
}
