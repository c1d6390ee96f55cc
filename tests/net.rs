//! What a hostile or broken server can make of a request: redirects, echoed tokens,
//! oversized replies, bad certificates. The real binary against the fake vendor.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::cmd::Workdir;
use crate::support::text::percent_decoded;
use crate::support::vendor::{
    FLOOD_LIMIT, Flood, Flooded, Reply, Request, Snapshot, Vendor, configured, ok, with_request_id,
};
use crate::support::{Cmd, fixture, workdir};

const KEY: &str = "0c4f1e2d3b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const GET: &str = "/v4/room_config/get_callback";
const A: &str = "Room.CallbackAfterCreateRoom";
/// The callback URL of every app in `one-app.yaml` and `two-apps.yaml`.
const URL: &str = "https://hooks.example.com/cb";

/// A fake vendor on which `sdkappids` are in sync with the files here.
fn in_sync(vendor: Vendor, sdkappids: &[u64]) -> Vendor {
    for id in sdkappids {
        vendor.room(*id, URL, &[A]);
    }
    vendor
}

/// One `verify` run and everything it wrote.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// `--report json=report.json`.
    report: Value,
    dir: Workdir,
}

impl Run {
    fn app_error(&self, index: usize) -> &Value {
        &self.report["apps"][index]["error"]
    }

    /// stdout, stderr and the JSON report, for searching.
    fn everything(&self) -> String {
        format!("{}\n{}\n{}", self.stdout, self.stderr, self.report)
    }
}

/// `cbcheck verify callbacks.yaml --endpoint <vendor> --report json=report.json <args>`.
fn verify(name: &str, yaml: &str, vendor: &Vendor, args: &[&str]) -> Run {
    verify_in(workdir(name).with("callbacks.yaml", yaml), vendor, |cmd| {
        cmd.args(args)
    })
}

/// `verify` in a prepared directory, with more set on the command by `more`.
fn verify_in(dir: Workdir, vendor: &Vendor, more: impl FnOnce(Cmd) -> Cmd) -> Run {
    let cmd = dir
        .cbcheck()
        .args(["verify", "callbacks.yaml"])
        .endpoint(vendor)
        .args(["--report", "json=report.json"])
        .key(KEY);
    let out = more(cmd).run();
    let report = std::fs::read_to_string(dir.join("report.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    Run {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
        report,
        dir,
    }
}

/// Every request was a POST to get_callback.
#[track_caller]
fn only_reads(vendor: &Vendor) {
    for request in vendor.requests() {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", GET)
        );
    }
}

#[test]
fn a_redirect_is_never_followed_and_names_only_the_host() {
    for status in [301u16, 302, 307, 308] {
        let elsewhere = in_sync(Vendor::start(), &[1_400_000_001]);
        let port = elsewhere
            .host_port()
            .rsplit_once(':')
            .map(|(_, port)| port.to_owned())
            .expect("a port");
        let location = format!(
            "http://localhost:{port}/path-marker/v4/room_config/get_callback?query-marker=1"
        );
        let endpoint = Vendor::start();
        endpoint.answer(1_400_000_001, Reply::redirect(status, &location));

        let run = verify(
            &format!("redirect_{status}"),
            &fixture("one-app.yaml"),
            &endpoint,
            &[],
        );

        assert!(
            elsewhere.requests().is_empty(),
            "{status}: the redirect was followed"
        );
        assert_eq!(run.code, Some(4), "{status}: {}", run.stderr);
        let error = run.app_error(0);
        assert_eq!(error["class"], "protocol", "{status}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        let host = format!("localhost:{port}");
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
        only_reads(&endpoint);
        let sent = endpoint.usersigs();
        assert_eq!(sent.len(), 1, "{status}: one attempt only");
        assert_eq!(endpoint.requests().len(), 1, "{status}: one attempt only");
        assert!(
            !everything.contains(&sent[0][..24]),
            "{status}: token leaked"
        );
    }
}

/// A vendor error quoting the token: JSON-escaped in ErrorInfo, lower-case
/// percent-encoded in RequestId.
fn echo_in_json(request: &Request) -> Reply {
    let token = request.usersig().unwrap_or_default();
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
    Reply::body(
        200,
        "application/json",
        format!(
            r#"{{"ActionStatus":"FAIL","ErrorCode":100002,"ErrorInfo":"invalid usersig={escaped}","RequestId":"Id-{percent}"}}"#
        ),
    )
}

/// A proxy's error page quoting the request with every character upper-case
/// percent-encoded.
fn echo_in_page(request: &Request) -> Reply {
    let encoded: String = request
        .usersig()
        .unwrap_or_default()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    Reply::body(
        403,
        "text/plain",
        format!("<h1>Denied</h1>?usersig={encoded}"),
    )
}

/// The text, and its JSON-unescaped and percent-decoded forms.
fn decodings(text: &str) -> Vec<String> {
    let unescaped = unescape_json(text);
    vec![
        text.to_owned(),
        percent_decoded(text),
        percent_decoded(&unescaped),
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

#[test]
fn an_echoed_token_reaches_no_output_in_any_encoding() {
    let vendor = Vendor::start();
    vendor
        .answer_with(Some(1_400_000_001), echo_in_json)
        .answer_with(Some(1_400_000_002), echo_in_page);
    let reports = [
        "sarif=report.sarif",
        "junit=report.xml",
        "markdown=report.md",
        "github=report.github",
    ];
    for format in ["human", "github"] {
        let mut args = vec!["--format", format];
        for report in &reports {
            args.extend(["--report", report]);
        }
        let run = verify(
            &format!("echo_{format}"),
            &fixture("two-apps.yaml"),
            &vendor,
            &args,
        );
        assert_eq!(run.code, Some(4), "{}", run.stderr);
        assert_eq!(run.app_error(0)["class"], "api", "{}", run.report);
        let info = run.app_error(0)["message"].as_str().unwrap_or_default();
        assert!(info.contains("invalid usersig=(redacted)"), "{info}");
        assert_eq!(run.app_error(0)["request_id"], "Id-(redacted)");

        let mut outputs = vec![run.everything()];
        for report in &reports {
            let file = report.split_once('=').map_or("", |(_, file)| file);
            outputs.push(run.dir.read(file));
        }
        only_reads(&vendor);
        let tokens = vendor.usersigs();
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

/// How the vendor's first flood ended, once it has (within thirty seconds).
fn first_flood(vendor: &Vendor) -> Flooded {
    let started = Instant::now();
    loop {
        if let Some(flooded) = vendor.floods().into_iter().next() {
            return flooded;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the flood ended"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_endless_reply_fails_its_app_alone_and_is_not_read_past_the_cap() {
    for flood in [Flood::Body, Flood::Headers] {
        let vendor = in_sync(Vendor::start(), &[1_400_000_002]);
        vendor.answer(1_400_000_001, Reply::Flood(flood));
        let name = format!("flood_{flood:?}").to_lowercase();
        let run = verify(
            &name,
            &fixture("two-apps.yaml"),
            &vendor,
            &["--timeout", "60"],
        );

        assert_eq!(run.code, Some(4), "{flood:?}: {}", run.stderr);
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
        only_reads(&vendor);
        // Not retried, and the reader hung up instead of taking it all.
        assert_eq!(vendor.requests_for(1_400_000_001).len(), 1, "{flood:?}");
        let flooded = first_flood(&vendor);
        assert!(!flooded.to_the_end, "{flood:?}: {flooded:?}");
        assert!(flooded.bytes < FLOOD_LIMIT, "{flood:?}: {flooded:?}");
    }
}

// The test trusts its own CA through SSL_CERT_FILE, which rustls-platform-verifier
// reads on Linux only: macOS and Windows ask the system's trust store (ci.yml runs
// the suite on macOS too).
#[cfg(target_os = "linux")]
#[test]
fn a_certificate_that_fails_verification_is_named_and_not_retried() {
    use crate::support::tls::{Authority, HERE};

    let trusted = Authority::new("cbcheck test CA");
    let stranger = Authority::new("somebody else's CA");
    for (case, certificate, expected) in [
        ("trusted", trusted.valid(&HERE), None),
        (
            "unknown_issuer",
            stranger.valid(&HERE),
            Some("unknown issuer"),
        ),
        ("expired", trusted.expired(&HERE), Some("expired")),
        (
            "name_mismatch",
            trusted.valid(&["other.example"]),
            Some("name mismatch"),
        ),
    ] {
        let vendor = in_sync(Vendor::start_tls(certificate), &[1_400_000_001]);
        let dir = workdir(&format!("tls_{case}"))
            .with("callbacks.yaml", fixture("one-app.yaml"))
            .with("roots.pem", trusted.pem());
        let roots = dir.join("roots.pem");
        let run = verify_in(dir, &vendor, |cmd| {
            cmd.env("SSL_CERT_FILE", &roots).env("SSL_CERT_DIR", "")
        });

        assert_eq!(vendor.connections(), 1, "{case}: {}", run.stderr);
        let Some(expected) = expected else {
            assert_eq!(run.code, Some(0), "{case}: {}", run.stderr);
            only_reads(&vendor);
            assert_eq!(vendor.requests().len(), 1, "{case}");
            continue;
        };
        assert_eq!(run.code, Some(4), "{case}: {}", run.stderr);
        assert!(
            vendor.requests().is_empty(),
            "{case}: sent past a bad certificate"
        );
        let error = run.app_error(0);
        assert_eq!(error["class"], "tls", "{case}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{case}: {message}");
        assert!(run.stderr.contains(expected), "{case}: {}", run.stderr);
        assert!(run.stderr.contains("tls error"), "{case}: {}", run.stderr);
    }
}

#[test]
fn an_http_error_status_is_named_as_such() {
    let vendor = Vendor::start();
    vendor.answer(
        1_400_000_001,
        Reply::body(502, "text/plain", "<html>Bad Gateway</html>"),
    );
    let run = verify(
        "http_502",
        &fixture("one-app.yaml"),
        &vendor,
        &["--timeout", "2"],
    );
    assert_eq!(run.code, Some(4), "{}", run.stderr);
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
    only_reads(&vendor);

    // A refusal from a proxy (no vendor envelope) is not retried, and named too.
    let proxy = Vendor::start();
    proxy.answer(
        1_400_000_001,
        Reply::body(403, "text/plain", "<html>Forbidden</html>"),
    );
    let run = verify("http_403", &fixture("one-app.yaml"), &proxy, &[]);
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    let error = run.app_error(0);
    assert_eq!(error["class"], "http", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("HTTP 403 Forbidden"), "{message}");
    only_reads(&proxy);
    assert_eq!(proxy.requests().len(), 1, "not retried");
}

/// `verify callbacks.yaml --live-from <snapshot>` on `one-app.yaml` in `dir`.
fn verify_snapshot(dir: &Workdir, snapshot: &str) -> crate::support::Out {
    dir.cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", snapshot])
        .run()
}

#[test]
fn a_null_command_list_is_named_as_such() {
    let snapshot = Snapshot::new().room(
        1_400_000_001,
        ok(json!({"Url": URL, "CallbackCommandList": null})),
    );
    let dir = workdir("null_list")
        .with("callbacks.yaml", fixture("one-app.yaml"))
        .with("live.json", snapshot.to_string());
    verify_snapshot(&dir, "live.json")
        .code(4)
        .stderr_has("succeeded but Response.CallbackCommandList is null, not a list")
        .stderr_lacks("without Response.Url")
        .stderr_has("protocol error");
}

/// A snapshot is read with a cap, as a reply is: a file far larger than any fleet's
/// replies (or a stream that never ends) is refused instead of filling memory.
#[test]
fn a_snapshot_past_its_cap_is_refused_unread() {
    let dir = workdir("snapshot_cap").with("callbacks.yaml", fixture("one-app.yaml"));
    // Sparse: it takes no disk, and nothing of it is read.
    let file = std::fs::File::create(dir.join("live.json")).expect("snapshot");
    file.set_len((64 << 20) + 1).expect("sparse length");
    verify_snapshot(&dir, "live.json")
        .code(2)
        .stderr_has("cannot use the snapshot live.json: it is larger than 64 MiB")
        .stdout_is("");
}

/// A stream (a pipe, a device) has no length to check first: it is cut off at the cap.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_snapshot_stream_is_cut_off_at_the_cap() {
    let dir = workdir("snapshot_stream").with("callbacks.yaml", fixture("one-app.yaml"));
    verify_snapshot(&dir, "/dev/zero")
        .code(2)
        .stderr_has("cannot use the snapshot /dev/zero: it is larger than 64 MiB");
}

/// A proxy that forwards nothing: it records what each connection sent, then answers
/// 502 and closes.
struct FakeProxy {
    url: String,
    seen: std::sync::mpsc::Receiver<String>,
}

impl FakeProxy {
    fn start() -> FakeProxy {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, seen) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                    let mut head = vec![0; 4096];
                    let read = stream.read(&mut head).unwrap_or(0);
                    let _ = tx.send(String::from_utf8_lossy(&head[..read]).into_owned());
                    let _ =
                        stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
                });
            }
        });
        FakeProxy { url, seen }
    }

    /// Every variable reqwest (or curl's convention) reads, all aimed at this proxy.
    fn env(&self) -> Vec<(&'static str, &str)> {
        let mut env: Vec<(&'static str, &str)> = [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]
        .into_iter()
        .map(|name| (name, self.url.as_str()))
        .collect();
        env.extend([("NO_PROXY", ""), ("no_proxy", "")]);
        env
    }

    /// What the connections so far sent, one string each (a connection's thread has
    /// a moment to report what it read).
    fn connections(&self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(200));
        self.seen.try_iter().collect()
    }
}

/// `verify callbacks.yaml --endpoint <endpoint>` on `one-app.yaml`, every proxy
/// variable aimed at `proxy`.
fn verify_through(
    name: &str,
    endpoint: &str,
    proxy: &FakeProxy,
    args: &[&str],
) -> crate::support::Out {
    workdir(name)
        .with("callbacks.yaml", fixture("one-app.yaml"))
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--endpoint", endpoint])
        .args(args)
        .key(KEY)
        .envs(&proxy.env())
        .run()
}

/// A plain-http request carries the UserSig in its request line: a proxy would read it.
/// With every proxy variable set, a loopback endpoint (a local gateway, a test fake) is
/// called directly and the check succeeds; any other plain-http endpoint is called
/// directly too, and fails as an unreachable host would, without the proxy seeing it.
/// https goes through the proxy, in a tunnel.
#[test]
fn a_credentialed_plain_http_request_never_goes_through_a_proxy() {
    let proxy = FakeProxy::start();
    let vendor = in_sync(Vendor::start(), &[1_400_000_001]);
    let run = verify_through("proxied-loopback", &vendor.uri(), &proxy, &[]);
    run.code(0);
    assert_eq!(vendor.usersigs().len(), 1);
    assert_eq!(proxy.connections(), Vec::<String>::new());

    // A name that resolves nowhere: only a proxy could have taken the request.
    let run = verify_through(
        "proxied-remote",
        "http://cbcheck-gateway.invalid:8080",
        &proxy,
        &["--deadline", "5"],
    );
    run.code(4);
    assert_eq!(proxy.connections(), Vec::<String>::new());

    // https keeps the proxy the environment names: a CONNECT tunnel, which shows the
    // proxy the host and port and nothing of the request.
    let run = verify_through(
        "proxied-https",
        "https://cbcheck-vendor.invalid",
        &proxy,
        &["--deadline", "5"],
    );
    run.code(4);
    let seen = proxy.connections();
    assert!(!seen.is_empty(), "{}", run.stderr);
    for head in seen {
        assert!(
            head.starts_with("CONNECT cbcheck-vendor.invalid:443 HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(
            !head.contains("usersig") && !head.contains("get_callback"),
            "{head}"
        );
    }
}

/// `n` distinct short command words, as a hostile or broken server might list them.
fn many_words(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("w{i:x}")).collect()
}

fn listing(words: Vec<String>) -> Value {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    with_request_id(
        configured("https://hooks.example.com/cb", &words),
        "Id-many-O-Seq-1",
    )
}

/// No service has more than a few dozen command words: a reply that lists thousands
/// (under the body cap) fails its app as a protocol error naming the count and the
/// cap, instead of becoming thousands of findings in every report. The other app is
/// checked as usual, and the reports stay small.
#[test]
fn a_reply_listing_more_words_than_any_catalog_fails_its_app_alone() {
    let vendor = in_sync(Vendor::start(), &[1_400_000_002]);
    vendor.answer(1_400_000_001, Reply::json(&listing(many_words(20_000))));
    let run = verify(
        "many_words",
        &fixture("two-apps.yaml"),
        &vendor,
        &["--format", "github", "--report", "sarif=out.sarif"],
    );
    assert_eq!(run.code, Some(4), "{}", run.stderr);
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
    let sarif = run.dir.read("out.sarif");
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
    let huge = with_request_id(listing(vec![A.to_owned()]), &"x".repeat(1 << 20));
    let snapshot = Snapshot::new()
        .room(1_400_000_001, listing(many_words(257)))
        .room(1_400_000_002, huge);
    let out = workdir("snapshot_limits")
        .with("callbacks.yaml", fixture("two-apps.yaml"))
        .with("live.json", snapshot.to_string())
        .cbcheck()
        .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
        .args(["--format", "json"])
        .run();
    out.code(4);
    let report = out.stdout_json();
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
