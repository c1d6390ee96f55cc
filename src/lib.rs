//! cbcheck: a declarative, GitOps-style drift checker for the callback configuration
//! of Tencent RTC Engine apps: Room, Live and Call.
#![warn(clippy::print_stdout, clippy::print_stderr)]

// Private layers; the few modules the integration tests reach into are public but
// hidden from the documentation: they are not an API.
pub mod cli;
#[doc(hidden)]
pub mod config;
mod drift;
mod model;
#[doc(hidden)]
pub mod report;
mod run;
#[doc(hidden)]
pub mod source;
#[doc(hidden)]
pub use source::{secret, usersig};

pub use model::redact::{Placeholders, Redaction};
pub use model::tencent::region::Region;

pub use run::{Outcome, run, run_in};
pub use source::keys::Env;
