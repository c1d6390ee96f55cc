//! The room_config REST client: signing, retries, rate limits, bounded concurrency.
//!
//! All of reqwest stays in this module, and its errors are stripped of their URL here:
//! the URL's query string carries the UserSig.
//!
//! `client` sends the requests (`Client`, one connection pool per run); `options`
//! says how (`ClientOptions`, the run's `Deadline`, the `Observer` told each `Tick`);
//! `retry` when to try again; `target` whom to call as whom; `settle` reads a final
//! reply (live or recorded) for what it means; `transport` describes a failed
//! connection without its URL.

mod client;
pub mod endpoint;
mod error;
mod limit;
mod options;
mod retry;
mod scrub;
mod settle;
mod target;
mod transport;
pub mod wire;

pub use crate::model::{CallbackConfig, Interface, Service};
pub use client::{Client, ClientSetupError};
pub use error::ApiError;
pub use limit::RateLimits;
pub use options::{ClientOptions, Deadline, Observer, Tick};
pub use retry::RetryPolicy;
pub use settle::{Live, WriteReply, live_from_recorded, token_from_recorded};
pub use target::{KeySource, Target, Token};
pub use wire::{Oversized, RedirectTarget, Reply, RetryCause};
