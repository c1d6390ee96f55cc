//! The checked apps of a callbacks file.

use std::sync::Arc;

use miette::SourceSpan;
use schemars::JsonSchema;
use serde::Serialize;
use url::Url;

use super::file_text::FileText;
use super::tencent::ServiceName;
use super::tencent::region::Region;

/// A valid config file: the apps it declares, in file order.
#[derive(Debug)]
pub struct Config {
    /// The file's name as the user gave it.
    pub file: String,
    /// The file's text (secret values masked), for diagnostics that point into it.
    pub source: Arc<FileText>,
    pub apps: Vec<App>,
}

/// One app, with defaults applied.
#[derive(Debug, Clone)]
pub struct App {
    pub name: Option<String>,
    pub sdkappid: u64,
    /// Whose callback configuration the entry describes: an SDKAppID has one per service.
    pub service: ServiceName,
    /// Live only: whether the vendor must sign callbacks (`token_auth`); `None` checks nothing.
    pub token_auth: Option<bool>,
    /// `None` only when `endpoint` is set.
    pub region: Option<Region>,
    pub endpoint: Option<Url>,
    pub identifier: String,
    pub secret_key_env: Option<String>,
    pub allow_insecure_url: bool,
    pub extra_commands: ExtraCommands,
    /// The words the file's `known_commands` declares for the app's service: words
    /// the catalog does not have yet, compared like its own.
    pub known_commands: Vec<String>,
    /// `None` when the file declares `callback: absent`: the app must have none.
    pub callback: Option<DesiredCallback>,
    pub spans: AppSpans,
}

impl App {
    /// An app known only by its SDKAppID, region and administrator (`export --sdkappid`).
    pub fn bare(sdkappid: u64, region: Region, identifier: String) -> App {
        let nowhere = SourceSpan::new(0.into(), 0);
        App {
            name: None,
            sdkappid,
            service: ServiceName::Room,
            token_auth: None,
            region: Some(region),
            endpoint: None,
            identifier,
            secret_key_env: None,
            allow_insecure_url: false,
            extra_commands: ExtraCommands::default(),
            known_commands: Vec::new(),
            callback: None,
            spans: AppSpans {
                entry: nowhere,
                name: None,
                sdkappid: nowhere,
                callback_key: nowhere,
                endpoint: None,
                token_auth: None,
            },
        }
    }

    /// Whether `word` is a command word of the app's service: in the catalog, or
    /// declared by the file's `known_commands`.
    pub fn knows(&self, word: &str) -> bool {
        super::catalog::is_known(self.service, word)
            || self.known_commands.iter().any(|w| w == word)
    }

    /// How reports title the app: `name (sdkappid)`, else `sdkappid N`; a service
    /// other than Room is named too, `name (sdkappid, call)`, so Room-only reports
    /// read as they always have. Raw: each output escapes it in its own way.
    pub fn title(&self) -> String {
        title(self.name.as_deref(), self.sdkappid, self.service)
    }

    /// How reports name the app: its name, else its SDKAppID (with a service other
    /// than Room, which an SDKAppID alone does not tell apart).
    pub fn label(&self) -> String {
        match (&self.name, self.service.qualifier()) {
            (Some(name), _) => name.clone(),
            (None, None) => self.sdkappid.to_string(),
            (None, Some(service)) => format!("{} ({service})", self.sdkappid),
        }
    }
}

/// The callback an app must have.
#[derive(Clone)]
pub struct DesiredCallback {
    /// Its `${NAME}`s expanded once a run has read their values.
    pub url: String,
    /// The URL as the file writes it, `${NAME}`s and `$${` unexpanded: what a saved
    /// plan carries (never a value from the environment).
    pub written: String,
    pub commands: Vec<DeclaredCommand>,
    /// Where the `url` value and the `commands` key are, for findings about them.
    pub url_span: SourceSpan,
    pub commands_key: SourceSpan,
}

/// Debug shows the URL by its origin: once expanded, it holds the values of its `${NAME}`s.
impl std::fmt::Debug for DesiredCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesiredCallback")
            .field("url", &super::redact::origin_only(&self.url))
            .field("written", &super::redact::origin_only(&self.written))
            .field("commands", &self.commands)
            .field("url_span", &self.url_span)
            .field("commands_key", &self.commands_key)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct DeclaredCommand {
    pub word: String,
    pub span: SourceSpan,
}

/// Where an app's parts are in the file, for diagnostics about them.
#[derive(Debug, Clone, Copy)]
pub struct AppSpans {
    /// The app's whole entry in `apps`.
    pub entry: SourceSpan,
    pub name: Option<SourceSpan>,
    pub sdkappid: SourceSpan,
    pub callback_key: SourceSpan,
    /// The `endpoint` value, when the app has one.
    pub endpoint: Option<SourceSpan>,
    /// The `token_auth` value, when the app has one.
    pub token_auth: Option<SourceSpan>,
}

named! {
/// What to do with live commands the file does not declare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub enum ExtraCommands fn name {
    /// An undeclared live command is drift (the file is the whole truth).
    #[default]
    Error = "error",
    /// An undeclared live command is reported as a warning.
    Warn = "warn",
    /// Undeclared live commands are not reported.
    Ignore = "ignore",
}
}

impl ExtraCommands {
    pub fn from_name(name: &str) -> Option<ExtraCommands> {
        ExtraCommands::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// How an app is named in a message: `name (sdkappid)`, `name (sdkappid, live)`,
/// `sdkappid N`, `sdkappid N (live)`.
pub fn title(name: Option<&str>, sdkappid: u64, service: ServiceName) -> String {
    match (name, service.qualifier()) {
        (Some(name), None) => format!("{name} ({sdkappid})"),
        (Some(name), Some(service)) => format!("{name} ({sdkappid}, {service})"),
        (None, None) => format!("sdkappid {sdkappid}"),
        (None, Some(service)) => format!("sdkappid {sdkappid} ({service})"),
    }
}
