//! Fleet benchmark: runs `cbcheck` as built by the profile given (`dist`: as shipped) against a local fake get_callback with
//! a fixed latency and prints, per fleet size, wall time, the round-trip bound
//! `ceil(N / C) × L`, their ratio, CPU time per app and peak RSS; then the offline
//! paths (`lint`, `verify --live-from`) and `--version`.
//!
//! Then the reporting scale: every app drifted, `verify --live-from` in each format at
//! 5,000 and 20,000 apps, and `lint` of a file with 20,000 and 80,000 unknown keys;
//! reporting must grow linearly (the 4x input may take at most 5x the time).
//!
//! Last, issue 24's table in one place: CPU per app at 1,000 apps beside an independent
//! client (benches/compare_client.py, Python with the vendor's official UserSig library
//! when installed) measured in the same run, wall / bound, CPU and peak RSS of 20,000
//! drifted apps in each format, `lint` of 5,000 apps, and the floor: what one app costs
//! at least on this machine (a kept-alive loopback HTTP/1.1 request and reply, one
//! UserSig, one reply parse). CPU and peak RSS are each child's own (`wait4`); every
//! figure is the best of three (seven for the offline paths), with the load average.
//!
//! `cargo bench --profile dist --bench fleet` (env: CBCHECK_BENCH_LATENCY_MS, default 50;
//! CBCHECK_BENCH_CONCURRENCY, default: cbcheck's own default; CBCHECK_BENCH_SIZES,
//! default 1,100,1000,5000; CBCHECK_BENCH_OFFLINE=0 skips the offline paths;
//! CBCHECK_BENCH_REPORTING=0 skips the reporting scale; CBCHECK_BENCH_GOALS=0 skips the
//! goals table; CBCHECK_BENCH_PYTHON names the comparison client's interpreter, default
//! python3; CBCHECK_BENCH_BIN measures another cbcheck binary, e.g. a saved older build,
//! without the size check).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SIZES: &str = "1,100,1000,5000";
/// The budget of the binary users download, built by the dist profile (issue 15): 6 MB.
const MAX_BINARY_BYTES: u64 = 6_000_000;
const COMMANDS: [&str; 3] = [
    "Room.CallbackAfterCreateRoom",
    "Room.CallbackAfterDestroyRoom",
    "Mic.CallbackAfterSeatInfoChanged",
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sdkappid(i: usize) -> u64 {
    1_400_000_000 + i as u64
}

/// A callbacks file of `n` apps, all in sync with the fake server's reply.
fn fleet_yaml(n: usize) -> String {
    let mut yaml = String::from(
        "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n",
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "  - name: app-{i}\n    sdkappid: {}\n    callback:\n      url: https://hooks.example.com/room/{i}\n      commands:\n",
            sdkappid(i)
        ));
        for command in COMMANDS {
            yaml.push_str(&format!("        - {command}\n"));
        }
    }
    yaml
}

/// The recorded replies for `verify --live-from`, one per app.
fn snapshot_json(n: usize) -> String {
    let map: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            (
                sdkappid(i).to_string(),
                json!({"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": format!("Id-{i}"),
                       "Response": {"Url": format!("https://hooks.example.com/room/{i}"), "CallbackCommandList": COMMANDS}}),
            )
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// `n` apps a line each, with two commands: 20,000 of them stay under the 4 MiB file
/// limit and the parser's 250,000-node budget.
fn compact_fleet_yaml(n: usize) -> String {
    let mut yaml = String::from(
        "version: 1\ndefaults:\n  region: singapore\n  identifier: administrator\napps:\n",
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "  - {{sdkappid: {}, callback: {{url: 'https://hooks.example.com/room/{i}', commands: [{}, {}]}}}}\n",
            sdkappid(i),
            COMMANDS[0],
            COMMANDS[2]
        ));
    }
    yaml
}

/// Recorded replies with one of each app's two commands: every app has drifted.
fn drifted_snapshot_json(n: usize) -> String {
    let map: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            (
                sdkappid(i).to_string(),
                json!({"ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": format!("Id-{i}"),
                       "Response": {"Url": format!("https://hooks.example.com/room/{i}"), "CallbackCommandList": [COMMANDS[0]]}}),
            )
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// One valid app, then `n` keys cbcheck does not know: `n` diagnostics.
fn unknown_keys_yaml(n: usize) -> String {
    let mut yaml = format!(
        "version: 1\napps:\n  - sdkappid: {}\n    region: singapore\n    identifier: administrator\n    callback: {{url: 'https://hooks.example.com/room', commands: [{}]}}\n",
        sdkappid(0),
        COMMANDS[0]
    );
    for i in 0..n {
        yaml.push_str(&format!("    unknown_{i}: 1\n"));
    }
    yaml
}

/// The best of `runs` runs (the least disturbed by the machine's noise), which must
/// all end with `code`: the least wall time, and the least CPU time and peak RSS of
/// any run.
fn best_of(runs: usize, dir: &Path, args: &[&str], code: i32) -> Measured {
    let runs: Vec<Measured> = (0..runs)
        .map(|_| tokio::task::block_in_place(|| measure(dir, args, &[])))
        .collect();
    assert!(
        runs.iter().all(|m| m.code == Some(code)),
        "{args:?} must exit {code}"
    );
    best(&runs)
}

fn best(runs: &[Measured]) -> Measured {
    Measured {
        wall: runs.iter().map(|m| m.wall).min().expect("a run"),
        cpu: runs.iter().map(|m| m.cpu).min().expect("a run"),
        max_rss_kib: runs.iter().map(|m| m.max_rss_kib).min().expect("a run"),
        code: runs[0].code,
    }
}

/// Reporting cost at two sizes, 4x apart: it must grow linearly with the findings.
/// Returns each format's figures at the larger size.
fn reporting_scale(dir: &Path) -> Vec<(&'static str, Measured)> {
    const SMALL: usize = 5_000;
    const LARGE: usize = 20_000;
    for n in [SMALL, LARGE] {
        std::fs::write(dir.join(format!("drifted-{n}.yaml")), compact_fleet_yaml(n))
            .expect("write fleet");
        std::fs::write(
            dir.join(format!("drifted-{n}.json")),
            drifted_snapshot_json(n),
        )
        .expect("write snapshot");
    }
    for n in [4 * SMALL, 4 * LARGE] {
        std::fs::write(dir.join(format!("unknown-{n}.yaml")), unknown_keys_yaml(n))
            .expect("write file");
    }
    println!();
    println!(
        "| reporting, all apps drifted (`verify --live-from`) | {SMALL} apps | {LARGE} apps | ratio | {LARGE}: CPU | {LARGE}: peak RSS | load |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    let row = |label: &str, small: &[&str], large: &[&str], code: i32| {
        let (a, b) = (best_of(3, dir, small, code), best_of(3, dir, large, code));
        let ratio = b.wall.as_secs_f64() / a.wall.as_secs_f64();
        println!(
            "| {label} | {} | {} | {ratio:.1}x | {} | {} | {} |",
            ms(a.wall),
            ms(b.wall),
            ms(b.cpu),
            mib(b.max_rss_kib),
            load()
        );
        b
    };
    // Loading and checking alone: the file, the snapshot, the drift, no findings shown.
    let (small_file, large_file) = (
        format!("drifted-{SMALL}.yaml"),
        format!("drifted-{LARGE}.yaml"),
    );
    let (small_live, large_live) = (
        format!("drifted-{SMALL}.json"),
        format!("drifted-{LARGE}.json"),
    );
    row(
        "lint (load only)",
        &["lint", &small_file],
        &["lint", &large_file],
        0,
    );
    let mut large = Vec::new();
    for format in ["human", "json", "github", "sarif", "junit", "markdown"] {
        let measured = row(
            format,
            &[
                "verify",
                &small_file,
                "--live-from",
                &small_live,
                "--format",
                format,
            ],
            &[
                "verify",
                &large_file,
                "--live-from",
                &large_live,
                "--format",
                format,
            ],
            1,
        );
        large.push((format, measured));
    }
    println!();
    println!(
        "| `lint`, unknown keys | {} keys | {} keys | ratio | {} keys: CPU | peak RSS | load |",
        4 * SMALL,
        4 * LARGE,
        4 * LARGE
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    let (small_keys, large_keys) = (
        format!("unknown-{}.yaml", 4 * SMALL),
        format!("unknown-{}.yaml", 4 * LARGE),
    );
    for format in ["human", "github", "sarif"] {
        row(
            format,
            &["lint", &small_keys, "--format", format],
            &["lint", &large_keys, "--format", format],
            2,
        );
    }
    large
}

/// The fake answers each app with its own URL, so every app is really compared.
struct Reply;

impl wiremock::Respond for Reply {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let id: u64 = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "sdkappid")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let i = id.saturating_sub(1_400_000_000);
        ResponseTemplate::new(200).set_body_json(json!({
            "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": format!("Id-{i}"),
            "Response": {"Url": format!("https://hooks.example.com/room/{i}"), "CallbackCommandList": COMMANDS}
        }))
    }
}

/// The cbcheck binary measured: the one cargo built, or `CBCHECK_BENCH_BIN`.
fn binary() -> PathBuf {
    std::env::var_os("CBCHECK_BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_cbcheck")),
        PathBuf::from,
    )
}

/// The 1-, 5- and 15-minute load averages, as noted beside each figure.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".into(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

struct Measured {
    wall: Duration,
    /// User + sys time of this child alone.
    cpu: Duration,
    /// Peak RSS of this child alone, KiB.
    max_rss_kib: u64,
    code: Option<i32>,
}

/// Run `command` to its end, output dropped; its own CPU time and peak RSS come from
/// `wait4`.
fn run_child(mut command: Command) -> Measured {
    command.stdout(Stdio::null());
    run_child_keeping_stdout(command)
}

#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its own rusage"
)]
fn run_child_keeping_stdout(mut command: Command) -> Measured {
    let started = Instant::now();
    let child = command
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: wait4 only writes the status and the struct it is given; the child is
    // ours and waited for once (std's Child is not waited for after this).
    let (status, usage) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        let waited = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(waited, pid, "wait4 failed");
        (status, usage)
    };
    let wall = started.elapsed();
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Measured {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
    }
}

fn measure(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Measured {
    let mut command = Command::new(binary());
    command.current_dir(dir).args(args).env_clear();
    for (k, v) in envs {
        command.env(k, v);
    }
    run_child(command)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported here.
    let latency = Duration::from_millis(env_number("CBCHECK_BENCH_LATENCY_MS", 50));
    let concurrency = std::env::var("CBCHECK_BENCH_CONCURRENCY").ok();
    let default_concurrency = cbcheck::testing::ClientOptions::default().concurrency;
    let c = concurrency
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_concurrency);

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(path("/v4/room_config/get_callback"))
        .respond_with(ReplyWithDelay(latency))
        .mount(&server)
        .await;
    let endpoint = server.uri();

    println!(
        "cbcheck fleet benchmark: latency L = {} ms, concurrency C = {c}",
        latency.as_millis()
    );
    // The binary users download must stay within its budget (docs/build.md); cargo
    // puts each profile's binaries in a folder named after it.
    let overridden = std::env::var_os("CBCHECK_BENCH_BIN").is_some();
    let binary = binary();
    let profile = binary
        .parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .unwrap_or("?");
    let size = std::fs::metadata(&binary).map_or(0, |m| m.len());
    println!(
        "{profile} binary: {:.2} MB (budget {:.0} MB for the dist binary)",
        size as f64 / 1e6,
        MAX_BINARY_BYTES as f64 / 1e6
    );
    if overridden {
        println!(
            "measuring {} (CBCHECK_BENCH_BIN): size not checked",
            binary.display()
        );
    } else if profile == "dist" {
        assert!(
            size <= MAX_BINARY_BYTES,
            "the dist binary is {size} bytes, over the {MAX_BINARY_BYTES}-byte budget"
        );
    } else {
        println!(
            "size not checked: the budget is the dist profile's (cargo bench --profile dist --bench fleet)"
        );
    }
    println!();
    println!(
        "| apps N | wall | bound ceil(N/C)×L | wall / bound | CPU per app | peak RSS | load |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---|");
    let concurrency_arg = c.to_string();
    let sizes = std::env::var("CBCHECK_BENCH_SIZES").unwrap_or_else(|_| SIZES.into());
    for n in sizes
        .split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
    {
        let file = format!("fleet-{n}.yaml");
        std::fs::write(dir.join(&file), fleet_yaml(n)).expect("write fleet");
        let args = [
            "verify",
            &file,
            "--endpoint",
            &endpoint,
            "--format",
            "json",
            "--concurrency",
            &concurrency_arg,
        ];
        let m = tokio::task::block_in_place(|| {
            measure(&dir, &args, &[("CBCHECK_SECRET_KEY", "bench-secret-key")])
        });
        assert_eq!(m.code, Some(0), "verify of {n} apps must be in sync");
        let bound = latency * n.div_ceil(c) as u32;
        println!(
            "| {n} | {} | {} | {:.2} | {:.3} ms | {} | {} |",
            ms(m.wall),
            ms(bound),
            m.wall.as_secs_f64() / bound.as_secs_f64(),
            m.cpu.as_secs_f64() * 1000.0 / n as f64,
            mib(m.max_rss_kib),
            load()
        );
    }

    let lint = (env_number("CBCHECK_BENCH_OFFLINE", 1) != 0).then(|| offline_paths(&dir));
    let reporting = if env_number("CBCHECK_BENCH_REPORTING", 1) != 0 {
        reporting_scale(&dir)
    } else {
        Vec::new()
    };
    if env_number("CBCHECK_BENCH_GOALS", 1) != 0 {
        let fleet = Fleet {
            dir: &dir,
            endpoint: &endpoint,
            concurrency: c,
            latency,
        };
        tokio::task::block_in_place(|| goals(&fleet, lint.as_ref(), &reporting));
    }
}

/// What the goals' HTTP rows run against.
struct Fleet<'a> {
    dir: &'a Path,
    endpoint: &'a str,
    concurrency: usize,
    latency: Duration,
}

const SECRET_KEY: &str = "bench-secret-key";

/// Issue 24's table: every goal beside its figure, from this run.
fn goals(fleet: &Fleet<'_>, lint: Option<&Measured>, reporting: &[(&str, Measured)]) {
    const N: usize = 1000;
    let file = format!("fleet-{N}.yaml");
    std::fs::write(fleet.dir.join(&file), fleet_yaml(N)).expect("write fleet");
    let concurrency = fleet.concurrency.to_string();
    let args = [
        "verify",
        &file,
        "--endpoint",
        fleet.endpoint,
        "--format",
        "json",
        "--concurrency",
        &concurrency,
    ];
    // cbcheck and the comparison client alternate, so both see the same machine.
    let python = std::env::var("CBCHECK_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/compare_client.py");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut signer = None;
    for _ in 0..3 {
        let m = measure(fleet.dir, &args, &[("CBCHECK_SECRET_KEY", SECRET_KEY)]);
        assert_eq!(m.code, Some(0), "verify of {N} apps must be in sync");
        ours.push(m);
        let out = fleet.dir.join("compare-client.out");
        let mut command = Command::new(&python);
        command
            .arg(&script)
            .args([fleet.endpoint, &N.to_string(), &concurrency, SECRET_KEY])
            .stdin(Stdio::null());
        let m = run_child_to(command, &out);
        if m.code == Some(0) {
            signer = std::fs::read_to_string(&out).ok();
            theirs.push(m);
        }
    }
    let ours_load = load();
    let ours = best(&ours);
    let per_app = |m: &Measured| m.cpu.as_secs_f64() * 1000.0 / N as f64;
    let bound = fleet.latency * N.div_ceil(fleet.concurrency) as u32;
    let floor = floor();

    println!();
    println!("| issue 24: what (best of 3) | figure | goal | load |");
    println!("|---|---:|---:|---|");
    println!(
        "| verify, {N} apps over HTTP: CPU per app | {:.3} ms | ≤ 0.100 ms | {ours_load} |",
        per_app(&ours)
    );
    if theirs.is_empty() {
        println!(
            "| comparison client | did not run ({python} {}) | | |",
            script.display()
        );
    } else {
        let theirs = best(&theirs);
        let signer = signer.as_deref().unwrap_or("?").trim();
        println!(
            "| comparison client (Python, {C} threads, {signer}): CPU per app | {:.3} ms | | {ours_load} |",
            per_app(&theirs),
            C = fleet.concurrency
        );
        println!(
            "| cbcheck / comparison client | 1/{:.1} | ≤ 1/5 | |",
            per_app(&theirs) / per_app(&ours)
        );
    }
    println!(
        "| floor per app (loopback HTTP/1.1 round trip, client side {:.3} + UserSig {:.3} + reply parse {:.3}) | {:.3} ms | | {} |",
        floor.round_trip * 1000.0,
        floor.usersig * 1000.0,
        floor.parse * 1000.0,
        floor.total() * 1000.0,
        load()
    );
    println!(
        "| cbcheck / floor | {:.1}x | | |",
        per_app(&ours) / (floor.total() * 1000.0)
    );
    println!(
        "| wall / ideal bound ceil(N/C)·L at {N} apps | {:.2} | ≤ 1.10 | {ours_load} |",
        ours.wall.as_secs_f64() / bound.as_secs_f64()
    );
    for (format, m) in reporting {
        println!(
            "| 20,000 drifted apps, {format}: CPU / peak RSS | {} / {} | ≤ 1000 ms / ≤ 200 MiB | |",
            ms(m.cpu),
            mib(m.max_rss_kib)
        );
    }
    if let Some(lint) = lint {
        println!(
            "| lint of 5,000 apps: CPU (best of 7) | {} | ≤ 50 ms | |",
            ms(lint.cpu)
        );
    }
}

/// [`run_child`] with stdout to `out`.
fn run_child_to(mut command: Command, out: &Path) -> Measured {
    let file = std::fs::File::create(out).expect("output file");
    command.stdout(file);
    run_child_keeping_stdout(command)
}

/// What one app costs at least on this machine, in seconds of CPU.
struct Floor {
    /// The client side of a small HTTP/1.1 request and reply on a kept-alive loopback
    /// connection: the kernel's send, wake-up and receive.
    round_trip: f64,
    /// One UserSig: HMAC-SHA256, zlib, base64 (cbcheck's own, measured in-process).
    usersig: f64,
    /// One reply parsed into owned strings.
    parse: f64,
}

impl Floor {
    fn total(&self) -> f64 {
        self.round_trip + self.usersig + self.parse
    }
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The best of three of `f`'s CPU per call over `calls` calls, on this thread.
fn cpu_per_call(calls: u32, mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let before = thread_cpu();
            for _ in 0..calls {
                f();
            }
            (thread_cpu() - before).as_secs_f64() / f64::from(calls)
        })
        .fold(f64::INFINITY, f64::min)
}

fn floor() -> Floor {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    const CALLS: u32 = 20_000;
    let reply_body = serde_json::to_vec(&json!({
        "ErrorCode": 0, "ErrorInfo": "", "ActionStatus": "OK", "RequestId": "Id-1",
        "Response": {"Url": "https://hooks.example.com/room/1", "CallbackCommandList": COMMANDS}
    }))
    .expect("json");
    let mut reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n",
        reply_body.len()
    )
    .into_bytes();
    reply.extend_from_slice(&reply_body);
    let key = cbcheck::testing::Secret::new(SECRET_KEY);
    let params = |sdkappid| cbcheck::testing::SigParams {
        sdkappid,
        identifier: "administrator",
        time: 1_767_225_600,
        expire: 3600,
    };
    let usersig = cbcheck::testing::mint(&key, &params(1_400_000_001));
    let mut request = format!(
        "POST /v4/room_config/get_callback?sdkappid=1400000001&identifier=administrator&usersig={}&random=123456789&contenttype=json HTTP/1.1\r\ncontent-type: application/json\r\nuser-agent: cbcheck/0.1.0\r\naccept: */*\r\nhost: 127.0.0.1:1\r\ncontent-length: 2\r\n\r\n{{}}",
        usersig.expose()
    )
    .into_bytes();
    request.shrink_to_fit();

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let (request_len, server_reply) = (request.len(), reply.clone());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream.set_nodelay(true).expect("nodelay");
        let mut buffer = vec![0; request_len];
        while stream.read_exact(&mut buffer).is_ok() {
            if stream.write_all(&server_reply).is_err() {
                break;
            }
        }
    });
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buffer = vec![0; reply.len()];
    let round_trip = cpu_per_call(CALLS, || {
        stream.write_all(&request).expect("send");
        stream.read_exact(&mut buffer).expect("receive");
    });
    drop(stream);
    server.join().expect("server thread");

    let mut sdkappid = 1_400_000_000;
    let usersig = cpu_per_call(CALLS, || {
        sdkappid += 1;
        std::hint::black_box(cbcheck::testing::mint(&key, &params(sdkappid)));
    });

    #[derive(serde::Deserialize)]
    #[allow(dead_code, non_snake_case)]
    struct Live {
        ErrorCode: i64,
        ActionStatus: String,
        RequestId: String,
        Response: LiveConfig,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code, non_snake_case)]
    struct LiveConfig {
        Url: String,
        CallbackCommandList: Vec<String>,
    }
    let parse = cpu_per_call(CALLS, || {
        let live: Live = serde_json::from_slice(&reply_body).expect("parse");
        std::hint::black_box(live);
    });
    Floor {
        round_trip,
        usersig,
        parse,
    }
}

/// `lint`, `verify --live-from` and `--version` on 5,000 apps in sync; returns `lint`'s.
fn offline_paths(dir: &Path) -> Measured {
    std::fs::write(dir.join("fleet-5000.yaml"), fleet_yaml(5000)).expect("write fleet");
    println!();
    println!("| offline path (5000 apps) | wall | CPU | load |");
    println!("|---|---:|---:|---|");
    std::fs::write(dir.join("snapshot-5000.json"), snapshot_json(5000)).expect("write snapshot");
    let offline: [(&str, Vec<&str>); 3] = [
        ("lint", vec!["lint", "fleet-5000.yaml"]),
        (
            "verify --live-from",
            vec![
                "verify",
                "fleet-5000.yaml",
                "--live-from",
                "snapshot-5000.json",
            ],
        ),
        ("--version", vec!["--version"]),
    ];
    let mut lint = None;
    for (label, args) in offline {
        let best = best_of(7, dir, &args, 0);
        println!(
            "| {label} | {} | {} | {} |",
            ms(best.wall),
            ms(best.cpu),
            load()
        );
        if label == "lint" {
            lint = Some(best);
        }
    }
    lint.expect("lint was measured")
}

/// `Reply` after a fixed delay: the round-trip latency L.
struct ReplyWithDelay(Duration);

impl wiremock::Respond for ReplyWithDelay {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        Reply.respond(request).set_delay(self.0)
    }
}
