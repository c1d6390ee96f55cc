//! Fleet benchmark: runs `cbcheck` as built by the profile given (`dist`: as shipped) against a local fake get_callback with
//! a fixed latency and prints, per fleet size, wall time, the round-trip bound
//! `ceil(N / C) × L`, their ratio, CPU time per app and peak RSS; then the offline
//! paths (`lint`, `verify --live-from`) and `--version`.
//!
//! Then the reporting scale: every app drifted, `verify --live-from` in each format at
//! 5,000 and 20,000 apps, and `lint` of a file with 20,000 and 80,000 unknown keys;
//! reporting must grow linearly (the 4x input may take at most 5x the time).
//!
//! `cargo bench --profile dist --bench fleet` (env: CBCHECK_BENCH_LATENCY_MS, default 50;
//! CBCHECK_BENCH_CONCURRENCY, default: cbcheck's own default; CBCHECK_BENCH_SIZES,
//! default 1,100,1000,5000; CBCHECK_BENCH_OFFLINE=0 skips the offline paths;
//! CBCHECK_BENCH_REPORTING=0 skips the reporting scale).

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

/// The fastest of `runs` runs (the least disturbed by the machine's noise), which must
/// all end with `code`.
fn best_of(runs: usize, dir: &Path, args: &[&str], code: i32) -> Measured {
    let runs: Vec<Measured> = (0..runs)
        .map(|_| tokio::task::block_in_place(|| measure(dir, args, &[])))
        .collect();
    assert!(
        runs.iter().all(|m| m.code == Some(code)),
        "{args:?} must exit {code}"
    );
    runs.into_iter()
        .min_by_key(|m| m.wall)
        .expect("at least one run")
}

/// Reporting cost at two sizes, 4x apart: it must grow linearly with the findings.
fn reporting_scale(dir: &Path) {
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
        "| reporting, all apps drifted (`verify --live-from`) | {SMALL} apps | {LARGE} apps | ratio |"
    );
    println!("|---|---:|---:|---:|");
    let row = |label: &str, small: &[&str], large: &[&str], code: i32| {
        let (a, b) = (best_of(3, dir, small, code), best_of(3, dir, large, code));
        let ratio = b.wall.as_secs_f64() / a.wall.as_secs_f64();
        println!(
            "| {label} | {} | {} | {ratio:.1}x |",
            ms(a.wall),
            ms(b.wall)
        );
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
    for format in ["human", "json", "github", "sarif", "junit", "markdown"] {
        row(
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
    }
    println!();
    println!(
        "| `lint`, unknown keys | {} keys | {} keys | ratio |",
        4 * SMALL,
        4 * LARGE
    );
    println!("|---|---:|---:|---:|");
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

/// CPU time and peak RSS of the children waited for so far.
fn children_usage() -> (Duration, u64) {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    (
        time(usage.ru_utime) + time(usage.ru_stime),
        usage.ru_maxrss as u64,
    )
}

struct Measured {
    wall: Duration,
    cpu: Duration,
    /// Peak RSS of any child so far, KiB (sizes run in increasing order).
    max_rss_kib: u64,
    code: Option<i32>,
}

fn measure(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Measured {
    let (cpu_before, _) = children_usage();
    let started = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cbcheck"));
    command
        .current_dir(dir)
        .args(args)
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in envs {
        command.env(k, v);
    }
    let status = command.status().expect("cbcheck runs");
    let wall = started.elapsed();
    let (cpu_after, max_rss_kib) = children_usage();
    Measured {
        wall,
        cpu: cpu_after - cpu_before,
        max_rss_kib,
        code: status.code(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
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
    let binary = Path::new(env!("CARGO_BIN_EXE_cbcheck"));
    let profile = binary
        .parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .unwrap_or("?");
    let size = std::fs::metadata(binary).map_or(0, |m| m.len());
    println!(
        "{profile} binary: {:.2} MB (budget {:.0} MB for the dist binary)",
        size as f64 / 1e6,
        MAX_BINARY_BYTES as f64 / 1e6
    );
    if profile == "dist" {
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
    println!("| apps N | wall | bound ceil(N/C)×L | wall / bound | CPU per app | peak RSS |");
    println!("|---:|---:|---:|---:|---:|---:|");
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
            "| {n} | {} | {} | {:.2} | {:.3} ms | {:.1} MiB |",
            ms(m.wall),
            ms(bound),
            m.wall.as_secs_f64() / bound.as_secs_f64(),
            m.cpu.as_secs_f64() * 1000.0 / n as f64,
            m.max_rss_kib as f64 / 1024.0
        );
    }

    if env_number("CBCHECK_BENCH_OFFLINE", 1) != 0 {
        offline_paths(&dir);
    }
    if env_number("CBCHECK_BENCH_REPORTING", 1) != 0 {
        reporting_scale(&dir);
    }
}

/// `lint`, `verify --live-from` and `--version` on 5,000 apps in sync.
fn offline_paths(dir: &Path) {
    std::fs::write(dir.join("fleet-5000.yaml"), fleet_yaml(5000)).expect("write fleet");
    println!();
    println!("| offline path (5000 apps) | wall | CPU |");
    println!("|---|---:|---:|");
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
    for (label, args) in offline {
        let best = best_of(7, dir, &args, 0);
        println!("| {label} | {} | {} |", ms(best.wall), ms(best.cpu));
    }
}

/// `Reply` after a fixed delay: the round-trip latency L.
struct ReplyWithDelay(Duration);

impl wiremock::Respond for ReplyWithDelay {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        Reply.respond(request).set_delay(self.0)
    }
}
