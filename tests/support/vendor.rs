//! The vendor's side: builders for its JSON envelope, recorded snapshots for
//! `--live-from`, and one fake vendor that keeps each service's callback
//! configuration per SDKAppID, records every request, and misbehaves on demand.
//!
//! The fake is a small HTTP/1.1 server on its own thread (plain or TLS), so it
//! serves synchronous and asynchronous tests alike and can do what a mock library
//! cannot: hold a connection open, stream an endless reply, or hold every reply
//! until a number of requests are in flight.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub const ROOM: &str = "room";
pub const LIVE: &str = "live";
pub const CALL: &str = "call";

/// The Live callback token the fake hands out: it must never be shown.
pub const LIVE_TOKEN: &str = "live-token-6b1f0c";

/// The vendor's envelope: `ErrorCode`, `ErrorInfo`, `ActionStatus`, `RequestId`
/// (`Id-<code>-O-Seq-9`) and `Response` when given.
pub fn envelope(code: i64, info: &str, response: Option<Value>) -> Value {
    let mut body = json!({
        "ErrorCode": code,
        "ErrorInfo": info,
        "ActionStatus": if code == 0 { "OK" } else { "FAIL" },
        "RequestId": format!("Id-{code}-O-Seq-9"),
    });
    if let Some(response) = response {
        body["Response"] = response;
    }
    body
}

/// `envelope` with its `RequestId` replaced.
pub fn with_request_id(mut envelope: Value, request_id: &str) -> Value {
    envelope["RequestId"] = json!(request_id);
    envelope
}

/// A success carrying `response`.
pub fn ok(response: Value) -> Value {
    envelope(0, "", Some(response))
}

/// A success without a `Response` (what the write interfaces return).
pub fn done() -> Value {
    envelope(0, "", None)
}

/// A failure with `ErrorCode` `code`.
pub fn fail(code: i64, info: &str) -> Value {
    envelope(code, info, None)
}

/// get_callback's `Response`.
pub fn config(url: &str, commands: &[&str]) -> Value {
    json!({"Url": url, "CallbackCommandList": commands})
}

/// A successful get_callback reply.
pub fn configured(url: &str, commands: &[&str]) -> Value {
    ok(config(url, commands))
}

/// get_callback's reply for an app without a callback (100301).
pub fn not_configured() -> Value {
    fail(100_301, "callback config not exist")
}

/// A successful get_callback_token reply holding [`LIVE_TOKEN`].
pub fn token(enabled: bool) -> Value {
    ok(json!({"Token": LIVE_TOKEN, "IsTokenEnable": enabled}))
}

/// A recorded live state for `--live-from`: the reply of each read, keyed
/// `<sdkappid>` (Room), `<sdkappid>/<service>` and `<sdkappid>/live/token`.
#[derive(Debug, Clone, Default)]
pub struct Snapshot(serde_json::Map<String, Value>);

impl Snapshot {
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// The Room get_callback reply of `sdkappid`.
    #[must_use]
    pub fn room(self, sdkappid: u64, reply: Value) -> Snapshot {
        self.entry(&sdkappid.to_string(), reply)
    }

    /// The get_callback reply of `sdkappid` under `service`.
    #[must_use]
    pub fn service(self, sdkappid: u64, service: &str, reply: Value) -> Snapshot {
        self.entry(&format!("{sdkappid}/{service}"), reply)
    }

    /// The get_callback_token reply of the Live app `sdkappid`.
    #[must_use]
    pub fn token(self, sdkappid: u64, reply: Value) -> Snapshot {
        self.entry(&format!("{sdkappid}/live/token"), reply)
    }

    /// Any key, written as given.
    #[must_use]
    pub fn entry(mut self, key: &str, value: Value) -> Snapshot {
        self.0.insert(key.to_owned(), value);
        self
    }

    pub fn json(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

impl std::fmt::Display for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.json())
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Decoded, in order.
    pub query: Vec<(String, String)>,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `sdkappid` from the query, 0 when missing.
    pub fn sdkappid(&self) -> u64 {
        self.query("sdkappid")
            .and_then(|id| id.parse().ok())
            .unwrap_or(0)
    }

    pub fn usersig(&self) -> Option<&str> {
        self.query("usersig")
    }

    /// The last path segment: `get_callback`, `set_callback`, …
    pub fn interface(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    /// `room`, `live` or `call` from `/v4/<service>_config/…`.
    pub fn service(&self) -> Option<&str> {
        self.path.rsplit('/').nth(1)?.strip_suffix("_config")
    }

    /// `<service>_config/<interface>`.
    pub fn call(&self) -> String {
        let mut parts = self.path.rsplit('/');
        let interface = parts.next().unwrap_or("");
        let group = parts.next().unwrap_or("");
        format!("{group}/{interface}")
    }

    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What a flood sends.
#[derive(Debug, Clone, Copy)]
pub enum Flood {
    /// A chunked body that goes on and on.
    Body,
    /// Header lines that go on and on.
    Headers,
}

/// The most a flood sends before ending on its own; a client that stops reading
/// closes the connection long before.
pub const FLOOD_LIMIT: usize = 64 << 20;

/// How one flood ended.
#[derive(Debug, Clone)]
pub struct Flooded {
    pub bytes: usize,
    /// All of [`FLOOD_LIMIT`] was taken: nobody stopped reading.
    pub to_the_end: bool,
}

/// What the fake sends for one request.
#[derive(Debug, Clone)]
pub enum Reply {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Hold the connection open, never answering, until the client gives up.
    Stall,
    /// The reply, after a delay.
    Late(Duration, Box<Reply>),
    /// An endless reply (see [`Flood`]).
    Flood(Flood),
}

impl Reply {
    /// 200 with `body` as JSON.
    pub fn json(body: &Value) -> Reply {
        Reply::body(200, "application/json", body.to_string())
    }

    /// `status` with an empty body.
    pub fn status(status: u16) -> Reply {
        Reply::body(status, "text/plain", "")
    }

    pub fn body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Http {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// `status` pointing at `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("location", location)
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    #[must_use]
    pub fn after(self, delay: Duration) -> Reply {
        Reply::Late(delay, Box::new(self))
    }
}

impl From<Value> for Reply {
    fn from(body: Value) -> Reply {
        Reply::json(&body)
    }
}

/// How the fake mishandles writes (set/update/delete_callback) to one app.
#[derive(Debug, Clone, Copy)]
pub enum WriteFault {
    /// Refused with this ErrorCode; nothing changes.
    Refused(i64),
    /// The write takes effect, but its reply comes only after this delay.
    AppliedButLate(Duration),
    /// Answered with this HTTP status; nothing changes.
    Status(u16),
    /// As `Status`, and from then on every read of the app fails with it too.
    StatusThenUnreadable(u16),
    /// This many writes are refused for their rate (60018) before one is accepted.
    RateLimited(usize),
}

type Answer = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    /// The callback configuration per (service, SDKAppID).
    configs: HashMap<(String, u64), Value>,
    /// Live's token signing per SDKAppID (absent: 100302, no token configured).
    tokens: HashMap<u64, bool>,
    /// Replies used up one per request about the app, before anything else.
    queued: HashMap<u64, VecDeque<Reply>>,
    /// The answer to every request about the app (`None`: about any app).
    fixed: HashMap<Option<u64>, Answer>,
    write_faults: HashMap<u64, WriteFault>,
    /// Apps whose reads fail with this HTTP status.
    unreadable: HashMap<u64, u16>,
    /// Someone else's change, made just before the first write to that app.
    races: HashMap<u64, Option<Value>>,
    /// Someone else's change, made right after the Nth get_callback of that app.
    after_get: HashMap<u64, (usize, Option<Value>)>,
    gets: HashMap<u64, usize>,
    requests: Vec<Request>,
    connections: usize,
    /// Hold every reply until this many requests have arrived.
    hold_until: Option<usize>,
    /// The secret key of each SDKAppID that checks its requests' UserSig.
    keys: HashMap<u64, String>,
    /// How many requests had arrived when each held reply went out.
    released_at: Vec<usize>,
    floods: Vec<Flooded>,
}

struct Shared {
    state: Mutex<State>,
    arrived: watch::Sender<usize>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The fake vendor. Serves until dropped.
pub struct Vendor {
    uri: String,
    shared: Arc<Shared>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A TLS identity for [`Vendor::start_tls`].
pub type Identity = (
    tokio_rustls::rustls::pki_types::CertificateDer<'static>,
    tokio_rustls::rustls::pki_types::PrivateKeyDer<'static>,
);

impl Vendor {
    /// A fake vendor with no callback configured anywhere.
    pub fn start() -> Vendor {
        Vendor::serve(None)
    }

    /// The same over TLS with `identity`, at `https://127.0.0.1:<port>`.
    pub fn start_tls(identity: Identity) -> Vendor {
        Vendor::serve(Some(super::tls::acceptor(identity)))
    }

    fn serve(tls: Option<tokio_rustls::TlsAcceptor>) -> Vendor {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let address = listener.local_addr().expect("address");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            arrived: watch::channel(0).0,
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let serving = Arc::clone(&shared);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                let accepting = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        serving.state().connections += 1;
                        let shared = Arc::clone(&serving);
                        let tls = tls.clone();
                        tokio::spawn(async move {
                            match tls {
                                None => connection(stream, &shared).await,
                                Some(acceptor) => {
                                    if let Ok(stream) = acceptor.accept(stream).await {
                                        connection(stream, &shared).await;
                                    }
                                }
                            }
                        });
                    }
                };
                tokio::select! {
                    () = accepting => {}
                    _ = stop => {}
                }
            });
        });
        Vendor {
            uri: format!("{scheme}://{address}"),
            shared,
            _shutdown: shutdown,
        }
    }

    /// The base URL, for `--endpoint`.
    pub fn uri(&self) -> String {
        self.uri.clone()
    }

    /// `host:port`.
    pub fn host_port(&self) -> String {
        self.uri
            .split_once("://")
            .map_or(self.uri.as_str(), |(_, rest)| rest)
            .to_owned()
    }

    /// From now on, a request about `sdkappid` is answered only when its UserSig was
    /// signed with `key` (as the vendor checks it); any other gets ErrorCode 70003.
    pub fn key(&self, sdkappid: u64, key: &str) -> &Vendor {
        self.shared.state().keys.insert(sdkappid, key.to_owned());
        self
    }

    /// Configures `service`'s callback of `sdkappid` (`None`: none configured).
    pub fn set(&self, service: &str, sdkappid: u64, config: Option<Value>) -> &Vendor {
        let mut state = self.shared.state();
        let key = (service.to_owned(), sdkappid);
        match config {
            Some(config) => state.configs.insert(key, config),
            None => state.configs.remove(&key),
        };
        self
    }

    /// Configures the Room callback of `sdkappid`.
    pub fn room(&self, sdkappid: u64, url: &str, commands: &[&str]) -> &Vendor {
        self.set(ROOM, sdkappid, Some(config(url, commands)))
    }

    /// `service`'s callback of `sdkappid` as it is now.
    pub fn get(&self, service: &str, sdkappid: u64) -> Option<Value> {
        self.shared
            .state()
            .configs
            .get(&(service.to_owned(), sdkappid))
            .cloned()
    }

    /// Every callback configured under `service`, by SDKAppID.
    pub fn live(&self, service: &str) -> HashMap<u64, Value> {
        self.shared
            .state()
            .configs
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|((_, id), config)| (*id, config.clone()))
            .collect()
    }

    /// Live's token signing of `sdkappid`.
    pub fn token_auth(&self, sdkappid: u64, enabled: bool) -> &Vendor {
        self.shared.state().tokens.insert(sdkappid, enabled);
        self
    }

    /// Every request about `sdkappid` gets `reply`, whatever the state.
    pub fn answer(&self, sdkappid: u64, reply: impl Into<Reply>) -> &Vendor {
        let reply = reply.into();
        self.answer_with(Some(sdkappid), move |_| reply.clone())
    }

    /// Every request about `sdkappid` (`None`: about any app without its own answer)
    /// is answered by `answer`.
    pub fn answer_with(
        &self,
        sdkappid: Option<u64>,
        answer: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> &Vendor {
        self.shared.state().fixed.insert(sdkappid, Arc::new(answer));
        self
    }

    /// The next request about `sdkappid` gets `reply` (queued after earlier ones);
    /// once the queue is used up, the app is served as before.
    pub fn then(&self, sdkappid: u64, reply: impl Into<Reply>) -> &Vendor {
        self.shared
            .state()
            .queued
            .entry(sdkappid)
            .or_default()
            .push_back(reply.into());
        self
    }

    /// How writes to `sdkappid` go wrong.
    pub fn write_fault(&self, sdkappid: u64, fault: WriteFault) -> &Vendor {
        self.shared.state().write_faults.insert(sdkappid, fault);
        self
    }

    /// Every read of `sdkappid` fails with HTTP `status`.
    pub fn unreadable(&self, sdkappid: u64, status: u16) -> &Vendor {
        self.shared.state().unreadable.insert(sdkappid, status);
        self
    }

    /// Reads of `sdkappid` succeed again.
    pub fn readable(&self, sdkappid: u64) -> &Vendor {
        self.shared.state().unreadable.remove(&sdkappid);
        self
    }

    /// Someone else changes `sdkappid` just before the first write to it arrives.
    pub fn race(&self, sdkappid: u64, change: Option<Value>) -> &Vendor {
        self.shared.state().races.insert(sdkappid, change);
        self
    }

    /// Someone else changes `sdkappid` right after its `nth` get_callback is answered.
    pub fn change_after_get(&self, sdkappid: u64, nth: usize, change: Option<Value>) -> &Vendor {
        self.shared
            .state()
            .after_get
            .insert(sdkappid, (nth, change));
        self
    }

    /// Every reply waits until `count` requests have arrived (or ten seconds pass,
    /// so that a failing run ends).
    pub fn hold_replies_until(&self, count: usize) -> &Vendor {
        self.shared.state().hold_until = Some(count);
        self
    }

    /// How many requests had arrived when each held reply went out.
    pub fn released_at(&self) -> Vec<usize> {
        self.shared.state().released_at.clone()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.state().requests.clone()
    }

    /// The requests about `sdkappid`.
    pub fn requests_for(&self, sdkappid: u64) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.sdkappid() == sdkappid)
            .collect()
    }

    /// Every call but get_callback, as `<service>_config/<interface>`, in order.
    pub fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r.interface() != "get_callback")
            .map(Request::call)
            .collect()
    }

    /// Every write (set/update/delete_callback) as (interface, sdkappid), in order.
    pub fn writes(&self) -> Vec<(String, u64)> {
        self.requests()
            .iter()
            .filter(|r| is_write(r.interface()))
            .map(|r| (r.interface().to_owned(), r.sdkappid()))
            .collect()
    }

    /// Every UserSig received.
    pub fn usersigs(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|r| r.usersig().map(str::to_owned))
            .collect()
    }

    /// Connections accepted (TLS handshakes begun).
    pub fn connections(&self) -> usize {
        self.shared.state().connections
    }

    /// How each flood sent so far ended.
    pub fn floods(&self) -> Vec<Flooded> {
        self.shared.state().floods.clone()
    }
}

fn is_write(interface: &str) -> bool {
    matches!(
        interface,
        "set_callback" | "update_callback" | "delete_callback"
    )
}

/// Whether the request's UserSig is a TLSSigAPIv2 token for its SDKAppID signed with
/// `key`: decoded from the documented format, the HMAC-SHA256 recomputed.
fn signed_with(request: &Request, key: &str) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use hmac::{KeyInit, Mac};
    let Some((_, doc)) = request.usersig().and_then(super::usersig::decode) else {
        return false;
    };
    let content = format!(
        "TLS.identifier:{}\nTLS.sdkappid:{}\nTLS.time:{}\nTLS.expire:{}\n",
        doc["TLS.identifier"].as_str().unwrap_or_default(),
        doc["TLS.sdkappid"],
        doc["TLS.time"],
        doc["TLS.expire"],
    );
    let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(content.as_bytes());
    doc["TLS.sdkappid"].as_u64() == Some(request.sdkappid())
        && doc["TLS.sig"].as_str() == Some(STANDARD.encode(mac.finalize().into_bytes()).as_str())
}

impl State {
    fn answer(&mut self, request: &Request) -> Reply {
        let id = request.sdkappid();
        if let Some(key) = self.keys.get(&id)
            && !signed_with(request, key)
        {
            return fail(70_003, "usersig invalid").into();
        }
        if let Some(reply) = self.queued.get_mut(&id).and_then(VecDeque::pop_front) {
            return reply;
        }
        if let Some(answer) = self.fixed.get(&Some(id)).or_else(|| self.fixed.get(&None)) {
            return answer(request);
        }
        let Some(service) = request.service().map(str::to_owned) else {
            return Reply::status(404);
        };
        let key = (service.clone(), id);
        let interface = request.interface();
        if interface == "get_callback" {
            if let Some(status) = self.unreadable.get(&id) {
                return Reply::status(*status);
            }
            let reply = match self.configs.get(&key) {
                Some(config) => ok(config.clone()),
                None => not_configured(),
            };
            let served = self.gets.entry(id).or_default();
            *served += 1;
            if self
                .after_get
                .get(&id)
                .is_some_and(|(nth, _)| nth == served)
                && let Some((_, change)) = self.after_get.remove(&id)
            {
                self.change(key, change);
            }
            return reply.into();
        }
        if (service.as_str(), interface) == (LIVE, "get_callback_token") {
            return match self.tokens.get(&id) {
                Some(enabled) => token(*enabled).into(),
                None => fail(100_302, "callback token not exist").into(),
            };
        }
        if !is_write(interface) {
            return Reply::status(404);
        }
        let mut late = None;
        match self.write_faults.get_mut(&id) {
            Some(WriteFault::Refused(code)) => return fail(*code, "refused").into(),
            Some(WriteFault::Status(status)) => return Reply::status(*status),
            Some(WriteFault::StatusThenUnreadable(status)) => {
                let status = *status;
                self.unreadable.insert(id, status);
                return Reply::status(status);
            }
            Some(WriteFault::RateLimited(left)) if *left > 0 => {
                *left -= 1;
                return fail(60_018, "refused").into();
            }
            Some(WriteFault::AppliedButLate(delay)) => late = Some(*delay),
            Some(WriteFault::RateLimited(_)) | None => {}
        }
        if let Some(change) = self.races.remove(&id) {
            self.change(key.clone(), change);
        }
        let exists = self.configs.contains_key(&key);
        let reply: Reply = match (service.as_str(), interface) {
            // Call has no update_callback, and its set overwrites.
            (CALL, "update_callback") => Reply::status(404),
            (CALL, "set_callback") => {
                self.configs.insert(key, request.json());
                done().into()
            }
            (_, "set_callback") if exists => fail(100_300, "refused").into(),
            (_, "update_callback") if !exists => fail(100_301, "refused").into(),
            (_, "delete_callback") => {
                self.configs.remove(&key);
                done().into()
            }
            _ => {
                self.configs.insert(key, request.json());
                done().into()
            }
        };
        match late {
            Some(delay) => reply.after(delay),
            None => reply,
        }
    }

    fn change(&mut self, key: (String, u64), change: Option<Value>) {
        match change {
            Some(config) => self.configs.insert(key, config),
            None => self.configs.remove(&key),
        };
    }
}

/// Serves one connection: one request, one reply, then close.
async fn connection(mut stream: impl AsyncRead + AsyncWrite + Unpin, shared: &Shared) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let reply = {
        let mut state = shared.state();
        state.requests.push(request.clone());
        state.answer(&request)
    };
    shared.arrived.send_modify(|n| *n += 1);
    let hold = shared.state().hold_until;
    if let Some(count) = hold {
        let mut arrived = shared.arrived.subscribe();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), arrived.wait_for(|n| *n >= count)).await;
        let now = *shared.arrived.borrow();
        shared.state().released_at.push(now);
    }
    send(&mut stream, reply, shared).await;
}

async fn send(
    stream: &mut (impl AsyncRead + AsyncWrite + Unpin),
    mut reply: Reply,
    shared: &Shared,
) {
    loop {
        match reply {
            Reply::Late(delay, inner) => {
                tokio::time::sleep(delay).await;
                reply = *inner;
            }
            Reply::Http {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str(&format!(
                    "content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                ));
                let mut bytes = head.into_bytes();
                bytes.extend(body);
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Stall => {
                let mut buf = [0u8; 1024];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                return;
            }
            Reply::Flood(flood) => {
                let flooded = flood_out(stream, flood).await;
                shared.state().floods.push(flooded);
                return;
            }
        }
    }
}

async fn flood_out(stream: &mut (impl AsyncWrite + Unpin), flood: Flood) -> Flooded {
    let (head, piece, end): (&[u8], Vec<u8>, &[u8]) = match flood {
        Flood::Body => {
            let mut chunk = format!("{:x}\r\n", 64 << 10).into_bytes();
            chunk.extend(std::iter::repeat_n(b'a', 64 << 10));
            chunk.extend_from_slice(b"\r\n");
            (
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
                chunk,
                b"0\r\n\r\n",
            )
        }
        Flood::Headers => {
            let mut line = b"x-filler: ".to_vec();
            line.extend(std::iter::repeat_n(b'a', 1000));
            line.extend_from_slice(b"\r\n");
            (b"HTTP/1.1 200 OK\r\n", line, b"content-length: 0\r\n\r\n")
        }
    };
    let mut bytes = 0;
    let mut sent = stream.write_all(head).await;
    while sent.is_ok() && bytes < FLOOD_LIMIT {
        sent = stream.write_all(&piece).await;
        bytes += piece.len();
    }
    let to_the_end = sent.is_ok() && stream.write_all(end).await.is_ok();
    Flooded { bytes, to_the_end }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// One HTTP/1.1 request with a `content-length` body; `None` when the client
/// closed first or sent something else.
async fn read_request(stream: &mut (impl AsyncRead + Unpin)) -> Option<Request> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        bytes.extend_from_slice(&buf[..n]);
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_owned();
    let target = start.next()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        bytes.extend_from_slice(&buf[..n]);
    }
    // A proxy is sent the absolute form, `http://host/path?query`.
    let target = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => target,
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(Request {
        method,
        path: path.to_owned(),
        query: url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers,
        body: bytes[head_end..head_end + length].to_vec(),
    })
}
