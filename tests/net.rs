//! What a hostile or broken server can make of a request: redirects, echoed tokens,
//! oversized replies, bad certificates. The real binary against in-process fake servers.

use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
// The TLS test runs on Linux only (see it below).
#[cfg(target_os = "linux")]
use tokio_rustls::TlsAcceptor;
#[cfg(target_os = "linux")]
use tokio_rustls::rustls::ServerConfig;
#[cfg(target_os = "linux")]
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

#[cfg(target_os = "linux")]
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use serde_json::{Value, json};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::cbcheck;

const KEY: &str = "0c4f1e2d3b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const GET: &str = "/v4/room_config/get_callback";
const A: &str = "Room.CallbackAfterCreateRoom";

const ONE_APP: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: prod
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
";

fn ok_body() -> Value {
    json!({
        "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-ok-O-Seq-1",
        "Response": {"Url": "https://hooks.example.com/cb", "CallbackCommandList": [A]}
    })
}

/// A scratch directory holding `callbacks.yaml`.
fn workdir(name: &str, yaml: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("net")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("callbacks.yaml"), yaml).expect("scratch file");
    dir
}

/// One `verify` run and everything it wrote.
struct Run {
    output: Output,
    stdout: String,
    stderr: String,
    /// `--report json=report.json`.
    report: Value,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn app_error(&self, index: usize) -> &Value {
        &self.report["apps"][index]["error"]
    }

    /// stdout, stderr and the JSON report, for searching.
    fn everything(&self) -> String {
        format!("{}\n{}\n{}", self.stdout, self.stderr, self.report)
    }
}

/// `cbcheck verify callbacks.yaml --endpoint <endpoint> --report json=report.json <args>`.
async fn verify(name: &str, yaml: &str, endpoint: &str, args: &[&str]) -> Run {
    verify_in(workdir(name, yaml), endpoint, args, &[]).await
}

/// `verify` in a prepared directory, with more environment.
async fn verify_in(dir: PathBuf, endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = cbcheck();
    cmd.current_dir(&dir)
        .args(["verify", "callbacks.yaml", "--endpoint", endpoint])
        .args(["--report", "json=report.json"])
        .args(args)
        .env("CBCHECK_SECRET_KEY", KEY);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let report = std::fs::read_to_string(dir.join("report.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        output,
        report,
    }
}

/// Every UserSig a wiremock server received.
async fn usersigs(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "usersig")
                .map(|(_, v)| v.into_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_never_followed_and_names_only_the_host() {
    for status in [301u16, 302, 307, 308] {
        let elsewhere = MockServer::start().await;
        Mock::given(path(GET))
            .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
            .mount(&elsewhere)
            .await;
        let location = format!(
            "http://localhost:{}/path-marker/v4/room_config/get_callback?query-marker=1",
            elsewhere.address().port()
        );
        let endpoint = MockServer::start().await;
        Mock::given(path(GET))
            .respond_with(
                ResponseTemplate::new(status).insert_header("Location", location.as_str()),
            )
            .expect(1)
            .mount(&endpoint)
            .await;

        let run = verify(&format!("redirect_{status}"), ONE_APP, &endpoint.uri(), &[]).await;

        let followed = elsewhere.received_requests().await.unwrap_or_default();
        assert!(followed.is_empty(), "{status}: the redirect was followed");
        assert_eq!(run.code(), Some(4), "{status}: {}", run.stderr);
        let error = run.app_error(0);
        assert_eq!(error["class"], "protocol", "{status}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        let host = format!("localhost:{}", elsewhere.address().port());
        for shown in [message, &run.stderr] {
            assert!(
                shown.contains(&format!("HTTP {status}")),
                "{status}: {shown}"
            );
            assert!(shown.contains(&host), "{status}: {shown}");
        }
        let everything = run.everything();
        for hidden in ["path-marker", "query-marker", "usersig"] {
            assert!(
                !everything.contains(hidden),
                "{status}: {hidden} in {everything}"
            );
        }
        let sent = usersigs(&endpoint).await;
        assert_eq!(sent.len(), 1, "{status}: one attempt only");
        assert!(
            !everything.contains(&sent[0][..24]),
            "{status}: token leaked"
        );
    }
}

const TWO_APPS: &str = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: prod
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
  - name: staging
    sdkappid: 1400000002
    callback:
      url: https://hooks.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
";

/// The request's UserSig, read back from the URL.
fn usersig_of(request: &Request) -> String {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == "usersig")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A vendor error quoting the token: JSON-escaped in ErrorInfo, lower-case
/// percent-encoded in RequestId.
struct EchoInJson;

impl Respond for EchoInJson {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = usersig_of(request);
        let escaped: String = token
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 || "*-_".contains(c) {
                    format!("\\u{:04x}", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect();
        let percent: String = token
            .chars()
            .map(|c| match c {
                '*' | '-' | '_' => format!("%{:02x}", u32::from(c)),
                c => c.to_string(),
            })
            .collect();
        let body = format!(
            r#"{{"ActionStatus":"FAIL","ErrorCode":100002,"ErrorInfo":"invalid usersig={escaped}","RequestId":"Id-{percent}"}}"#
        );
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }
}

/// A proxy's error page quoting the request with every character upper-case
/// percent-encoded.
struct EchoInPage;

impl Respond for EchoInPage {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let encoded: String = usersig_of(request)
            .bytes()
            .map(|b| format!("%{b:02X}"))
            .collect();
        ResponseTemplate::new(403).set_body_string(format!("<h1>Denied</h1>?usersig={encoded}"))
    }
}

/// The text, and its JSON-unescaped and percent-decoded forms.
fn decodings(text: &str) -> Vec<String> {
    let unescaped = unescape_json(text);
    vec![
        text.to_owned(),
        percent_decode(text),
        percent_decode(&unescaped),
        unescaped,
    ]
}

fn unescape_json(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'u') {
            let hex: String = chars.clone().skip(1).take(4).collect();
            if let Some(decoded) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                out.push(decoded);
                chars.nth(4);
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match text
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_token_reaches_no_output_in_any_encoding() {
    let server = MockServer::start().await;
    Mock::given(path(GET))
        .and(query_param("sdkappid", "1400000001"))
        .respond_with(EchoInJson)
        .mount(&server)
        .await;
    Mock::given(path(GET))
        .and(query_param("sdkappid", "1400000002"))
        .respond_with(EchoInPage)
        .mount(&server)
        .await;
    let reports = [
        "sarif=report.sarif",
        "junit=report.xml",
        "markdown=report.md",
        "github=report.github",
    ];
    for format in ["human", "github"] {
        let name = format!("echo_{format}");
        let mut args = vec!["--format", format];
        for report in &reports {
            args.extend(["--report", report]);
        }
        let run = verify(&name, TWO_APPS, &server.uri(), &args).await;
        assert_eq!(run.code(), Some(4), "{}", run.stderr);
        assert_eq!(run.app_error(0)["class"], "api", "{}", run.report);
        let info = run.app_error(0)["message"].as_str().unwrap_or_default();
        assert!(info.contains("invalid usersig=(redacted)"), "{info}");
        assert_eq!(run.app_error(0)["request_id"], "Id-(redacted)");

        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("net")
            .join(&name);
        let mut outputs = vec![run.everything()];
        for report in &reports {
            let file = report.split_once('=').map_or("", |(_, file)| file);
            outputs.push(std::fs::read_to_string(dir.join(file)).expect("report written"));
        }
        let tokens = usersigs(&server).await;
        assert!(!tokens.is_empty());
        for output in &outputs {
            for shown in decodings(output) {
                for token in &tokens {
                    assert!(!shown.contains(&token[..24]), "token in:\n{shown}");
                }
            }
        }
    }
}

/// What a raw fake sends the oversized app.
#[derive(Debug, Clone, Copy)]
enum Flood {
    /// A chunked body that goes on and on.
    Body,
    /// Header lines that go on and on.
    Headers,
}

/// The most a flood sends before ending on its own; a client that stops reading
/// closes the connection long before.
const FLOOD_LIMIT: usize = 64 << 20;

/// How one flood ended.
#[derive(Debug)]
struct Flooded {
    bytes: usize,
    /// All of `FLOOD_LIMIT` was taken: nobody stopped reading.
    to_the_end: bool,
}

/// A fake API on a raw socket: `flooded` gets a flood, every other app a normal reply.
struct RawServer {
    endpoint: String,
    /// Requests for the flooded app.
    asked: Arc<AtomicUsize>,
    floods: mpsc::UnboundedReceiver<Flooded>,
}

async fn raw_server(flooded: u64, flood: Flood) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let asked = Arc::new(AtomicUsize::new(0));
    let (tx, floods) = mpsc::unbounded_channel();
    let counter = Arc::clone(&asked);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(flooded) = serve(stream, flooded, flood, &counter).await {
                    let _ = tx.send(flooded);
                }
            });
        }
    });
    RawServer {
        endpoint,
        asked,
        floods,
    }
}

/// Answer one request; `Some` when it was the flooded app's.
async fn serve(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    flooded: u64,
    flood: Flood,
    asked: &AtomicUsize,
) -> Option<Flooded> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        request.extend_from_slice(&buf[..n]);
    }
    if !head.contains(&format!("sdkappid={flooded}&")) {
        let body = ok_body().to_string();
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        return None;
    }
    asked.fetch_add(1, Ordering::SeqCst);
    let (head, piece, end): (&[u8], Vec<u8>, &[u8]) = match flood {
        Flood::Body => {
            let mut chunk = format!("{:x}\r\n", 64 << 10).into_bytes();
            chunk.extend(std::iter::repeat_n(b'a', 64 << 10));
            chunk.extend_from_slice(b"\r\n");
            (
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
                chunk,
                b"0\r\n\r\n",
            )
        }
        Flood::Headers => {
            let mut line = b"x-filler: ".to_vec();
            line.extend(std::iter::repeat_n(b'a', 1000));
            line.extend_from_slice(b"\r\n");
            (b"HTTP/1.1 200 OK\r\n", line, b"content-length: 0\r\n\r\n")
        }
    };
    let mut bytes = 0;
    let mut sent = stream.write_all(head).await;
    while sent.is_ok() && bytes < FLOOD_LIMIT {
        sent = stream.write_all(&piece).await;
        bytes += piece.len();
    }
    let to_the_end = sent.is_ok() && stream.write_all(end).await.is_ok();
    Some(Flooded { bytes, to_the_end })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_reply_fails_its_app_alone_and_is_not_read_past_the_cap() {
    for flood in [Flood::Body, Flood::Headers] {
        let mut server = raw_server(1_400_000_001, flood).await;
        let name = format!("flood_{flood:?}").to_lowercase();
        let run = verify(&name, TWO_APPS, &server.endpoint, &["--timeout", "60"]).await;

        assert_eq!(run.code(), Some(4), "{flood:?}: {}", run.stderr);
        let error = run.app_error(0);
        assert_eq!(error["class"], "protocol", "{flood:?}: {error}");
        let expected = match flood {
            Flood::Body => "a reply larger than 1 MiB",
            Flood::Headers => "a reply whose headers are too large",
        };
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains(expected),
            "{flood:?}: {error}"
        );
        assert!(run.stderr.contains(expected), "{flood:?}: {}", run.stderr);
        assert_eq!(
            run.report["apps"][1]["status"], "in_sync",
            "{flood:?}: {}",
            run.report
        );
        assert!(
            run.stderr
                .contains("2 apps checked: 1 in sync, 0 drifted, 1 failed"),
            "{flood:?}: {}",
            run.stderr
        );
        // Not retried, and the reader hung up instead of taking it all.
        assert_eq!(server.asked.load(Ordering::SeqCst), 1, "{flood:?}");
        let flooded = server.floods.recv().await.expect("the flood ended");
        assert!(!flooded.to_the_end, "{flood:?}: {flooded:?}");
        assert!(flooded.bytes < FLOOD_LIMIT, "{flood:?}: {flooded:?}");
    }
}

/// A certificate authority made for one test.
#[cfg(target_os = "linux")]
fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

/// A server certificate for `names`, issued by `ca`; valid only in 2019 if `expired`.
#[cfg(target_os = "linux")]
fn server_certificate(
    ca: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    expired: bool,
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    if expired {
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert.der().clone(), key)
}

/// An HTTPS fake answering every app in sync; counts the connections (handshakes).
#[cfg(target_os = "linux")]
async fn tls_server(
    certificate: (CertificateDer<'static>, PrivateKeyDer<'static>),
) -> (String, Arc<AtomicUsize>) {
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certificate.0], certificate.1)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handshakes);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve(tls, 0, Flood::Body, &AtomicUsize::new(0)).await;
                }
            });
        }
    });
    (format!("https://127.0.0.1:{port}"), handshakes)
}

// The test trusts its own CA through SSL_CERT_FILE, which rustls-platform-verifier
// reads on Linux only: macOS and Windows ask the system's trust store (ci.yml runs
// the suite on macOS too).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_fails_verification_is_named_and_not_retried() {
    let trusted = authority("cbcheck test CA");
    let stranger = authority("somebody else's CA");
    let here = ["127.0.0.1", "localhost"];
    for (case, certificate, expected) in [
        ("trusted", server_certificate(&trusted, &here, false), None),
        (
            "unknown_issuer",
            server_certificate(&stranger, &here, false),
            Some("unknown issuer"),
        ),
        (
            "expired",
            server_certificate(&trusted, &here, true),
            Some("expired"),
        ),
        (
            "name_mismatch",
            server_certificate(&trusted, &["other.example"], false),
            Some("name mismatch"),
        ),
    ] {
        let (endpoint, handshakes) = tls_server(certificate).await;
        let dir = workdir(&format!("tls_{case}"), ONE_APP);
        let roots = dir.join("roots.pem");
        std::fs::write(&roots, trusted.pem()).expect("roots");
        let roots = roots.display().to_string();
        let env = [("SSL_CERT_FILE", roots.as_str()), ("SSL_CERT_DIR", "")];
        let run = verify_in(dir, &endpoint, &[], &env).await;

        assert_eq!(
            handshakes.load(Ordering::SeqCst),
            1,
            "{case}: {}",
            run.stderr
        );
        let Some(expected) = expected else {
            assert_eq!(run.code(), Some(0), "{case}: {}", run.stderr);
            continue;
        };
        assert_eq!(run.code(), Some(4), "{case}: {}", run.stderr);
        let error = run.app_error(0);
        assert_eq!(error["class"], "tls", "{case}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{case}: {message}");
        assert!(run.stderr.contains(expected), "{case}: {}", run.stderr);
        assert!(run.stderr.contains("tls error"), "{case}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_error_status_is_named_as_such() {
    let server = MockServer::start().await;
    Mock::given(path(GET))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    let run = verify("http_502", ONE_APP, &server.uri(), &["--timeout", "2"]).await;
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    let error = run.app_error(0);
    assert_eq!(error["class"], "http", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("last: HTTP 502 Bad Gateway"), "{message}");
    assert!(
        run.stderr.contains("HTTP 502 Bad Gateway"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("http error"), "{}", run.stderr);
    assert!(!run.stderr.contains("network"), "{}", run.stderr);

    // A refusal from a proxy (no vendor envelope) is not retried, and named too.
    let proxy = MockServer::start().await;
    Mock::given(path(GET))
        .respond_with(ResponseTemplate::new(403).set_body_string("<html>Forbidden</html>"))
        .expect(1)
        .mount(&proxy)
        .await;
    let run = verify("http_403", ONE_APP, &proxy.uri(), &[]).await;
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    let error = run.app_error(0);
    assert_eq!(error["class"], "http", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("HTTP 403 Forbidden"), "{message}");
}

#[test]
fn a_null_command_list_is_named_as_such() {
    let dir = workdir("null_list", ONE_APP);
    let snapshot = json!({"1400000001": {"ErrorCode": 0, "ActionStatus": "OK", "RequestId": "Id-7",
        "Response": {"Url": "https://hooks.example.com/cb", "CallbackCommandList": null}}});
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("snapshot");
    let output = cbcheck()
        .current_dir(&dir)
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("succeeded but Response.CallbackCommandList is null, not a list"),
        "{stderr}"
    );
    assert!(!stderr.contains("without Response.Url"), "{stderr}");
    assert!(stderr.contains("protocol error"), "{stderr}");
}

/// A snapshot is read with a cap, as a reply is: a file far larger than any fleet's
/// replies (or a stream that never ends) is refused instead of filling memory.
#[test]
fn a_snapshot_past_its_cap_is_refused_unread() {
    let dir = workdir("snapshot_cap", ONE_APP);
    // Sparse: it takes no disk, and nothing of it is read.
    let file = std::fs::File::create(dir.join("live.json")).expect("snapshot");
    file.set_len((64 << 20) + 1).expect("sparse length");
    let output = cbcheck()
        .current_dir(&dir)
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot use the snapshot live.json: it is larger than 64 MiB"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// A stream (a pipe, a device) has no length to check first: it is cut off at the cap.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_snapshot_stream_is_cut_off_at_the_cap() {
    let dir = workdir("snapshot_stream", ONE_APP);
    let output = cbcheck()
        .current_dir(&dir)
        .args(["verify", "callbacks.yaml", "--live-from", "/dev/zero"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot use the snapshot /dev/zero: it is larger than 64 MiB"),
        "{stderr}"
    );
}

/// `n` distinct short command words, as a hostile or broken server might list them.
fn many_words(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("w{i:x}")).collect()
}

fn listing(words: Vec<String>) -> Value {
    json!({
        "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-many-O-Seq-1",
        "Response": {"Url": "https://hooks.example.com/cb", "CallbackCommandList": words}
    })
}

/// No service has more than a few dozen command words: a reply that lists thousands
/// (under the body cap) fails its app as a protocol error naming the count and the
/// cap, instead of becoming thousands of findings in every report. The other app is
/// checked as usual, and the reports stay small.
#[tokio::test]
async fn a_reply_listing_more_words_than_any_catalog_fails_its_app_alone() {
    let server = MockServer::start().await;
    Mock::given(path(GET))
        .and(query_param("sdkappid", "1400000001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(listing(many_words(20_000))))
        .mount(&server)
        .await;
    Mock::given(path(GET))
        .and(query_param("sdkappid", "1400000002"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .mount(&server)
        .await;
    let run = verify(
        "many_words",
        TWO_APPS,
        &server.uri(),
        &["--format", "github", "--report", "sarif=out.sarif"],
    )
    .await;
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    let error = run.app_error(0);
    assert_eq!(error["class"], "protocol", "{error}");
    assert_eq!(error["request_id"], "Id-many-O-Seq-1", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "got a reply listing 20000 callback commands, more than the 256 cbcheck reads"
        ),
        "{message}"
    );
    assert_eq!(run.report["apps"][1]["status"], "in_sync", "{}", run.report);
    assert!(
        run.report["apps"][0]["findings"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    assert!(
        run.stdout.contains("more than the 256 cbcheck reads"),
        "{}",
        run.stdout
    );
    // Nothing of the list reaches a report.
    let sarif = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("net/many_words/out.sarif"),
    )
    .expect("sarif written");
    for (what, text) in [
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
        ("sarif", &sarif),
    ] {
        assert!(text.len() < 32 * 1024, "{what}: {} bytes", text.len());
        assert!(!text.contains("w4e1f"), "{what} quotes the list");
    }
}

/// A recorded reply is held to the live ones' limits, app by app: past the command
/// cap, or larger than a reply may be, its app fails as a protocol error.
#[test]
fn a_recorded_reply_past_a_live_limit_fails_its_app() {
    let dir = workdir("snapshot_limits", TWO_APPS);
    let mut huge = listing(vec![A.to_owned()]);
    huge["RequestId"] = json!("x".repeat(1 << 20));
    let snapshot = json!({"1400000001": listing(many_words(257)), "1400000002": huge});
    std::fs::write(dir.join("live.json"), snapshot.to_string()).expect("snapshot");
    let output = cbcheck()
        .current_dir(&dir)
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let error = |app: usize| report["apps"][app]["error"].clone();
    assert_eq!(error(0)["class"], "protocol", "{report}");
    assert!(
        error(0)["message"].as_str().is_some_and(|m| m.contains(
            "got a reply listing 257 callback commands, more than the 256 cbcheck reads"
        )),
        "{report}"
    );
    assert_eq!(error(1)["class"], "protocol", "{report}");
    assert!(
        error(1)["message"]
            .as_str()
            .is_some_and(|m| m.contains("a reply larger than 1 MiB")),
        "{report}"
    );
}
