//! What a comparison found.

use miette::SourceSpan;
use schemars::JsonSchema;
use serde::Serialize;

/// The kinds of drift, with the identifiers every output format uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// get_callback answered 100301: the app has no callback configuration.
    Absent,
    /// The live URL differs from the declared one.
    UrlMismatch,
    /// The live URL is not https.
    InsecureUrl,
    /// A declared command the live list lacks.
    MissingCommand,
    /// A live command the file does not declare.
    UnexpectedCommand,
    /// A live command word that is not in the catalog.
    UnknownCommand,
    /// The file declares `callback: absent`, but a configuration exists live.
    UnwantedCallback,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Absent,
        Kind::UrlMismatch,
        Kind::InsecureUrl,
        Kind::MissingCommand,
        Kind::UnexpectedCommand,
        Kind::UnknownCommand,
        Kind::UnwantedCallback,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Kind::Absent => "absent",
            Kind::UrlMismatch => "url_mismatch",
            Kind::InsecureUrl => "insecure_url",
            Kind::MissingCommand => "missing_command",
            Kind::UnexpectedCommand => "unexpected_command",
            Kind::UnknownCommand => "unknown_command",
            Kind::UnwantedCallback => "unwanted_callback",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    /// The word every output uses.
    pub fn id(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
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
