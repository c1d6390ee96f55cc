//! Where live state and keys come from: the vendor's API, a recorded snapshot
//! (`--live-from`), the environment. The only layer that touches reqwest and tokio.
//! No printing here.

pub mod api;
pub mod key_sources;
pub mod keys;
pub mod probe;
pub mod secret;
pub mod usersig;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use url::Url;

use crate::model::App;
use crate::model::key_names::KeyNames;
use crate::model::redact::{Placeholders, Redaction};
use crate::model::{ErrorClass, Failure, ServiceName};
use api::endpoint::{AllowedHost, NotAllowed};
use api::{ApiError, Client, ClientOptions, Live, RetryCause, Target, Tick};
use keys::{CredentialError, UnsetVariable};

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
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
    /// Where keys and placeholder values are read from.
    pub env: keys::Env,
}

/// Why an app could not be checked, classified once for every report.
impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Failure {
        let class = match &err {
            ApiError::Auth { .. } => ErrorClass::Auth,
            ApiError::Protocol { status, .. } if !(200..300).contains(status) => ErrorClass::Http,
            ApiError::Protocol { .. }
            | ApiError::Incomplete { .. }
            | ApiError::TooManyCommands { .. }
            | ApiError::TooLarge { .. }
            | ApiError::Redirect { .. } => ErrorClass::Protocol,
            ApiError::Tls { .. } => ErrorClass::Tls,
            ApiError::Deadline { .. } => ErrorClass::Timeout,
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

impl From<CredentialError> for Failure {
    fn from(err: CredentialError) -> Failure {
        match err {
            CredentialError::Missing(missing) => Failure::new(
                ErrorClass::Credentials,
                missing.to_string(),
                "set one of these for this app, in order of preference: a `*SECRET_KEY*` variable holds the app's secret key (cbcheck signs with it and never prints it), CBCHECK_SECRET_KEYS or the file CBCHECK_SECRET_KEYS_FILE names map SDKAppIDs to keys, CBCHECK_SECRET_KEY_COMMAND prints the key of the SDKAppID it is given, a `*USERSIG*` variable holds a ready UserSig for the file's `identifier`".into(),
            )
            .with_detail(format!("looked in {}", missing.tried.join(", "))),
            CredentialError::Failed(failed) => Failure::new(
                ErrorClass::Credentials,
                failed.to_string(),
                "cbcheck never shows what a key source holds or prints: check the source (run the command by hand with the SDKAppID as its last argument, validate the JSON); see docs/credentials.md".into(),
            )
            .with_detail(format!("{} {}", failed.place, failed.reason)),
        }
    }
}

impl From<UnsetVariable> for Failure {
    fn from(err: UnsetVariable) -> Failure {
        let help = if err.credential {
            format!(
                "give the callback URL's value its own variable: {} holds the app's credential",
                err.variable
            )
        } else {
            format!(
                "set {} (or its entry in CBCHECK_PLACEHOLDERS) to the value the callback URL must carry (cbcheck sends it, and never shows it)",
                err.variable
            )
        };
        Failure::new(ErrorClass::Credentials, err.to_string(), help)
    }
}

impl From<NotAllowed> for Failure {
    fn from(err: NotAllowed) -> Failure {
        Failure::new(ErrorClass::EndpointNotAllowed, err.to_string(), err.help())
    }
}

/// `--live-from` has no reply recorded for the app.
fn not_recorded(app: &App, snapshot: &str) -> Failure {
    let (subject, key) = match app.service.qualifier() {
        None => (format!("sdkappid {}", app.sdkappid), String::new()),
        Some(name) => (
            format!("sdkappid {} ({name})", app.sdkappid),
            format!(" under \"{}\"", snapshot_key(app.sdkappid, app.service)),
        ),
    };
    Failure::new(
        ErrorClass::Api,
        format!("{subject} has no recorded reply in {snapshot}"),
        format!(
            "record the app's get_callback reply in the snapshot{key}, or leave it out with --app"
        ),
    )
}

/// A snapshot's key for a Live app's get_callback_token reply.
fn token_key(sdkappid: u64, service: ServiceName) -> String {
    format!("{sdkappid}/{}/token", service.name())
}

/// A snapshot's key for an app's get_callback reply: the SDKAppID for Room (the
/// format from before the sibling services, which still loads), `SDKAPPID/live` and
/// `SDKAPPID/call` for the others.
fn snapshot_key(sdkappid: u64, service: ServiceName) -> String {
    service.qualified(sdkappid, "/")
}

/// Why live state cannot be had at all (exit 2 for the snapshot, 4 for the client).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VerifyError {
    #[error("cannot use the snapshot {file}: {reason}")]
    #[diagnostic(
        code(cbcheck::usage::snapshot),
        help(
            "--live-from takes a JSON object mapping each sdkappid (a string; `SDKAPPID/live`, `SDKAPPID/call` for the sibling services) to its raw get_callback response"
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

/// The most of a snapshot that is read: 64 MiB, 16 times the largest callbacks file
/// (4 MiB), far more than the replies of any fleet such a file can declare.
const MAX_SNAPSHOT_BYTES: u64 = 64 * 1024 * 1024;

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

/// The recorded get_callback replies of `--live-from`.
struct Snapshot {
    file: String,
    // Each reply stays raw text until it is classified, exactly as a live body is.
    recorded: HashMap<String, Box<serde_json::value::RawValue>>,
}

impl Snapshot {
    fn read(path: &Path) -> Result<Snapshot, VerifyError> {
        let file = path.display().to_string();
        let snapshot_error = |reason: String| VerifyError::Snapshot {
            file: file.clone(),
            reason,
        };
        let text = read_snapshot(path).map_err(snapshot_error)?;
        let recorded = serde_json::from_slice(&text).map_err(|e| snapshot_error(e.to_string()))?;
        Ok(Snapshot { file, recorded })
    }

    fn lives(&self, apps: &[App], placeholders: &Placeholders) -> Vec<Result<Live, Failure>> {
        apps.iter()
            .map(
                |app| match self.recorded.get(&snapshot_key(app.sdkappid, app.service)) {
                    Some(body) => api::live_from_recorded(
                        app.service.row(),
                        app.sdkappid,
                        body.get().as_bytes(),
                        placeholders,
                    )
                    .map_err(Failure::from),
                    None => Err(not_recorded(app, &self.file)),
                },
            )
            .collect()
    }

    /// The recorded token flag of each app that needs one; an app whose reply is not
    /// recorded fails.
    fn tokens(
        &self,
        apps: &[App],
        all: bool,
        placeholders: &Placeholders,
    ) -> Vec<Result<Option<bool>, Failure>> {
        apps.iter()
            .map(|app| {
                if !needs_token(app, all) {
                    return Ok(None);
                }
                let key = token_key(app.sdkappid, app.service);
                match self.recorded.get(&key) {
                    Some(body) => api::token_from_recorded(
                        app.service.row(),
                        app.sdkappid,
                        body.get().as_bytes(),
                        placeholders,
                    )
                    .map(Some)
                    .map_err(Failure::from),
                    None => Err(Failure::new(
                        ErrorClass::Api,
                        format!(
                            "sdkappid {} ({}) has no recorded get_callback_token reply in {}",
                            app.sdkappid,
                            app.service.name(),
                            self.file
                        ),
                        format!("record it under \"{key}\", or leave out `token_auth`"),
                    )),
                }
            })
            .collect()
    }
}

/// Whether the app's token flag is read: for a Live app that declares `token_auth`,
/// or for every Live app when `all` (export writes what it finds).
fn needs_token(app: &App, all: bool) -> bool {
    app.service.row().token.is_some() && (all || app.token_auth.is_some())
}

/// Fold each app's token result into its live state: a token that could not be read
/// fails the app, as its callback would.
fn with_tokens(
    lives: Vec<Result<Live, Failure>>,
    tokens: Vec<Result<Option<bool>, Failure>>,
) -> (Vec<Result<Live, Failure>>, Vec<Option<bool>>) {
    lives
        .into_iter()
        .zip(tokens)
        .map(|(live, token)| match (live, token) {
            (Ok(live), Ok(token)) => (Ok(live), token),
            (Err(failure), _) | (Ok(_), Err(failure)) => (Err(failure), None),
        })
        .unzip()
}

/// Sign a request target for each app, or say why it cannot be signed or sent.
/// Notices collect what the user should know (plain-http endpoints), once each.
pub fn targets(
    apps: &[App],
    options: &FetchOptions,
    notices: &mut Vec<String>,
) -> Vec<Result<Target, Failure>> {
    // The clock is read once: every token of the run has the same issue time.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut seen_notices = BTreeSet::new();
    options.env.prefetch(apps);
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
            let credential = keys::resolve(app, &options.env);
            if let Some(warning) = options.env.take_warning() {
                notices.push(warning);
            }
            let credential = credential.map_err(Failure::from)?;
            if let Some(warning) = resolved.insecure_warning
                && seen_notices.insert(warning.clone())
            {
                notices.push(warning);
            }
            Ok(Target {
                sdkappid: app.sdkappid,
                service: app.service.row(),
                identifier: app.identifier.clone(),
                usersig: credential.usersig(app.sdkappid, &app.identifier, now),
                key_source: credential.source(),
                base: resolved.base,
                placeholders: options.redaction.placeholders().clone(),
            })
        })
        .collect()
}

/// A runtime for the client's requests: one thread. The requests wait on the network,
/// not on the CPU, and a single thread spares every reply a wake-up across threads
/// (issue 24: about a sixth less CPU per app in alternating runs, the same wall time).
fn runtime() -> Result<tokio::runtime::Runtime, VerifyError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| VerifyError::Runtime(e.to_string()))
}

/// The process's one async runtime and HTTP client, opened at the first request:
/// a run that sends none (`--live-from`, nothing signable) never builds them.
pub struct Remote {
    options: ClientOptions,
    open: Option<Connection>,
}

/// An open runtime and client; every request of the run goes through it, under
/// its one concurrency bound and rate limit.
pub struct Connection {
    runtime: tokio::runtime::Runtime,
    client: Client,
}

impl Connection {
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Run a request (or several) to completion.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Remote {
    pub fn new(options: ClientOptions) -> Remote {
        Remote {
            options,
            open: None,
        }
    }

    pub fn connect(&mut self) -> Result<&Connection, VerifyError> {
        let connection = match self.open.take() {
            Some(connection) => connection,
            None => {
                let client = Client::new(self.options.clone())?;
                Connection {
                    runtime: runtime()?,
                    client,
                }
            }
        };
        Ok(self.open.insert(connection))
    }
}

/// A group's live states, app by app, and the notices its apps raised.
#[derive(Default)]
pub struct GroupState {
    pub lives: Vec<Result<Live, Failure>>,
    /// Each app's token flag (Live's get_callback_token), when it was read.
    pub tokens: Vec<Option<bool>>,
    pub notices: Vec<String>,
}

/// Each group's apps, their URLs expanded, with their live states; and the run's
/// redaction, which knows the values expanded.
pub struct Expanded {
    pub groups: Vec<(Vec<App>, GroupState)>,
    pub redaction: Redaction,
}

/// As [`live_states`], each app's callback URL first expanded from the environment
/// (returned, in the order given): an app whose URL needs an unset variable, or
/// names one of the run's key sources (`key_names`), fails before any request, the
/// others are fetched. The redaction returned is the options', knowing the values
/// expanded: every output of the run shows them by name.
pub fn expanded_live_states(
    groups: Vec<Vec<App>>,
    key_names: &KeyNames,
    options: &FetchOptions,
    remote: &mut Remote,
    all_tokens: bool,
) -> Result<Expanded, VerifyError> {
    let mut used = Vec::new();
    let expanded: Vec<Vec<(App, Option<UnsetVariable>)>> = groups
        .into_iter()
        .map(|apps| {
            apps.into_iter()
                .map(|mut app| {
                    let unset = options.env.expand_url(&mut app, key_names, &mut used).err();
                    (app, unset)
                })
                .collect()
        })
        .collect();
    // Added to those the caller knew already (e.g. the values of `verify --base`).
    let redaction = options.redaction.clone().with_more_placeholders(
        used.iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    let options = &FetchOptions {
        redaction: redaction.clone(),
        ..options.clone()
    };
    let fetchable: Vec<Vec<App>> = expanded
        .iter()
        .map(|apps| {
            apps.iter()
                .filter(|(_, unset)| unset.is_none())
                .map(|(app, _)| app.clone())
                .collect()
        })
        .collect();
    let states = live_states(&fetchable, options, remote, all_tokens)?;
    let states = expanded
        .into_iter()
        .zip(states)
        .map(|(apps, state)| {
            let mut fetched = state.lives.into_iter().zip(state.tokens);
            let mut lives = Vec::with_capacity(apps.len());
            let mut tokens = Vec::with_capacity(apps.len());
            let apps = apps
                .into_iter()
                .map(|(app, unset)| {
                    // Only the apps without an unset variable were fetched, in order.
                    let (live, token) = match unset {
                        Some(unset) => (Err(Failure::from(unset)), None),
                        None => fetched
                            .next()
                            .unwrap_or_else(|| (Err(not_recorded(&app, "the API replies")), None)),
                    };
                    lives.push(live);
                    tokens.push(token);
                    app
                })
                .collect();
            (
                apps,
                GroupState {
                    lives,
                    tokens,
                    notices: state.notices,
                },
            )
        })
        .collect();
    Ok(Expanded {
        groups: states,
        redaction,
    })
}

/// The live state of every app, grouped as given (one group per file), from the
/// snapshot or the API. Every app of every group is fetched in one batch, under
/// the one concurrency bound. Notices are collected per group. Live token flags are
/// read for the apps that declare `token_auth`, or for every Live app with `all_tokens`.
pub fn live_states(
    groups: &[Vec<App>],
    options: &FetchOptions,
    remote: &mut Remote,
    all_tokens: bool,
) -> Result<Vec<GroupState>, VerifyError> {
    if let Some(snapshot) = &options.live_from {
        let recorded = Snapshot::read(snapshot)?;
        return Ok(groups
            .iter()
            .map(|apps| {
                let placeholders = options.redaction.placeholders();
                let (lives, tokens) = with_tokens(
                    recorded.lives(apps, placeholders),
                    recorded.tokens(apps, all_tokens, placeholders),
                );
                GroupState {
                    lives,
                    tokens,
                    notices: Vec::new(),
                }
            })
            .collect());
    }
    // Per group: each app's failure, or `None` when its target joined the batch.
    let mut signed = Vec::with_capacity(groups.len());
    let mut batch = Vec::new();
    let mut token_batch = Vec::new();
    for apps in groups {
        let mut notices = Vec::new();
        let failures: Vec<Option<Failure>> = targets(apps, options, &mut notices)
            .into_iter()
            .zip(apps)
            .map(|(target, app)| match target {
                Ok(target) => {
                    if needs_token(app, all_tokens) {
                        token_batch.push(target.clone());
                    }
                    batch.push(target);
                    None
                }
                Err(failure) => Some(failure),
            })
            .collect();
        signed.push((failures, notices));
    }
    let (fetched, tokens) = if batch.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let connection = remote.connect()?;
        let client = connection.client();
        // Progress counts every app: those that failed before any request are done.
        let observer = &options.client.observer;
        let unsent = signed
            .iter()
            .flat_map(|(failures, _)| failures)
            .filter(|f| f.is_some())
            .count();
        observer.tell(Tick::Started {
            apps: batch.len() + unsent,
        });
        for _ in 0..unsent {
            observer.tell(Tick::Done { failed: true });
        }
        let fetched = connection.block_on(async {
            let tokens = if token_batch.is_empty() {
                Vec::new()
            } else {
                client.get_all_tokens(token_batch).await
            };
            (client.get_all(batch).await, tokens)
        });
        observer.tell(Tick::Finished);
        fetched
    };
    // `get_all` answers every target, in order; `get_all_tokens` every token target.
    let mut fetched = fetched.into_iter();
    let mut tokens = tokens.into_iter();
    Ok(groups
        .iter()
        .zip(signed)
        .map(|(apps, (failures, notices))| {
            let (lives, app_tokens): (Vec<_>, Vec<_>) = apps
                .iter()
                .zip(failures)
                .map(|(app, failure)| match failure {
                    Some(failure) => (Err(failure), Ok(None)),
                    None => {
                        let live = match fetched.next() {
                            Some(result) => result.map_err(Failure::from),
                            None => Err(not_recorded(app, "the API replies")),
                        };
                        let token = if needs_token(app, all_tokens) {
                            match tokens.next() {
                                Some(result) => result.map_err(Failure::from),
                                None => Err(not_recorded(app, "the API replies")),
                            }
                        } else {
                            Ok(None)
                        };
                        (live, token)
                    }
                })
                .unzip();
            let (lives, tokens) = with_tokens(lives, app_tokens);
            GroupState {
                lives,
                tokens,
                notices,
            }
        })
        .collect())
}
