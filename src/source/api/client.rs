//! The client: one connection pool per run (two with a proxy), the calls of each
//! interface, the fan-out over many apps, and one call's attempts under the rate
//! limits and the run's deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use url::Url;

use super::settle::{live_from, settle, token_from, unexpected};
use super::transport::{describe, head_too_large, tls_problem};
use super::{
    ApiError, CallbackConfig, ClientOptions, Interface, Live, Observer, Oversized, RateLimits,
    RedirectTarget, Reply, RetryCause, Target, Tick, WriteReply, endpoint, scrub, wire,
};

/// The documented limit: 200 calls per second for each interface, per SDKAppID.
pub(super) const VENDOR_MAX_RPS: u32 = 200;

/// Header lines in an HTTP/1 reply; the vendor sends about ten.
const MAX_HEADERS: usize = 100;

/// Bytes of headers in an HTTP/2 reply.
const MAX_HEADER_LIST_BYTES: u32 = 16 << 10;

/// The client could not be built (e.g. no usable TLS roots or a bad proxy variable).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot set up the HTTP client: {0}")]
#[diagnostic(
    code(cbcheck::api::client),
    help("check HTTPS_PROXY / NO_PROXY and the system's certificate store")
)]
pub struct ClientSetupError(String);

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
    /// targets' order. `concurrency` workers take the next target as each finishes
    /// one (a task per worker, not per target). A worker that dies is its current
    /// target's error, on `interface`; the others go on with the rest. `observer` is
    /// told as each call finishes, in the order they finish.
    async fn each<T, F, Fut>(
        &self,
        targets: Vec<Target>,
        interface: fn(&Target) -> &'static str,
        call: F,
        observer: &Observer,
    ) -> Vec<Result<T, ApiError>>
    where
        T: Send + 'static,
        F: Fn(Client, Target) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let described: Vec<(u64, &'static str)> = targets
            .iter()
            .map(|target| (target.sdkappid, interface(target)))
            .collect();
        let count = targets.len();
        let queue = Arc::new(Queue {
            targets: std::sync::Mutex::new(targets.into_iter().enumerate()),
            results: std::sync::Mutex::new((0..count).map(|_| None).collect()),
        });
        let call = Arc::new(call);
        let workers = self.options.concurrency.max(1).min(count);
        let mut tasks = tokio::task::JoinSet::new();
        let spawn = |tasks: &mut tokio::task::JoinSet<()>| {
            let (queue, call, client) = (Arc::clone(&queue), Arc::clone(&call), self.clone());
            let observer = observer.clone();
            tasks.spawn(async move {
                while let Some((index, target)) = queue.next() {
                    let result = call(client.clone(), target).await;
                    observer.tell(Tick::Done {
                        failed: result.is_err(),
                    });
                    queue.done(index, result);
                }
            });
        };
        for _ in 0..workers {
            spawn(&mut tasks);
        }
        let mut died = None;
        while let Some(joined) = tasks.join_next().await {
            if let Err(join) = joined {
                died.get_or_insert_with(|| join.to_string());
                // Its app is lost; a new worker takes its place for the apps left
                // (at most one per app: each takes one before it can die).
                spawn(&mut tasks);
            }
        }
        let results = std::mem::take(&mut *lock(&queue.results));
        results
            .into_iter()
            .zip(described)
            .map(|(result, (sdkappid, interface))| {
                result.unwrap_or_else(|| {
                    Err(ApiError::GaveUp {
                        interface,
                        sdkappid,
                        attempts: 0,
                        reason: format!(
                            "the request task failed: {}",
                            died.as_deref().unwrap_or("it ended early")
                        ),
                        cause: RetryCause::Network,
                        request_id: None,
                    })
                })
            })
            .collect()
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
            after: deadline.after(),
            sent: sent.load(Ordering::SeqCst),
        };
        // A call after the deadline is not begun at all.
        if std::time::Instant::now() >= deadline.at() {
            return Err(passed(&sent));
        }
        let attempts = self.attempts(target, path, body, may_retry, &sent);
        tokio::time::timeout_at(tokio::time::Instant::from_std(deadline.at()), attempts)
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
                target.usersig(),
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
        let reason = scrub::text(&reason, target.usersig().expose()).into_owned();
        Reply::Retry {
            reason,
            cause,
            request_id: None,
        }
    }
}

/// The targets not yet taken by a worker, and each target's result once it has one.
struct Queue<T> {
    targets: std::sync::Mutex<std::iter::Enumerate<std::vec::IntoIter<Target>>>,
    results: std::sync::Mutex<Vec<Option<Result<T, ApiError>>>>,
}

impl<T> Queue<T> {
    fn next(&self) -> Option<(usize, Target)> {
        lock(&self.targets).next()
    }

    fn done(&self, index: usize, result: Result<T, ApiError>) {
        lock(&self.results)[index] = Some(result);
    }
}

/// A lock whose holder panicked is still sound here: each critical section is one
/// step that either happened or did not.
fn lock<V>(mutex: &std::sync::Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        .append_pair("usersig", target.usersig().expose())
        .append_pair("random", &rand::random::<u32>().to_string())
        .append_pair("contenttype", "json");
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ServiceName;
    use crate::model::redact::Placeholders;
    use crate::source::api::target::KeySource;
    use crate::source::secret::Secret;

    fn target(sdkappid: u64) -> Target {
        Target {
            sdkappid,
            service: ServiceName::Room.row(),
            identifier: "administrator".into(),
            usersig: super::super::Token::ready(Secret::new("not-a-real-usersig")),
            key_source: KeySource::SecretKey("CBCHECK_SECRET_KEY".into()),
            base: Url::parse("http://127.0.0.1:9/").expect("a URL"),
            placeholders: Placeholders::default(),
        }
    }

    /// Each call is an async step; no request is sent.
    #[tokio::test]
    async fn every_target_gets_its_result_in_order_and_a_dead_worker_costs_one_target() {
        for concurrency in [1, 2] {
            dead_worker_costs_one_target(concurrency).await;
        }
    }

    async fn dead_worker_costs_one_target(concurrency: usize) {
        let client = Client::new(ClientOptions {
            concurrency,
            ..ClientOptions::default()
        })
        .expect("a client");
        let targets: Vec<Target> = (1..=7).map(target).collect();
        let results = client
            .each(
                targets,
                |_| "v4/room_config/get_callback",
                |_, target| async move {
                    tokio::task::yield_now().await;
                    assert_ne!(target.sdkappid, 3, "this worker dies");
                    Ok(target.sdkappid * 10)
                },
                &Observer::default(),
            )
            .await;
        assert_eq!(results.len(), 7);
        for (i, result) in results.iter().enumerate() {
            let sdkappid = i as u64 + 1;
            match result {
                Ok(value) => assert_eq!(*value, sdkappid * 10),
                Err(ApiError::GaveUp {
                    sdkappid: 3,
                    interface,
                    reason,
                    ..
                }) => {
                    assert_eq!(*interface, "v4/room_config/get_callback");
                    assert!(reason.starts_with("the request task failed"), "{reason}");
                }
                Err(other) => panic!("app {sdkappid}: {other:?}"),
            }
        }
        assert!(results[2].is_err(), "the dead worker's target is its error");
    }

    #[tokio::test]
    async fn no_more_than_concurrency_calls_run_at_once() {
        use std::sync::atomic::AtomicUsize;
        let client = Client::new(ClientOptions {
            concurrency: 3,
            ..ClientOptions::default()
        })
        .expect("a client");
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static MOST: AtomicUsize = AtomicUsize::new(0);
        let results = client
            .each(
                (1..=20).map(target).collect(),
                |_| "v4/room_config/get_callback",
                |_, _| async move {
                    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                    MOST.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    RUNNING.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                },
                &Observer::default(),
            )
            .await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(MOST.load(Ordering::SeqCst), 3);
    }
}
