//! How long a run may take and what it says while it waits: fractional seconds,
//! the run's deadline, progress on a terminal, and refused credentials named by
//! their variable. The real binary against in-process fake servers.

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::cbcheck;

const KEY: &str = "5e4d3c2b1a09f8e7d6c5b4a392817065f4e3d2c1b0a99887766554433221100f";
const URL: &str = "https://hooks.example.com/cb";
const A: &str = "Room.CallbackAfterCreateRoom";

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
  - name: hung
    sdkappid: 1400000002
    callback:
      url: https://hooks.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
";

/// The hung app: its requests are accepted and never answered.
const HUNG: u64 = 1_400_000_002;

/// Without a deadline the hung app holds the run for 4 × this; with one, the run ends
/// far sooner. The only timing assert: a generous bound no loaded machine comes near.
const TIMEOUT: &str = "60";
const FAR_BELOW_THE_TIMEOUT: Duration = Duration::from_secs(50);

/// A scratch directory holding `callbacks.yaml`.
fn workdir(name: &str, yaml: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("runtime")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("callbacks.yaml"), yaml).expect("scratch file");
    dir
}

fn ok_body(url: &str) -> String {
    json!({
        "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-ok-O-Seq-1",
        "Response": {"Url": url, "CallbackCommandList": [A]}
    })
    .to_string()
}

/// What the fake API does with one request: answer with this JSON body, or hold the
/// connection open and never answer.
type Answer = fn(path: &str, sdkappid: u64) -> Option<String>;

/// Every app in sync, except the hung one.
fn hung_app(_: &str, sdkappid: u64) -> Option<String> {
    (sdkappid != HUNG).then(|| ok_body(URL))
}

/// A fake API on a raw socket that can stall; returns its base URL.
async fn fake_api(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, answer));
        }
    });
    endpoint
}

async fn serve(mut stream: TcpStream, answer: Answer) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let Some(n) = stream.read(&mut buf).await.ok().filter(|n| *n > 0) else {
            return;
        };
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    let target = head.split(' ').nth(1).unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let sdkappid = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sdkappid="))
        .and_then(|id| id.parse().ok())
        .unwrap_or(0);
    match answer(path, sdkappid) {
        Some(body) => {
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
        // Hold the connection until the client gives up on it.
        None => {
            let _ = stream.read(&mut buf).await;
        }
    }
}

struct Run {
    output: Output,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }
}

const WITH_KEY: &[(&str, &str)] = &[("CBCHECK_SECRET_KEY", KEY)];

/// `cbcheck <args>` in `dir` with `env`, off the test's runtime.
async fn cbcheck_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = cbcheck();
    cmd.current_dir(dir).args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    Run {
        took: started.elapsed(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        output,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fractional_seconds_are_accepted() {
    let endpoint = fake_api(|_, _| Some(ok_body(URL))).await;
    let dir = workdir("fractional", TWO_APPS);
    let run = cbcheck_in(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            "1.5",
            "--deadline",
            "30.25",
        ],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("2 apps checked: 2 in sync, 0 drifted, 0 failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn seconds_that_make_no_sense_are_refused_when_parsed() {
    for flag in ["--timeout", "--deadline"] {
        for value in [
            "0",
            "0.0",
            "-1",
            "-0.5",
            "nan",
            "NaN",
            "inf",
            "1e9",
            "99999999",
            "abc",
            "",
            "1,5",
            "0.0000001",
        ] {
            for args in [
                vec![format!("{flag}={value}")],
                vec![flag.to_owned(), value.to_owned()],
            ] {
                let output = cbcheck()
                    .args(["verify", "no-such-file.yaml"])
                    .args(&args)
                    .output()
                    .expect("runs");
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
                assert!(output.stdout.is_empty(), "{args:?}");
                assert!(
                    stderr.contains(&format!("invalid value '{value}' for '{flag} <SECONDS>'")),
                    "{args:?}: {stderr}"
                );
                assert!(stderr.contains("seconds"), "{args:?}: {stderr}");
                assert!(!stderr.contains("invalid digit"), "{args:?}: {stderr}");
            }
        }
    }
}

/// The hung app fails with class `timeout` when the deadline passes; the app that
/// answered is reported in sync, in every format and every report file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_deadline_a_hung_app_fails_and_the_report_is_whole() {
    let endpoint = fake_api(hung_app).await;
    let dir = workdir("deadline_verify", TWO_APPS);
    let run = cbcheck_in(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            TIMEOUT,
            "--deadline",
            "1.5",
            "--format",
            "json",
            "--report",
            "markdown=report.md",
            "--report",
            "junit=report.xml",
            "--report",
            "sarif=report.sarif",
        ],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    assert!(run.took < FAR_BELOW_THE_TIMEOUT, "took {:?}", run.took);
    let report: Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    assert_eq!(
        report["summary"],
        json!({"apps": 2, "in_sync": 1, "drifted": 0, "failed": 1, "warnings": 0})
    );
    assert_eq!(report["apps"][0]["status"], "in_sync");
    let error = &report["apps"][1]["error"];
    assert_eq!(error["class"], "timeout", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("sdkappid 1400000002")
            && message.contains("run deadline (--deadline 1.5) passed"),
        "{message}"
    );
    for (file, needle) in [
        ("report.md", "1400000002"),
        ("report.xml", "run deadline (--deadline 1.5) passed"),
        ("report.sarif", "run deadline (--deadline 1.5) passed"),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect(file);
        assert!(text.contains(needle), "{file}: {text}");
    }

    let human = cbcheck_in(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            TIMEOUT,
            "--deadline",
            "2",
        ],
        WITH_KEY,
    )
    .await;
    assert_eq!(human.code(), Some(4), "{}", human.stderr);
    // Longer than a second, but stderr is a pipe: no progress, no redrawn line.
    assert!(
        !human.stderr.contains("checking") && !human.stderr.contains('\r'),
        "{}",
        human.stderr
    );
    assert!(
        human
            .stderr
            .contains("2 apps checked: 1 in sync, 0 drifted, 1 failed"),
        "{}",
        human.stderr
    );
    assert!(
        human.stderr.contains("run deadline (--deadline 2) passed"),
        "{}",
        human.stderr
    );
    assert!(human.stderr.contains("--deadline"), "{}", human.stderr);
}

/// A change whose reply never comes: the deadline ends the run, and whether the
/// change took effect is reported unknown (exit 4), not guessed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_and_export_stop_at_the_deadline() {
    let endpoint = fake_api(|path, _| {
        path.ends_with("/get_callback")
            .then(|| ok_body("https://old.example.com/cb"))
    })
    .await;
    let dir = workdir("deadline_apply", TWO_APPS);
    let run = cbcheck_in(
        &dir,
        &[
            "apply",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            TIMEOUT,
            "--deadline",
            "1.5",
            "--yes",
        ],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    assert!(run.took < FAR_BELOW_THE_TIMEOUT, "took {:?}", run.took);
    assert!(
        run.stderr
            .contains("prod: unknown: v4/room_config/update_callback")
            && run
                .stderr
                .contains("was not answered before the run deadline (--deadline 1.5) passed"),
        "{}",
        run.stderr
    );

    let endpoint = fake_api(hung_app).await;
    let run = cbcheck_in(
        &dir,
        &[
            "export",
            "--from",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            TIMEOUT,
            "--deadline",
            "1.5",
        ],
        WITH_KEY,
    )
    .await;
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    assert!(run.took < FAR_BELOW_THE_TIMEOUT, "took {:?}", run.took);
    assert!(run.stdout.is_empty(), "nothing is written: {}", run.stdout);
    assert!(
        run.stderr.contains("sdkappid 1400000002")
            && run.stderr.contains("run deadline (--deadline 1.5) passed"),
        "{}",
        run.stderr
    );
}

/// The vendor refuses each app's credential: the message names the variable that
/// supplied it, never its value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_names_its_variable_never_its_value() {
    const PROD_KEY: &str = "a7f3c9e1b5d2048f6a3c7e9b1d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f";
    const READY_SIG: &str = "eJyrVkrOLCpRslIqTslPLsnMz1MqSS0qAgBa0wg5-ready-usersig";
    let server = MockServer::start().await;
    for (sdkappid, code) in [(1_400_000_001u64, 70_009), (1_400_000_002, 70_001)] {
        Mock::given(path("/v4/room_config/get_callback"))
            .and(query_param("sdkappid", sdkappid.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "ErrorCode": code, "ErrorInfo": "refused", "ActionStatus": "FAIL",
                "RequestId": format!("Id-{code}")
            })))
            .mount(&server)
            .await;
    }
    let yaml = TWO_APPS.replace(
        "    sdkappid: 1400000001\n",
        "    sdkappid: 1400000001\n    secret_key_env: PROD_KEY\n",
    );
    let dir = workdir("auth_source", &yaml);
    let env = [
        ("PROD_KEY", PROD_KEY),
        ("CBCHECK_USERSIG_1400000002", READY_SIG),
    ];
    for format in ["human", "json"] {
        let run = cbcheck_in(
            &dir,
            &[
                "verify",
                "callbacks.yaml",
                "--endpoint",
                &server.uri(),
                "--format",
                format,
            ],
            &env,
        )
        .await;
        assert_eq!(run.code(), Some(3), "{}", run.stderr);
        // Human diagnostics wrap their message: read it as one line.
        let shown = format!("{}\n{}", run.stdout, run.stderr).replace("\n  │ ", " ");
        assert!(
            shown.contains("signed with the secret key in PROD_KEY"),
            "{format}: {shown}"
        );
        assert!(
            shown.contains("signed with the UserSig in CBCHECK_USERSIG_1400000002"),
            "{format}: {shown}"
        );
        for secret in [PROD_KEY, READY_SIG] {
            assert!(!shown.contains(&secret[..16]), "{format}: {shown}");
        }
    }
}

/// A pseudo-terminal: (the side a test reads, the side the child writes to).
fn pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let (mut reader, mut writer) = (-1, -1);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors, which are owned by the Files alone.
    let opened = unsafe {
        libc::openpty(
            &mut reader,
            &mut writer,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: see above.
    unsafe {
        (
            std::fs::File::from_raw_fd(reader),
            std::fs::File::from_raw_fd(writer),
        )
    }
}

/// `cbcheck <args>` with stderr on a terminal: the exit code and all it drew there.
async fn on_a_terminal(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let (mut screen, terminal) = pty();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cbcheck"));
    cmd.current_dir(dir)
        .args(args)
        .env("CBCHECK_SECRET_KEY", KEY)
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("NO_GRAPHICS")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(terminal);
    let code = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("spawns");
        // The terminal closes once the child, its last writer, exits.
        drop(cmd);
        let drawn = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut screen, &mut bytes);
            bytes
        });
        let code = child.wait().expect("waits").code();
        (code, drawn.join().unwrap_or_default())
    })
    .await
    .expect("joins");
    (code.0, String::from_utf8_lossy(&code.1).into_owned())
}

/// On a terminal a wait longer than a second shows apps done of the total and the
/// failures; the bar is erased before the report, which never shares a line with it.
/// A machine format shows none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_drawn_on_a_terminal_only_for_people_and_erased_before_the_report() {
    let endpoint = fake_api(hung_app).await;
    let dir = workdir("progress_terminal", TWO_APPS);
    let verify = |format: &'static str| {
        [
            "verify",
            "callbacks.yaml",
            "--endpoint",
            endpoint.as_str(),
            "--timeout",
            TIMEOUT,
            "--deadline",
            "3",
            "--color",
            "never",
            "--format",
            format,
        ]
        .map(str::to_owned)
    };
    let args = verify("human");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, drawn) = on_a_terminal(&dir, &args).await;
    assert_eq!(code, Some(4), "{drawn}");
    assert!(drawn.contains("checking ["), "{drawn:?}");
    assert!(drawn.contains("] 1/2 apps, 0 failed ("), "{drawn:?}");
    // console erases a line with `\r` and CSI 2K.
    let erased = "\r\u{1b}[2K";
    let (before, report) = drawn.rsplit_once(erased).expect("the bar is erased");
    assert!(before.contains("checking ["), "{drawn:?}");
    assert!(!report.contains("checking"), "{report:?}");
    assert!(
        report.contains("2 apps checked: 1 in sync, 0 drifted, 1 failed"),
        "{report:?}"
    );
    assert!(
        report.trim_start().starts_with("cbcheck::verify::failed"),
        "the report starts on a line of its own: {report:?}"
    );

    let args = verify("json");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, drawn) = on_a_terminal(&dir, &args).await;
    assert_eq!(code, Some(4), "{drawn}");
    assert!(!drawn.contains("checking"), "{drawn:?}");
    assert!(!drawn.contains('\u{1b}'), "{drawn:?}");
}
