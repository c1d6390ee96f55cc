//! The vendor's callback configuration and the calls that change it, as data.

use serde::Serialize;

use url::Url;

use super::Service;

/// The callback interfaces of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// Query: `get_callback`.
    Get,
    /// Create: `set_callback` (there is no `create_callback`).
    Set,
    /// `update_callback`.
    Update,
    /// `delete_callback`.
    Delete,
}

/// The body of set/update and the payload of a get: the callback configuration.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CallbackConfig {
    #[serde(rename = "Url")]
    pub url: String,
    #[serde(rename = "CallbackCommandList")]
    pub commands: Vec<String>,
}

/// Debug shows the URL by its origin: a body to send holds the values of its `${NAME}`s,
/// and a live URL its tokens.
impl std::fmt::Debug for CallbackConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackConfig")
            .field("url", &super::redact::origin_only(&self.url))
            .field("commands", &self.commands)
            .finish()
    }
}

impl CallbackConfig {
    /// The configuration as JSON, pretty-printed, with the URL as `shown_url` shows it.
    pub fn text(&self, shown_url: impl Fn(&str) -> String) -> String {
        serde_json::to_string_pretty(&CallbackConfig {
            url: shown_url(&self.url),
            commands: self.commands.clone(),
        })
        .expect("plain data serialises")
    }
}

/// The call that makes the live configuration match the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The service whose interface is called.
    pub service: &'static Service,
    pub interface: Interface,
    /// The configuration to send; `None` for delete_callback, whose body is `{}`.
    pub body: Option<CallbackConfig>,
}

impl Operation {
    /// The REST path of the call, from its service's row.
    pub fn path(&self) -> &'static str {
        self.service.path(self.interface)
    }

    /// The exact request body, pretty-printed, with the URL as `shown_url` shows it
    /// (redacted as configured).
    pub fn body_text(&self, shown_url: impl Fn(&str) -> String) -> String {
        match &self.body {
            Some(body) => body.text(shown_url),
            None => "{}".into(),
        }
    }
}

/// URLs are equal when they differ at most in scheme/host case and a default port.
pub fn same_url(a: &str, b: &str) -> bool {
    // The common case, without parsing.
    if a == b {
        return true;
    }
    match (Url::parse(a), Url::parse(b)) {
        // Url normalises scheme and host to lower case and drops default ports.
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
