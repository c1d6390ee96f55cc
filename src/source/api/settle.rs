//! What a final reply means: a success or an absence passes, every error class becomes
//! an `ApiError`; what a get_callback or get_callback_token reply says about the app,
//! for a live reply and a recorded one (`verify --live-from`) alike.

use super::{ApiError, CallbackConfig, Reply, Service, wire};
use crate::model::redact::Placeholders;

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

/// A final reply: the successes and absences pass, every error class becomes an error.
pub(super) fn settle(
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
pub(super) fn live_from(
    interface: &'static str,
    sdkappid: u64,
    reply: Reply,
) -> Result<Live, ApiError> {
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
pub(super) fn token_from(
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
pub(super) fn unexpected(interface: &'static str, sdkappid: u64, reply: Reply) -> ApiError {
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
