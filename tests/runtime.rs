//! How long a run may take and what it says while it waits: fractional seconds,
//! the run's deadline, progress on a terminal, and refused credentials named by
//! their variable. The real binary against in-process fake servers.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::vendor::{self, Reply, Vendor};
use crate::support::{Cmd, workdir};

const KEY: &str = "5e4d3c2b1a09f8e7d6c5b4a392817065f4e3d2c1b0a99887766554433221100f";
const URL: &str = "https://hooks.example.com/cb";
const A: &str = "Room.CallbackAfterCreateRoom";

const TWO_APPS: &str = include_str!("fixtures/runtime-two-apps.yaml");

/// The hung app: its requests are accepted and never answered.
const HUNG: u64 = 1_400_000_002;

/// Without a deadline the hung app holds the run for 4 × this; with one, the run ends
/// far sooner. The only timing assert: a generous bound no loaded machine comes near.
const TIMEOUT: &str = "60";
const FAR_BELOW_THE_TIMEOUT: Duration = Duration::from_secs(50);

/// Both apps in sync.
fn in_sync() -> Vendor {
    let vendor = Vendor::start();
    vendor.room(1_400_000_001, URL, &[A]).room(HUNG, URL, &[A]);
    vendor
}

/// Every app in sync, except the hung one, whose requests are never answered.
fn hung_app() -> Vendor {
    let vendor = in_sync();
    vendor.answer(HUNG, Reply::Stall);
    vendor
}

const WITH_KEY: &[(&str, &str)] = &[("CBCHECK_SECRET_KEY", KEY)];

#[test]
fn fractional_seconds_are_accepted() {
    let vendor = in_sync();
    let endpoint = vendor.uri();
    let dir = workdir("fractional").with("callbacks.yaml", TWO_APPS);
    let run = dir
        .cbcheck()
        .args([
            "verify",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            "1.5",
            "--deadline",
            "30.25",
        ])
        .envs(WITH_KEY)
        .run();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
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
                let output = Cmd::new()
                    .args(["verify", "no-such-file.yaml"])
                    .args(&args)
                    .run();
                let stderr = &output.stderr;
                assert_eq!(output.code, Some(2), "{args:?}: {stderr}");
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
#[test]
fn at_the_deadline_a_hung_app_fails_and_the_report_is_whole() {
    let vendor = hung_app();
    let endpoint = vendor.uri();
    let dir = workdir("deadline_verify").with("callbacks.yaml", TWO_APPS);
    let run = dir
        .cbcheck()
        .args([
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
        ])
        .envs(WITH_KEY)
        .run();
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert!(run.took < FAR_BELOW_THE_TIMEOUT, "took {:?}", run.took);
    let report: Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    assert_eq!(
        report["summary"],
        json!({"apps": 2, "in_sync": 1, "drifted": 0, "pending": 0, "unhealthy": 0, "failed": 1, "warnings": 0})
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
        let text = dir.read(file);
        assert!(text.contains(needle), "{file}: {text}");
    }

    let human = dir
        .cbcheck()
        .args([
            "verify",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            TIMEOUT,
            "--deadline",
            "2",
        ])
        .envs(WITH_KEY)
        .run();
    assert_eq!(human.code, Some(4), "{}", human.stderr);
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
#[test]
fn apply_and_export_stop_at_the_deadline() {
    // Reads find an old URL; no write is ever answered.
    let vendor = Vendor::start();
    vendor.answer_with(None, |request| {
        if request.interface() == "get_callback" {
            vendor::configured("https://old.example.com/cb", &[A]).into()
        } else {
            Reply::Stall
        }
    });
    let endpoint = vendor.uri();
    let dir = workdir("deadline_apply").with("callbacks.yaml", TWO_APPS);
    let run = dir
        .cbcheck()
        .args([
            "apply",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            TIMEOUT,
            "--deadline",
            "1.5",
            "--yes",
        ])
        .envs(WITH_KEY)
        .run();
    assert_eq!(run.code, Some(4), "{}", run.stderr);
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

    let vendor = hung_app();
    let endpoint = vendor.uri();
    let run = dir
        .cbcheck()
        .args([
            "export",
            "--from",
            "callbacks.yaml",
            "--endpoint",
            &endpoint,
            "--timeout",
            TIMEOUT,
            "--deadline",
            "1.5",
        ])
        .envs(WITH_KEY)
        .run();
    assert_eq!(run.code, Some(4), "{}", run.stderr);
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
#[test]
fn a_refused_credential_names_its_variable_never_its_value() {
    const PROD_KEY: &str = "a7f3c9e1b5d2048f6a3c7e9b1d5f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f";
    const READY_SIG: &str = "eJyrVkrOLCpRslIqTslPLsnMz1MqSS0qAgBa0wg5-ready-usersig";
    let vendor = Vendor::start();
    for (sdkappid, code) in [(1_400_000_001u64, 70_009), (1_400_000_002, 70_001)] {
        vendor.answer(sdkappid, vendor::fail(code, "refused"));
    }
    let yaml = TWO_APPS.replace(
        "    sdkappid: 1400000001\n",
        "    sdkappid: 1400000001\n    secret_key_env: PROD_KEY\n",
    );
    let dir = workdir("auth_source").with("callbacks.yaml", &yaml);
    let env = [
        ("PROD_KEY", PROD_KEY),
        ("CBCHECK_USERSIG_1400000002", READY_SIG),
    ];
    for format in ["human", "json"] {
        let run = dir
            .cbcheck()
            .args([
                "verify",
                "callbacks.yaml",
                "--endpoint",
                &vendor.uri(),
                "--format",
                format,
            ])
            .envs(&env)
            .run();
        assert_eq!(run.code, Some(3), "{}", run.stderr);
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
    let vendor = hung_app();
    let endpoint = vendor.uri();
    let dir = workdir("progress_terminal").with("callbacks.yaml", TWO_APPS);
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
