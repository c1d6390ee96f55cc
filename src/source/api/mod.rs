//! The room_config REST client: signing, retries, rate limits, bounded concurrency.
//!
//! All of reqwest stays in this module, and its errors are stripped of their URL here:
//! the URL's query string carries the UserSig.

pub mod endpoint;
mod error;
mod limit;
mod scrub;
pub mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Semaphore;
use url::Url;

pub use crate::model::{CallbackConfig, Interface, Service};
pub use error::ApiError;
pub use limit::RateLimits;
pub use wire::{Oversized, RedirectTarget, Reply, RetryCause};

use crate::model::redact::Placeholders;
use crate::source::secret::Secret;

/// The documented limit: 200 calls per second for each interface, per SDKAppID.
pub const VENDOR_MAX_RPS: u32 = 200;

/// Header lines in an HTTP/1 reply; the vendor sends about ten.
const MAX_HEADERS: usize = 100;

/// Bytes of headers in an HTTP/2 reply.
const MAX_HEADER_LIST_BYTES: u32 = 16 << 10;

/// How the client behaves; the CLI's `--timeout`, `--concurrency`, `--max-rps`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Connect timeout, and the limit for a whole request.
    pub timeout: Duration,
    /// Apps in flight at once.
    pub concurrency: usize,
    /// Optional cap on all calls together, per second.
    pub max_rps: Option<u32>,
    pub retry: RetryPolicy,
    /// `--deadline`: when the whole run must end.
    pub deadline: Option<Deadline>,
    /// Told as each app's callback read finishes.
    pub observer: Observer,
}

/// The moment the run must end (`--deadline`): a call still unanswered then fails,
/// and none is sent after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: std::time::Instant,
    /// The seconds given, for messages.
    after: Duration,
}

impl Deadline {
    /// `after` from now; `None` past the clock's range (no deadline then).
    pub fn from_now(after: Duration) -> Option<Deadline> {
        std::time::Instant::now()
            .checked_add(after)
            .map(|at| Deadline { at, after })
    }

    /// When the run must end.
    pub fn at(&self) -> std::time::Instant {
        self.at
    }

    /// The seconds given, for messages.
    pub fn after(&self) -> Duration {
        self.after
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            concurrency: 64,
            max_rps: None,
            retry: RetryPolicy::default(),
            deadline: None,
            observer: Observer::default(),
        }
    }
}

/// Bounded exponential backoff with full jitter, on retryable replies only.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The cap of the first backoff; it doubles each attempt.
    pub base_delay: Duration,
    /// No single backoff is longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=millis))
    }
}

/// Who to call and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    pub sdkappid: u64,
    /// Whose interfaces are called: the app's service.
    pub service: &'static Service,
    pub identifier: String,
    pub usersig: Secret,
    /// Which variable the UserSig (or the key it was made from) came from.
    pub key_source: KeySource,
    /// Scheme, host and optional path prefix of the REST API, e.g. `https://adminapisgp.im.qcloud.com/`.
    pub base: Url,
    /// The run's placeholder values, named in any vendor text that echoes them.
    pub placeholders: Placeholders,
}

/// Which variable supplied an app's credential: named when the vendor refuses it,
/// never with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A secret key, from which cbcheck made the UserSig.
    SecretKey(String),
    /// A ready UserSig.
    UserSig(String),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::SecretKey(variable) => write!(f, "the secret key in {variable}"),
            KeySource::UserSig(variable) => write!(f, "the UserSig in {variable}"),
        }
    }
}

/// The live state of an app's callback.
#[derive(Debug, Clone, PartialEq)]
pub enum Live {
    Present {
        config: CallbackConfig,
        request_id: Option<String>,
    },
    /// get_callback answered 100301: no configuration exists.
    Absent { request_id: Option<String> },
}

/// The result of a write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteReply {
    Done {
        request_id: Option<String>,
    },
    /// Create answered 100300: a configuration exists already (use Update).
    AlreadyExists {
        request_id: Option<String>,
    },
    /// Update answered 100301: none exists (use Create).
    Absent {
        request_id: Option<String>,
    },
}

/// The client could not be built (e.g. no usable TLS roots or a bad proxy variable).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot set up the HTTP client: {0}")]
#[diagnostic(
    code(cbcheck::api::client),
    help("check HTTPS_PROXY / NO_PROXY and the system's certificate store")
)]
pub struct ClientSetupError(String);

/// How far a fan-out has come, told as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Reading this many apps begins.
    Started { apps: usize },
    /// One app's read is done (failed or not).
    Done { failed: bool },
    /// Every app's read is done.
    Finished,
}

/// Told the `Tick`s of the run's reads, for a progress display; the fan-out never
/// waits on it. The default tells no one.
#[derive(Clone, Default)]
pub struct Observer(Option<Arc<dyn Fn(Tick) + Send + Sync>>);

impl Observer {
    pub fn new(tell: impl Fn(Tick) + Send + Sync + 'static) -> Observer {
        Observer(Some(Arc::new(tell)))
    }

    pub fn tell(&self, tick: Tick) {
        if let Some(tell) = &self.0 {
            tell(tick);
        }
    }
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observer"
        } else {
            "Observer(none)"
        })
    }
}

/// One connection pool shared by every request of the run (two: see `direct`).
#[derive(Clone)]
pub struct Client {
    /// For https hosts: through the proxy the environment names, if any.
    http: reqwest::Client,
    /// For plain http and loopback hosts: never through a proxy.
    direct: reqwest::Client,
    options: ClientOptions,
    limits: Arc<RateLimits>,
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Client, ClientSetupError> {
        // reqwest is built without a crypto provider (ring is smaller and builds faster
        // than its default, aws-lc-rs): make ring the process default before the first
        // client. An Err only says a provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The vendor never redirects: a redirect would carry the UserSig (in a Referer,
        // and 307/308 the body again) to a host the operator did not choose, so none is
        // followed. reqwest's rustls backend verifies against the platform's store.
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("cbcheck/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
                .referer(false)
                // Caps on a reply's head; its body is capped as it is read. HTTP/1 heads
                // are also bounded in bytes by hyper's read buffer (about 400 KiB),
                // which reqwest does not expose.
                .http1_max_headers(MAX_HEADERS)
                .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
                .connect_timeout(options.timeout)
                .timeout(options.timeout)
                .pool_max_idle_per_host(options.concurrency.max(1))
        };
        // reqwest reads HTTPS_PROXY / ALL_PROXY / NO_PROXY itself: an https request
        // goes through the proxy in a CONNECT tunnel, which shows the proxy the host
        // and port only; the UserSig in the query travels inside TLS. A plain-http
        // request would show the proxy its whole request line, UserSig included, so
        // plain http never goes through a proxy (nor does a loopback host, which is
        // this machine's and not the proxy's).
        let http = builder()
            .build()
            .map_err(|e| ClientSetupError(describe(e)))?;
        // Without a proxy variable the first client connects directly already (each
        // client loads the certificate store: a second costs milliseconds).
        let direct = if proxy_variable_set() {
            builder()
                .no_proxy()
                .build()
                .map_err(|e| ClientSetupError(describe(e)))?
        } else {
            http.clone()
        };
        let limits = Arc::new(RateLimits::new(VENDOR_MAX_RPS, options.max_rps));
        Ok(Client {
            http,
            direct,
            options,
            limits,
        })
    }

    /// The client for a request to `url`: the proxied one for https hosts only.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        if url.scheme() == "https" && !endpoint::is_loopback(url) {
            &self.http
        } else {
            &self.direct
        }
    }

    /// Query the app's callback configuration.
    pub async fn get_callback(&self, target: &Target) -> Result<Live, ApiError> {
        let reply = self.call(target, Interface::Get, &json!({})).await?;
        live_from(target.service.get, target.sdkappid, reply)
    }

    /// Whether the vendor signs the app's callbacks (Live's `get_callback_token`):
    /// only `IsTokenEnable` is read; the Token itself is dropped unseen. `None` for a
    /// service without tokens; "no token configured" is disabled.
    pub async fn get_token_enabled(&self, target: &Target) -> Result<Option<bool>, ApiError> {
        let Some((path, _)) = target.service.token else {
            return Ok(None);
        };
        let settled = self.call_path(target, path, &json!({}), |_| true).await;
        token_from(target.service, target.sdkappid, settled).map(Some)
    }

    /// Read the token flag of every target, at most `concurrency` at once; results in
    /// the targets' order.
    pub async fn get_all_tokens(
        &self,
        targets: Vec<Target>,
    ) -> Vec<Result<Option<bool>, ApiError>> {
        // An app is done when its callback is read: its token is not counted apart.
        self.each(
            targets,
            |t| t.service.token_get(),
            |client, target| async move { client.get_token_enabled(&target).await },
            &Observer::default(),
        )
        .await
    }

    /// Create (`set_callback`) or replace (`update_callback`) the configuration.
    pub async fn write_callback(
        &self,
        target: &Target,
        interface: Interface,
        config: &CallbackConfig,
    ) -> Result<WriteReply, ApiError> {
        let body = json!({"Url": config.url, "CallbackCommandList": config.commands});
        self.written(target, interface, &body).await
    }

    pub async fn delete_callback(&self, target: &Target) -> Result<WriteReply, ApiError> {
        self.written(target, Interface::Delete, &json!({})).await
    }

    /// A write is not idempotent: it is repeated only after a reply that says it was not
    /// carried out (a refusal for the call rate). After any other failure it may or may
    /// not have taken effect, which only reading the app again can tell.
    async fn written(
        &self,
        target: &Target,
        interface: Interface,
        body: &Value,
    ) -> Result<WriteReply, ApiError> {
        let path = target.service.path(interface);
        let reply = self
            .call_path(target, path, body, RetryCause::is_refusal)
            .await?;
        match reply {
            Reply::Ok { request_id, .. } => Ok(WriteReply::Done { request_id }),
            Reply::AlreadyExists { request_id } => Ok(WriteReply::AlreadyExists { request_id }),
            Reply::Absent { request_id } => Ok(WriteReply::Absent { request_id }),
            other => Err(unexpected(path, target.sdkappid, other)),
        }
    }

    /// Query every target, at most `concurrency` at once; results in the targets' order.
    /// The observer is told as each one finishes.
    pub async fn get_all(&self, targets: Vec<Target>) -> Vec<Result<Live, ApiError>> {
        self.each(
            targets,
            |t| t.service.get,
            |client, target| async move { client.get_callback(&target).await },
            &self.options.observer,
        )
        .await
    }

    /// Run `call` for every target, at most `concurrency` at once; results in the
    /// targets' order. A task that dies is that target's error, on `interface`.
    /// `observer` is told as each call finishes, in the order they finish.
    async fn each<T, F, Fut>(
        &self,
        targets: Vec<Target>,
        interface: fn(&Target) -> &'static str,
        call: F,
        observer: &Observer,
    ) -> Vec<Result<T, ApiError>>
    where
        T: Send + 'static,
        F: Fn(Client, Target) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let slots = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let tasks: Vec<_> = targets
            .into_iter()
            .map(|target| {
                let slots = Arc::clone(&slots);
                let observer = observer.clone();
                let (sdkappid, path) = (target.sdkappid, interface(&target));
                let work = call(self.clone(), target);
                let task = tokio::spawn(async move {
                    let _slot = slots.acquire_owned().await;
                    let result = work.await;
                    observer.tell(Tick::Done {
                        failed: result.is_err(),
                    });
                    result
                });
                (sdkappid, path, task)
            })
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for (sdkappid, interface, task) in tasks {
            results.push(task.await.unwrap_or_else(|join| {
                Err(ApiError::GaveUp {
                    interface,
                    sdkappid,
                    attempts: 0,
                    reason: format!("the request task failed: {join}"),
                    cause: RetryCause::Network,
                    request_id: None,
                })
            }));
        }
        results
    }

    /// One call with rate limiting and retries; returns the final classified reply,
    /// or the error once retries are exhausted.
    pub async fn call(
        &self,
        target: &Target,
        interface: Interface,
        body: &Value,
    ) -> Result<Reply, ApiError> {
        let path = target.service.path(interface);
        self.call_path(target, path, body, |_| true).await
    }

    /// One call to the REST `path`, retrying only the retryable replies whose cause
    /// `may_retry` accepts; cut off at the run's deadline.
    async fn call_path(
        &self,
        target: &Target,
        path: &'static str,
        body: &Value,
        may_retry: fn(RetryCause) -> bool,
    ) -> Result<Reply, ApiError> {
        let Some(deadline) = self.options.deadline else {
            return self
                .attempts(target, path, body, may_retry, &AtomicBool::new(false))
                .await;
        };
        // Whether a request went out decides what a write cut off here may have done.
        let sent = AtomicBool::new(false);
        let passed = |sent: &AtomicBool| ApiError::Deadline {
            interface: path,
            sdkappid: target.sdkappid,
            after: deadline.after,
            sent: sent.load(Ordering::SeqCst),
        };
        // A call after the deadline is not begun at all.
        if std::time::Instant::now() >= deadline.at {
            return Err(passed(&sent));
        }
        let attempts = self.attempts(target, path, body, may_retry, &sent);
        tokio::time::timeout_at(tokio::time::Instant::from_std(deadline.at), attempts)
            .await
            .unwrap_or_else(|_| Err(passed(&sent)))
    }

    /// The attempts of one call; `sent` is set as the first request goes out.
    async fn attempts(
        &self,
        target: &Target,
        path: &'static str,
        body: &Value,
        may_retry: fn(RetryCause) -> bool,
        sent: &AtomicBool,
    ) -> Result<Reply, ApiError> {
        let policy = &self.options.retry;
        let attempts = policy.attempts.max(1);
        let mut attempt = 1;
        loop {
            self.limits.wait(target.sdkappid).await;
            sent.store(true, Ordering::SeqCst);
            match self.send(target, path, body).await {
                Reply::Retry { cause, .. } if attempt < attempts && may_retry(cause) => {
                    tokio::time::sleep(policy.backoff(attempt)).await;
                    attempt += 1;
                }
                reply => {
                    return settle(path, target.sdkappid, reply, attempt)
                        .map_err(|err| err.signed_with(&target.key_source));
                }
            }
        }
    }

    async fn send(&self, target: &Target, path: &str, body: &Value) -> Reply {
        let url = request_url(target, path);
        let sent = self
            .client_for(&url)
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => return self.transport_failure(err, target),
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Reply::Redirect {
                status,
                location: redirect_target(&response),
            };
        }
        match read_capped(response).await {
            Ok(Some(body)) => scrub::read(
                target.service,
                status,
                &body,
                &target.usersig,
                &target.placeholders,
            ),
            Ok(None) => Reply::TooLarge(Oversized::Body),
            Err(err) => self.transport_failure(err, target),
        }
    }

    fn transport_failure(&self, err: reqwest::Error, target: &Target) -> Reply {
        if let Some(problem) = tls_problem(&err) {
            return Reply::Tls { problem };
        }
        if head_too_large(&err) {
            return Reply::TooLarge(Oversized::Headers);
        }
        let (reason, cause) = if err.is_timeout() {
            (
                format!("timed out after {}s", self.options.timeout.as_secs_f64()),
                RetryCause::Timeout,
            )
        } else {
            (describe(err), RetryCause::Network)
        };
        // Defence in depth: nothing that reaches a message may hold the token.
        let reason = scrub::text(&reason, target.usersig.expose()).into_owned();
        Reply::Retry {
            reason,
            cause,
            request_id: None,
        }
    }
}

/// The body, or `None` past [`wire::MAX_BODY_BYTES`]: an endless reply is cut off
/// there (dropping the response closes its connection) instead of filling memory.
async fn read_capped(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let max = wire::MAX_BODY_BYTES;
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The host a 3xx points at. Only the host is kept: the path and query never reach
/// a message.
fn redirect_target(response: &reqwest::Response) -> RedirectTarget {
    let Some(location) = response.headers().get(reqwest::header::LOCATION) else {
        return RedirectTarget::Missing;
    };
    let Ok(text) = location.to_str() else {
        return RedirectTarget::Unparsable;
    };
    let here = response.url();
    let url = match Url::parse(text) {
        Ok(url) => url,
        // `/path` stays on this server; `//host/path` names another.
        Err(url::ParseError::RelativeUrlWithoutBase) => match here.join(text) {
            Ok(url) if (url.host_str(), url.port()) == (here.host_str(), here.port()) => {
                return RedirectTarget::NoHost;
            }
            Ok(url) => url,
            Err(_) => return RedirectTarget::Unparsable,
        },
        Err(_) => return RedirectTarget::Unparsable,
    };
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => RedirectTarget::Host(format!("{host}:{port}")),
        (Some(host), None) => RedirectTarget::Host(host.to_owned()),
        (None, _) => RedirectTarget::NoHost,
    }
}

/// Whether any `*_PROXY` variable but NO_PROXY is set, in any letter case: more than
/// reqwest reads, so that no variable it reads is missed.
fn proxy_variable_set() -> bool {
    std::env::vars_os().any(|(name, _)| {
        let name = name.to_string_lossy().to_ascii_lowercase();
        name.ends_with("_proxy") && name != "no_proxy"
    })
}

/// `POST <base>/v4/room_config/<cmd>?sdkappid=…&identifier=…&usersig=…&random=…&contenttype=json`
/// (`live_config`, `call_config` for the sibling services).
fn request_url(target: &Target, path: &str) -> Url {
    let mut url = target.base.clone();
    let prefix = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}/{path}"));
    url.query_pairs_mut()
        .clear()
        .append_pair("sdkappid", &target.sdkappid.to_string())
        .append_pair("identifier", &target.identifier)
        .append_pair("usersig", target.usersig.expose())
        .append_pair("random", &rand::random::<u32>().to_string())
        .append_pair("contenttype", "json");
    url
}

/// The error and its causes, with the payload of each `io::Error` (which `source`
/// skips: it returns the payload's own source).
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut causes = Vec::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        causes.push(cause);
        next = match cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(payload) => Some(payload),
            None => cause.source(),
        };
    }
    causes
}

/// What failed in a TLS handshake, if that is what failed. rustls's error is found
/// by type in the chain (reqwest wraps it in hyper-util's and an `io::Error`), and
/// each certificate problem named the way people know it.
fn tls_problem(err: &reqwest::Error) -> Option<String> {
    use rustls::CertificateError as Cert;
    let tls = causes(err)
        .into_iter()
        .find_map(|cause| cause.downcast_ref::<rustls::Error>())?;
    let rustls::Error::InvalidCertificate(problem) = tls else {
        return Some(format!("the TLS handshake failed: {tls}"));
    };
    let what = match problem {
        Cert::UnknownIssuer => {
            "unknown issuer: it is not signed by a certificate authority this machine trusts".into()
        }
        Cert::Expired | Cert::ExpiredContext { .. } => "expired".into(),
        Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
            "not valid yet (is this machine's clock right?)".into()
        }
        Cert::NotValidForName => "name mismatch: it is not valid for this host".into(),
        Cert::NotValidForNameContext { .. } => format!("name mismatch: {problem}"),
        Cert::Revoked => "revoked".into(),
        Cert::BadSignature
        | Cert::UnsupportedSignatureAlgorithmContext { .. }
        | Cert::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => "bad signature".into(),
        Cert::BadEncoding => "malformed".into(),
        Cert::Other(other) => other.to_string(),
        other => other.to_string(),
    };
    Some(format!(
        "the server's certificate failed verification: {what}"
    ))
}

/// hyper refused a reply's head for its size (too many header lines, or too many
/// bytes). Its typed check needs hyper's server feature, so its message is matched.
fn head_too_large(err: &reqwest::Error) -> bool {
    causes(err)
        .iter()
        .any(|cause| cause.to_string() == "message head is too large")
}

/// A reqwest error as text with its causes, without its URL (which carries the UserSig).
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}

/// A final reply: the successes and absences pass, every error class becomes an error.
fn settle(
    interface: &'static str,
    sdkappid: u64,
    reply: Reply,
    attempts: u32,
) -> Result<Reply, ApiError> {
    Err(match reply {
        Reply::Retry {
            reason,
            cause,
            request_id,
        } => ApiError::GaveUp {
            interface,
            sdkappid,
            attempts,
            reason,
            cause,
            request_id,
        },
        Reply::Protocol { status, body_start } => ApiError::Protocol {
            interface,
            sdkappid,
            status,
            body_start,
        },
        Reply::TooLarge(part) => ApiError::TooLarge {
            interface,
            sdkappid,
            part,
        },
        Reply::Tls { problem } => ApiError::Tls {
            interface,
            sdkappid,
            problem,
        },
        Reply::Redirect { status, location } => ApiError::Redirect {
            interface,
            sdkappid,
            status,
            location,
        },
        Reply::Auth {
            code,
            info,
            request_id,
        } => ApiError::Auth {
            interface,
            sdkappid,
            code,
            info,
            signed_with: None,
            request_id,
        },
        Reply::Api {
            code,
            info,
            request_id,
        } => ApiError::Api {
            interface,
            sdkappid,
            code,
            info,
            request_id,
        },
        done => return Ok(done),
    })
}

/// What a settled get_callback reply says about the app.
fn live_from(interface: &'static str, sdkappid: u64, reply: Reply) -> Result<Live, ApiError> {
    match reply {
        Reply::Ok {
            response,
            request_id,
        } => match wire::config_from(response) {
            Ok(config) => Ok(Live::Present { config, request_id }),
            Err(wire::Unusable::Shape(problem)) => Err(ApiError::Incomplete {
                interface,
                sdkappid,
                problem,
                request_id,
            }),
            Err(wire::Unusable::TooManyCommands(count)) => Err(ApiError::TooManyCommands {
                interface,
                sdkappid,
                count,
                request_id,
            }),
        },
        Reply::Absent { request_id } => Ok(Live::Absent { request_id }),
        other => Err(unexpected(interface, sdkappid, other)),
    }
}

/// Interpret a recorded get_callback response body (`verify --live-from`) exactly as
/// a live one, as if it were the last of one attempt: one larger than a live reply
/// may be is refused unread.
pub fn live_from_recorded(
    service: &'static Service,
    sdkappid: u64,
    body: &[u8],
    placeholders: &Placeholders,
) -> Result<Live, ApiError> {
    let reply = settle(
        service.get,
        sdkappid,
        recorded(service, body, placeholders),
        1,
    )?;
    live_from(service.get, sdkappid, reply)
}

/// A recorded reply as the client would have classified it, under the same cap.
fn recorded(service: &Service, body: &[u8], placeholders: &Placeholders) -> Reply {
    if body.len() > wire::MAX_BODY_BYTES {
        return Reply::TooLarge(wire::Oversized::Body);
    }
    wire::classify(service, 200, body, placeholders)
}

/// What a settled get_callback_token reply says: whether callbacks are signed.
/// "No token configured" is disabled.
fn token_from(
    service: &'static Service,
    sdkappid: u64,
    settled: Result<Reply, ApiError>,
) -> Result<bool, ApiError> {
    let path = service.token_get();
    let reply = match settled {
        Ok(reply) => reply,
        Err(ApiError::Api { code, .. }) if code == service.no_token => return Ok(false),
        Err(err) => return Err(err),
    };
    match reply {
        Reply::Ok {
            response,
            request_id,
        } => wire::token_enabled(response).map_err(|problem| ApiError::Incomplete {
            interface: path,
            sdkappid,
            problem,
            request_id,
        }),
        other => Err(unexpected(path, sdkappid, other)),
    }
}

/// Interpret a recorded get_callback_token body (`verify --live-from`) as a live one.
pub fn token_from_recorded(
    service: &'static Service,
    sdkappid: u64,
    body: &[u8],
    placeholders: &Placeholders,
) -> Result<bool, ApiError> {
    let path = service.token_get();
    let settled = settle(path, sdkappid, recorded(service, body, placeholders), 1);
    token_from(service, sdkappid, settled)
}

/// The codes are the same for every service (see `model::tencent`), so Room's row
/// names them.
fn unexpected(interface: &'static str, sdkappid: u64, reply: Reply) -> ApiError {
    let (code, request_id) = match &reply {
        Reply::AlreadyExists { request_id } => (Service::ROOM.already_exists, request_id.clone()),
        Reply::Absent { request_id } => (Service::ROOM.no_configuration, request_id.clone()),
        _ => (-1, None),
    };
    ApiError::Api {
        interface,
        sdkappid,
        code,
        info: format!("unexpected reply to {interface}"),
        request_id,
    }
}
