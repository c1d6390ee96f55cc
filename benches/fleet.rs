//! Fleet benchmark: runs the release `cbcheck` against a local fake get_callback with
//! a fixed latency and prints, per fleet size, wall time, the round-trip bound
//! `ceil(N / C) × L`, their ratio, CPU time per app and peak RSS; then the offline
//! paths (`lint`, `verify --live-from`) and `--version`.
//!
//! `cargo bench --bench fleet` (env: CBCHECK_BENCH_LATENCY_MS, default 50;
//! CBCHECK_BENCH_CONCURRENCY, default: cbcheck's own default; CBCHECK_BENCH_SIZES,
//! default 1,100,1000,5000; CBCHECK_BENCH_OFFLINE=0 skips the offline paths).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SIZES: &str = "1,100,1000,5000";
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
    let default_concurrency = cbcheck::api::ClientOptions::default().concurrency;
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

    if env_number("CBCHECK_BENCH_OFFLINE", 1) == 0 {
        return;
    }
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
        // The fastest of several runs: the least disturbed by the machine's noise.
        let runs: Vec<Measured> = (0..7)
            .map(|_| tokio::task::block_in_place(|| measure(&dir, &args, &[])))
            .collect();
        assert!(
            runs.iter().all(|m| m.code == Some(0)),
            "{label} must succeed"
        );
        let best = runs.iter().min_by_key(|m| m.wall).expect("runs");
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
