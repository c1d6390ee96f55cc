//! Why a call to the vendor failed, with what support will ask for (the RequestId).

use miette::Diagnostic;

use super::KeySource;
use super::wire::{MAX_LIVE_COMMANDS, Oversized, RedirectTarget, RetryCause, status_text};
use crate::model::tencent::codes::auth_hint;

/// A failed call, after any retries. Never carries the key or the UserSig: reqwest's
/// messages are stripped of their URL before they get here.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Diagnostic)]
pub enum ApiError {
    #[error("{interface} for sdkappid {sdkappid} was refused: ErrorCode {code} ({info}){}{}", signed_with_suffix(.signed_with), request_id_suffix(.request_id))]
    #[diagnostic(code(cbcheck::api::auth), help("{}", auth_hint(*.code).unwrap_or("check the credentials for this app")))]
    Auth {
        interface: &'static str,
        sdkappid: u64,
        code: i64,
        info: String,
        /// The variable the refused credential came from (none for a recorded reply).
        signed_with: Option<KeySource>,
        request_id: Option<String>,
    },

    #[error("{interface} for sdkappid {sdkappid} failed: ErrorCode {code} ({info}){}", request_id_suffix(.request_id))]
    #[diagnostic(
        code(cbcheck::api::error),
        help("the vendor refused the request; quote the RequestId if you contact support")
    )]
    Api {
        interface: &'static str,
        sdkappid: u64,
        code: i64,
        info: String,
        request_id: Option<String>,
    },

    #[error("{interface} for sdkappid {sdkappid} {problem}{}", request_id_suffix(.request_id))]
    #[diagnostic(
        code(cbcheck::api::incomplete),
        help(
            "the reply lacks the configuration it should carry; quote the RequestId if you contact support"
        )
    )]
    Incomplete {
        interface: &'static str,
        sdkappid: u64,
        /// What is wrong with the payload, e.g. "succeeded without Response.Url".
        problem: &'static str,
        request_id: Option<String>,
    },

    #[error("{interface} for sdkappid {sdkappid} got a reply listing {count} callback commands, more than the {} cbcheck reads{}", MAX_LIVE_COMMANDS, request_id_suffix(.request_id))]
    #[diagnostic(
        code(cbcheck::api::too_many_commands),
        help("{}", too_many_commands_help())
    )]
    TooManyCommands {
        interface: &'static str,
        sdkappid: u64,
        /// How many command words the reply listed.
        count: usize,
        request_id: Option<String>,
    },

    #[error("{interface} for sdkappid {sdkappid} {}{}", gave_up(*.attempts, .reason), request_id_suffix(.request_id))]
    #[diagnostic(
        code(cbcheck::api::unavailable),
        help("{}", gave_up_help(*.cause))
    )]
    GaveUp {
        interface: &'static str,
        sdkappid: u64,
        attempts: u32,
        reason: String,
        cause: RetryCause,
        request_id: Option<String>,
    },

    #[error("{interface} for sdkappid {sdkappid} was {} before the run deadline (--deadline {}) passed", if *.sent { "not answered" } else { "not sent" }, .after.as_secs_f64())]
    #[diagnostic(
        code(cbcheck::api::deadline),
        help(
            "raise --deadline, or lower --timeout so that a hung app gives up sooner; the apps that finished are reported as usual"
        )
    )]
    Deadline {
        interface: &'static str,
        sdkappid: u64,
        /// The `--deadline` given.
        after: std::time::Duration,
        /// Whether a request had gone out: a write cut off after that may have been
        /// carried out.
        sent: bool,
    },

    #[error(
        "{interface} for sdkappid {sdkappid} got a reply that is not the vendor's JSON: {}, body starts {body_start:?}", status_text(*.status)
    )]
    #[diagnostic(
        code(cbcheck::api::protocol),
        help(
            "is the endpoint (or a proxy in front of it) the vendor's REST API? Check `endpoint` / --endpoint"
        )
    )]
    Protocol {
        interface: &'static str,
        sdkappid: u64,
        status: u16,
        body_start: String,
    },

    #[error("{interface} for sdkappid {sdkappid} got {part}; it was not read further")]
    #[diagnostic(
        code(cbcheck::api::too_large),
        help(
            "a real reply is a few KiB: is the endpoint (or a proxy in front of it) the vendor's REST API? Check `endpoint` / --endpoint"
        )
    )]
    TooLarge {
        interface: &'static str,
        sdkappid: u64,
        part: Oversized,
    },

    #[error("{interface} for sdkappid {sdkappid} was not sent: {problem}")]
    #[diagnostic(
        code(cbcheck::api::tls),
        help(
            "the server is not the vendor's, or the connection is intercepted: check `endpoint` / --endpoint, this machine's clock, and any TLS-inspecting proxy (its CA must be in the system's certificate store)"
        )
    )]
    Tls {
        interface: &'static str,
        sdkappid: u64,
        problem: String,
    },

    #[error("{interface} for sdkappid {sdkappid} was redirected ({}) {location}; cbcheck follows no redirect", status_text(*.status))]
    #[diagnostic(
        code(cbcheck::api::redirect),
        help(
            "the vendor's API never redirects: a proxy, a captive portal or a wrong endpoint answered. Check `endpoint` / --endpoint and the network path"
        )
    )]
    Redirect {
        interface: &'static str,
        sdkappid: u64,
        status: u16,
        location: RedirectTarget,
    },
}

fn too_many_commands_help() -> String {
    let largest = crate::model::catalog::largest();
    format!(
        "no service has that many callback commands (the largest catalog has {largest}): is the endpoint (or a proxy in front of it) the vendor's REST API? Check `endpoint` / --endpoint; quote the RequestId if you contact support"
    )
}

fn gave_up_help(cause: RetryCause) -> &'static str {
    match cause {
        RetryCause::Http(_) => {
            "the endpoint, or a gateway or proxy in front of it, kept answering with an HTTP error; try again later, and check `endpoint` / --endpoint"
        }
        RetryCause::Vendor(_) | RetryCause::Timeout | RetryCause::Network => {
            "the service or the network is failing; try again later, or raise --timeout"
        }
    }
}

fn signed_with_suffix(source: &Option<KeySource>) -> String {
    match source {
        Some(source) => format!(", signed with {source}"),
        None => String::new(),
    }
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" [RequestId {id}]"),
        None => String::new(),
    }
}

/// A single attempt (a write is made once) did not "keep failing".
fn gave_up(attempts: u32, reason: &str) -> String {
    if attempts > 1 {
        format!("kept failing: gave up after {attempts} attempts; last: {reason}")
    } else {
        format!("failed: {reason}")
    }
}

impl ApiError {
    /// Whether a failed write may still have been carried out. A timeout, a lost
    /// connection, a gateway failure, the vendor's internal errors and a reply that is
    /// not the vendor's say nothing about that; an explicit refusal (credentials, an
    /// error code, the call rate) says it was not.
    pub fn may_have_taken_effect(&self) -> bool {
        match self {
            ApiError::GaveUp { cause, .. } => !cause.is_refusal(),
            ApiError::Deadline { sent, .. } => *sent,
            // A redirect or an oversized reply came from whatever answered; a proxy in
            // between may still have passed the write on.
            ApiError::Protocol { .. }
            | ApiError::Incomplete { .. }
            | ApiError::TooManyCommands { .. }
            | ApiError::TooLarge { .. }
            | ApiError::Redirect { .. } => true,
            // A certificate that fails verification stops the request before it is sent.
            ApiError::Auth { .. } | ApiError::Api { .. } | ApiError::Tls { .. } => false,
        }
    }

    /// A refusal of the credentials names the variable they came from.
    pub fn signed_with(mut self, source: &KeySource) -> ApiError {
        if let ApiError::Auth { signed_with, .. } = &mut self {
            *signed_with = Some(source.clone());
        }
        self
    }

    /// Why the call gave up, when it did.
    pub fn retry_cause(&self) -> Option<RetryCause> {
        match self {
            ApiError::GaveUp { cause, .. } => Some(*cause),
            _ => None,
        }
    }

    /// Credentials were refused (exit 3), as opposed to the API failing (exit 4).
    pub fn is_auth(&self) -> bool {
        matches!(self, ApiError::Auth { .. })
    }

    /// The vendor's ErrorCode, when there was one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ApiError::Auth { code, .. } | ApiError::Api { code, .. } => Some(*code),
            ApiError::GaveUp {
                cause: RetryCause::Vendor(code),
                ..
            } => Some(*code),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Auth { request_id, .. }
            | ApiError::Api { request_id, .. }
            | ApiError::GaveUp { request_id, .. }
            | ApiError::Incomplete { request_id, .. }
            | ApiError::TooManyCommands { request_id, .. } => request_id.as_deref(),
            ApiError::Protocol { .. }
            | ApiError::TooLarge { .. }
            | ApiError::Tls { .. }
            | ApiError::Redirect { .. }
            | ApiError::Deadline { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gave_up(cause: RetryCause, attempts: u32) -> ApiError {
        ApiError::GaveUp {
            interface: "v4/room_config/set_callback",
            sdkappid: 1,
            attempts,
            reason: "why".into(),
            cause,
            request_id: None,
        }
    }

    #[test]
    fn a_failed_write_may_have_taken_effect_unless_it_was_refused() {
        for cause in [
            RetryCause::Timeout,
            RetryCause::Network,
            RetryCause::Http(502),
            RetryCause::Vendor(100_001),
        ] {
            assert!(gave_up(cause, 1).may_have_taken_effect(), "{cause:?}");
        }
        let protocol = ApiError::Protocol {
            interface: "v4/room_config/set_callback",
            sdkappid: 1,
            status: 200,
            body_start: "<html>".into(),
        };
        assert!(protocol.may_have_taken_effect());
        assert!(!gave_up(RetryCause::Vendor(60_018), 4).may_have_taken_effect());
        let refused = |code| ApiError::Api {
            interface: "v4/room_config/set_callback",
            sdkappid: 1,
            code,
            info: String::new(),
            request_id: None,
        };
        assert!(!refused(100_002).may_have_taken_effect());
    }

    #[test]
    fn a_single_attempt_is_not_said_to_have_kept_failing() {
        assert_eq!(
            gave_up(RetryCause::Timeout, 1).to_string(),
            "v4/room_config/set_callback for sdkappid 1 failed: why"
        );
        assert_eq!(
            gave_up(RetryCause::Timeout, 4).to_string(),
            "v4/room_config/set_callback for sdkappid 1 kept failing: gave up after 4 attempts; last: why"
        );
    }
}
