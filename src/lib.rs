//! cbcheck: a declarative, GitOps-style drift checker for Tencent Chat/TRTC Room
//! callback configuration.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod catalog;
pub mod cli;
pub mod config;
pub mod drift;
pub mod model;
pub mod report;
mod run;
pub mod secret;
pub mod source;
pub mod usersig;

pub use model::redact::Redaction;
pub use model::region::Region;

pub use run::{Outcome, run};
