//! Everything cbcheck prints. No other module writes to stdout or stderr.

pub mod annotation;
pub mod apply;
mod destination;
mod document;
mod excerpt;
pub mod export;
pub mod fix;
pub mod format;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod plan;
pub mod problem;
pub mod progress;
pub mod prometheus;
pub mod sarif;
pub mod summary;

/// The version of every machine-readable format; it changes when one changes incompatibly.
pub const REPORT_VERSION: u32 = 3;

use std::io::IsTerminal;

pub use crate::model::text::{Commands, is_unsafe, printable};
pub use document::{Document, Linted, Verified};
pub use format::{Format, Stream, render, render_to, write_report};

/// How human-readable output looks: decided once, from flags, environment and terminal.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// miette's narrated, screen-reader-friendly output instead of drawn snippets.
    pub narrated: bool,
    pub width: usize,
}

/// The width used when stderr is not a terminal (CI logs, files, pipes).
pub const LOG_WIDTH: usize = 100;

impl Style {
    /// The style for stderr, reading NO_COLOR and NO_GRAPHICS from the environment.
    /// `color`: forced on or off, or `None` to colour a terminal unless NO_COLOR is set.
    pub fn for_stderr(color: Option<bool>) -> Style {
        let terminal = std::io::stderr().is_terminal();
        let env_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let color = color.unwrap_or_else(|| terminal && !env_set("NO_COLOR"));
        let width = if terminal {
            terminal_size::terminal_size_of(std::io::stderr())
                .map_or(LOG_WIDTH, |(w, _)| usize::from(w.0))
        } else {
            LOG_WIDTH
        };
        Style {
            color,
            narrated: env_set("NO_GRAPHICS"),
            width,
        }
    }

    /// A fixed style: no colour, drawn snippets, log width. For tests and files.
    pub fn plain() -> Style {
        Style {
            color: false,
            narrated: false,
            width: LOG_WIDTH,
        }
    }
}

/// Write machine output (schemas, reports, exported files) to stdout.
///
/// A closed pipe (`cbcheck schema | head`) is the reader's choice, not an error; any
/// other failure (a full disk behind `>`) is, so no truncated file passes for a result.
pub fn print_stdout(text: &str) -> Result<(), WriteError> {
    print_stdout_with(text, Commands::None)
}

/// [`print_stdout`], for a text that may carry `commands` (the GitHub format). Every
/// text on stdout passes the last guard against workflow commands it should not carry.
pub fn print_stdout_with(text: &str, commands: Commands) -> Result<(), WriteError> {
    use std::io::Write;
    let text = crate::model::text::guard(text, commands);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(WriteError {
            path: "standard output".into(),
            reason: e.to_string(),
            help: WRITABLE,
        }),
        _ => Ok(()),
    }
}

/// Standard output written piece by piece, each piece through the last guard (as
/// [`print_stdout_with`] does for a whole text), buffered; the first error is kept for
/// [`StdoutSink::finish`].
pub struct StdoutSink {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    commands: Commands,
    error: Option<std::io::Error>,
}

impl StdoutSink {
    pub fn new(commands: Commands) -> StdoutSink {
        StdoutSink {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
            commands,
            error: None,
        }
    }

    /// One piece; it ends a line (the guard works line by line).
    pub fn write(&mut self, piece: &str) {
        use std::io::Write;
        if self.error.is_none() {
            let text = crate::model::text::guard(piece, self.commands);
            if let Err(e) = self.out.write_all(text.as_bytes()) {
                self.error = Some(e);
            }
        }
    }

    /// Everything written, or why not (a closed pipe is no error: the reader left).
    pub fn finish(mut self) -> Result<(), WriteError> {
        use std::io::Write;
        let result = match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        };
        match result {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(WriteError {
                path: "standard output".into(),
                reason: e.to_string(),
                help: WRITABLE,
            }),
            _ => Ok(()),
        }
    }
}

/// A report file that could not be written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot write the report {path}: {reason}")]
#[diagnostic(code(cbcheck::report::write))]
pub struct WriteError {
    path: String,
    reason: String,
    #[help]
    help: &'static str,
}

/// The help for a write that failed.
const WRITABLE: &str = "check that the directory exists and is writable";

impl WriteError {
    fn new(path: &std::path::Path, err: &std::io::Error) -> WriteError {
        WriteError {
            path: path.display().to_string(),
            reason: err.to_string(),
            help: WRITABLE,
        }
    }
}

/// How a file was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A file was replaced whole (or made).
    Replaced,
    /// A pipe, a device or a descriptor was written into.
    Streamed,
}

/// Write a report file (`--report FORMAT=PATH`), replacing it whole. A symlink at the
/// path is replaced, never followed: in pull-request CI the checkout is the PR author's,
/// and a committed `cbcheck.sarif -> ~/.bashrc` must not aim the report at another file.
/// A pipe, a character device or the run's own descriptor (`/dev/stdout`) is written
/// into instead, never replaced.
pub fn write_file(path: &std::path::Path, text: &str) -> Result<(), WriteError> {
    replace_file(path, text, Link::Replace, None).map(|_| ())
}

/// Create a file that must not exist yet (`cbcheck init` never replaces one by accident).
pub fn write_new_file(path: &std::path::Path, text: &str) -> Result<(), WriteError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| WriteError::new(path, &e))
}

/// Append to a file ($GITHUB_STEP_SUMMARY collects several steps' reports).
pub fn append_file(path: &std::path::Path, text: &str) -> Result<(), WriteError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| WriteError::new(path, &e))
}

/// Replace a file whole: write a new, private, uniquely named file beside the target,
/// sync it, give it the target's permissions, then rename it over the target (through
/// a symlink, to the file it points at). A reader never sees half a file; a failure
/// leaves the old one intact and removes the temporary file.
pub fn write_file_atomically(path: &std::path::Path, text: &str) -> Result<(), WriteError> {
    replace_file(path, text, Link::Follow, None).map(|_| ())
}

/// Create `path` holding `text`, readable and writable by its owner alone (0600):
/// for values that are never shown (`export --secrets-out`). An existing file is never
/// replaced, and no temporary copy is left anywhere.
pub fn create_private_file(path: &std::path::Path, text: &str) -> Result<(), WriteError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            WriteError {
                path: path.display().to_string(),
                reason: "it exists".to_owned(),
                help: "cbcheck never replaces a file of secret values: remove it, or name another",
            }
        } else {
            WriteError::new(path, &e)
        }
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| WriteError::new(path, &e))
}

/// Replace a file whole, as [`write_file`] (a symlink at the path is replaced, not
/// followed), readable by every user (0644): for files another service reads, such as
/// node_exporter's textfile collector.
pub fn publish_file(path: &std::path::Path, text: &str) -> Result<Written, WriteError> {
    replace_file(path, text, Link::Replace, Some(0o644))
}

/// What a symlink at the path means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    /// The file it points at is replaced (an exported callbacks file kept elsewhere).
    Follow,
    /// The link itself is replaced by the new file (reports).
    Replace,
}

/// Write `text` to a new file beside the target and rename it over the target. `mode`:
/// the new file's permissions; `None` keeps an existing file's (a new one is 0644 for
/// reports, the temporary file's private 0600 for exported files). A pipe, a device or
/// a descriptor is written into; what can be neither is refused.
fn replace_file(
    path: &std::path::Path,
    text: &str,
    link: Link,
    #[cfg_attr(not(unix), allow(unused_variables))] mode: Option<u32>,
) -> Result<Written, WriteError> {
    use destination::Destination;
    use std::io::Write;
    let error = |e: std::io::Error| WriteError::new(path, &e);
    let streamed = |written: std::io::Result<()>| written.map(|()| Written::Streamed);
    let destination =
        destination::of(path, link == Link::Follow).map_err(|refusal| WriteError {
            path: path.display().to_string(),
            reason: refusal.reason,
            help: refusal.help,
        })?;
    match destination {
        Destination::Replace => {}
        Destination::Stdout => return print_stdout(text).map(|()| Written::Streamed),
        Destination::Stderr => {
            // The same last guard as stdout: the runner reads both streams.
            let text = crate::model::text::guard(text, Commands::None);
            let mut err = std::io::stderr().lock();
            return streamed(err.write_all(text.as_bytes()).and_then(|()| err.flush()))
                .map_err(error);
        }
        Destination::Stream(target) => {
            return streamed(destination::write_into(&target, false, text)).map_err(error);
        }
        Destination::Descriptor(link) => {
            return streamed(destination::write_into(&link, true, text)).map_err(error);
        }
    }
    let metadata = std::fs::symlink_metadata(path);
    let is_link = metadata.as_ref().is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_link && link == Link::Follow {
        std::fs::canonicalize(path).map_err(error)?
    } else {
        path.to_path_buf()
    };
    // A report replacing a link, or a new report, is readable like any file a shell writes.
    #[cfg(unix)]
    let mode =
        mode.or_else(|| (link == Link::Replace && (is_link || metadata.is_err())).then_some(0o644));
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(&directory).map_err(error)?;
    temporary.write_all(text.as_bytes()).map_err(error)?;
    temporary.as_file().sync_all().map_err(error)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        temporary
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(error)?;
    }
    if let (None, Ok(existing)) = (mode, std::fs::symlink_metadata(&target)) {
        temporary
            .as_file()
            .set_permissions(existing.permissions())
            .map_err(error)?;
    }
    temporary.persist(&target).map_err(|e| error(e.error))?;
    Ok(Written::Replaced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file_text::FileText;
    use crate::model::redact::Redaction;
    use crate::model::tencent::region::Region;
    use crate::model::{
        App, AppResult, CallbackConfig, Config, ErrorClass, Failure, FileResults, Finding,
        Interface, Kind, Operation, Service, Severity, Summary,
    };
    use std::borrow::Cow;

    /// One drifted app and one that could not be checked, built by hand: no file
    /// is read and no server asked.
    fn run() -> FileResults {
        let text = "apps:\n  - sdkappid: 1400000001\n  - sdkappid: 1400000002\n";
        let drifted = App::bare(1_400_000_001, Region::Singapore, "administrator".into());
        let failed = App::bare(1_400_000_002, Region::Seoul, "administrator".into());
        let finding = Finding {
            kind: Kind::MissingCommand,
            severity: Severity::Error,
            message: "Room.CallbackAfterCreateRoom is not configured".into(),
            desired: Some("Room.CallbackAfterCreateRoom".into()),
            live: None,
            span: (20, 10).into(),
            label: "declared here".into(),
            help: None,
        };
        let fix = Operation {
            service: &Service::ROOM,
            interface: Interface::Update,
            body: Some(CallbackConfig {
                url: "https://hooks.example.com/cb".into(),
                commands: vec!["Room.CallbackAfterCreateRoom".into()],
            }),
        };
        FileResults {
            config: Config {
                file: "fleet.yaml".into(),
                source: std::sync::Arc::new(FileText::new("fleet.yaml", text.into())),
                apps: vec![drifted.clone(), failed.clone()],
            },
            redaction: Redaction::default(),
            results: vec![
                AppResult {
                    app: drifted,
                    live: Some(Some(CallbackConfig {
                        url: "https://hooks.example.com/cb".into(),
                        commands: Vec::new(),
                    })),
                    findings: vec![finding],
                    remediation: Some(fix),
                    failure: None,
                    base: None,
                },
                AppResult {
                    app: failed,
                    live: None,
                    findings: Vec::new(),
                    remediation: None,
                    failure: Some(Failure::new(
                        ErrorClass::Network,
                        "the connection was refused".into(),
                        "check the network".into(),
                    )),
                    base: None,
                },
            ],
            notices: Vec::new(),
        }
    }

    #[test]
    fn every_format_renders_results_built_by_hand() {
        let runs = [run()];
        assert_eq!(
            Summary::of_runs(&runs),
            Summary {
                apps: 2,
                in_sync: 0,
                drifted: 1,
                pending: 0,
                unhealthy: 0,
                failed: 1,
                warnings: 0
            }
        );
        let summary = human::verify_summary(&runs, 0, summary::Warnings::Pass);
        assert_eq!(summary, "2 apps checked: 0 in sync, 1 drifted, 1 failed");
        let info = crate::model::run_info::RunInfo {
            started: std::time::SystemTime::UNIX_EPOCH,
            finished: std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1500),
            duration: std::time::Duration::from_millis(1500),
            files: Vec::new(),
            probes: Vec::new(),
        };
        let document = Document::Verify(Box::new(Verified {
            files: vec!["fleet.yaml".to_owned()],
            runs: vec![run()],
            problems: Vec::new(),
            status: json::RunStatus::Failed,
            stopped: None,
            quiet: false,
            warnings: summary::Warnings::Pass,
            file_warnings: 0,
            info,
            exit_code: 1,
            apply_flags: Vec::new(),
            base: None,
        }));
        let rendered = |format: Format| render(format, &document, Style::plain());
        // Every format but Prometheus, whose samples carry no finding's text.
        for format in Format::ALL.into_iter().filter(|f| *f != Format::Prometheus) {
            let text = rendered(format);
            let format = format.name();
            assert!(text.contains("missing_command"), "{format}:\n{text}");
            assert!(
                text.contains("the connection was refused"),
                "{format}:\n{text}"
            );
        }
        let json: serde_json::Value = serde_json::from_str(&rendered(Format::Json)).expect("JSON");
        assert_eq!(json["summary"]["drifted"], 1);
        assert_eq!(json["apps"][1]["error"]["class"], "network");
        assert_eq!(json["apps"][0]["findings"][0]["line"], 2);
        assert_eq!(json["started_at"], "1970-01-01T00:00:00.000Z");
        assert_eq!(json["finished_at"], "1970-01-01T00:00:01.500Z");
        assert_eq!(json["duration_ms"], 1500);
    }

    #[test]
    fn the_list_groups_several_files_and_names_a_service_other_than_room() {
        let mut second = run();
        second.config.file = "call.yaml".into();
        second.results[0].app.service = crate::model::ServiceName::Call;
        second.results[0].app.name = Some("会议\u{1b}".into());
        let list = summary::app_list(&[run(), second]);
        assert_eq!(
            list,
            "fleet.yaml:\n\
             \x20 drifted  -           1400000001        1 missing_command\n\
             \x20 failed   -           1400000002        network error\n\
             call.yaml:\n\
             \x20 drifted  会议\\u{1b}  1400000001  call  1 missing_command\n\
             \x20 failed   -           1400000002        network error\n"
        );
        assert_eq!(summary::app_list(&[]), "");

        // One long name overflows its own line only.
        let mut long = run();
        long.results[0].app.name = Some("n".repeat(40));
        let list = summary::app_list(&[long]);
        assert!(
            list.ends_with(&format!(
                "\nfailed   -{}  1400000002  network error\n",
                " ".repeat(31)
            )),
            "{list}"
        );
    }

    #[test]
    fn unsafe_characters_become_visible_escapes() {
        assert!(matches!(
            printable("plain é 日本 text", &[]),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            printable(
                "a\u{1b}[31m\u{7}\u{0}\u{7f}\u{9b}\u{85}\u{202e}\u{2066}\u{2028}\tb\nc",
                &['\n']
            ),
            "a\\u{1b}[31m\\u{7}\\0\\u{7f}\\u{9b}\\u{85}\\u{202e}\\u{2066}\\u{2028}\\tb\nc"
        );
        assert_eq!(printable("a\r\nb", &[]), "a\\r\\nb");
    }
}
