//! Where live state and keys come from: the vendor's API, a recorded snapshot
//! (`--live-from`), the environment. The only layer that touches reqwest and tokio.
//! No printing here.

pub mod api;
pub mod keys;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use url::Url;

use crate::config::{App, Config};
use crate::drift;
use crate::model::redact::Redaction;
pub use crate::model::{AppResult, ErrorClass, Failure, Run, Status};
use api::endpoint::{AllowedHost, NotAllowed};
use api::{ApiError, Client, ClientOptions, Live, RetryCause, Target};
use keys::MissingCredentials;

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// `--app`: names or SDKAppIDs; empty means every app.
    pub selectors: Vec<String>,
    /// `--live-from`: recorded get_callback replies instead of the API.
    pub live_from: Option<PathBuf>,
    /// `--endpoint` / `CBCHECK_ENDPOINT`: replaces every app's host.
    pub endpoint: Option<Url>,
    /// `--allow-endpoint` / `CBCHECK_ALLOW_ENDPOINTS`: hosts the file's endpoints may name.
    pub allowed_endpoints: Vec<AllowedHost>,
    pub client: ClientOptions,
    pub redaction: Redaction,
}

/// Why an app could not be checked, classified once for every report.
impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Failure {
        let class = match &err {
            ApiError::Auth { .. } => ErrorClass::Auth,
            ApiError::Protocol { status, .. } if !(200..300).contains(status) => ErrorClass::Http,
            ApiError::Protocol { .. }
            | ApiError::Incomplete { .. }
            | ApiError::TooLarge { .. }
            | ApiError::Redirect { .. } => ErrorClass::Protocol,
            ApiError::Tls { .. } => ErrorClass::Tls,
            _ => match err.retry_cause() {
                Some(RetryCause::Timeout) => ErrorClass::Timeout,
                Some(RetryCause::Http(_)) => ErrorClass::Http,
                Some(RetryCause::Network) => ErrorClass::Network,
                Some(RetryCause::Vendor(_)) | None => ErrorClass::Api,
            },
        };
        let help = miette::Diagnostic::help(&err).map_or_else(String::new, |h| h.to_string());
        Failure::new(class, err.to_string(), help)
            .with_vendor(err.code(), err.request_id().map(str::to_owned))
    }
}

impl From<MissingCredentials> for Failure {
    fn from(err: MissingCredentials) -> Failure {
        Failure::new(
            ErrorClass::Credentials,
            err.to_string(),
            "set one of these variables (a secret key, or a ready UserSig) for this app; see the README's Credentials section".into(),
        )
    }
}

impl From<NotAllowed> for Failure {
    fn from(err: NotAllowed) -> Failure {
        Failure::new(ErrorClass::EndpointNotAllowed, err.to_string(), err.help())
    }
}

/// `--live-from` has no reply recorded for the app.
fn not_recorded(sdkappid: u64, snapshot: &str) -> Failure {
    Failure::new(
        ErrorClass::Api,
        format!("sdkappid {sdkappid} has no recorded reply in {snapshot}"),
        "record the app's get_callback reply in the snapshot, or leave it out with --app".into(),
    )
}

/// Problems that stop verify before any app is checked (exit 2, or 4 for the client).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VerifyError {
    #[error("--app {} matches no app in {}", .unmatched.join(", "), .files.join(", "))]
    #[diagnostic(
        code(cbcheck::usage::no_such_app),
        help("give an app's `name` or its `sdkappid` as written in the file")
    )]
    NoSuchApp {
        files: Vec<String>,
        unmatched: Vec<String>,
    },

    #[error("sdkappid {sdkappid} is declared in both {first} and {second}")]
    #[diagnostic(
        code(cbcheck::usage::declared_twice),
        help("an app has one callback configuration: declare it in one file only")
    )]
    DeclaredTwice {
        sdkappid: u64,
        first: String,
        second: String,
    },

    #[error("cannot use the snapshot {file}: {reason}")]
    #[diagnostic(
        code(cbcheck::usage::snapshot),
        help(
            "--live-from takes a JSON object mapping each sdkappid (a string) to its raw get_callback response"
        )
    )]
    Snapshot { file: String, reason: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Client(#[from] api::ClientSetupError),

    #[error("cannot start the async runtime: {0}")]
    #[diagnostic(code(cbcheck::runtime))]
    Runtime(String),
}

fn selected(app: &App, selector: &str) -> bool {
    app.name.as_deref() == Some(selector) || app.sdkappid.to_string() == selector
}

/// An app declared in two of the files given would be checked (and changed) twice,
/// against two truths: refused before anything is fetched.
fn check_unique(configs: &[Config]) -> Result<(), VerifyError> {
    let mut seen: HashMap<u64, &str> = HashMap::new();
    for config in configs {
        for app in &config.apps {
            if let Some(first) = seen.insert(app.sdkappid, &config.file) {
                return Err(VerifyError::DeclaredTwice {
                    sdkappid: app.sdkappid,
                    first: first.to_owned(),
                    second: config.file.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Before any request: each app is declared once across the files, and every
/// selector picks an app in one of them (a typo is not a green run).
pub fn check_selectors(configs: &[Config], selectors: &[String]) -> Result<(), VerifyError> {
    check_unique(configs)?;
    let unmatched: Vec<String> = selectors
        .iter()
        .filter(|s| {
            !configs
                .iter()
                .flat_map(|c| &c.apps)
                .any(|app| selected(app, s))
        })
        .cloned()
        .collect();
    if unmatched.is_empty() {
        return Ok(());
    }
    Err(VerifyError::NoSuchApp {
        files: configs.iter().map(|c| c.file.clone()).collect(),
        unmatched,
    })
}

/// The apps the selectors pick (all when there are none), in file order.
fn select(config: &Config, selectors: &[String]) -> Vec<App> {
    config
        .apps
        .iter()
        .filter(|app| selectors.is_empty() || selectors.iter().any(|s| selected(app, s)))
        .cloned()
        .collect()
}

pub fn verify(config: Config, options: &VerifyOptions) -> Result<Run, VerifyError> {
    let apps = select(&config, &options.selectors);
    let mut notices = Vec::new();
    let lives = match &options.live_from {
        Some(snapshot) => from_snapshot(snapshot, &apps)?,
        None => fetch_live(&apps, options, &mut notices)?,
    };
    let results = apps
        .into_iter()
        .zip(lives)
        .map(|(app, live)| match live {
            Ok(live) => {
                let live = match live {
                    Live::Present { config, .. } => Some(config),
                    Live::Absent { .. } => None,
                };
                let findings = drift::compare(&app, live.as_ref(), options.redaction);
                let remediation = drift::remediation(&app, live.as_ref(), &findings);
                AppResult {
                    app,
                    live: Some(live),
                    findings,
                    remediation,
                    failure: None,
                }
            }
            Err(failure) => AppResult {
                app,
                live: None,
                findings: Vec::new(),
                remediation: None,
                failure: Some(failure),
            },
        })
        .collect();
    Ok(Run {
        config,
        redaction: options.redaction,
        results,
        notices,
    })
}

/// The most of a snapshot that is read: 16 times the largest callbacks file, far more
/// than the replies of any fleet such a file can declare.
const MAX_SNAPSHOT_BYTES: u64 = 16 * crate::config::MAX_FILE_BYTES;

/// The snapshot's bytes, read no further than the cap: a file's length is checked
/// first, and a stream (a pipe, a device) is cut off there.
fn read_snapshot(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let too_large = || format!("it is larger than {} MiB", MAX_SNAPSHOT_BYTES >> 20);
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    if file.metadata().is_ok_and(|m| m.len() > MAX_SNAPSHOT_BYTES) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_SNAPSHOT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

fn from_snapshot(path: &Path, apps: &[App]) -> Result<Vec<Result<Live, Failure>>, VerifyError> {
    let file = path.display().to_string();
    let snapshot_error = |reason: String| VerifyError::Snapshot {
        file: file.clone(),
        reason,
    };
    let text = read_snapshot(path).map_err(snapshot_error)?;
    // Each reply stays raw text until it is classified, exactly as a live body is.
    let recorded: HashMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_slice(&text).map_err(|e| snapshot_error(e.to_string()))?;
    Ok(apps
        .iter()
        .map(|app| match recorded.get(&app.sdkappid.to_string()) {
            Some(body) => {
                api::live_from_recorded(app.sdkappid, body.get().as_bytes()).map_err(Failure::from)
            }
            None => Err(not_recorded(app.sdkappid, &file)),
        })
        .collect())
}

/// Sign a request target for each app, or say why it cannot be signed or sent.
/// Notices collect what the user should know (plain-http endpoints), once each.
pub fn targets(
    apps: &[App],
    options: &VerifyOptions,
    notices: &mut Vec<String>,
) -> Vec<Result<Target, Failure>> {
    // The clock is read once: every token of the run has the same issue time.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut seen_notices = BTreeSet::new();
    apps.iter()
        .map(|app| {
            // Where the token would go is settled before a token is made.
            let declared = api::endpoint::Declared {
                sdkappid: app.sdkappid,
                region: app.region,
                endpoint: app.endpoint.clone(),
            };
            let resolved = api::endpoint::resolve(
                &declared,
                options.endpoint.as_ref(),
                &options.allowed_endpoints,
            )
            .map_err(Failure::from)?;
            let credential =
                keys::resolve(app, |name| std::env::var(name).ok()).map_err(Failure::from)?;
            if let Some(warning) = resolved.insecure_warning
                && seen_notices.insert(warning.clone())
            {
                notices.push(warning);
            }
            Ok(Target {
                sdkappid: app.sdkappid,
                identifier: app.identifier.clone(),
                usersig: credential.usersig(app.sdkappid, &app.identifier, now),
                base: resolved.base,
            })
        })
        .collect()
}

/// A runtime for the client's requests.
pub fn runtime() -> Result<tokio::runtime::Runtime, VerifyError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| VerifyError::Runtime(e.to_string()))
}

/// Query every app's live configuration, concurrently; results in the apps' order.
pub fn fetch_live(
    apps: &[App],
    options: &VerifyOptions,
    notices: &mut Vec<String>,
) -> Result<Vec<Result<Live, Failure>>, VerifyError> {
    let signed = targets(apps, options, notices);
    let (targets, failures): (Vec<Target>, Vec<Option<Failure>>) = {
        let mut targets = Vec::new();
        let mut failures = Vec::with_capacity(signed.len());
        for target in signed {
            match target {
                Ok(target) => {
                    targets.push(target);
                    failures.push(None);
                }
                Err(failure) => failures.push(Some(failure)),
            }
        }
        (targets, failures)
    };
    let fetched = if targets.is_empty() {
        Vec::new()
    } else {
        let client = Client::new(options.client.clone())?;
        runtime()?.block_on(client.get_all(targets))
    };
    // `get_all` answers every target, in order.
    let mut fetched = fetched.into_iter();
    Ok(apps
        .iter()
        .zip(failures)
        .map(|(app, failure)| match failure {
            Some(failure) => Err(failure),
            None => match fetched.next() {
                Some(result) => result.map_err(Failure::from),
                None => Err(not_recorded(app.sdkappid, "the API replies")),
            },
        })
        .collect())
}
