//! cbcheck: a declarative, GitOps-style drift checker for the callback configuration
//! of Tencent RTC Engine apps: Room, Live and Call.
#![warn(clippy::print_stdout, clippy::print_stderr)]

// Private layers: `cli` is the one public module, and `testing` names what the
// integration tests reach into (not an API).
pub mod cli;
mod config;
mod drift;
mod model;
mod report;
mod run;
mod source;

pub use run::{Outcome, run, run_in};
pub use source::keys::Env;

/// What the integration tests (`tests/`) and the benchmark use of the private
/// layers, re-exported by their paths: hidden from the documentation, not an API.
#[doc(hidden)]
pub mod testing {
    pub use crate::config::{App, Loaded, Rule, load_bytes, schema_json as config_schema_json};
    pub use crate::model::redact::{Placeholders, Redaction};
    pub use crate::model::run_info::sha256_hex;
    pub use crate::model::tencent::region::Region;
    pub use crate::report::annotation::from_lint as annotations_from_lint;
    pub use crate::report::apply::schema_json as apply_schema_json;
    pub use crate::report::github::render as render_github;
    pub use crate::report::human::{Renderer, lint_report, lint_summary};
    pub use crate::report::json::{lint_schema_json, schema_json as report_schema_json};
    pub use crate::report::plan::schema_json as plan_schema_json;
    pub use crate::report::sarif::render_lint as render_sarif_lint;
    pub use crate::report::{Style, is_unsafe, write_file_atomically};
    pub use crate::source::api::endpoint::{AllowedHost, Declared, resolve as resolve_endpoint};
    pub use crate::source::api::{
        ApiError, CallbackConfig, Client, ClientOptions, Deadline, Interface, KeySource, Live,
        Observer, Oversized, RedirectTarget, RetryPolicy, Service, Target, Tick, Token, WriteReply,
    };
    pub use crate::source::keys::{
        Credential, CredentialError, candidates as credential_places, resolve as resolve_credential,
    };
    pub use crate::source::secret::Secret;
    pub use crate::source::usersig::{SigParams, mint, signature};
}
