//! What a verification found, app by app: the values every report renders.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::redact::Redaction;
use super::{App, CallbackConfig, Config, Finding, Kind, Operation, ServiceName, Severity};

named! {
/// The class of a failure, as reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ErrorClass fn id {
    /// No credentials were found for the app.
    Credentials = "credentials",
    /// The vendor refused the credentials.
    Auth = "auth",
    /// The vendor answered with an error (or kept answering a retryable one).
    Api = "api",
    /// The connection failed.
    Network = "network",
    /// The requests kept timing out, or the run's deadline (`--deadline`) passed first.
    Timeout = "timeout",
    /// The reply was not the vendor's JSON, was too large, or was a redirect.
    Protocol = "protocol",
    /// The file's endpoint is neither a vendor host nor allowed by the operator.
    EndpointNotAllowed = "endpoint_not_allowed",
    /// An HTTP error status without the vendor's reply (a gateway or proxy failing,
    /// or a wrong endpoint).
    Http = "http",
    /// The TLS handshake failed: the server's certificate did not verify. Not retried.
    Tls = "tls",
}
}

/// Why an app could not be checked, as every report shows it. Built where the
/// cause is known (the client, the credentials, the snapshot); plain data here.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    class: ErrorClass,
    code: Option<i64>,
    request_id: Option<String>,
    message: String,
    help: String,
    /// What a one-line summary (`-q`) adds to the class, e.g. where a key was looked for.
    detail: Option<String>,
}

impl Failure {
    pub fn new(class: ErrorClass, message: String, help: String) -> Failure {
        Failure {
            class,
            code: None,
            request_id: None,
            message,
            help,
            detail: None,
        }
    }

    /// With the short detail a one-line summary gives after the class.
    pub fn with_detail(mut self, detail: String) -> Failure {
        self.detail = Some(detail);
        self
    }

    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The vendor's ErrorCode and RequestId, when it answered.
    pub fn with_vendor(mut self, code: Option<i64>, request_id: Option<String>) -> Failure {
        self.code = code;
        self.request_id = request_id;
        self
    }

    pub fn class(&self) -> ErrorClass {
        self.class
    }

    pub fn code(&self) -> Option<i64> {
        self.code
    }

    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    pub fn message(&self) -> String {
        self.message.clone()
    }

    /// What the user should check.
    pub fn help(&self) -> String {
        self.help.clone()
    }

    /// Refused or missing credentials exit 3.
    pub fn is_credentials(&self) -> bool {
        matches!(self.class, ErrorClass::Credentials | ErrorClass::Auth)
    }
}

/// An app's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No error-level finding (warnings allowed).
    InSync,
    /// At least one error-level finding.
    Drifted,
    /// `verify --base`: every error-level finding is a change the checked file makes
    /// to the merged desired state, which live still matches: not drift, a change
    /// not yet applied.
    Pending,
    /// The app could not be checked.
    Failed,
    /// `verify --probe` with `--probe-fail-on`: the configuration is as declared, but
    /// its endpoint failed a probe check: not drift, and `apply` cannot fix it.
    Unhealthy,
}

/// What verify found for one app.
#[derive(Debug, Clone)]
pub struct AppResult {
    pub app: App,
    /// The live configuration (`None`: absent); unset when the app failed.
    pub live: Option<Option<CallbackConfig>>,
    pub findings: Vec<Finding>,
    pub remediation: Option<Operation>,
    pub failure: Option<Failure>,
    /// `verify --base`: how live compares with the merged desired state; `None`
    /// without --base, or when the app could not be checked.
    pub base: Option<BaseMatch>,
}

/// How an app's live state compares with the desired state already merged (the
/// `--base` files), matched by SDKAppID and service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BaseMatch {
    /// Live is as the base declares.
    Matches,
    /// Live differs from what the base declares too.
    Differs,
    /// The base does not declare the app: it is new in the checked file.
    NotDeclared,
}

/// An app the base declares that no checked file does any more: nothing deletes
/// its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
    /// The base file that declares it.
    pub file: String,
    pub name: Option<String>,
    pub sdkappid: u64,
    pub service: ServiceName,
}

impl Undeclared {
    pub fn title(&self) -> String {
        super::app::title(self.name.as_deref(), self.sdkappid, self.service)
    }
}

impl AppResult {
    pub fn status(&self) -> Status {
        if self.failure.is_some() {
            return Status::Failed;
        }
        // Called by every report for every app: counted, not collected.
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error);
        let (mut endpoint, mut config) = (false, false);
        for finding in errors {
            if finding.kind.is_probe() {
                endpoint = true;
            } else {
                config = true;
            }
        }
        if !endpoint && !config {
            return Status::InSync;
        }
        if !config {
            // The configuration is as declared: only its endpoint failed.
            Status::Unhealthy
        } else if self.live_as_merged() && !endpoint {
            // An endpoint failing its probe is no change the file makes.
            Status::Pending
        } else {
            Status::Drifted
        }
    }

    /// Whether live is what the merged files want: as the base declares, or, for an
    /// app new in the checked file, absent (the change creates it).
    fn live_as_merged(&self) -> bool {
        match self.base {
            Some(BaseMatch::Matches) => true,
            Some(BaseMatch::NotDeclared) => matches!(self.live, Some(None)),
            Some(BaseMatch::Differs) | None => false,
        }
    }

    pub fn warnings(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count()
    }

    /// Whether the vendor signs the app's callbacks, as read for its `token_auth`
    /// (`None`: not read). A mismatch finding says it differs from the declared flag,
    /// its absence that it is the same: the flag has two values.
    pub fn live_token_auth(&self) -> Option<bool> {
        let declared = self.app.token_auth.filter(|_| self.live.is_some())?;
        let differs = self
            .findings
            .iter()
            .any(|f| f.kind == Kind::TokenAuthMismatch);
        Some(declared != differs)
    }

    /// How many findings of each kind, in `Kind::ALL` order, leaving out the kinds
    /// not found: the one tally every report names.
    pub fn kind_counts(&self) -> Vec<(Kind, usize)> {
        Kind::ALL
            .into_iter()
            .map(|kind| {
                (
                    kind,
                    self.findings.iter().filter(|f| f.kind == kind).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

// Apps by status, and their warnings: the one count every report shows (the JSON
// report's `summary` as it is; a doc comment would land in its schema).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub apps: usize,
    pub in_sync: usize,
    pub drifted: usize,
    /// `verify --base`: apps whose only difference is a change the checked files
    /// make to the merged ones (not drift).
    pub pending: usize,
    /// `verify --probe-fail-on`: apps in sync whose endpoint failed a probe check.
    pub unhealthy: usize,
    pub failed: usize,
    /// Warning-level findings over all apps.
    pub warnings: usize,
}

impl Summary {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a AppResult>) -> Summary {
        results
            .into_iter()
            .fold(Summary::default(), |mut summary, result| {
                summary.apps += 1;
                match result.status() {
                    Status::InSync => summary.in_sync += 1,
                    Status::Drifted => summary.drifted += 1,
                    Status::Pending => summary.pending += 1,
                    Status::Unhealthy => summary.unhealthy += 1,
                    Status::Failed => summary.failed += 1,
                }
                summary.warnings += result.warnings();
                summary
            })
    }

    /// Every app of every run.
    pub fn of_runs(runs: &[FileResults]) -> Summary {
        Summary::of(runs.iter().flat_map(|run| &run.results))
    }
}

/// `verify --base`: the base files read, and the apps they declare that no checked
/// file does any more.
#[derive(Debug, Clone, Default)]
pub struct BaseRun {
    pub files: Vec<super::run_info::FileDigest>,
    pub undeclared: Vec<Undeclared>,
}

/// One file's results: the apps of the file that were checked, in file order.
#[derive(Debug)]
pub struct FileResults {
    pub config: Config,
    pub redaction: Redaction,
    pub results: Vec<AppResult>,
    /// Things the user should know that are not findings (e.g. plain-http endpoints).
    pub notices: Vec<String>,
}
