//! The machine-readable reports: verify's (`--format json`), described by
//! schemas/report.schema.json, and lint's, described by schemas/lint.schema.json.

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::probe::ProbeResult;
use crate::model::run_info::{FileDigest, RunInfo};
use crate::model::{
    AppResult, BaseMatch, BaseRun, ErrorClass, Failure, FileResults, ServiceName, Status, Summary,
};
use crate::model::{Kind, Severity};

use super::REPORT_VERSION;
use super::problem::Problem;
use super::summary::Warnings;
use crate::config::Loaded;

/// The result of `cbcheck verify`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cbcheck verify report")]
pub struct Report {
    /// The report format version.
    #[schemars(extend("const" = REPORT_VERSION))]
    pub version: u32,
    /// How the run ended; it goes with the exit code.
    pub status: RunStatus,
    /// The cbcheck version that made the report.
    pub cbcheck_version: String,
    /// When the run started and finished (RFC 3339, UTC), and how long it took.
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// The callbacks files given, in order.
    pub files: Vec<String>,
    /// Every callbacks file read, with the SHA-256 of its content: what the report is about.
    pub file_digests: Vec<FileDigestReport>,
    pub summary: Summary,
    /// One entry per checked app, in file order; empty when the run stopped before
    /// checking (`status` is then `invalid`, or `failed` if the client could not be set up).
    pub apps: Vec<AppReport>,
    /// The files' own diagnostics (as `cbcheck lint` reports them: the errors of an
    /// invalid file, the warnings of a valid one; past a file's first 1,000, one that
    /// counts the rest), then what stopped the run, if anything.
    pub diagnostics: Vec<Problem>,
    /// `verify --probe`: each callback endpoint's result (absent without --probe).
    /// Its findings are in `apps`, on every app whose URL names the endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeReport>,
    /// `verify --base`: the base files, and the apps only they declare (absent
    /// without --base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseReport>,
}

/// What `verify --base` compared with.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseReport {
    /// Every base file read, with the SHA-256 of its content.
    pub file_digests: Vec<FileDigestReport>,
    /// Apps a base file declares and no checked file does: nothing deletes their
    /// live configuration.
    pub no_longer_declared: Vec<UndeclaredReport>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UndeclaredReport {
    /// The base file that declares the app.
    pub file: String,
    pub name: Option<String>,
    pub sdkappid: u64,
    pub service: ServiceName,
}

/// What `verify --probe` found at one callback endpoint.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeReport {
    /// The host, with the port when it is not the scheme's default; never a URL.
    pub host: String,
    /// `https` (a verified TLS handshake) or `http` (a TCP connect).
    pub scheme: String,
    /// Reachable and, for https, its certificate verified.
    pub success: bool,
    /// What failed; null on success.
    pub kind: Option<Kind>,
    /// Connect plus handshake; null when no connection was made.
    pub duration_ms: Option<u64>,
    /// The leaf certificate's validity (RFC 3339), when it verified.
    pub cert_not_before: Option<String>,
    pub cert_not_after: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileDigestReport {
    pub file: String,
    /// Lowercase hex; null when the file could not be read.
    pub sha256: Option<String>,
}

/// How a verify run ended, one value per exit code class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every app in sync (exit 0).
    InSync,
    /// `verify --base`: no drift, and changes the checked files make that are not
    /// applied yet (exit 0).
    Pending,
    /// Drift found, or warnings denied by --deny-warnings (exit 1).
    Drifted,
    /// No drift, but an endpoint failed a probe check under `--probe-fail-on` (exit 1).
    Unhealthy,
    /// An app could not be checked, or the client could not be set up (exit 2 for an
    /// endpoint not allowed, 3 for credentials, 4 for the API).
    Failed,
    /// A file is invalid or the run's arguments are unusable: no app was checked, and
    /// `diagnostics` says why; or a file's errors are all inside app entries: its valid
    /// apps were checked and are listed, its invalid entries are the error
    /// `diagnostics`; or a file's warnings were denied by --deny-warnings (exit 2).
    Invalid,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppReport {
    /// The file that declares the app.
    pub file: String,
    pub name: Option<String>,
    pub sdkappid: u64,
    /// Whose callback configuration this is: `room`, `live` or `call`.
    pub service: ServiceName,
    /// The region, when the app uses one (not an explicit endpoint).
    pub region: Option<String>,
    pub status: Status,
    pub findings: Vec<FindingReport>,
    /// Why the app could not be checked; null unless `status` is `failed`.
    pub error: Option<ErrorReport>,
    /// The call that makes the live configuration match the file; null when in sync.
    /// For a `pending` app: the call that applying the file makes.
    pub remediation: Option<RemediationReport>,
    /// `verify --base`: how live compares with the base's desired state (`matches`:
    /// the file's difference is pending; `differs`: drift from the base as well;
    /// `not_declared`: new in the file). Null without --base or when not checked.
    pub base: Option<BaseMatch>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingReport {
    pub kind: Kind,
    pub severity: Severity,
    pub message: String,
    /// What the file declares (URL redacted unless --show-secrets).
    pub desired: Option<String>,
    /// What is live (URL redacted unless --show-secrets).
    pub live: Option<String>,
    /// 1-based line in the callbacks file.
    pub line: usize,
    /// 1-based column in the callbacks file.
    pub column: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorReport {
    pub class: ErrorClass,
    /// The vendor's ErrorCode, when there was one.
    pub code: Option<i64>,
    pub message: String,
    /// The vendor's RequestId: quote it to support.
    pub request_id: Option<String>,
}

impl From<&Failure> for ErrorReport {
    fn from(failure: &Failure) -> ErrorReport {
        ErrorReport {
            class: failure.class(),
            code: failure.code(),
            message: failure.message(),
            request_id: failure.request_id().map(str::to_owned),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationReport {
    /// The REST interface that fixes the drift, e.g. `v4/room_config/set_callback` when
    /// absent, else `v4/room_config/update_callback` (Live: `v4/live_config/…`; Call:
    /// always `v4/call_config/set_callback`).
    pub interface: String,
    pub body: RemediationBody,
    /// Whether the body's URL has parts shown as `***` (query values, userinfo): it is
    /// then not the body to send. `--show-secrets` prints the real one; `cbcheck apply`
    /// sends it.
    pub redacted: bool,
}

/// The exact request body (URL redacted unless --show-secrets): the configuration for
/// set/update_callback, `{}` for delete_callback.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RemediationBody {
    Callback {
        #[serde(rename = "Url")]
        url: String,
        #[serde(rename = "CallbackCommandList")]
        commands: Vec<String>,
    },
    Empty {},
}

/// The report of a run over `files`; `problems` are the files' diagnostics and what
/// stopped the run (when it stopped, `runs` is empty).
pub fn report(
    files: &[String],
    runs: &[FileResults],
    problems: &[Problem],
    status: RunStatus,
    info: &RunInfo,
    base: Option<&BaseRun>,
) -> Report {
    let apps: Vec<AppReport> = runs
        .iter()
        .flat_map(|run| run.results.iter().map(move |r| app_report(run, r)))
        .collect();
    Report {
        version: REPORT_VERSION,
        status,
        cbcheck_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: rfc3339(info.started),
        finished_at: rfc3339(info.finished),
        duration_ms: u64::try_from(info.duration.as_millis()).unwrap_or(u64::MAX),
        file_digests: file_digests(&info.files),
        files: files.to_vec(),
        summary: Summary::of_runs(runs),
        apps,
        diagnostics: problems.to_vec(),
        probes: info.probes.iter().map(probe_report).collect(),
        base: base.map(|base| BaseReport {
            file_digests: file_digests(&base.files),
            no_longer_declared: base
                .undeclared
                .iter()
                .map(|app| UndeclaredReport {
                    file: app.file.clone(),
                    name: app.name.clone(),
                    sdkappid: app.sdkappid,
                    service: app.service,
                })
                .collect(),
        }),
    }
}

fn probe_report(probe: &ProbeResult) -> ProbeReport {
    ProbeReport {
        host: probe.target.label(),
        scheme: if probe.target.tls { "https" } else { "http" }.to_owned(),
        success: probe.success(),
        kind: probe.outcome.kind(),
        duration_ms: probe
            .duration
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        cert_not_before: probe.certificate.map(|c| rfc3339(c.not_before)),
        cert_not_after: probe.certificate.map(|c| rfc3339(c.not_after)),
    }
}

fn app_report(run: &FileResults, result: &AppResult) -> AppReport {
    let source = &run.config.source;
    let redaction = &run.redaction;
    AppReport {
        file: run.config.file.clone(),
        name: result.app.name.clone(),
        sdkappid: result.app.sdkappid,
        service: result.app.service,
        region: result.app.region.map(|r| r.name().to_owned()),
        status: result.status(),
        findings: result
            .findings
            .iter()
            .map(|f| {
                let (line, column) = source.line_col(f.span.offset());
                FindingReport {
                    kind: f.kind,
                    severity: f.severity,
                    message: f.message.clone(),
                    desired: f.desired.clone(),
                    live: f.live.clone(),
                    line,
                    column,
                }
            })
            .collect(),
        error: result.failure.as_ref().map(ErrorReport::from),
        remediation: result.remediation.as_ref().map(|fix| RemediationReport {
            interface: fix.path().to_owned(),
            body: match &fix.body {
                Some(body) => RemediationBody::Callback {
                    url: redaction.url(&body.url),
                    commands: body.commands.clone(),
                },
                None => RemediationBody::Empty {},
            },
            redacted: super::fix::is_redacted(redaction, fix),
        }),
        base: result.base,
    }
}

/// Each file's digest, as the JSON documents list them.
pub(super) fn file_digests(files: &[FileDigest]) -> Vec<FileDigestReport> {
    files
        .iter()
        .map(|f| FileDigestReport {
            file: f.file.clone(),
            sha256: f.sha256.clone(),
        })
        .collect()
}

/// A time as RFC 3339 in UTC, to the millisecond.
pub(super) fn rfc3339(time: std::time::SystemTime) -> String {
    // Always three digits of milliseconds (RFC 3339 allows any number; the well-known
    // format drops trailing zeros), so the strings sort as the times do.
    let t = time::OffsetDateTime::from(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A document as [`pretty`] writes it, given to `out` line by line (each line made
/// safe as the whole would be): a fleet's report is never held whole as text.
pub(super) fn write_pretty(report: &impl Serialize, out: &mut dyn FnMut(&str)) {
    let mut lines = Lines {
        out,
        pending: Vec::new(),
    };
    // Serialised in blocks of lines, not token by token. Writing into `Lines` cannot
    // fail, nor can serialising plain data.
    {
        let mut blocks = std::io::BufWriter::with_capacity(64 * 1024, &mut lines);
        let _ = serde_json::to_writer_pretty(&mut blocks, report);
        let _ = std::io::Write::flush(&mut blocks);
    }
    let last = std::mem::take(&mut lines.pending);
    let mut last = String::from_utf8(last).unwrap_or_default();
    last.push('\n');
    (lines.out)(&crate::model::text::json_string_safe(&last));
}

/// Serialised JSON cut into lines: each complete line, with its line break, goes to
/// `out` made safe ([`crate::model::text::json_string_safe`] works line by line).
struct Lines<'o> {
    out: &'o mut dyn FnMut(&str),
    pending: Vec<u8>,
}

impl std::io::Write for Lines<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let searched = self.pending.len();
        self.pending.extend_from_slice(buf);
        // serde_json writes UTF-8, and a line break is one byte of it: whole lines are
        // whole characters.
        if let Some(last) = self.pending[searched..].iter().rposition(|b| *b == b'\n') {
            let end = searched + last + 1;
            let rest = self.pending.split_off(end);
            let lines = std::mem::replace(&mut self.pending, rest);
            let text = String::from_utf8(lines)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            (self.out)(&crate::model::text::json_string_safe(&text));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The result of `cbcheck lint`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cbcheck lint report")]
pub struct LintReport {
    /// The report format version (shared with the verify report).
    #[schemars(extend("const" = REPORT_VERSION))]
    pub version: u32,
    /// `invalid` when a file is (exit 2), else `valid` (exit 0).
    pub status: LintStatus,
    /// One entry per file, in the order given.
    pub files: Vec<LintFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LintStatus {
    /// No errors (and, under --deny-warnings, no warnings).
    Valid,
    /// Errors, or warnings denied by --deny-warnings.
    Invalid,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintFile {
    pub file: String,
    pub status: LintStatus,
    /// The apps the file declares; null when it is invalid.
    pub apps: Option<usize>,
    /// Every error, listed or not.
    pub errors: usize,
    /// Every warning, listed or not.
    pub warnings: usize,
    /// The diagnostics, in the order `cbcheck lint` prints them: the first 1,000, then,
    /// when there are more, one (`cbcheck::config::too-many-problems`) that counts the rest.
    pub diagnostics: Vec<Problem>,
}

pub fn lint_report(loaded: &[Loaded], warnings: Warnings) -> LintReport {
    let status = |invalid: bool| {
        if invalid {
            LintStatus::Invalid
        } else {
            LintStatus::Valid
        }
    };
    let files: Vec<LintFile> = loaded
        .iter()
        .map(|file| LintFile {
            file: file.file.clone(),
            status: status(file.errors() > 0 || warnings.fail(file.warnings())),
            apps: file.config.as_ref().map(|c| c.apps.len()),
            errors: file.errors(),
            warnings: file.warnings(),
            diagnostics: super::problem::from_loaded(std::slice::from_ref(file)),
        })
        .collect();
    LintReport {
        version: REPORT_VERSION,
        status: status(files.iter().any(|f| f.status == LintStatus::Invalid)),
        files,
    }
}

pub fn render_lint(loaded: &[Loaded], warnings: Warnings) -> String {
    pretty(&lint_report(loaded, warnings))
}

fn pretty(report: &impl Serialize) -> String {
    let text = serde_json::to_string_pretty(report).expect("the report is plain data");
    // A JSON reader sees the same strings; a CI log sees no workflow command.
    crate::model::text::json_document_safe(text)
}

/// The JSON Schema of the verify report, as committed in schemas/report.schema.json.
pub fn schema_json() -> String {
    pretty(&schemars::schema_for!(Report))
}

/// The JSON Schema of the lint report, as committed in schemas/lint.schema.json.
pub fn lint_schema_json() -> String {
    pretty(&schemars::schema_for!(LintReport))
}
