//! The apps: each entry read into an `App`, and what must be unique among them (an
//! SDKAppID per service, a name) checked even among entries with other problems.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use miette::SourceSpan;

use super::document::Defaults;
use super::endpoint::region_names;
use super::{APP_KEYS, Path, Validator};
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::{Node, Value};
use crate::config::{App, AppSpans};
use crate::model::ServiceName;

/// What identifies an app, as far as it could be read.
#[derive(Default)]
struct Identity {
    name: Option<(String, SourceSpan)>,
    service: ServiceName,
    sdkappid: Option<(u64, SourceSpan)>,
}

impl Identity {
    /// How a report names an invalid entry: `apps[2]`, with what could be read of it.
    fn entry_label(&self, index: usize) -> String {
        let read = match (&self.name, &self.sdkappid) {
            (Some((name, _)), Some((id, _))) => format!(" ({name}, sdkappid {id})"),
            (Some((name, _)), None) => format!(" ({name})"),
            (None, Some((id, _))) => format!(" (sdkappid {id})"),
            (None, None) => String::new(),
        };
        format!("apps[{index}]{read}")
    }
}

impl Validator<'_> {
    pub(super) fn apps(&mut self, key: &Node, node: &Node, defaults: &Defaults) -> Vec<App> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                Path::Named("apps"),
                "a list of apps",
                node,
                Some("start each app with `- sdkappid: …`"),
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.push(
                ConfigDiagnostic::error(
                    Rule::EmptyApps,
                    "`apps` is empty: there is nothing to check",
                )
                .primary(key.span, "no apps declared")
                .help("declare at least one app with its `sdkappid` and `callback`"),
            );
            return Vec::new();
        }
        let mut apps = Vec::with_capacity(items.len());
        let mut by_id: HashMap<(u64, ServiceName), SourceSpan> =
            HashMap::with_capacity(items.len());
        let mut by_name: HashMap<String, SourceSpan> = HashMap::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let errors_before = self.error_count();
            let (app, identity) = self.app(index, item, defaults);
            // Confined to the entry: the file's other apps can still be checked.
            self.entry_errors += self.error_count() - errors_before;
            if app.is_none() {
                self.invalid_entries.push(identity.entry_label(index));
            }
            if let Some((sdkappid, span)) = identity.sdkappid
                && let Some(first) = seen_before(&mut by_id, (sdkappid, identity.service), span)
            {
                let message = match identity.service.qualifier() {
                    None => format!("sdkappid {sdkappid} is declared twice"),
                    Some(name) => {
                        format!("sdkappid {sdkappid} is declared twice for service `{name}`")
                    }
                };
                self.push(twice(
                    Rule::DuplicateSdkappid,
                    message,
                    "declared",
                    (first, span),
                    "an app has exactly one callback configuration: merge the two entries",
                ));
            }
            if let Some((name, span)) = identity.name {
                // The message is worded only for a name seen before.
                match by_name.entry(name) {
                    Entry::Vacant(entry) => {
                        entry.insert(span);
                    }
                    Entry::Occupied(first) => self.push(twice(
                        Rule::DuplicateName,
                        format!("the name `{}` is used twice", first.key()),
                        "used",
                        (*first.get(), span),
                        "names label apps in reports and in `--app`: make each one unique",
                    )),
                }
            }
            apps.extend(app);
        }
        apps
    }

    /// The app when it is valid, and its name and SDKAppID whenever they are, so that
    /// duplicates are found even among apps with other problems.
    fn app(&mut self, index: usize, node: &Node, defaults: &Defaults) -> (Option<App>, Identity) {
        let apps = Path::Named("apps");
        let path = apps.item(index);
        // Counted before the keys are read: an unknown key makes the entry invalid too.
        let errors_before = self.error_count();
        let Some(fields) = self.fields(node, path, APP_KEYS) else {
            return (None, Identity::default());
        };

        let name = fields.get("name").and_then(|(_, v)| {
            self.name(path.key("name"), v)
                .map(|s| (s.to_owned(), v.span))
        });
        let service = match fields.get("service") {
            Some((_, value)) => self.service(path.key("service"), value),
            None => defaults.service,
        }
        .unwrap_or_default();
        let token_auth = fields.get("token_auth").and_then(|(_, value)| {
            self.token_auth(path.key("token_auth"), value, service)
                .map(|enabled| (enabled, value.span))
        });
        let sdkappid = match fields.get("sdkappid") {
            Some((_, value)) => self.sdkappid(path.key("sdkappid"), value),
            None => {
                self.missing(
                    &fields,
                    path.key("sdkappid"),
                    "add `sdkappid:` with the app's SDKAppID (a positive integer)",
                );
                None
            }
        };
        let region = match fields.get("region") {
            Some((_, value)) => self.region(path.key("region"), value),
            None => defaults.region,
        };
        let endpoint = fields.get("endpoint").and_then(|(_, v)| {
            self.endpoint(path.key("endpoint"), v)
                .map(|url| (url, v.span))
        });
        // An invalid `region` or `endpoint` has been reported already; only an absent one is missing.
        let has_host = fields.has("region") || fields.has("endpoint");
        if !has_host && !defaults.declares_region {
            self.missing(
                &fields,
                path.key("region"),
                format!(
                    "add `region:` to the app or to `defaults` (one of: {})",
                    region_names()
                ),
            );
        }
        let identifier = match fields.get("identifier") {
            Some((_, value)) => self
                .string(path.key("identifier"), value)
                .map(str::to_owned),
            None => {
                if !defaults.declares_identifier {
                    self.missing(
                        &fields,
                        path.key("identifier"),
                        "add `identifier:` (an App administrator account) to the app or to `defaults`",
                    );
                }
                defaults.identifier.clone()
            }
        };
        let secret_key_env = fields
            .get("secret_key_env")
            .and_then(|(_, v)| self.env_name(path.key("secret_key_env"), v));
        self.secret_key_envs.extend(secret_key_env.clone());
        let allow_insecure_url = fields
            .get("allow_insecure_url")
            .and_then(|(_, v)| self.boolean(path.key("allow_insecure_url"), v))
            .unwrap_or(false);
        let extra_commands = match fields.get("extra_commands") {
            Some((_, value)) => self.extra_commands(path.key("extra_commands"), value),
            None => defaults.extra_commands,
        };
        let callback = match fields.get("callback") {
            Some((key, value)) if matches!(&value.value, Value::Str(s) if s == "absent") => {
                Some((None, key.span))
            }
            Some((key, value)) => self
                .callback(path.key("callback"), value, allow_insecure_url, service)
                .map(|c| (Some(c), key.span)),
            None => {
                self.missing(
                    &fields,
                    path.key("callback"),
                    "add `callback:` with the `url` and `commands` the app must have",
                );
                None
            }
        };

        let identity = Identity {
            name: name.clone(),
            service,
            sdkappid,
        };
        let app = match (sdkappid, callback, identifier) {
            (Some((sdkappid, sdkappid_span)), Some((callback, callback_key)), Some(identifier))
                if self.error_count() == errors_before =>
            {
                Some(App {
                    name: name.as_ref().map(|(n, _)| n.clone()),
                    sdkappid,
                    service,
                    token_auth: token_auth.map(|(enabled, _)| enabled),
                    region,
                    endpoint: endpoint.as_ref().map(|(url, _)| url.clone()),
                    identifier,
                    secret_key_env,
                    allow_insecure_url,
                    extra_commands: extra_commands.unwrap_or_default(),
                    known_commands: self.declared_for(service),
                    callback,
                    spans: AppSpans {
                        entry: node.extent(),
                        name: name.map(|(_, span)| span),
                        sdkappid: sdkappid_span,
                        callback_key,
                        endpoint: endpoint.map(|(_, span)| span),
                        token_auth: token_auth.map(|(_, span)| span),
                    },
                })
            }
            _ => None,
        };
        (app, identity)
    }

    /// `--app` reads a number as an SDKAppID: a name of digits only would look like
    /// one (and be some other app's, maybe), so it is refused.
    fn name<'n>(&mut self, path: Path<'_>, node: &'n Node) -> Option<&'n str> {
        let name = self.string(path, node)?;
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            return Some(name);
        }
        self.push(
            ConfigDiagnostic::error(
                Rule::NumericName,
                format!("`{path}` is a number: `--app {name}` selects SDKAppID {name}, never this name"),
            )
            .primary(node.span, "digits only")
            .help("use a name with letters, e.g. `conference-prod`, or leave `name` out and select the app by its SDKAppID"),
        );
        // Still the app's name for the duplicate check.
        Some(name)
    }

    fn sdkappid(&mut self, path: Path<'_>, node: &Node) -> Option<(u64, SourceSpan)> {
        let invalid = |found: String| {
            ConfigDiagnostic::error(
                Rule::InvalidSdkappid,
                format!("`{path}` must be a positive integer, found {found}"),
            )
            .primary(node.span, "not a valid SDKAppID")
            .help("copy the SDKAppID from the console's application list, e.g. `sdkappid: 1400000001`")
        };
        match &node.value {
            Value::UInt(0) => self.push(invalid("0".into())),
            Value::UInt(n) => return Some((*n, node.span)),
            Value::Int(n) => self.push(invalid(n.to_string())),
            Value::Float(f) => self.push(invalid(f.to_string())),
            Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => self
                .wrong_type(
                    path,
                    "a positive integer",
                    node,
                    Some("remove the quotes: `sdkappid` is a number"),
                ),
            _ => self.wrong_type(path, "a positive integer", node, None),
        }
        None
    }
}

/// Where `key` was seen first; `None` (and `span` recorded) the first time.
fn seen_before<K: Eq + std::hash::Hash>(
    seen: &mut HashMap<K, SourceSpan>,
    key: K,
    span: SourceSpan,
) -> Option<SourceSpan> {
    match seen.entry(key) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(entry) => {
            entry.insert(span);
            None
        }
    }
}

/// Something that must be unique, `verb` (declared, used) a second time.
fn twice(
    rule: Rule,
    message: String,
    verb: &str,
    (first, again): (SourceSpan, SourceSpan),
    help: &str,
) -> ConfigDiagnostic {
    ConfigDiagnostic::error(rule, message)
        .label(first, format!("first {verb} here"))
        .primary(again, format!("{verb} again here"))
        .help(help)
}
