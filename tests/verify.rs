//! `cbcheck verify` end to end: the real binary against the fake vendor.

use insta::assert_snapshot;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::support::vendor::{self, Reply, Snapshot, Vendor};
use crate::support::{Cmd, Out, repo_path, workdir};

const KEY: &str = "d1f0e3c6b0a94e2f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f";
const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Mic.CallbackAfterSeatInfoChanged";

/// A fleet of three apps; every test breaks the live side in its own way.
const FLEET: &str = include_str!("fixtures/verify-fleet.yaml");

const PROD_URL: &str = "https://hooks.example.com/cb?token=s3cr3t-hook-token";

fn ok(url: &str, commands: &[&str]) -> Reply {
    vendor::configured(url, commands).into()
}

fn fail(code: i64, info: &str) -> Reply {
    vendor::fail(code, info).into()
}

fn in_sync() -> [(u64, Reply); 3] {
    [
        (1_400_000_001, ok(PROD_URL, &[B, A])),
        (1_400_000_002, ok("https://staging.example.com/cb", &[A])),
        (
            1_400_000_003,
            ok(
                "https://class.example.com/cb",
                &["Room.CallbackAfterUpdateRoomInfo"],
            ),
        ),
    ]
}

/// A fake vendor answering each sdkappid its own way.
fn fake(replies: impl IntoIterator<Item = (u64, Reply)>) -> Vendor {
    let vendor = Vendor::start();
    for (sdkappid, reply) in replies {
        vendor.answer(sdkappid, reply);
    }
    vendor
}

/// `cbcheck verify callbacks.yaml --endpoint <vendor> ARGS` in a fresh `name` holding
/// `yaml`; neither the key, nor a UserSig sent, nor the hook URL's token is shown.
fn verify(name: &str, yaml: &str, vendor: &Vendor, args: &[&str], env: &[(&str, &str)]) -> Out {
    let out = workdir(name)
        .with("callbacks.yaml", yaml)
        .cbcheck()
        .args(["verify", "callbacks.yaml"])
        // From the environment: the suggested `cbcheck apply` needs no --endpoint then.
        .env("CBCHECK_ENDPOINT", vendor.uri())
        .args(args)
        .envs(env)
        .hides(&KEY[..16])
        .hides("s3cr3t-hook-token")
        .run();
    for usersig in vendor.usersigs() {
        for text in [&out.stdout, &out.stderr] {
            assert!(!text.contains(&usersig[..24]), "UserSig leaked:\n{text}");
        }
    }
    out
}

const WITH_KEY: &[(&str, &str)] = &[("CBCHECK_SECRET_KEY", KEY)];

#[test]
fn all_in_sync_exits_0() {
    let vendor = fake(in_sync());
    let run = verify("in_sync", FLEET, &vendor, &[], WITH_KEY);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "3 apps checked: 3 in sync, 0 drifted, 0 failed\n"
    );
    assert_eq!(vendor.requests().len(), 3);
    assert_eq!(vendor.usersigs().len(), 3);
}

#[test]
fn each_kind_of_drift_exits_1_with_its_diagnostic() {
    let cases: [(&str, Reply); 5] = [
        ("absent", fail(100_301, "callback config not exist")),
        (
            "url_mismatch",
            ok("https://hooks.example.com/cb?token=other-token", &[A, B]),
        ),
        (
            "insecure_url",
            ok(
                "http://hooks.example.com/cb?token=s3cr3t-hook-token",
                &[A, B],
            ),
        ),
        ("missing_command", ok(PROD_URL, &[A])),
        (
            "unexpected_and_unknown_command",
            ok(
                PROD_URL,
                &[
                    A,
                    B,
                    "Room.CallbackAfterMemberEnter",
                    "Room.CallbackOnEverything",
                ],
            ),
        ),
    ];
    for (kind, reply) in cases {
        let [_, staging, classroom] = in_sync();
        let vendor = fake([(1_400_000_001, reply), staging, classroom]);
        let run = verify(kind, FLEET, &vendor, &[], WITH_KEY);
        assert_eq!(run.code, Some(1), "{kind}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("3 apps checked: 2 in sync, 1 drifted, 0 failed"),
            "{}",
            run.stderr
        );
        assert_snapshot!(format!("drift_{kind}"), run.stderr);
    }
}

#[test]
fn warnings_pass_unless_denied() {
    let [prod, _, classroom] = in_sync();
    let staging = (
        1_400_000_002,
        ok(
            "https://staging.example.com/cb",
            &[A, "Room.CallbackAfterMemberLeave"],
        ),
    );
    let vendor = fake([prod, staging, classroom]);
    let run = verify("warnings", FLEET, &vendor, &[], WITH_KEY);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("3 in sync, 0 drifted, 0 failed, 1 warning"),
        "{}",
        run.stderr
    );
    let run = verify(
        "warnings_denied",
        FLEET,
        &vendor,
        &["--deny-warnings"],
        WITH_KEY,
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
}

#[test]
fn the_two_spellings_are_explained() {
    let [prod, staging, _] = in_sync();
    let classroom = (
        1_400_000_003,
        ok(
            "https://class.example.com/cb",
            &["Room.CallbackUpdateRoomInfo"],
        ),
    );
    let vendor = fake([prod, staging, classroom]);
    let run = verify("spellings", FLEET, &vendor, &[], WITH_KEY);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("two spellings"), "{}", run.stderr);
}

#[test]
fn invalid_config_exits_2_before_any_request() {
    // A problem of the file itself (here its top level) stops the run.
    let vendor = fake(in_sync());
    let run = verify(
        "invalid",
        &FLEET.replace("defaults:", "defualts:"),
        &vendor,
        &[],
        WITH_KEY,
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `defaults`?"),
        "{}",
        run.stderr
    );
    assert_eq!(vendor.requests().len(), 0, "no request for an invalid file");
}

#[test]
fn rejected_signature_exits_3() {
    let vendor = fake((1..=3).map(|i| {
        (
            1_400_000_000 + i,
            fail(70_009, "signature verification failed"),
        )
    }));
    let run = verify("rejected", FLEET, &vendor, &[], WITH_KEY);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_eq!(vendor.requests().len(), 3, "auth errors are not retried");
    assert!(run.stderr.contains("ErrorCode 70009"), "{}", run.stderr);
    assert!(run.stderr.contains("Id-70009-O-Seq-9"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not this SDKAppID's key"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("3 apps: none could be checked (3 failed)"),
        "{}",
        run.stderr
    );
}

#[test]
fn persistent_100001_exits_4_after_bounded_retries() {
    let [_, staging, classroom] = in_sync();
    let vendor = fake([
        (1_400_000_001, fail(100_001, "internal error")),
        staging,
        classroom,
    ]);
    let run = verify("persistent", FLEET, &vendor, &["--app", "prod"], WITH_KEY);
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert_eq!(vendor.requests().len(), 4);
    assert!(
        run.stderr.contains("gave up after 4 attempts"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Id-100001-O-Seq-9"), "{}", run.stderr);
}

#[test]
fn missing_credentials_exit_3_naming_the_variables() {
    let vendor = fake(in_sync());
    let run = verify(
        "no_credentials",
        FLEET,
        &vendor,
        &["--app", "1400000002"],
        &[],
    );
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_eq!(vendor.requests().len(), 0);
    assert!(
        run.stderr.contains("credentials error: looked in CBCHECK_SECRET_KEY_1400000002, CBCHECK_SECRET_KEYS, CBCHECK_SECRET_KEYS_FILE, CBCHECK_SECRET_KEY_COMMAND, CBCHECK_SECRET_KEY, CBCHECK_USERSIG_1400000002, CBCHECK_USERSIG"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_ready_usersig_is_sent_as_given() {
    let vendor = fake(in_sync());
    let run = verify(
        "usersig",
        FLEET,
        &vendor,
        &["--app", "prod"],
        &[("CBCHECK_USERSIG", "ready-made-usersig-0123456789abcdef")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(vendor.usersigs(), ["ready-made-usersig-0123456789abcdef"]);
}

#[test]
fn app_selectors_pick_a_subset_and_unknown_ones_are_usage_errors() {
    let vendor = fake(in_sync());
    let run = verify(
        "select",
        FLEET,
        &vendor,
        &["--app", "staging", "--app", "1400000003"],
        WITH_KEY,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(vendor.requests().len(), 2);
    assert!(run.stderr.starts_with("2 apps checked"), "{}", run.stderr);

    let run = verify(
        "select_unknown",
        FLEET,
        &vendor,
        &["--app", "prdo"],
        WITH_KEY,
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("--app prdo matches no app"),
        "{}",
        run.stderr
    );
}

#[test]
fn mixed_run_reports_every_app_and_the_worst_exit_code() {
    let yaml = FLEET.replace(
        "    extra_commands: warn\n",
        "    extra_commands: warn\n    secret_key_env: STAGING_KEY\n",
    );
    let [_, staging, _] = in_sync();
    let vendor = fake([
        (1_400_000_001, ok(PROD_URL, &[A])),
        staging,
        (1_400_000_003, fail(70_009, "signature verification failed")),
    ]);
    let env = [("CBCHECK_SECRET_KEY", KEY), ("STAGING_KEY", KEY)];
    let run = verify("mixed", &yaml, &vendor, &[], &env);
    assert_eq!(
        run.code,
        Some(3),
        "an auth failure outranks drift: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("3 apps checked: 1 in sync, 1 drifted, 1 failed"),
        "{}",
        run.stderr
    );
    assert_snapshot!("mixed_human", run.stderr);

    let run = verify("mixed_json", &yaml, &vendor, &["--format", "json"], &env);
    assert_eq!(run.code, Some(3));
    assert_eq!(run.stderr, "");
    let report: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(
        report["summary"],
        json!({"apps": 3, "in_sync": 1, "drifted": 1, "pending": 0, "unhealthy": 0, "failed": 1, "warnings": 0})
    );
    assert_eq!(report["apps"][2]["error"]["class"], "auth");
    assert_eq!(report["apps"][2]["error"]["code"], 70_009);
    assert_eq!(report["apps"][2]["error"]["request_id"], "Id-70009-O-Seq-9");
    assert_eq!(
        report["apps"][0]["remediation"]["interface"],
        "v4/room_config/update_callback"
    );
    assert_eq!(
        report["apps"][0]["remediation"]["body"]["Url"],
        "https://hooks.example.com/cb?token=***"
    );
    assert_eq!(report["apps"][0]["findings"][0]["line"], 12);
    // Run metadata: which cbcheck, when, and on which file content.
    assert_eq!(report["cbcheck_version"], env!("CARGO_PKG_VERSION"));
    let digest = sha2::Sha256::digest(yaml.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(report["file_digests"][0]["sha256"], hex.as_str());
    for field in ["started_at", "finished_at"] {
        let time = report[field].as_str().expect(field);
        assert!(
            time.len() >= 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
            "{field}: {time}"
        );
    }
    assert!(report["started_at"].as_str() <= report["finished_at"].as_str());
    assert!(report["duration_ms"].is_u64());
    // The snapshot holds what does not change from run to run, in the printed order.
    let stable: String = run
        .stdout
        .lines()
        .map(|line| {
            let varies = ["started_at", "finished_at", "duration_ms"]
                .iter()
                .any(|field| line.starts_with(&format!("  \"{field}\": ")));
            match line.split_once(": ") {
                Some((key, _)) if varies => format!("{key}: \"[varies]\",\n"),
                _ => format!("{line}\n"),
            }
        })
        .collect();
    assert_snapshot!("mixed_json", stable);

    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("schemas/report.schema.json")).expect("committed"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn show_secrets_reveals_the_hook_token() {
    let [_, staging, classroom] = in_sync();
    let vendor = fake([
        (
            1_400_000_001,
            ok("https://hooks.example.com/cb?token=other", &[A, B]),
        ),
        staging,
        classroom,
    ]);
    let run = verify("redacted", FLEET, &vendor, &[], WITH_KEY);
    assert!(
        run.stderr
            .contains("(differs in the value of query parameter `token`)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("token=***"), "{}", run.stderr);

    let out = workdir("shown")
        .with("callbacks.yaml", FLEET)
        .cbcheck()
        .args([
            "verify",
            "callbacks.yaml",
            "--show-secrets",
            "--app",
            "prod",
        ])
        .endpoint(&vendor)
        .key(KEY)
        .run();
    out.stderr_has("token=s3cr3t-hook-token")
        .stderr_has("token=other");
}

#[test]
fn the_bundled_snapshot_shows_drift_offline() {
    let out = Cmd::new()
        .current_dir(&repo_path(""))
        .args(["verify", "examples/fleet.yaml"])
        .args(["--live-from", "examples/live-snapshot.json"])
        .run();
    out.code(1).stdout_is("");
    assert_snapshot!("bundled_snapshot", out.stderr);

    Cmd::new()
        .current_dir(&repo_path(""))
        .args(["verify", "examples/fleet.yaml"])
        .args(["--live-from", "examples/no-such-snapshot.json"])
        .run()
        .code(2)
        .stderr_has("cannot use the snapshot");
}

/// Every failure path at once, one app each, in human and JSON output: the exit code,
/// every app reported, and no secret anywhere.
#[test]
fn no_failure_path_leaks_a_secret() {
    let auth_codes = [
        70_001, 70_002, 70_003, 70_005, 70_009, 70_013, 70_014, 70_016, 70_020, 60_006, 60_010,
        70_403, 70_050,
    ];
    let mut replies: Vec<Reply> = vec![
        Reply::body(502, "text/html", "<html>Bad Gateway</html>"),
        Reply::body(200, "text/html", "<html><body>Sign in</body></html>"),
        Reply::body(
            200,
            "application/json",
            r#"{"ErrorCode":0,"ActionStatus":"OK","Respo"#,
        ),
        ok(PROD_URL, &[A]).after(std::time::Duration::from_secs(3)),
        fail(100_002, "invalid parameter"),
    ];
    replies.extend(auth_codes.iter().map(|code| fail(*code, "refused")));
    let mut yaml = String::from(
        "version: 1\ndefaults: {region: singapore, identifier: administrator}\napps:\n",
    );
    let mut mocks = Vec::new();
    for (i, reply) in replies.into_iter().enumerate() {
        let sdkappid = 1_400_000_100 + i as u64;
        yaml.push_str(&format!(
            "  - sdkappid: {sdkappid}\n    callback:\n      url: {PROD_URL}\n      commands: [{A}]\n"
        ));
        mocks.push((sdkappid, reply));
    }
    let apps = mocks.len();
    let vendor = fake(mocks);
    for format in ["human", "json"] {
        let run = verify(
            &format!("leaks_{format}"),
            &yaml,
            &vendor,
            &["--timeout", "1", "--format", format],
            WITH_KEY,
        );
        assert_eq!(run.code, Some(4), "{}", run.stderr);
        assert!(!vendor.usersigs().is_empty());
        if format == "json" {
            let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
            assert_eq!(report["summary"]["failed"], apps);
            let classes: Vec<&str> = report["apps"]
                .as_array()
                .expect("apps")
                .iter()
                .map(|a| a["error"]["class"].as_str().unwrap_or(""))
                .collect();
            assert_eq!(
                &classes[..5],
                ["http", "protocol", "protocol", "timeout", "api"]
            );
            assert!(classes[5..].iter().all(|c| *c == "auth"), "{classes:?}");
        } else {
            assert!(
                run.stderr.contains(&format!(
                    "{apps} apps: none could be checked ({apps} failed)"
                )),
                "{}",
                run.stderr
            );
        }
    }

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    workdir("refused")
        .with("callbacks.yaml", FLEET)
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--app", "prod"])
        .args(["--endpoint", &format!("http://127.0.0.1:{closed_port}")])
        .key(KEY)
        .hides("usersig=")
        .run()
        .code(4)
        .stderr_has("network error");
}

/// `verify --app prod --endpoint <endpoint>` with `env`.
fn through(name: &str, endpoint: &str, env: &[(&str, &str)]) -> Out {
    workdir(name)
        .with("callbacks.yaml", FLEET)
        .cbcheck()
        .args([
            "verify",
            "callbacks.yaml",
            "--app",
            "prod",
            "--timeout",
            "2",
        ])
        .args(["--endpoint", endpoint])
        .key(KEY)
        .envs(env)
        .run()
}

/// https requests use the environment's proxy (HTTPS_PROXY, NO_PROXY); a plain-http
/// request, whose request line carries the UserSig, never does.
#[test]
fn proxies_from_the_environment_are_honoured_for_https_only() {
    let proxy = fake(in_sync());
    let plain = through(
        "proxy_plain",
        "http://cbcheck-proxy-test.invalid",
        &[("HTTP_PROXY", &proxy.uri()), ("NO_PROXY", "")],
    );
    // Straight for the name, which does not resolve: the proxy got nothing.
    plain
        .code(4)
        .stderr_has("plain http to cbcheck-proxy-test.invalid");
    assert_eq!(proxy.requests().len(), 0);

    // A dead proxy refuses the connection: the https request went to it.
    let dead = "http://127.0.0.1:9";
    let https = "https://cbcheck-proxy-test.invalid";
    let proxied = through("proxy_https", https, &[("HTTPS_PROXY", dead)]);
    proxied.code(4);
    assert!(
        proxied.stderr.to_lowercase().contains("refused"),
        "{}",
        proxied.stderr
    );

    // Not sent to the dead proxy for a host NO_PROXY names: the request went straight
    // for the name, which does not resolve (or times out resolving).
    let bypass = through(
        "proxy_bypass",
        https,
        &[
            ("HTTPS_PROXY", dead),
            ("NO_PROXY", "cbcheck-proxy-test.invalid"),
        ],
    );
    bypass.code(4);
    assert!(
        !bypass.stderr.to_lowercase().contains("refused"),
        "{}",
        bypass.stderr
    );
}

#[test]
fn a_live_callback_where_the_file_says_absent_is_drift_with_delete_as_the_fix() {
    let live = Snapshot::new().room(
        1_400_000_009,
        vendor::configured("https://old.example.com/cb?token=s3cr3t-hook-token", &[A]),
    );
    let out = workdir("unwanted")
        .with(
            "callbacks.yaml",
            "version: 1\napps:\n  - name: retired\n    sdkappid: 1400000009\n    region: seoul\n    identifier: admin\n    callback: absent\n",
        )
        .with("live.json", live.to_string())
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .hides("s3cr3t-hook-token")
        .run();
    out.code(1);
    assert_snapshot!("unwanted_callback", out.stderr);
}

#[test]
fn the_apps_of_several_files_are_fetched_together() {
    let app = |sdkappid: u64| {
        format!(
            "version: 1\napps:\n  - sdkappid: {sdkappid}\n    region: singapore\n    identifier: administrator\n    callback:\n      url: https://hooks.example.com/{sdkappid}\n      commands: [{A}]\n"
        )
    };
    let vendor = Vendor::start();
    vendor
        .room(1_400_000_001, "https://hooks.example.com/1400000001", &[A])
        .room(1_400_000_002, "https://hooks.example.com/1400000002", &[A])
        .hold_replies_until(2);
    workdir("two-files")
        .with("callbacks.yaml", app(1_400_000_001))
        .with("second.yaml", app(1_400_000_002))
        .cbcheck()
        .args(["verify", "callbacks.yaml", "second.yaml"])
        .endpoint(&vendor)
        .key(KEY)
        .run()
        .code(0);
    assert_eq!(
        vendor.released_at(),
        [2, 2],
        "each reply went out with both files' requests in flight"
    );
}
