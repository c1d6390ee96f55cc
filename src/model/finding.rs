//! What a comparison found.

use miette::SourceSpan;
use schemars::JsonSchema;
use serde::Serialize;

named! {
/// The kinds of drift, with the identifiers every output format uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub enum Kind fn id {
    /// get_callback answered 100301: the app has no callback configuration.
    Absent = "absent",
    /// The live URL differs from the declared one.
    UrlMismatch = "url_mismatch",
    /// The live URL is not https.
    InsecureUrl = "insecure_url",
    /// A declared command the live list lacks.
    MissingCommand = "missing_command",
    /// A live command the file does not declare.
    UnexpectedCommand = "unexpected_command",
    /// A live command word that is not in the catalog.
    UnknownCommand = "unknown_command",
    /// The file declares `callback: absent`, but a configuration exists live.
    UnwantedCallback = "unwanted_callback",
    /// A Live app's callback signing (get_callback_token's `IsTokenEnable`) is not
    /// as `token_auth` declares.
    TokenAuthMismatch = "token_auth_mismatch",
    /// `verify --probe`: the callback host's name gives no address.
    EndpointUnresolvable = "endpoint_unresolvable",
    /// `verify --probe`: the callback host resolves only to addresses the vendor
    /// cannot reach (private, loopback, link-local, …).
    EndpointPrivate = "endpoint_private",
    /// `verify --probe`: no TCP connection (refused or timed out), or no TLS handshake
    /// within the probe's timeout.
    EndpointUnreachable = "endpoint_unreachable",
    /// `verify --probe`: the TLS handshake failed or the certificate did not verify
    /// (expired, not yet valid, unknown issuer, name mismatch, other).
    TlsInvalid = "tls_invalid",
    /// `verify --probe`: the certificate verifies, but less than max(a third of its
    /// lifetime, 7 days) remains.
    CertExpiring = "cert_expiring",
    /// `verify --probe`: connect plus handshake took more than 1 s.
    EndpointSlow = "endpoint_slow",
}
}

impl Kind {
    /// The kinds `verify --probe` reports: about the endpoint, not the configuration,
    /// so no change to the callback fixes them.
    pub fn is_probe(self) -> bool {
        matches!(
            self,
            Kind::EndpointUnresolvable
                | Kind::EndpointPrivate
                | Kind::EndpointUnreachable
                | Kind::TlsInvalid
                | Kind::CertExpiring
                | Kind::EndpointSlow
        )
    }
}

// Declared from least to most: the derived order ranks them.
named! {
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub enum Severity fn id {
    // Worth knowing, no problem: fails nothing (a file's `known_commands`).
    Notice = "notice",
    Warning = "warning",
    Error = "error",
}
}

/// One difference between the file and the live configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub message: String,
    /// What the file declares (a URL or a command), redacted as configured.
    pub desired: Option<String>,
    /// What is live, redacted as configured.
    pub live: Option<String>,
    /// Where in the file the finding points, and what the label there says.
    pub span: SourceSpan,
    pub label: String,
    pub help: Option<String>,
}
