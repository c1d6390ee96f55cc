//! Where the UserSig may go: an `endpoint:` in the file is used only on a vendor
//! host or a host the operator allowed; everything else gets no request at all.

use serde_json::Value;

use crate::support::cmd::Workdir;
use crate::support::vendor::Vendor;
use crate::support::{Out, workdir};

const KEY: &str = "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
const A: &str = "Room.CallbackAfterCreateRoom";

/// A scratch directory holding two apps with file endpoints: one at the "attacker",
/// one at the operator's proxy.
#[track_caller]
fn fleet(name: &str, attacker: &Vendor, proxy: &Vendor) -> Workdir {
    workdir(name).with(
        "callbacks.yaml",
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
        ),
    )
}

/// A fake vendor on which both apps have a callback to `url` with `A`.
fn server(url: &str) -> Vendor {
    let vendor = Vendor::start();
    vendor
        .room(1_400_000_001, url, &[A])
        .room(1_400_000_002, url, &[A]);
    vendor
}

/// The attacker and the proxy, each with the fleet in sync.
fn servers() -> (Vendor, Vendor) {
    (
        server("https://hooks.example.com/a"),
        server("https://hooks.example.com/b"),
    )
}

/// How many requests `vendor` received; each one a Room get_callback.
#[track_caller]
fn requests(vendor: &Vendor) -> usize {
    let requests = vendor.requests();
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/v4/room_config/get_callback")
        );
    }
    requests.len()
}

/// Run the binary in `dir` with the secret key set (and nothing allowed by the
/// developer's own environment).
fn run(dir: &Workdir, args: &[&str], env: &[(&str, &str)]) -> Out {
    dir.cbcheck()
        .args(args)
        .env_remove("CBCHECK_ENDPOINT")
        .env_remove("CBCHECK_ALLOW_ENDPOINTS")
        .key(KEY)
        .envs(env)
        .run()
}

#[test]
fn without_an_allow_entry_no_file_endpoint_gets_the_token() {
    let (attacker, proxy) = servers();
    let dir = fleet("nothing_allowed", &attacker, &proxy);
    // An empty variable allows nothing (and is no usage error).
    for env in [&[][..], &[("CBCHECK_ALLOW_ENDPOINTS", "")][..]] {
        let out = run(&dir, &["verify", "callbacks.yaml"], env);
        assert_eq!(
            (requests(&attacker), requests(&proxy)),
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

#[test]
fn a_file_endpoint_off_the_vendor_hosts_gets_no_request_and_exits_2() {
    let (attacker, proxy) = servers();
    let dir = fleet("refused", &attacker, &proxy);
    let allow_proxy = proxy.host_port();
    let out = run(
        &dir,
        &["verify", "callbacks.yaml", "--allow-endpoint", &allow_proxy],
        &[],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(requests(&attacker), 0, "the token went to the attacker");
    assert_eq!(requests(&proxy), 1, "the other app is still checked");
    let attacker_host = attacker.host_port();
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
    );
    assert_eq!(json.code, Some(2), "{}", json.stderr);
    assert_eq!(requests(&attacker), 0);
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

#[test]
fn hosts_allowed_by_flag_or_environment_are_used() {
    let (attacker, proxy) = servers();
    let dir = fleet("allowed", &attacker, &proxy);
    let (first, second) = (attacker.host_port(), proxy.host_port());
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
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "2 apps checked: 2 in sync, 0 drifted, 0 failed\n"
    );
    assert_eq!((requests(&attacker), requests(&proxy)), (1, 1));

    // Spaces after the commas and empty entries are tolerated.
    let listed = format!("{first}, ,{second},");
    let out = run(
        &dir,
        &["verify", "callbacks.yaml"],
        &[("CBCHECK_ALLOW_ENDPOINTS", &listed)],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!((requests(&attacker), requests(&proxy)), (2, 2));
}

#[test]
fn an_allow_entry_must_match_the_port() {
    let (attacker, proxy) = servers();
    let dir = fleet("wrong_port", &attacker, &proxy);
    // A bare host allows its scheme's default port only (80 for these http URLs);
    // another port of the same host is another service.
    let port: u16 = attacker
        .host_port()
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .expect("a port");
    let elsewhere = format!("127.0.0.1:{}", port ^ 1);
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
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!((requests(&attacker), requests(&proxy)), (0, 0));
    assert!(
        out.stderr
            .contains("2 apps: none could be checked (2 failed)"),
        "{}",
        out.stderr
    );
}

#[test]
fn invalid_allow_entries_are_usage_errors_naming_the_entry() {
    let (attacker, proxy) = servers();
    let dir = fleet("invalid_entry", &attacker, &proxy);
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
        let out = run(&dir, &all, &env);
        assert_eq!(out.code, Some(2), "{entry}: {}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.contains(entry) && out.stderr.contains("--allow-endpoint"),
            "{entry} in\n{}",
            out.stderr
        );
    }
    assert_eq!((requests(&attacker), requests(&proxy)), (0, 0));
}

#[test]
fn apply_and_export_from_refuse_the_same_way() {
    // The attacker's app has no configuration: apply would write one.
    let attacker = Vendor::start();
    let proxy = server("https://hooks.example.com/b");
    let dir = fleet("apply_export", &attacker, &proxy);
    let allow_proxy = proxy.host_port();

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
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(requests(&attacker), 0);
    assert!(
        out.stderr.contains(&attacker.host_port())
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
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(requests(&attacker), 0);
    assert!(
        out.stderr.contains(&attacker.host_port()) && out.stderr.contains("nothing was written"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("out.yaml").exists());
}

#[test]
fn a_refused_endpoint_outranks_drift_but_not_missing_credentials() {
    let attacker = server("https://hooks.example.com/a");
    let proxy = server("https://hooks.example.com/drifted");
    let dir = fleet("outranks", &attacker, &proxy);
    let allow_proxy = proxy.host_port();
    let args = ["verify", "callbacks.yaml", "--allow-endpoint", &allow_proxy];
    let out = run(&dir, &args, &[]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("1 drifted, 1 failed"), "{}", out.stderr);

    // Only the refused app has a key: the other's missing credentials exit 3.
    dir.cbcheck()
        .args(args)
        .env_remove("CBCHECK_ALLOW_ENDPOINTS")
        .env_remove("CBCHECK_ENDPOINT")
        .env("CBCHECK_SECRET_KEY_1400000001", KEY)
        .hides(&KEY[..16])
        .run()
        .code(3);
    assert_eq!((requests(&attacker), requests(&proxy)), (0, 1));
}

#[test]
fn the_operators_global_endpoint_needs_no_allow_entry() {
    let (attacker, proxy) = servers();
    let dir = fleet("global", &attacker, &proxy);
    let global = server("https://hooks.example.com/a");
    let out = run(
        &dir,
        &["verify", "callbacks.yaml", "--endpoint", &global.uri()],
        &[],
    );
    // The second app drifts (the global server answers the first app's URL): the
    // point is that both were sent where the operator said, and nowhere else.
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(requests(&global), 2);
    assert_eq!((requests(&attacker), requests(&proxy)), (0, 0));
}

#[test]
fn lint_warns_and_an_allowed_host_is_no_warning() {
    let (attacker, proxy) = servers();
    let dir = fleet("lint", &attacker, &proxy);
    let out = run(&dir, &["lint", "callbacks.yaml"], &[]);
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
    let denied = run(&dir, &["lint", "--deny-warnings", "callbacks.yaml"], &[]);
    assert_eq!(denied.code, Some(2), "{}", denied.stderr);

    // Allowed by the operator, the endpoints are not warned about, in lint or in
    // verify (whose --deny-warnings also fails on the file's warnings).
    let allowed = format!("{},{}", attacker.host_port(), proxy.host_port());
    let allow = [("CBCHECK_ALLOW_ENDPOINTS", allowed.as_str())];
    let out = run(&dir, &["lint", "--deny-warnings", "callbacks.yaml"], &allow);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stderr, "callbacks.yaml: valid: 2 apps, no warnings\n");
    let out = run(
        &dir,
        &["verify", "--deny-warnings", "callbacks.yaml"],
        &allow,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "2 apps checked: 2 in sync, 0 drifted, 0 failed\n"
    );
    assert_eq!(requests(&attacker), 1);
}
