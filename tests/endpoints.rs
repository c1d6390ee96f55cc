//! Where the UserSig may go: an `endpoint:` in the file is used only on a vendor
//! host or a host the operator allowed; everything else gets no request at all.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::cbcheck;

const KEY: &str = "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
const A: &str = "Room.CallbackAfterCreateRoom";

/// Two apps with file endpoints: one at the "attacker", one at the operator's proxy.
fn fleet(attacker: &MockServer, proxy: &MockServer) -> String {
    format!(
        "\
version: 1
defaults:
  identifier: administrator
apps:
  - name: hostile
    sdkappid: 1400000001
    endpoint: {}
    callback:
      url: https://hooks.example.com/a
      commands: [{A}]
  - name: proxied
    sdkappid: 1400000002
    endpoint: {}
    callback:
      url: https://hooks.example.com/b
      commands: [{A}]
",
        attacker.uri(),
        proxy.uri()
    )
}

/// A get_callback server whose every app is in sync with `fleet`.
async fn server(url: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-1",
            "Response": {"Url": url, "CallbackCommandList": [A]}
        })))
        .mount(&server)
        .await;
    server
}

async fn servers() -> (MockServer, MockServer) {
    (
        server("https://hooks.example.com/a").await,
        server("https://hooks.example.com/b").await,
    )
}

fn host_port(server: &MockServer) -> String {
    format!("127.0.0.1:{}", server.address().port())
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

fn workdir(name: &str, yaml: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("endpoints")
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("callbacks.yaml"), yaml).expect("scratch file");
    dir
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run the binary in `dir` with the secret key set (and nothing allowed by the
/// developer's own environment).
async fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = cbcheck();
    cmd.current_dir(dir)
        .args(args)
        .env_remove("CBCHECK_ENDPOINT")
        .env_remove("CBCHECK_ALLOW_ENDPOINTS")
        .env("CBCHECK_SECRET_KEY", KEY);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let out = Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!out.stderr.contains(&KEY[..16]) && !out.stdout.contains(&KEY[..16]));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_allow_entry_no_file_endpoint_gets_the_token() {
    let (attacker, proxy) = servers().await;
    let dir = workdir("nothing_allowed", &fleet(&attacker, &proxy));
    // An empty variable allows nothing (and is no usage error).
    for env in [&[][..], &[("CBCHECK_ALLOW_ENDPOINTS", "")][..]] {
        let out = run(&dir, &["verify", "callbacks.yaml"], env).await;
        assert_eq!(
            (requests(&attacker).await, requests(&proxy).await),
            (0, 0),
            "{}",
            out.stderr
        );
        assert_eq!(out.code, Some(2), "{}", out.stderr);
        assert!(
            out.stderr
                .ends_with("2 apps: none could be checked (2 failed), 2 warnings (in the file)\n"),
            "{}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_endpoint_off_the_vendor_hosts_gets_no_request_and_exits_2() {
    let (attacker, proxy) = servers().await;
    let dir = workdir("refused", &fleet(&attacker, &proxy));
    let allow_proxy = host_port(&proxy);
    let out = run(
        &dir,
        &["verify", "callbacks.yaml", "--allow-endpoint", &allow_proxy],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        requests(&attacker).await,
        0,
        "the token went to the attacker"
    );
    assert_eq!(requests(&proxy).await, 1, "the other app is still checked");
    let attacker_host = host_port(&attacker);
    for needle in [
        "hostile (1400000001) could not be checked",
        &format!("to {attacker_host}, which is not one of the vendor's documented REST hosts"),
        &format!("--allow-endpoint {attacker_host}"),
        "CBCHECK_ALLOW_ENDPOINTS",
        "endpoint_not_allowed error",
        "2 apps checked: 1 in sync, 0 drifted, 1 failed",
    ] {
        assert!(out.stderr.contains(needle), "{needle} in\n{}", out.stderr);
    }

    let json = run(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--format",
            "json",
            "--allow-endpoint",
            &allow_proxy,
        ],
        &[],
    )
    .await;
    assert_eq!(json.code, Some(2), "{}", json.stderr);
    assert_eq!(requests(&attacker).await, 0);
    let report: Value = serde_json::from_str(&json.stdout).expect("a JSON report");
    let apps = report["apps"].as_array().expect("apps");
    assert_eq!(apps[0]["status"], "failed");
    assert_eq!(apps[0]["error"]["class"], "endpoint_not_allowed");
    let message = apps[0]["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains(&attacker_host) && message.contains("--allow-endpoint"),
        "{message}"
    );
    assert_eq!(apps[1]["status"], "in_sync");
    // The file's warning names the refused endpoint only: the allowed one is not warned about.
    assert_eq!(report["status"], "failed", "an app could not be checked");
    let warnings = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["code"], "cbcheck::config::unlisted-endpoint");
    assert_eq!(warnings[0]["severity"], "warning");
    assert_eq!(warnings[0]["line"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_allowed_by_flag_or_environment_are_used() {
    let (attacker, proxy) = servers().await;
    let dir = workdir("allowed", &fleet(&attacker, &proxy));
    let (first, second) = (host_port(&attacker), host_port(&proxy));
    let out = run(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--allow-endpoint",
            &first,
            "--allow-endpoint",
            &second,
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "2 apps checked: 2 in sync, 0 drifted, 0 failed\n"
    );
    assert_eq!((requests(&attacker).await, requests(&proxy).await), (1, 1));

    // Spaces after the commas and empty entries are tolerated.
    let listed = format!("{first}, ,{second},");
    let out = run(
        &dir,
        &["verify", "callbacks.yaml"],
        &[("CBCHECK_ALLOW_ENDPOINTS", &listed)],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!((requests(&attacker).await, requests(&proxy).await), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_entry_must_match_the_port() {
    let (attacker, proxy) = servers().await;
    let dir = workdir("wrong_port", &fleet(&attacker, &proxy));
    // A bare host allows its scheme's default port only (80 for these http URLs);
    // another port of the same host is another service.
    let elsewhere = format!("127.0.0.1:{}", attacker.address().port() ^ 1);
    let out = run(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--allow-endpoint",
            "127.0.0.1",
            "--allow-endpoint",
            &elsewhere,
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!((requests(&attacker).await, requests(&proxy).await), (0, 0));
    assert!(
        out.stderr
            .contains("2 apps: none could be checked (2 failed)"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_allow_entries_are_usage_errors_naming_the_entry() {
    let (attacker, proxy) = servers().await;
    let dir = workdir("invalid_entry", &fleet(&attacker, &proxy));
    for (args, env, entry) in [
        (
            vec!["--allow-endpoint", "https://proxy.example.com"],
            None,
            "https://proxy.example.com",
        ),
        (
            vec!["--allow-endpoint", "proxy.example.com:0"],
            None,
            "proxy.example.com:0",
        ),
        (
            vec!["--allow-endpoint", "proxy.example.com:http"],
            None,
            "proxy.example.com:http",
        ),
        (
            vec![],
            Some("proxy.example.com,bad host:443"),
            "bad host:443",
        ),
        (vec![], Some("[::1"), "[::1"),
    ] {
        let mut all = vec!["verify", "callbacks.yaml"];
        all.extend(args);
        let env: Vec<(&str, &str)> = env
            .map(|value| ("CBCHECK_ALLOW_ENDPOINTS", value))
            .into_iter()
            .collect();
        let out = run(&dir, &all, &env).await;
        assert_eq!(out.code, Some(2), "{entry}: {}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.contains(entry) && out.stderr.contains("--allow-endpoint"),
            "{entry} in\n{}",
            out.stderr
        );
    }
    assert_eq!((requests(&attacker).await, requests(&proxy).await), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_and_export_from_refuse_the_same_way() {
    let attacker = MockServer::start().await;
    // The attacker's app has no configuration: apply would write one.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ErrorCode": 100301, "ErrorInfo": "not exist", "ActionStatus": "FAIL", "RequestId": "Id-2"
        })))
        .mount(&attacker)
        .await;
    let proxy = server("https://hooks.example.com/b").await;
    let dir = workdir("apply_export", &fleet(&attacker, &proxy));
    let allow_proxy = host_port(&proxy);

    let out = run(
        &dir,
        &[
            "apply",
            "callbacks.yaml",
            "--yes",
            "--allow-endpoint",
            &allow_proxy,
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(requests(&attacker).await, 0);
    assert!(
        out.stderr.contains(&host_port(&attacker))
            && out.stderr.contains("--allow-endpoint")
            && out.stderr.contains(
                "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged. \
                 1 app could not be read."
            ),
        "{}",
        out.stderr
    );

    let _ = std::fs::remove_file(dir.join("out.yaml"));
    let out = run(
        &dir,
        &[
            "export",
            "--from",
            "callbacks.yaml",
            "-o",
            "out.yaml",
            "--allow-endpoint",
            &allow_proxy,
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(requests(&attacker).await, 0);
    assert!(
        out.stderr.contains(&host_port(&attacker)) && out.stderr.contains("nothing was written"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("out.yaml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_endpoint_outranks_drift_but_not_missing_credentials() {
    let attacker = server("https://hooks.example.com/a").await;
    let proxy = server("https://hooks.example.com/drifted").await;
    let dir = workdir("outranks", &fleet(&attacker, &proxy));
    let allow_proxy = host_port(&proxy);
    let args = ["verify", "callbacks.yaml", "--allow-endpoint", &allow_proxy];
    let out = run(&dir, &args, &[]).await;
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("1 drifted, 1 failed"), "{}", out.stderr);

    // Only the refused app has a key: the other's missing credentials exit 3.
    let mut cmd = cbcheck();
    cmd.current_dir(&dir)
        .args(args)
        .env_remove("CBCHECK_ALLOW_ENDPOINTS")
        .env_remove("CBCHECK_ENDPOINT")
        .env("CBCHECK_SECRET_KEY_1400000001", KEY);
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    assert_eq!(output.status.code(), Some(3));
    assert_eq!((requests(&attacker).await, requests(&proxy).await), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_global_endpoint_needs_no_allow_entry() {
    let (attacker, proxy) = servers().await;
    let dir = workdir("global", &fleet(&attacker, &proxy));
    let global = server("https://hooks.example.com/a").await;
    let out = run(
        &dir,
        &["verify", "callbacks.yaml", "--endpoint", &global.uri()],
        &[],
    )
    .await;
    // The second app drifts (the global server answers the first app's URL): the
    // point is that both were sent where the operator said, and nowhere else.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(requests(&global).await, 2);
    assert_eq!((requests(&attacker).await, requests(&proxy).await), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_warns_and_an_allowed_host_is_no_warning() {
    let (attacker, proxy) = servers().await;
    let dir = workdir("lint", &fleet(&attacker, &proxy));
    let out = run(&dir, &["lint", "callbacks.yaml"], &[]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stderr
            .matches("cbcheck::config::unlisted-endpoint")
            .count(),
        2
    );
    assert!(
        out.stderr
            .ends_with("callbacks.yaml: valid: 2 apps, 2 warnings\n"),
        "{}",
        out.stderr
    );
    let denied = run(&dir, &["lint", "--deny-warnings", "callbacks.yaml"], &[]).await;
    assert_eq!(denied.code, Some(2), "{}", denied.stderr);

    // Allowed by the operator, the endpoints are not warned about, in lint or in
    // verify (whose --deny-warnings also fails on the file's warnings).
    let allowed = format!("{},{}", host_port(&attacker), host_port(&proxy));
    let allow = [("CBCHECK_ALLOW_ENDPOINTS", allowed.as_str())];
    let out = run(&dir, &["lint", "--deny-warnings", "callbacks.yaml"], &allow).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stderr, "callbacks.yaml: valid: 2 apps, no warnings\n");
    let out = run(
        &dir,
        &["verify", "--deny-warnings", "callbacks.yaml"],
        &allow,
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "2 apps checked: 2 in sync, 0 drifted, 0 failed\n"
    );
    assert_eq!(requests(&attacker).await, 1);
}
