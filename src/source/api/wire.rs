//! The REST envelope and how each reply is classified.

use serde::Deserialize;

use crate::model::redact::{Placeholders, redact_urls_in};
use crate::model::tencent::codes;
use crate::model::text::escape_each;
use crate::model::{CallbackConfig, Service};

/// The most command words a get_callback reply may list. A service's catalog has a
/// few dozen at most (Live's, the largest, has 19), and the live list is a subset of
/// it; 256 leaves room for the catalog to grow many times over, and bounds what one
/// reply can cost: each live word makes at most two findings, a line of every report
/// and a word of the remedy.
pub const MAX_LIVE_COMMANDS: usize = 256;

/// Why a successful get_callback's `Response` is not a configuration cbcheck uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Not the documented shape, e.g. "succeeded without Response.Url".
    Shape(&'static str),
    /// More command words than [`MAX_LIVE_COMMANDS`]: how many were listed.
    TooManyCommands(usize),
}

/// The configuration in a successful get_callback's `Response`, or what is wrong
/// with it. A list left out is an empty one (as an empty list may be sent); a null
/// one is refused: it is not the documented shape, and reading it as "no commands"
/// would have `apply` rewrite a list nobody has seen.
pub fn config_from(response: Option<serde_json::Value>) -> Result<CallbackConfig, Unusable> {
    use serde_json::Value;
    let shape = Unusable::Shape;
    let mut fields = match response {
        None | Some(Value::Null) => return Err(shape("succeeded without a Response")),
        Some(Value::Object(fields)) => fields,
        Some(_) => return Err(shape("succeeded but Response is not an object")),
    };
    let url = match fields.remove("Url") {
        None | Some(Value::Null) => return Err(shape("succeeded without Response.Url")),
        Some(Value::String(url)) => url,
        Some(_) => return Err(shape("succeeded but Response.Url is not a string")),
    };
    let commands = match fields.remove("CallbackCommandList") {
        None => Vec::new(),
        Some(Value::Null) => {
            return Err(shape(
                "succeeded but Response.CallbackCommandList is null, not a list",
            ));
        }
        Some(Value::Array(items)) if items.len() > MAX_LIVE_COMMANDS => {
            return Err(Unusable::TooManyCommands(items.len()));
        }
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(command) => Ok(command),
                _ => Err(shape(
                    "succeeded but Response.CallbackCommandList holds something that is not a string",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(shape(
                "succeeded but Response.CallbackCommandList is not a list",
            ));
        }
    };
    Ok(CallbackConfig { url, commands })
}

/// `Response.IsTokenEnable` of a successful get_callback_token. The `Token` beside it
/// is never read: cbcheck does not print, store or compare it.
pub fn token_enabled(response: Option<serde_json::Value>) -> Result<bool, &'static str> {
    use serde_json::Value;
    let Some(Value::Object(fields)) = response else {
        return Err("succeeded without a Response object");
    };
    match fields.get("IsTokenEnable") {
        Some(Value::Bool(enabled)) => Ok(*enabled),
        // Some of the vendor's interfaces write flags as 0/1.
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
        None => Err("succeeded without Response.IsTokenEnable"),
        Some(_) => Err("succeeded but Response.IsTokenEnable is not a boolean"),
    }
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "ActionStatus")]
    action_status: Option<String>,
    #[serde(rename = "ErrorCode")]
    error_code: Option<i64>,
    #[serde(rename = "ErrorInfo", default)]
    error_info: Option<String>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
    #[serde(rename = "Response")]
    response: Option<serde_json::Value>,
}

/// What one HTTP exchange meant.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// ErrorCode 0; the `Response` payload if there was one.
    Ok {
        response: Option<serde_json::Value>,
        request_id: Option<String>,
    },
    /// 100301: no configuration exists.
    Absent { request_id: Option<String> },
    /// 100300: a configuration exists already.
    AlreadyExists { request_id: Option<String> },
    /// Worth another attempt: internal errors, rate limits, gateway failures.
    Retry {
        reason: String,
        cause: RetryCause,
        request_id: Option<String>,
    },
    /// The credentials were refused; retrying cannot help.
    Auth {
        code: i64,
        info: String,
        request_id: Option<String>,
    },
    /// Any other vendor error.
    Api {
        code: i64,
        info: String,
        request_id: Option<String>,
    },
    /// Not the vendor's JSON envelope at all.
    Protocol { status: u16, body_start: String },
    /// More than cbcheck reads of any reply: not the vendor's, and not read further.
    TooLarge(Oversized),
    /// The TLS handshake failed (the certificate did not verify): the request was not
    /// sent, and another attempt meets the same server.
    Tls { problem: String },
    /// A 3xx: the vendor never redirects, so something else answered; not followed.
    Redirect {
        status: u16,
        location: RedirectTarget,
    },
}

/// The part of a reply that went past its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversized {
    /// The head: too many header lines, or too many bytes of them.
    Headers,
    /// The body: more than [`MAX_BODY_BYTES`].
    Body,
}

/// A get_callback reply is a few KiB: no reply needs more.
pub const MAX_BODY_BYTES: usize = 1 << 20;

impl std::fmt::Display for Oversized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Oversized::Headers => f.write_str("a reply whose headers are too large"),
            Oversized::Body => f.write_str("a reply larger than 1 MiB"),
        }
    }
}

/// Where a redirect pointed, as far as it may be shown: its host, never its path or
/// query (they may carry the UserSig back, or anything else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectTarget {
    /// `host` or `host:port`.
    Host(String),
    /// A relative Location: the same server.
    NoHost,
    /// No Location header.
    Missing,
    /// A Location that is not a URL.
    Unparsable,
}

impl std::fmt::Display for RedirectTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedirectTarget::Host(host) => write!(f, "to host {host}"),
            RedirectTarget::NoHost => f.write_str("to a Location without a host (the same server)"),
            RedirectTarget::Missing => f.write_str("without a Location"),
            RedirectTarget::Unparsable => f.write_str("to an unparsable Location"),
        }
    }
}

/// `HTTP 502 Bad Gateway`: a status as people know it.
pub fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("HTTP {status} {reason}"),
        None => format!("HTTP {status}"),
    }
}

/// Why a reply is worth another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryCause {
    /// A retryable vendor ErrorCode (internal error, rate limit).
    Vendor(i64),
    /// An HTTP failure status without the vendor's envelope (502 and the like).
    Http(u16),
    /// The request took longer than the timeout.
    Timeout,
    /// The connection failed.
    Network,
}

impl RetryCause {
    /// The vendor refused the call for its rate: it was not carried out, so making it
    /// again is safe even for a write.
    pub fn is_refusal(self) -> bool {
        matches!(self, RetryCause::Vendor(60_007 | 60_011 | 60_018 | 60_019))
    }
}

/// Classify an HTTP reply to one of `service`'s interfaces; the caller, which knows
/// the interface, decides what the service's "none" and "exists" codes mean for it.
/// Vendor text in the reply is redacted, the run's `placeholders` shown by name.
pub fn classify(service: &Service, status: u16, body: &[u8], placeholders: &Placeholders) -> Reply {
    let envelope = serde_json::from_slice::<Envelope>(body)
        .ok()
        .filter(|e| e.error_code.is_some() || e.action_status.is_some());
    let Some(envelope) = envelope else {
        if status >= 500 || status == 429 {
            return Reply::Retry {
                reason: status_text(status),
                cause: RetryCause::Http(status),
                request_id: None,
            };
        }
        return Reply::Protocol {
            status,
            body_start: body_start(body, placeholders),
        };
    };
    // Vendor text is shown to people and logs: no control characters, no URL tokens.
    let request_id = envelope.request_id.as_deref().map(printable);
    let info = envelope
        .error_info
        .as_deref()
        .map(|i| redact_urls_in(&printable(i), placeholders))
        .unwrap_or_default();
    let code = envelope
        .error_code
        .unwrap_or(if envelope.action_status.as_deref() == Some("OK") {
            0
        } else {
            -1
        });
    match code {
        0 => Reply::Ok {
            response: envelope.response,
            request_id,
        },
        code if code == service.no_configuration => Reply::Absent { request_id },
        code if code == service.already_exists => Reply::AlreadyExists { request_id },
        code if codes::is_retryable(code) => Reply::Retry {
            reason: format!("ErrorCode {code}: {info}"),
            cause: RetryCause::Vendor(code),
            request_id,
        },
        code if codes::auth_hint(code).is_some() => Reply::Auth {
            code,
            info,
            request_id,
        },
        code => Reply::Api {
            code,
            info,
            request_id,
        },
    }
}

/// The first bytes of a body that is not the expected JSON, with any URL redacted.
fn body_start(body: &[u8], placeholders: &Placeholders) -> String {
    const SHOWN: usize = 120;
    let mut shown = redact_urls_in(
        &String::from_utf8_lossy(&body[..body.len().min(SHOWN)]),
        placeholders,
    );
    if body.len() > SHOWN {
        shown.push('…');
    }
    shown
}

/// Text from the vendor with control characters escaped (they would reach terminals
/// and CI logs raw).
fn printable(text: &str) -> String {
    escape_each(text, |c| {
        c.is_control().then(|| c.escape_debug().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_query_reply_parses() {
        let body = br#"{"ErrorCode":0,"ErrorInfo":"","ActionStatus":"OK","RequestId":"Id-1-O-Seq-61309",
            "Response":{"Url":"http://www.example.com/callback","CallbackCommandList":["Room.CallbackAfterCreateRoom"]}}"#;
        let Reply::Ok {
            response,
            request_id,
        } = classify(&Service::ROOM, 200, body, &Placeholders::default())
        else {
            panic!("not ok");
        };
        assert_eq!(request_id.as_deref(), Some("Id-1-O-Seq-61309"));
        let config = config_from(response).expect("typed");
        assert_eq!(config.url, "http://www.example.com/callback");
    }

    #[test]
    fn a_command_list_longer_than_any_catalog_allows_is_refused() {
        let largest = crate::model::catalog::largest();
        assert!(
            MAX_LIVE_COMMANDS >= 4 * largest,
            "room for the catalogs to grow"
        );
        let response = |words: usize| {
            let list: Vec<String> = (0..words).map(|i| format!("w{i}")).collect();
            Some(
                serde_json::json!({"Url": "https://h.example.com/cb", "CallbackCommandList": list}),
            )
        };
        let at_cap = config_from(response(MAX_LIVE_COMMANDS)).expect("at the cap");
        assert_eq!(at_cap.commands.len(), MAX_LIVE_COMMANDS);
        assert_eq!(
            config_from(response(MAX_LIVE_COMMANDS + 1)),
            Err(Unusable::TooManyCommands(MAX_LIVE_COMMANDS + 1))
        );
    }

    #[test]
    fn codes_fall_into_their_classes() {
        let reply = |code: i64| {
            classify(
                &Service::ROOM,
                200,
                format!(r#"{{"ActionStatus":"FAIL","ErrorCode":{code},"ErrorInfo":"x","RequestId":"r"}}"#)
                    .as_bytes(),
                &Placeholders::default(),
            )
        };
        assert!(matches!(reply(100_301), Reply::Absent { .. }));
        assert!(matches!(reply(100_300), Reply::AlreadyExists { .. }));
        for code in [100_001, 70_169, 70_500, 60_007, 60_011, 60_018, 60_019] {
            assert!(matches!(reply(code), Reply::Retry { .. }), "{code}");
        }
        for code in [
            70_001, 70_002, 70_003, 70_005, 70_009, 70_013, 70_014, 70_016, 70_020, 60_006, 60_010,
            70_403, 70_050,
        ] {
            assert!(matches!(reply(code), Reply::Auth { .. }), "{code}");
        }
        assert!(matches!(reply(100_002), Reply::Api { code: 100_002, .. }));
    }

    #[test]
    fn only_a_refusal_for_the_call_rate_says_a_call_was_not_carried_out() {
        for code in [60_007, 60_011, 60_018, 60_019] {
            assert!(RetryCause::Vendor(code).is_refusal(), "{code}");
        }
        for cause in [
            RetryCause::Vendor(100_001),
            RetryCause::Vendor(70_169),
            RetryCause::Vendor(70_500),
            RetryCause::Http(502),
            RetryCause::Timeout,
            RetryCause::Network,
        ] {
            assert!(!cause.is_refusal(), "{cause:?}");
        }
    }

    #[test]
    fn non_json_replies_are_protocol_errors_or_retried_gateway_failures() {
        assert!(matches!(
            classify(
                &Service::ROOM,
                502,
                b"<html>Bad Gateway</html>",
                &Placeholders::default()
            ),
            Reply::Retry { .. }
        ));
        assert!(matches!(
            classify(&Service::ROOM, 503, b"", &Placeholders::default()),
            Reply::Retry { .. }
        ));
        let Reply::Protocol { status, body_start } = classify(
            &Service::ROOM,
            200,
            b"<html><body>login</body></html>",
            &Placeholders::default(),
        ) else {
            panic!("not protocol");
        };
        assert_eq!(status, 200);
        assert!(body_start.starts_with("<html>"));
        assert!(matches!(
            classify(
                &Service::ROOM,
                200,
                br#"{"ErrorCode":0,"Resp"#,
                &Placeholders::default()
            ),
            Reply::Protocol { .. }
        ));
        assert!(matches!(
            classify(&Service::ROOM, 404, b"{}", &Placeholders::default()),
            Reply::Protocol { .. }
        ));
    }
}
