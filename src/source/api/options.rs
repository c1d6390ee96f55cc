//! How the client behaves (`ClientOptions`): its timeouts and limits, the run's
//! `Deadline`, and the `Observer` told how far a fan-out has come.

use std::sync::Arc;
use std::time::Duration;

use super::RetryPolicy;

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
