//! `verify --probe`: local endpoints on loopback with certificates made here; the
//! live state comes from `--live-from`, so no vendor fake is needed. Every server
//! records what it received after the handshake: the probe must send nothing.

use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::support::cmd::{Workdir, read};
use crate::support::tls::{self, Authority, HERE};
use crate::support::vendor::{Identity, Snapshot, configured};
use crate::support::{Cmd, fixture, repo_path, workdir};

/// The line of `callback.url` in the file `callbacks` writes.
const URL_LINE: u64 = 10;

/// Two apps whose callbacks share one endpoint: both get its findings. Plain http is
/// allowed (a warning), for the test of an http endpoint.
fn callbacks(url: &str) -> String {
    fixture("two-apps.yaml")
        .replace("https://hooks.example.com/cb", url)
        .replace(
            "    callback:",
            "    allow_insecure_url: true\n    callback:",
        )
}

/// The app `sdkappid` in sync live at `url`.
fn in_sync(live: Snapshot, sdkappid: u64, url: &str) -> Snapshot {
    live.room(sdkappid, configured(url, &["Room.CallbackAfterCreateRoom"]))
}

/// Both apps in sync live.
fn snapshot(url: &str) -> Snapshot {
    in_sync(
        in_sync(Snapshot::new(), 1_400_000_001, url),
        1_400_000_002,
        url,
    )
}

/// What a server saw on one connection.
#[derive(Debug)]
struct Seen {
    /// The TLS handshake completed (always true for plain TCP).
    handshake: bool,
    /// Application bytes received after it (or after the connect, for plain TCP).
    bytes_after: usize,
}

/// A callback endpoint on 127.0.0.1 (not the vendor: the probe only shakes hands
/// with it): TLS with a certificate, else plain TCP.
struct Endpoint {
    port: u16,
    seen: mpsc::UnboundedReceiver<Seen>,
}

impl Endpoint {
    async fn start(certificate: Option<Identity>) -> Endpoint {
        Endpoint::serve(certificate.map(tls::acceptor), Duration::ZERO).await
    }

    /// A TLS endpoint that waits `delay` after the connect before its handshake.
    async fn delayed(certificate: Identity, delay: Duration) -> Endpoint {
        Endpoint::serve(Some(tls::acceptor(certificate)), delay).await
    }

    async fn serve(acceptor: Option<TlsAcceptor>, delay: Duration) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (tx, seen) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let seen = match acceptor {
                        None => Seen {
                            handshake: true,
                            bytes_after: drain(stream).await,
                        },
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(tls) => Seen {
                                handshake: true,
                                bytes_after: drain(tls).await,
                            },
                            Err(_) => Seen {
                                handshake: false,
                                bytes_after: 0,
                            },
                        },
                    };
                    let _ = tx.send(seen);
                });
            }
        });
        Endpoint { port, seen }
    }

    /// A TLS endpoint with a certificate from `ca` that never answers the handshake.
    async fn silent(ca: &Authority) -> Endpoint {
        Endpoint::delayed(ca.valid(&HERE), Duration::from_secs(3600)).await
    }

    /// `https://127.0.0.1:<port>/cb`.
    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/cb", self.port)
    }

    /// What the one connection the run made saw.
    async fn one_connection(&mut self) -> Seen {
        tokio::time::timeout(Duration::from_secs(30), self.seen.recv())
            .await
            .expect("the connection ended")
            .expect("a connection")
    }
}

/// Read until the peer closes: every application byte it sent.
async fn drain(mut stream: impl tokio::io::AsyncRead + Unpin) -> usize {
    let mut buffer = [0u8; 4096];
    let mut total = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return total,
            Ok(Ok(n)) => total += n,
        }
    }
}

/// One `verify --format json --probe` run: its exit code, stderr, the JSON report,
/// and the directory it ran in.
struct Run {
    code: Option<i32>,
    report: Value,
    stderr: String,
    dir: Workdir,
}

impl Run {
    /// Every finding of both apps, as (app, kind, severity, line, message).
    fn findings(&self) -> Vec<(String, String, String, u64, String)> {
        let mut all = Vec::new();
        for app in self.report["apps"].as_array().expect("apps") {
            for finding in app["findings"].as_array().expect("findings") {
                all.push((
                    app["name"].as_str().unwrap_or_default().to_owned(),
                    finding["kind"].as_str().unwrap_or_default().to_owned(),
                    finding["severity"].as_str().unwrap_or_default().to_owned(),
                    finding["line"].as_u64().unwrap_or_default(),
                    finding["message"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
        all
    }

    /// The one kind both apps got, at their URL lines, with its severity and message.
    fn one_kind_each(&self, kind: &str, severity: &str) -> String {
        let findings = self.findings();
        let probe: Vec<_> = findings.iter().filter(|f| f.1 != "insecure_url").collect();
        assert_eq!(probe.len(), 2, "{findings:?}\n{}", self.stderr);
        for (app, (name, found, level, _, _)) in ["prod", "staging"].iter().zip(&probe) {
            assert_eq!(name, app, "{findings:?}");
            assert_eq!(found, kind, "{findings:?}");
            assert_eq!(level, severity, "{findings:?}");
        }
        // The URL lines of the two apps.
        assert_eq!(probe[0].3, URL_LINE, "{findings:?}");
        assert_eq!(probe[1].3, URL_LINE + 6, "{findings:?}");
        probe[0].4.clone()
    }

    /// The run passed, and both apps' endpoint was unreachable, saying `why`.
    #[track_caller]
    fn unreachable_each(&self, why: &str) {
        assert_eq!(self.code, Some(0), "{}", self.stderr);
        let message = self.one_kind_each("endpoint_unreachable", "warning");
        assert!(message.contains(why), "{message}");
    }
}

/// `cbcheck verify --format json --probe` on the two apps at `url`, trusting `roots`.
async fn verify(name: &str, url: &str, roots: Option<&Authority>, flags: &[&str]) -> Run {
    verify_file(name, &callbacks(url), snapshot(url), roots, flags).await
}

/// As `verify`, on the callbacks file `file` with the live state `live`.
async fn verify_file(
    name: &str,
    file: &str,
    live: Snapshot,
    roots: Option<&Authority>,
    flags: &[&str],
) -> Run {
    // A CA no endpoint uses when the test brings none: the machine's store is never read.
    let pem = match roots {
        Some(authority) => authority.pem(),
        None => Authority::new("unused").pem(),
    };
    let dir = workdir(name)
        .with("callbacks.yaml", file)
        .with("live.json", live.to_string())
        .with("roots.pem", pem);
    let mut cmd = dir
        .cbcheck()
        .env("SSL_CERT_FILE", dir.join("roots.pem"))
        .env("SSL_CERT_DIR", "")
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .args(["--format", "json", "--probe"])
        .args(flags);
    // Generous on a busy machine, unless the test sets its own.
    if !flags.contains(&"--probe-timeout") {
        cmd = cmd.args(["--probe-timeout", "20"]);
    }
    let out = cmd.run_async().await;
    Run {
        code: out.code,
        report: out.stdout_json(),
        stderr: out.stderr,
        dir,
    }
}

/// The report matches the committed schema.
fn assert_valid_report(report: &Value) {
    let schema: Value =
        serde_json::from_str(&read(&repo_path("schemas/report.schema.json"))).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_endpoint_gives_no_finding_and_its_metrics() {
    let ca = Authority::new("cbcheck probe CA");
    let (identity, not_after) = ca.leaf(&HERE, -1, 89);
    let mut endpoint = Endpoint::start(Some(identity)).await;
    let url = format!("https://127.0.0.1:{}/cb?token=s3cr3t", endpoint.port);
    let run = verify(
        "valid",
        &url,
        Some(&ca),
        &["--probe-allow-private", "--report", "prometheus=probe.prom"],
    )
    .await;

    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.findings(), [], "{}", run.stderr);
    // One host for two apps: probed once; the handshake completed and nothing followed.
    let seen = endpoint.one_connection().await;
    assert!(seen.handshake, "{seen:?}");
    assert_eq!(seen.bytes_after, 0, "no HTTP request");
    assert!(endpoint.seen.try_recv().is_err(), "probed twice");

    // The JSON report keeps each endpoint's result, the certificate's end with it.
    let host = format!("127.0.0.1:{}", endpoint.port);
    let probes = run.report["probes"].as_array().expect("probes");
    assert_eq!(probes.len(), 1, "{probes:?}");
    assert_eq!(probes[0]["host"], host.as_str());
    assert_eq!(probes[0]["success"], true);
    assert_eq!(probes[0]["kind"], Value::Null);
    // RFC 3339 with three digits of milliseconds, so report times sort as strings.
    let expires = time::OffsetDateTime::from_unix_timestamp(not_after)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
        .replace('Z', ".000Z");
    assert_eq!(probes[0]["cert_not_after"], expires.as_str());
    assert!(probes[0]["duration_ms"].is_u64(), "{probes:?}");
    assert_valid_report(&run.report);

    let metrics = run.dir.read("probe.prom");
    let families = crate::support::prometheus::parse(&metrics);
    let sample = |family: &str| {
        let samples = &families[family];
        assert_eq!(samples.len(), 1, "{family}: {samples:?}");
        assert_eq!(samples[0].0["host"], host, "{family}");
        assert_eq!(samples[0].0["scheme"], "https", "{family}");
        assert_eq!(samples[0].0.len(), 2, "host and scheme only: {samples:?}");
        samples[0].1
    };
    assert_eq!(sample("cbcheck_probe_success"), 1.0);
    assert_eq!(
        sample("cbcheck_probe_cert_not_after_timestamp_seconds"),
        not_after as f64
    );
    assert!(sample("cbcheck_probe_duration_seconds") >= 0.0);
    assert!(!metrics.contains("s3cr3t"), "{metrics}");
    assert!(!metrics.contains("/cb"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_fails_verification_is_tls_invalid_and_says_why() {
    let ca = Authority::new("cbcheck probe CA");
    let stranger = Authority::new("somebody else's CA");
    for (case, issuer, names, from, to, expected) in [
        ("expired", &ca, &HERE[..], -100, -10, "expired"),
        ("not_yet_valid", &ca, &HERE[..], 10, 100, "not yet valid"),
        (
            "wrong_name",
            &ca,
            &["other.example"][..],
            -1,
            89,
            "name mismatch",
        ),
        ("unknown_ca", &stranger, &HERE[..], -1, 89, "unknown issuer"),
    ] {
        let (identity, _) = issuer.leaf(names, from, to);
        let mut endpoint = Endpoint::start(Some(identity)).await;
        let url = endpoint.url();
        let run = verify(case, &url, Some(&ca), &["--probe-allow-private"]).await;

        // A warning: the run still passes.
        assert_eq!(run.code, Some(0), "{case}: {}", run.stderr);
        let message = run.one_kind_each("tls_invalid", "warning");
        assert!(
            message.contains(&format!("is not valid: {expected}")),
            "{case}: {message}"
        );
        let probes = &run.report["probes"];
        assert_eq!(probes[0]["success"], false, "{case}: {probes}");
        assert_eq!(probes[0]["kind"], "tls_invalid", "{case}: {probes}");
        assert_valid_report(&run.report);
        let seen = endpoint.one_connection().await;
        assert!(!seen.handshake, "{case}: {seen:?}");
        assert_eq!(seen.bytes_after, 0, "{case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_fail_on_error_makes_a_broken_endpoint_unhealthy() {
    let ca = Authority::new("cbcheck probe CA");
    let (identity, _) = ca.leaf(&HERE, -100, -10);
    let mut endpoint = Endpoint::start(Some(identity)).await;
    let url = endpoint.url();
    let run = verify(
        "fail_on_error",
        &url,
        Some(&ca),
        &["--probe-allow-private", "--probe-fail-on", "error"],
    )
    .await;

    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.one_kind_each("tls_invalid", "error");
    // The configuration is in sync: the endpoint is unhealthy, not drifted.
    assert_eq!(run.report["summary"]["unhealthy"], 2, "{}", run.report);
    assert_eq!(run.report["summary"]["drifted"], 0, "{}", run.report);
    assert_eq!(run.report["status"], "unhealthy", "{}", run.report);
    assert_eq!(
        run.report["apps"][0]["status"], "unhealthy",
        "{}",
        run.report
    );
    assert_valid_report(&run.report);
    // An endpoint problem is not fixed by rewriting the callback.
    assert_eq!(run.report["apps"][0]["remediation"], Value::Null);
    let _ = endpoint.one_connection().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_near_its_end_is_cert_expiring_and_fails_only_when_asked() {
    let ca = Authority::new("cbcheck probe CA");
    // 90 days, 10 left: less than a third.
    let (identity, _) = ca.leaf(&HERE, -80, 10);
    let mut endpoint = Endpoint::start(Some(identity)).await;
    let url = endpoint.url();
    for (case, flags, code, severity) in [
        ("expiring", &[][..], 0, "warning"),
        (
            "expiring_fail_on_error",
            &["--probe-fail-on", "error"][..],
            0,
            "warning",
        ),
        (
            "expiring_fail_on_warning",
            &["--probe-fail-on", "warning"][..],
            1,
            "error",
        ),
        (
            "expiring_deny_warnings",
            &["--deny-warnings"][..],
            1,
            "warning",
        ),
    ] {
        let mut all = vec!["--probe-allow-private"];
        all.extend_from_slice(flags);
        let run = verify(case, &url, Some(&ca), &all).await;
        assert_eq!(run.code, Some(code), "{case}: {}", run.stderr);
        let message = run.one_kind_each("cert_expiring", severity);
        assert!(
            message.contains("days left of its 90 days"),
            "{case}: {message}"
        );
        let seen = endpoint.one_connection().await;
        assert!(seen.handshake, "{case}: {seen:?}");
        assert_eq!(seen.bytes_after, 0, "{case}: no HTTP request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handshake_is_endpoint_slow_and_a_missing_one_unreachable() {
    let ca = Authority::new("cbcheck probe CA");
    let (identity, _) = ca.leaf(&HERE, -1, 89);
    // Well past the 1 s bound, well within the probe's timeout.
    let mut endpoint = Endpoint::delayed(identity, Duration::from_millis(1500)).await;
    let url = endpoint.url();
    let run = verify("slow", &url, Some(&ca), &["--probe-allow-private"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let message = run.one_kind_each("endpoint_slow", "warning");
    assert!(message.contains("more than 1 s"), "{message}");
    let seen = endpoint.one_connection().await;
    assert!(seen.handshake, "{seen:?}");
    assert_eq!(seen.bytes_after, 0, "no HTTP request");

    // A server that never answers the handshake: the probe's own timeout ends it.
    let silent = Endpoint::silent(&ca).await;
    let run = verify(
        "silent",
        &silent.url(),
        Some(&ca),
        &["--probe-allow-private", "--probe-timeout", "0.5"],
    )
    .await;
    run.unreachable_each("no TLS handshake within 0.5 s");
}

/// `--deadline` bounds the whole run, the probe too: a host that holds its handshake
/// past the deadline is reported then, not after the probe's own (longer) timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_deadline_ends_the_probe_too() {
    let ca = Authority::new("cbcheck probe CA");
    let silent = Endpoint::silent(&ca).await;
    let run = verify(
        "deadline",
        &silent.url(),
        Some(&ca),
        &[
            "--probe-allow-private",
            "--probe-timeout",
            "60",
            "--deadline",
            "2",
        ],
    )
    .await;
    run.unreachable_each("no TLS handshake before the run deadline (--deadline 2)");
}

/// A host still waiting for its turn when the deadline passes is not begun.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_waiting_for_its_turn_at_the_deadline_is_not_probed() {
    let ca = Authority::new("cbcheck probe CA");
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(Endpoint::silent(&ca).await);
    }
    let urls: Vec<String> = silent.iter().map(Endpoint::url).collect();
    // The second app on the second endpoint.
    let mut file = callbacks(&urls[0]);
    let second = file.rfind(&urls[0]).expect("two URLs");
    file.replace_range(second..second + urls[0].len(), &urls[1]);
    let live = in_sync(
        in_sync(Snapshot::new(), 1_400_000_001, &urls[0]),
        1_400_000_002,
        &urls[1],
    );
    let run = verify_file(
        "deadline_queue",
        &file,
        live,
        Some(&ca),
        &[
            "--probe-allow-private",
            "--probe-timeout",
            "60",
            "--probe-concurrency",
            "1",
            "--deadline",
            "2",
        ],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = run.report;
    let mut messages: Vec<String> = report["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .flat_map(|app| app["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["kind"] == "endpoint_unreachable")
        .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    messages.sort();
    assert_eq!(messages.len(), 2, "{report:#}");
    let tried = messages
        .iter()
        .filter(|m| m.ends_with(": no TLS handshake before the run deadline (--deadline 2)"))
        .count();
    let waiting = messages
        .iter()
        .filter(|m| m.ends_with(": not probed before the run deadline (--deadline 2)"))
        .count();
    assert_eq!((tried, waiting), (1, 1), "{messages:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let url = format!("https://127.0.0.1:{port}/cb");
    let formats = ["human", "github", "sarif", "junit", "markdown"];
    let mut flags = vec!["--probe-allow-private".to_owned()];
    for format in formats {
        flags.extend(["--report".into(), format!("{format}={format}.out")]);
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let run = verify("closed_port", &url, None, &flags).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let message = run.one_kind_each("endpoint_unreachable", "warning");
    assert!(
        message.contains(&format!(
            "cannot connect to the callback host 127.0.0.1:{port}"
        )),
        "{message}"
    );
    // Every format shows it (the tally in markdown, the finding in the others).
    for format in formats {
        let text = run.dir.read(&format!("{format}.out"));
        assert!(text.contains("endpoint_unreachable"), "{format}: {text}");
        if format != "markdown" {
            assert!(
                text.contains(&format!("cannot connect to 127.0.0.1:{port} from here"))
                    || text.contains(&message),
                "{format}: {text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_is_unresolvable() {
    let url = "https://cbcheck-probe-test.invalid/cb";
    let run = verify("unresolvable", url, None, &["--probe-allow-private"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let message = run.one_kind_each("endpoint_unresolvable", "warning");
    assert!(
        message.contains("the callback host cbcheck-probe-test.invalid does not resolve"),
        "{message}"
    );
}

/// One host shared by apps is one report on stderr, naming each app, with no
/// configuration diff; Prometheus keeps them in sync and says what failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_host_is_one_report_and_its_apps_stay_in_sync() {
    let url = "https://cbcheck-probe-test.invalid/cb";
    let dir = workdir("dead_host")
        .with("callbacks.yaml", callbacks(url))
        .with("live.json", snapshot(url).to_string());
    let out = dir
        .cbcheck()
        .args([
            "verify",
            "callbacks.yaml",
            "--live-from",
            "live.json",
            "--probe",
        ])
        .args(["--probe-fail-on", "error", "--probe-timeout", "20"])
        .args(["--report", "prometheus=audit.prom"])
        .run_async()
        .await;
    out.code(1)
        .stderr_has("error[endpoint_unresolvable]: the callback host cbcheck-probe-test.invalid does not resolve")
        .stderr_has("  used by 2 apps (their configuration is as declared; apply cannot fix this):\n    prod (1400000001)  callbacks.yaml:10\n    staging (1400000002)  callbacks.yaml:16\n")
        .stderr_has("2 apps checked: 0 in sync, 0 drifted, 2 unhealthy, 0 failed")
        .stderr_lacks("has drifted")
        .stderr_lacks("--- live")
        .stderr_lacks("cbcheck apply");
    assert_eq!(
        out.stderr.matches("endpoint_unresolvable").count(),
        3,
        "one report, and the two rows of the list:\n{}",
        out.stderr
    );
    let metrics = dir.read("audit.prom");
    for series in [
        "cbcheck_app_in_sync{app=\"prod\",sdkappid=\"1400000001\",service=\"room\"} 1",
        "cbcheck_app_endpoint_healthy{app=\"prod\",sdkappid=\"1400000001\",service=\"room\"} 0",
        "cbcheck_app_endpoint_problem{app=\"prod\",sdkappid=\"1400000001\",service=\"room\",kind=\"endpoint_unresolvable\"} 1",
        "cbcheck_apps{status=\"unhealthy\"} 2",
        "cbcheck_apps{status=\"drifted\"} 0",
    ] {
        assert!(metrics.contains(series), "{series} not in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_could_not_be_checked_gets_no_probe_finding() {
    let url = "https://cbcheck-probe-test.invalid/cb";
    let live = in_sync(Snapshot::new(), 1_400_000_001, url);
    let run = verify_file("unchecked", &callbacks(url), live, None, &[]).await;
    // Its failure is what it reports; the endpoint's result is in `probes`.
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, "prod", "{findings:?}");
    assert_eq!(run.report["summary"]["warnings"], 1, "{}", run.report);
    assert_eq!(
        run.report["probes"][0]["kind"], "endpoint_unresolvable",
        "{}",
        run.report
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_endpoint_is_refused_unless_private_is_allowed() {
    let ca = Authority::new("cbcheck probe CA");
    let (identity, _) = ca.leaf(&HERE, -1, 89);
    let mut endpoint = Endpoint::start(Some(identity)).await;
    let url = endpoint.url();

    let run = verify("private", &url, Some(&ca), &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let message = run.one_kind_each("endpoint_private", "warning");
    assert!(message.contains("127.0.0.1 (loopback)"), "{message}");
    // Not connected to: a connection of ours made afterwards is the first one seen.
    let ours = TcpStream::connect(("127.0.0.1", endpoint.port))
        .await
        .expect("connect");
    drop(ours);
    let first = endpoint.one_connection().await;
    assert!(
        !first.handshake,
        "the first connection was the probe's: {first:?}"
    );

    let run = verify(
        "private_allowed",
        &url,
        Some(&ca),
        &["--probe-allow-private"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.findings(), [], "{}", run.stderr);
    let seen = endpoint.one_connection().await;
    assert!(seen.handshake, "{seen:?}");
    assert_eq!(seen.bytes_after, 0, "no HTTP request");
}

/// A stranger's file can name internal hosts, and CI logs are public: a name that
/// resolves only to private addresses is reported by their kind, its addresses kept
/// out of every output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_name_does_not_publish_its_addresses() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "https://localhost:{}/cb",
        listener.local_addr().expect("address").port()
    );
    let run = verify("private_name", &url, None, &["-q"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let message = run.one_kind_each("endpoint_private", "warning");
    assert!(message.contains("loopback"), "{message}");
    let all = format!("{}{}", run.report, run.stderr);
    for address in ["127.0.0.1", "::1"] {
        assert!(!all.contains(address), "{address} shown:\n{all}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_endpoint_is_only_connected_to() {
    let mut endpoint = Endpoint::start(None).await;
    let url = format!("http://127.0.0.1:{}/cb", endpoint.port);
    let run = verify("plain_http", &url, None, &["--probe-allow-private"]).await;
    // insecure_url (a warning here) is the only finding, as without --probe.
    let findings = run.findings();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(
        findings.iter().all(|f| f.1 == "insecure_url"),
        "{findings:?}"
    );
    let seen = endpoint.one_connection().await;
    assert_eq!(seen.bytes_after, 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_written_with_a_variable_is_not_probed_and_said_so() {
    let url = "https://${HOOK_HOST}/cb";
    let run = verify("interpolated", url, None, &["--probe-allow-private"]).await;
    assert!(
        run.findings().iter().all(|f| !f.1.starts_with("endpoint")),
        "{:?}",
        run.findings()
    );
    assert!(
        run.stderr.contains(
            "prod (1400000001): not probed: the callback URL's host is written with ${…}"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn probe_options_need_probe() {
    Cmd::new()
        .args(["verify", "callbacks.yaml", "--probe-allow-private"])
        .run()
        .code(2)
        .stderr_has("--probe")
        .stdout_is("");
}
