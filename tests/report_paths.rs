//! Report and export paths that are not files: a pipe, a device or a descriptor is
//! written into, never replaced by a file (as root, replacing `/dev/null` would leave a
//! world-readable file in its place). Regular files and symlinks are replaced whole.
//!
//! Run as root, the tests never aim a run at the real `/dev/null` or `/dev/stdout`:
//! they use a device node and links of their own, which a broken build can only
//! replace in a scratch directory.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::support::{Out, Workdir, names, repo_path, workdir};

fn root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn c_path(path: &Path) -> std::ffi::CString {
    std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL")
}

/// `verify` of the bundled fleet against its snapshot (exit 1: it drifted), with `args`.
fn verify(dir: &Workdir, args: &[&str]) -> Out {
    dir.cbcheck()
        .arg("verify")
        .arg(repo_path("examples/fleet.yaml"))
        .arg("--live-from")
        .arg(repo_path("examples/live-snapshot.json"))
        .args(args)
        .run()
}

/// `export` of the bundled fleet refreshed from its snapshot, to `output`.
fn export(dir: &Workdir, output: &str) -> Out {
    dir.cbcheck()
        .arg("export")
        .arg("--from")
        .arg(repo_path("examples/fleet.yaml"))
        .arg("--live-from")
        .arg(repo_path("examples/live-snapshot.json"))
        .args(["-o", output])
        .run()
}

/// A FIFO with its read end open (without blocking, so that a run which never opens
/// it cannot hang the test), read in a thread until the run has ended.
struct Fifo {
    path: PathBuf,
    ended: Arc<AtomicBool>,
    reader: std::thread::JoinHandle<Vec<u8>>,
}

impl Fifo {
    fn new(path: PathBuf) -> Fifo {
        // SAFETY: a valid NUL-terminated path.
        let made = unsafe { libc::mkfifo(c_path(&path).as_ptr(), 0o600) };
        assert_eq!(made, 0, "mkfifo {}", path.display());
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("read end");
        let ended = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&ended);
        let reader = std::thread::spawn(move || {
            let mut read = Vec::new();
            let mut buffer = [0; 8192];
            loop {
                // Read once more after the run ended: then 0 means all was read.
                let after_the_run = seen.load(Ordering::SeqCst);
                match file.read(&mut buffer) {
                    Ok(0) if after_the_run => return read,
                    Ok(n) => read.extend_from_slice(&buffer[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("reading the FIFO: {e}"),
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        Fifo {
            path,
            ended,
            reader,
        }
    }

    /// What was written into it, once the run has ended; it is still a FIFO.
    fn read(self) -> String {
        self.ended.store(true, Ordering::SeqCst);
        let read = self.reader.join().expect("reader");
        let meta = std::fs::symlink_metadata(&self.path).expect("still there");
        assert!(
            meta.file_type().is_fifo(),
            "{} was replaced",
            self.path.display()
        );
        String::from_utf8_lossy(&read).into_owned()
    }
}

#[test]
fn reports_and_exports_into_a_fifo_are_written_through() {
    let dir = workdir("fifo");
    let json = Fifo::new(dir.join("report.json"));
    let sarif = Fifo::new(dir.join("report.sarif"));
    let prom = Fifo::new(dir.join("cbcheck.prom"));
    let output = verify(
        &dir,
        &[
            "--report",
            "json=report.json",
            "--report",
            "sarif=report.sarif",
            "--report",
            "prometheus=cbcheck.prom",
        ],
    );
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    let json = json.read();
    assert!(json.contains("\"status\": \"drifted\""), "{json}");
    let sarif = sarif.read();
    assert!(sarif.contains("\"runs\""), "{sarif}");
    let prom = prom.read();
    assert!(prom.contains("\ncbcheck_run_exit_code 1\n"), "{prom}");
    // No temporary file left, and no last-success file beside a stream: it is kept
    // between runs only beside a metrics file.
    assert_eq!(names(&dir), ["cbcheck.prom", "report.json", "report.sarif"]);

    let exported = Fifo::new(dir.join("exported.yaml"));
    let output = export(&dir, "exported.yaml");
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let exported = exported.read();
    assert!(exported.contains("conference-prod"), "{exported}");
    assert_eq!(
        names(&dir),
        [
            "cbcheck.prom",
            "exported.yaml",
            "report.json",
            "report.sarif"
        ]
    );
}

/// A character device: the real `/dev/null` when not root, else a null device node
/// made for the test (as root, a broken build would replace the real one).
#[test]
fn a_character_device_is_written_into_and_stays_a_device() {
    let dir = workdir("device");
    let device = if root() {
        let node = dir.join("null");
        // SAFETY: a valid NUL-terminated path; 1:3 is the null device.
        let made = unsafe {
            libc::mknod(
                c_path(&node).as_ptr(),
                libc::S_IFCHR | 0o666,
                libc::makedev(1, 3),
            )
        };
        assert_eq!(made, 0, "mknod: {}", std::io::Error::last_os_error());
        node
    } else {
        PathBuf::from("/dev/null")
    };
    let shown = device.display().to_string();
    let output = verify(
        &dir,
        &[
            "--report",
            &format!("json={shown}"),
            "--report",
            &format!("prometheus={shown}"),
        ],
    );
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    assert!(output.stdout.is_empty());
    let meta = std::fs::symlink_metadata(&device).expect("still there");
    assert!(meta.file_type().is_char_device(), "{shown} was replaced");
    let leftovers: Vec<String> = names(device.parent().expect("a directory"))
        .into_iter()
        .filter(|name| name.starts_with(".tmp") || name.ends_with("_success"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());

    let output = export(&dir, &shown);
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let meta = std::fs::symlink_metadata(&device).expect("still there");
    assert!(meta.file_type().is_char_device(), "{shown} was replaced");
}

/// `/dev/stdout`, `/dev/fd/N` and `/proc/self/fd/N` name the run's own descriptors:
/// the report goes there, as if printed. A link to one (as `/dev/stdout` is) too.
#[test]
fn a_descriptor_path_writes_to_the_descriptor() {
    let dir = workdir("descriptors");
    std::os::unix::fs::symlink("/proc/self/fd/1", dir.join("stdout")).expect("symlink");
    let mut stdout_paths = vec!["/dev/fd/1", "/proc/self/fd/1", "stdout"];
    // As root a broken build would replace the machine's /dev/stdout; the link above
    // is made the same way.
    if !root() {
        stdout_paths.push("/dev/stdout");
    }
    for path in stdout_paths {
        let output = verify(&dir, &["--report", &format!("json={path}")]);
        assert_eq!(output.code, Some(1), "{path}: {}", output.stderr);
        let stdout = &output.stdout;
        assert!(
            stdout.contains("\"status\": \"drifted\""),
            "{path}: {stdout}"
        );
        let output = export(&dir, path);
        assert_eq!(output.code, Some(0), "{path}: {}", output.stderr);
        let stdout = &output.stdout;
        assert!(stdout.contains("conference-prod"), "{path}: {stdout}");
    }
    assert!(
        std::fs::symlink_metadata(dir.join("stdout"))
            .expect("kept")
            .file_type()
            .is_symlink()
    );
    assert_eq!(names(&dir), ["stdout"]);

    let output = verify(&dir, &["--report", "sarif=/dev/fd/2"]);
    assert_eq!(output.code, Some(1));
    assert!(output.stderr.contains("\"runs\""));

    // Another process's descriptor is not the run's to write to.
    let foreign = format!("/proc/{}/fd/1", std::process::id());
    let output = verify(&dir, &["--report", &format!("json={foreign}")]);
    let stderr = output.stderr;
    assert_eq!(output.code, Some(2), "{stderr}");
    assert!(stderr.contains("another process"), "{stderr}");
}

/// The promise for links stands: a symlink at a report path is replaced, never
/// followed, whatever it points at (a device included).
#[test]
fn a_symlink_to_a_device_is_replaced_not_followed() {
    let dir = workdir("device-link");
    std::os::unix::fs::symlink("/dev/null", dir.join("report.json")).expect("symlink");
    let output = verify(&dir, &["--report", "json=report.json"]);
    assert_eq!(output.code, Some(1), "{}", output.stderr);
    let meta = std::fs::symlink_metadata(dir.join("report.json")).expect("written");
    assert!(meta.file_type().is_file());
    let report = dir.read("report.json");
    assert!(report.contains("\"status\": \"drifted\""), "{report}");
    assert!(
        std::fs::metadata("/dev/null")
            .expect("there")
            .file_type()
            .is_char_device()
    );
    assert_eq!(names(&dir), ["report.json"]);
}

/// What cannot be written into is refused, exit 2, and left as it was.
#[test]
fn a_directory_or_socket_path_is_refused() {
    let dir = workdir("refused");
    std::fs::create_dir(dir.join("reports")).expect("dir");
    let socket = std::os::unix::net::UnixListener::bind(dir.join("socket")).expect("socket");
    for path in ["reports", "socket"] {
        let output = verify(&dir, &["--report", &format!("json={path}")]);
        let stderr = output.stderr;
        assert_eq!(output.code, Some(2), "{path}: {stderr}");
        assert!(
            stderr.contains(&format!("cannot write the report {path}")),
            "{stderr}"
        );
    }
    drop(socket);
    assert!(dir.join("reports").is_dir());
    assert!(
        std::fs::symlink_metadata(dir.join("socket"))
            .expect("kept")
            .file_type()
            .is_socket()
    );
    assert_eq!(names(&dir), ["reports", "socket"]);
}
