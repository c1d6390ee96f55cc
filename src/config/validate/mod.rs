//! From the spanned tree to checked apps, collecting every problem on the way.
//!
//! The walk starts at the document's top level (`document`) and goes down through
//! the apps (`apps`) to their settings, hosts, key variables and callbacks; this
//! module holds what every step shares: the collected diagnostics and the readers of
//! mappings and plain values.

mod apps;
mod callback;
mod document;
mod endpoint;
mod known;
mod secret;
mod settings;
mod suggest;

use std::collections::HashSet;
use std::fmt;

use miette::SourceSpan;

use super::App;
use super::diagnostic::{Collected, ConfigDiagnostic, Rule};
use super::node::{Node, Value};
use super::placeholders;
use super::secrets::Hidden;
use crate::model::ServiceName;

pub const TOP_KEYS: &[&str] = &["version", "defaults", "known_commands", "apps"];
/// The keys of `known_commands`: the service names.
pub const KNOWN_COMMANDS_KEYS: &[&str] = &["room", "live", "call"];
pub const DEFAULTS_KEYS: &[&str] = &["service", "region", "identifier", "extra_commands"];
pub const APP_KEYS: &[&str] = &[
    "name",
    "sdkappid",
    "service",
    "region",
    "endpoint",
    "identifier",
    "secret_key_env",
    "allow_insecure_url",
    "extra_commands",
    "token_auth",
    "callback",
];
pub const CALLBACK_KEYS: &[&str] = &["url", "commands"];

/// What validation found: the apps (when the file is valid) and every problem (the
/// first ones kept, the rest counted).
pub struct Validated {
    pub apps: Vec<App>,
    pub diagnostics: Collected,
    /// Spans of secret values, masked before any snippet of the file is shown.
    pub secret_spans: Vec<SourceSpan>,
    /// Every valid `secret_key_env`, of valid apps or not.
    pub secret_key_envs: Vec<String>,
    /// Every placeholder of every `callback.url` that parses.
    pub placeholders: Vec<placeholders::Placeholder>,
    /// Errors outside any one app entry (the top level, duplicates among entries):
    /// with none, the file's valid apps can be checked beside its invalid entries.
    pub file_errors: usize,
    /// The entries with errors, as reports name them (`apps[2] (sdkappid 1400000003)`).
    pub invalid_entries: Vec<String>,
}

/// `hidden`: the values the secret scan found (and reported), never quoted here.
pub fn validate(text: &str, root: &Node, hidden: Hidden) -> Validated {
    let mut v = Validator {
        text,
        hidden,
        ..Validator::default()
    };
    let apps = v.top(root);
    for d in placeholders::elsewhere(text, root, &v.urls) {
        v.push(d);
    }
    Validated {
        apps,
        diagnostics: v.diagnostics,
        secret_spans: v.secret_spans,
        secret_key_envs: v.secret_key_envs,
        placeholders: v.placeholders,
        file_errors: v.errors - v.entry_errors,
        invalid_entries: v.invalid_entries,
    }
}

#[derive(Default)]
struct Validator<'t> {
    /// The file, for spans inside a value.
    text: &'t str,
    /// Where the `callback.url` values are defined: `${NAME}` is expanded there only.
    urls: HashSet<usize>,
    diagnostics: Collected,
    errors: usize,
    /// The errors found inside one app entry.
    entry_errors: usize,
    invalid_entries: Vec<String>,
    secret_spans: Vec<SourceSpan>,
    hidden: Hidden,
    secret_key_envs: Vec<String>,
    placeholders: Vec<placeholders::Placeholder>,
    /// The words `known_commands` declares, by service: accepted as the catalog's are.
    known_commands: Vec<(ServiceName, String)>,
}

/// Where a value is, as messages name it (`apps[2].callback.url`): written out only
/// when a message needs it, not for every value of a fleet.
#[derive(Clone, Copy)]
enum Path<'p> {
    /// Written as it is: `the top level`, `version`, `defaults.region`.
    Named(&'p str),
    /// A key of the mapping at a path: `apps[2].name`.
    Key(&'p Path<'p>, &'p str),
    /// An item of the list at a path: `apps[2]`.
    Item(&'p Path<'p>, usize),
}

impl<'p> Path<'p> {
    fn key(&'p self, key: &'p str) -> Path<'p> {
        Path::Key(self, key)
    }

    fn item(&'p self, index: usize) -> Path<'p> {
        Path::Item(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Named(name) => f.write_str(name),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Item(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// The known keys of one mapping that were present, with their key and value nodes.
struct Fields<'n> {
    map_span: SourceSpan,
    /// At most a handful of keys: a list beats hashing.
    found: Vec<(&'static str, (&'n Node, &'n Node))>,
    /// Known keys that an unknown key was reported as a likely misspelling of.
    misspelt: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<(&'n Node, &'n Node)> {
        self.found
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, nodes)| *nodes)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

impl Validator<'_> {
    fn push(&mut self, diagnostic: ConfigDiagnostic) {
        if diagnostic.is_error() {
            self.errors += 1;
        }
        self.diagnostics.push(diagnostic);
    }

    fn error_count(&self) -> usize {
        self.errors
    }

    fn wrong_type(&mut self, path: Path<'_>, expected: &str, value: &Node, help: Option<&str>) {
        let mut d = ConfigDiagnostic::error(
            Rule::WrongType,
            format!("`{path}` must be {expected}, found {}", value.value.kind()),
        )
        .primary(value.span, format!("expected {expected}"));
        if let Some(help) = help {
            d = d.help(help);
        }
        self.push(d);
    }

    /// Report a required key as missing, unless a misspelling of it was reported already.
    fn missing(&mut self, fields: &Fields<'_>, path: Path<'_>, help: impl Into<String>) {
        let path = path.to_string();
        let key = path.rsplit('.').next().unwrap_or(&path);
        if fields.misspelt.contains(&key) {
            return;
        }
        self.push(
            ConfigDiagnostic::error(Rule::MissingKey, format!("missing required key `{path}`"))
                .primary(fields.map_span, format!("this mapping has no `{key}`"))
                .help(help),
        );
    }

    /// Read a mapping's entries, reporting unknown and non-string keys.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: Path<'_>,
        known: &[&'static str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(path, "a mapping", node, None);
            return None;
        };
        let mut found = Vec::with_capacity(entries.len());
        let mut misspelt = Vec::new();
        for (key, value) in entries {
            let Value::Str(name) = &key.value else {
                let keys = format!("{path} key");
                self.wrong_type(Path::Named(&keys), "a string", key, None);
                continue;
            };
            // Reported by the secret scan, and not to be quoted as an unknown key.
            if self.hidden.hides(key) {
                continue;
            }
            match known.iter().find(|k| **k == name) {
                Some(k) => found.push((*k, (key, value))),
                None => misspelt.extend(self.unknown_key(name, key, path, known)),
            }
        }
        Some(Fields {
            map_span: node.span,
            found,
            misspelt,
        })
    }

    fn string<'n>(&mut self, path: Path<'_>, node: &'n Node) -> Option<&'n str> {
        // A secret, reported by the secret scan: no message may quote it.
        if self.hidden.hides(node) {
            return None;
        }
        match &node.value {
            Value::Str(s) if s.trim().is_empty() => {
                self.push(
                    ConfigDiagnostic::error(Rule::EmptyValue, format!("`{path}` is empty"))
                        .primary(node.span, "give a value here"),
                );
                None
            }
            Value::Str(s) => Some(s),
            _ => {
                self.wrong_type(path, "a string", node, None);
                None
            }
        }
    }

    fn boolean(&mut self, path: Path<'_>, node: &Node) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(path, "true or false", node, None);
                None
            }
        }
    }
}
