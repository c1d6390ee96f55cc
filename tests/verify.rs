//! `cbcheck verify` end to end: the real binary against an in-process fake server.

use std::path::PathBuf;
use std::process::Output;

use insta::assert_snapshot;
use serde_json::{Value, json};
use sha2::Digest as _;
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{cbcheck, repo_path};

const KEY: &str = "d1f0e3c6b0a94e2f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f";
const GET: &str = "/v4/room_config/get_callback";
const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Mic.CallbackAfterSeatInfoChanged";

/// A fleet of three apps; every test breaks the live side in its own way.
const FLEET: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: prod
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/cb?token=s3cr3t-hook-token
      commands:
        - Room.CallbackAfterCreateRoom
        - Mic.CallbackAfterSeatInfoChanged
  - name: staging
    sdkappid: 1400000002
    extra_commands: warn
    callback:
      url: https://staging.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
  - name: classroom
    sdkappid: 1400000003
    callback:
      url: https://class.example.com/cb
      commands:
        - Room.CallbackAfterUpdateRoomInfo
";

const PROD_URL: &str = "https://hooks.example.com/cb?token=s3cr3t-hook-token";

fn ok(url: &str, commands: &[&str]) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-ok-O-Seq-1",
        "Response": {"Url": url, "CallbackCommandList": commands}
    }))
}

fn fail(code: i64, info: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "ErrorCode": code, "ErrorInfo": info, "ActionStatus": "FAIL", "RequestId": format!("Id-{code}-O-Seq-9")
    }))
}

fn in_sync() -> [(u64, ResponseTemplate); 3] {
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

/// A fake get_callback answering each sdkappid its own way.
async fn fake(replies: impl IntoIterator<Item = (u64, ResponseTemplate)>) -> MockServer {
    let server = MockServer::start().await;
    for (sdkappid, reply) in replies {
        Mock::given(path(GET))
            .and(query_param("sdkappid", sdkappid.to_string()))
            .respond_with(reply)
            .mount(&server)
            .await;
    }
    server
}

/// A scratch directory holding `callbacks.yaml`, so paths in the output are stable.
fn workdir(name: &str, yaml: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("verify")
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("callbacks.yaml"), yaml).expect("scratch file");
    dir
}

struct Run {
    output: Output,
    stdout: String,
    stderr: String,
    /// Every UserSig the fake server received.
    usersigs: Vec<String>,
    requests: usize,
}

async fn verify(
    name: &str,
    yaml: &str,
    server: &MockServer,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let dir = workdir(name, yaml);
    let mut cmd = cbcheck();
    cmd.current_dir(&dir)
        .args(["verify", "callbacks.yaml", "--endpoint", &server.uri()])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let received = server.received_requests().await.unwrap_or_default();
    let usersigs = received
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "usersig")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    let run = Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        output,
        usersigs,
        requests: received.len(),
    };
    run.assert_no_secrets();
    run
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// Neither the key, nor any token sent, nor the hook URL's token is in the output.
    fn assert_no_secrets(&self) {
        for text in [&self.stdout, &self.stderr] {
            assert!(!text.contains(&KEY[..16]), "secret key leaked:\n{text}");
            for usersig in &self.usersigs {
                assert!(!text.contains(&usersig[..24]), "UserSig leaked:\n{text}");
            }
            assert!(
                !text.contains("s3cr3t-hook-token"),
                "URL token leaked:\n{text}"
            );
        }
    }
}

const WITH_KEY: &[(&str, &str)] = &[("CBCHECK_SECRET_KEY", KEY)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_in_sync_exits_0() {
    let server = fake(in_sync()).await;
    let run = verify("in_sync", FLEET, &server, &[], WITH_KEY).await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "3 apps checked: 3 in sync, 0 drifted, 0 failed\n"
    );
    assert_eq!(run.requests, 3);
    assert_eq!(run.usersigs.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_drift_exits_1_with_its_diagnostic() {
    let cases: [(&str, ResponseTemplate); 5] = [
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
        let server = fake([(1_400_000_001, reply), staging, classroom]).await;
        let run = verify(kind, FLEET, &server, &[], WITH_KEY).await;
        assert_eq!(run.code(), Some(1), "{kind}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("3 apps checked: 2 in sync, 1 drifted, 0 failed"),
            "{}",
            run.stderr
        );
        assert_snapshot!(format!("drift_{kind}"), run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_pass_unless_denied() {
    let [prod, _, classroom] = in_sync();
    let staging = (
        1_400_000_002,
        ok(
            "https://staging.example.com/cb",
            &[A, "Room.CallbackAfterMemberLeave"],
        ),
    );
    let server = fake([prod, staging, classroom]).await;
    let run = verify("warnings", FLEET, &server, &[], WITH_KEY).await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("3 in sync, 0 drifted, 0 failed, 1 warning"),
        "{}",
        run.stderr
    );
    let run = verify(
        "warnings_denied",
        FLEET,
        &server,
        &["--deny-warnings"],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_two_spellings_are_explained() {
    let [prod, staging, _] = in_sync();
    let classroom = (
        1_400_000_003,
        ok(
            "https://class.example.com/cb",
            &["Room.CallbackUpdateRoomInfo"],
        ),
    );
    let server = fake([prod, staging, classroom]).await;
    let run = verify("spellings", FLEET, &server, &[], WITH_KEY).await;
    assert_eq!(run.code(), Some(1));
    assert!(run.stderr.contains("two spellings"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_config_exits_2_before_any_request() {
    let server = fake(in_sync()).await;
    let run = verify(
        "invalid",
        &FLEET.replace(
            "commands:\n        - Room.CallbackAfterUpdate",
            "comands:\n        - Room.CallbackAfterUpdate",
        ),
        &server,
        &[],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `commands`?"),
        "{}",
        run.stderr
    );
    assert_eq!(run.requests, 0, "no request for an invalid file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_signature_exits_3() {
    let server = fake((1..=3).map(|i| {
        (
            1_400_000_000 + i,
            fail(70_009, "signature verification failed"),
        )
    }))
    .await;
    let run = verify("rejected", FLEET, &server, &[], WITH_KEY).await;
    assert_eq!(run.code(), Some(3), "{}", run.stderr);
    assert_eq!(run.requests, 3, "auth errors are not retried");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_100001_exits_4_after_bounded_retries() {
    let [_, staging, classroom] = in_sync();
    let server = fake([
        (1_400_000_001, fail(100_001, "internal error")),
        staging,
        classroom,
    ])
    .await;
    let run = verify("persistent", FLEET, &server, &["--app", "prod"], WITH_KEY).await;
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    assert_eq!(run.requests, 4);
    assert!(
        run.stderr.contains("gave up after 4 attempts"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Id-100001-O-Seq-9"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_exit_3_naming_the_variables() {
    let server = fake(in_sync()).await;
    let run = verify(
        "no_credentials",
        FLEET,
        &server,
        &["--app", "1400000002"],
        &[],
    )
    .await;
    assert_eq!(run.code(), Some(3), "{}", run.stderr);
    assert_eq!(run.requests, 0);
    assert!(
        run.stderr.contains("CBCHECK_SECRET_KEY_1400000002, CBCHECK_SECRET_KEY, CBCHECK_USERSIG_1400000002, CBCHECK_USERSIG"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_usersig_is_sent_as_given() {
    let server = fake(in_sync()).await;
    let run = verify(
        "usersig",
        FLEET,
        &server,
        &["--app", "prod"],
        &[("CBCHECK_USERSIG", "ready-made-usersig-0123456789abcdef")],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert_eq!(run.usersigs, ["ready-made-usersig-0123456789abcdef"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_selectors_pick_a_subset_and_unknown_ones_are_usage_errors() {
    let server = fake(in_sync()).await;
    let run = verify(
        "select",
        FLEET,
        &server,
        &["--app", "staging", "--app", "1400000003"],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert_eq!(run.requests, 2);
    assert!(run.stderr.starts_with("2 apps checked"), "{}", run.stderr);

    let run = verify(
        "select_unknown",
        FLEET,
        &server,
        &["--app", "prdo"],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("--app prdo matches no app"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_run_reports_every_app_and_the_worst_exit_code() {
    let yaml = FLEET.replace(
        "    extra_commands: warn\n",
        "    extra_commands: warn\n    secret_key_env: STAGING_KEY\n",
    );
    let [_, staging, _] = in_sync();
    let server = fake([
        (1_400_000_001, ok(PROD_URL, &[A])),
        staging,
        (1_400_000_003, fail(70_009, "signature verification failed")),
    ])
    .await;
    let env = [("CBCHECK_SECRET_KEY", KEY), ("STAGING_KEY", KEY)];
    let run = verify("mixed", &yaml, &server, &[], &env).await;
    assert_eq!(
        run.code(),
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

    let run = verify("mixed_json", &yaml, &server, &["--format", "json"], &env).await;
    assert_eq!(run.code(), Some(3));
    assert_eq!(run.stderr, "");
    let report: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(
        report["summary"],
        json!({"apps": 3, "in_sync": 1, "drifted": 1, "failed": 1, "warnings": 0})
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_secrets_reveals_the_hook_token() {
    let [_, staging, classroom] = in_sync();
    let server = fake([
        (
            1_400_000_001,
            ok("https://hooks.example.com/cb?token=other", &[A, B]),
        ),
        staging,
        classroom,
    ])
    .await;
    let run = verify("redacted", FLEET, &server, &[], WITH_KEY).await;
    assert!(
        run.stderr
            .contains("(differs in the value of query parameter `token`)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("token=***"), "{}", run.stderr);

    let dir = workdir("shown", FLEET);
    let output = cbcheck()
        .current_dir(&dir)
        .args([
            "verify",
            "callbacks.yaml",
            "--show-secrets",
            "--app",
            "prod",
            "--endpoint",
            &server.uri(),
        ])
        .env("CBCHECK_SECRET_KEY", KEY)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("token=s3cr3t-hook-token") && stderr.contains("token=other"),
        "{stderr}"
    );
    assert!(!stderr.contains(&KEY[..16]));
}

#[test]
fn the_bundled_snapshot_shows_drift_offline() {
    let output = cbcheck()
        .current_dir(repo_path(""))
        .args([
            "verify",
            "examples/fleet.yaml",
            "--live-from",
            "examples/live-snapshot.json",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_snapshot!("bundled_snapshot", stderr);

    let output = cbcheck()
        .current_dir(repo_path(""))
        .args([
            "verify",
            "examples/fleet.yaml",
            "--live-from",
            "examples/no-such-snapshot.json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot use the snapshot"));
}

/// Every failure path at once, one app each, in human and JSON output: the exit code,
/// every app reported, and no secret anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_failure_path_leaks_a_secret() {
    let auth_codes = [
        70_001, 70_002, 70_003, 70_005, 70_009, 70_013, 70_014, 70_016, 70_020, 60_006, 60_010,
        70_403, 70_050,
    ];
    let mut replies: Vec<ResponseTemplate> = vec![
        ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
        ResponseTemplate::new(200).set_body_string("<html><body>Sign in</body></html>"),
        ResponseTemplate::new(200).set_body_string(r#"{"ErrorCode":0,"ActionStatus":"OK","Respo"#),
        ok(PROD_URL, &[A]).set_delay(std::time::Duration::from_secs(3)),
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
    let server = fake(mocks).await;
    for format in ["human", "json"] {
        let run = verify(
            &format!("leaks_{format}"),
            &yaml,
            &server,
            &["--timeout", "1", "--format", format],
            WITH_KEY,
        )
        .await;
        assert_eq!(run.code(), Some(4), "{}", run.stderr);
        assert!(!run.usersigs.is_empty());
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
    let dir = workdir("refused", FLEET);
    let output = cbcheck()
        .current_dir(&dir)
        .args([
            "verify",
            "callbacks.yaml",
            "--app",
            "prod",
            "--endpoint",
            &format!("http://127.0.0.1:{closed_port}"),
        ])
        .env("CBCHECK_SECRET_KEY", KEY)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("network error"), "{stderr}");
    assert!(
        !stderr.contains(&KEY[..16]) && !stderr.contains("usersig="),
        "{stderr}"
    );
}

/// `verify --app prod --endpoint <endpoint>` with `env`: its exit code and stderr.
async fn through(endpoint: &str, env: &[(&'static str, String)]) -> (Option<i32>, String) {
    let dir = workdir("proxy", FLEET);
    let mut cmd = cbcheck();
    cmd.current_dir(&dir)
        .args([
            "verify",
            "callbacks.yaml",
            "--app",
            "prod",
            "--timeout",
            "2",
        ])
        .args(["--endpoint", endpoint])
        .env("CBCHECK_SECRET_KEY", KEY);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

/// https requests use the environment's proxy (HTTPS_PROXY, NO_PROXY); a plain-http
/// request, whose request line carries the UserSig, never does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_from_the_environment_are_honoured_for_https_only() {
    let proxy = fake(in_sync()).await;
    let (code, stderr) = through(
        "http://cbcheck-proxy-test.invalid",
        &[("HTTP_PROXY", proxy.uri()), ("NO_PROXY", String::new())],
    )
    .await;
    // Straight for the name, which does not resolve: the proxy got nothing.
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains("plain http to cbcheck-proxy-test.invalid"),
        "{stderr}"
    );
    let received = proxy.received_requests().await.expect("recorded");
    assert_eq!(received.len(), 0);

    // A dead proxy refuses the connection: the https request went to it.
    let dead = "http://127.0.0.1:9".to_owned();
    let https = "https://cbcheck-proxy-test.invalid";
    let (code, stderr) = through(https, &[("HTTPS_PROXY", dead.clone())]).await;
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");

    // Not sent to the dead proxy for a host NO_PROXY names: the request went straight
    // for the name, which does not resolve (or times out resolving).
    let (code, stderr) = through(
        https,
        &[
            ("HTTPS_PROXY", dead),
            ("NO_PROXY", "cbcheck-proxy-test.invalid".to_owned()),
        ],
    )
    .await;
    assert_eq!(code, Some(4), "{stderr}");
    assert!(!stderr.to_lowercase().contains("refused"), "{stderr}");
}

#[test]
fn a_live_callback_where_the_file_says_absent_is_drift_with_delete_as_the_fix() {
    let dir = workdir(
        "unwanted",
        "version: 1\napps:\n  - name: retired\n    sdkappid: 1400000009\n    region: seoul\n    identifier: admin\n    callback: absent\n",
    );
    let snapshot = json!({"1400000009": {"ErrorCode": 0, "ActionStatus": "OK", "RequestId": "Id-9",
        "Response": {"Url": "https://old.example.com/cb?token=s3cr3t-hook-token", "CallbackCommandList": [A]}}});
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("snapshot");
    let output = cbcheck()
        .current_dir(&dir)
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("s3cr3t-hook-token"), "{stderr}");
    assert_snapshot!("unwanted_callback", stderr);
}

/// A get_callback server that holds every reply until `expected` requests are in
/// flight at once (or, as a fallback so a failing run ends, ten seconds pass), and
/// records how many were in flight when each reply went out.
async fn gathering_server(
    expected: usize,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<usize>>>) {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let address = listener.local_addr().expect("an address");
    let arrived = Arc::new(tokio::sync::watch::channel(0usize).0);
    let replied_at = Arc::new(Mutex::new(Vec::new()));
    let seen = replied_at.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let arrived = arrived.clone();
            let replied_at = seen.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request).into_owned();
                let sdkappid = head
                    .split(['?', '&', ' '])
                    .find_map(|part| part.strip_prefix("sdkappid="))
                    .unwrap_or("0")
                    .to_owned();
                arrived.send_modify(|n| *n += 1);
                let mut watch = arrived.subscribe();
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    watch.wait_for(|n| *n >= expected),
                )
                .await;
                replied_at.lock().expect("lock").push(*arrived.borrow());
                let body = json!({
                    "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-ok",
                    "Response": {"Url": format!("https://hooks.example.com/{sdkappid}"), "CallbackCommandList": [A]}
                })
                .to_string();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (format!("http://{address}"), replied_at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_of_several_files_are_fetched_together() {
    let app = |sdkappid: u64| {
        format!(
            "version: 1\napps:\n  - sdkappid: {sdkappid}\n    region: singapore\n    identifier: administrator\n    callback:\n      url: https://hooks.example.com/{sdkappid}\n      commands: [{A}]\n"
        )
    };
    let dir = workdir("two-files", &app(1_400_000_001));
    std::fs::write(dir.join("second.yaml"), app(1_400_000_002)).expect("second file");
    let (endpoint, replied_at) = gathering_server(2).await;
    let mut cmd = cbcheck();
    cmd.current_dir(&dir)
        .args([
            "verify",
            "callbacks.yaml",
            "second.yaml",
            "--endpoint",
            &endpoint,
        ])
        .env("CBCHECK_SECRET_KEY", KEY);
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        *replied_at.lock().expect("lock"),
        [2, 2],
        "each reply went out with both files' requests in flight"
    );
}
