//! The machine-readable report (`--format json`), described by schemas/report.schema.json.

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{AppResult, ErrorClass, Run, ServiceName, Status, Summary};
use crate::model::{Kind, Severity};

use super::REPORT_VERSION;
use super::annotation::Annotation;

/// The result of `cbcheck verify`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cbcheck verify report")]
pub struct Report {
    /// The report format version.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    /// The callbacks files that were verified, in the order given.
    pub files: Vec<String>,
    pub summary: Summary,
    /// One entry per checked app, in file order.
    pub apps: Vec<AppReport>,
    /// Warnings about the callbacks files themselves (as `cbcheck lint` reports them).
    pub config_warnings: Vec<ConfigWarning>,
}

/// A warning about a callbacks file (a valid file may still have some).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigWarning {
    pub file: String,
    /// The lint rule, e.g. `cbcheck/config/duplicate-command`.
    pub rule: String,
    pub message: String,
    pub line: usize,
    pub column: usize,
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
    pub remediation: Option<RemediationReport>,
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

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationReport {
    /// `v4/room_config/set_callback` when absent, else `v4/room_config/update_callback`.
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

pub fn report(runs: &[Run], config: &[Annotation]) -> Report {
    let apps: Vec<AppReport> = runs
        .iter()
        .flat_map(|run| run.results.iter().map(move |r| app_report(run, r)))
        .collect();
    Report {
        version: REPORT_VERSION,
        files: runs.iter().map(|run| run.config.file.clone()).collect(),
        summary: Summary::of_runs(runs),
        apps,
        config_warnings: config
            .iter()
            .map(|a| ConfigWarning {
                file: a.file.clone(),
                rule: a.rule.clone(),
                message: a.message.clone(),
                line: a.line,
                column: a.column,
            })
            .collect(),
    }
}

fn app_report(run: &Run, result: &AppResult) -> AppReport {
    let source = &run.config.source;
    let redaction = run.redaction;
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
        error: result.failure.as_ref().map(|failure| ErrorReport {
            class: failure.class(),
            code: failure.code(),
            message: failure.message(),
            request_id: failure.request_id().map(str::to_owned),
        }),
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
    }
}

/// The report; `config` holds the annotations of the files' own warnings.
pub fn render(runs: &[Run], config: &[Annotation]) -> String {
    let mut text =
        serde_json::to_string_pretty(&report(runs, config)).expect("the report is plain data");
    text.push('\n');
    text
}

/// The JSON Schema of the report, as committed in schemas/report.schema.json.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Report);
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value always serialises");
    text.push('\n');
    text
}
