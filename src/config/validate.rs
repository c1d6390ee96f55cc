//! From the spanned tree to checked apps, collecting every problem on the way.

use std::collections::{HashMap, HashSet};

use miette::SourceSpan;
use url::Url;

use super::diagnostic::{Collected, ConfigDiagnostic, Rule};
use super::node::{Node, Value};
use super::placeholders;
use super::secrets::{ENV_HELP, Hidden, is_secret_name};
use super::{App, AppSpans, DeclaredCommand, DesiredCallback};
use crate::model::catalog;
use crate::model::tencent::region::Region;
use crate::model::{ExtraCommands, ServiceName};

pub const TOP_KEYS: &[&str] = &["version", "defaults", "apps"];
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
    secret_spans: Vec<SourceSpan>,
    hidden: Hidden,
    secret_key_envs: Vec<String>,
    placeholders: Vec<placeholders::Placeholder>,
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

/// What identifies an app, as far as it could be read.
#[derive(Default)]
struct Identity {
    name: Option<(String, SourceSpan)>,
    service: ServiceName,
    sdkappid: Option<(u64, SourceSpan)>,
}

#[derive(Default)]
struct Defaults {
    service: Option<ServiceName>,
    region: Option<Region>,
    identifier: Option<String>,
    extra_commands: Option<ExtraCommands>,
    /// Set even when the value was invalid, so apps don't also report it missing.
    declares_region: bool,
    declares_identifier: bool,
}

impl Validator<'_> {
    fn push(&mut self, diagnostic: ConfigDiagnostic) {
        if diagnostic.is_error() {
            self.errors += 1;
        }
        self.diagnostics.push(diagnostic);
    }

    fn wrong_type(&mut self, path: &str, expected: &str, value: &Node, help: Option<&str>) {
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
    fn missing(&mut self, fields: &Fields<'_>, path: &str, help: impl Into<String>) {
        let key = path.rsplit('.').next().unwrap_or(path);
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
        path: &str,
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
                self.wrong_type(&format!("{path} key"), "a string", key, None);
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

    /// Report an unknown key; returns the known key it is a likely misspelling of.
    fn unknown_key(
        &mut self,
        name: &str,
        key: &Node,
        path: &str,
        known: &[&'static str],
    ) -> Option<&'static str> {
        // The secret scan reports it as `secret-in-file` and masks its value.
        if is_secret_name(name) {
            return None;
        }
        let near = catalog::suggest(name, known.iter().copied());
        let d =
            ConfigDiagnostic::error(Rule::UnknownKey, format!("unknown key `{name}` in {path}"));
        self.push(match near {
            Some(near) => d
                .primary(key.span, format!("did you mean `{near}`?"))
                .help(format!("rename `{name}` to `{near}`")),
            None => d
                .primary(key.span, "not a key cbcheck knows")
                .help(format!("the keys allowed here are: {}", known.join(", "))),
        });
        near
    }

    fn string<'n>(&mut self, path: &str, node: &'n Node) -> Option<&'n str> {
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

    /// `--app` reads a number as an SDKAppID: a name of digits only would look like
    /// one (and be some other app's, maybe), so it is refused.
    fn name<'n>(&mut self, path: &str, node: &'n Node) -> Option<&'n str> {
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

    fn boolean(&mut self, path: &str, node: &Node) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(path, "true or false", node, None);
                None
            }
        }
    }

    fn top(&mut self, root: &Node) -> Vec<App> {
        if matches!(root.value, Value::Null) {
            self.push(
                ConfigDiagnostic::error(Rule::EmptyFile, "the file declares nothing")
                    .primary(SourceSpan::new(0.into(), 0), "empty")
                    .help("write `version: 1` and a list of `apps`, or run `cbcheck init` for a commented starter file"),
            );
            return Vec::new();
        }
        let Some(fields) = self.fields(root, "the top level", TOP_KEYS) else {
            return Vec::new();
        };
        match fields.get("version") {
            Some((_, value)) => self.version(value),
            None => self.missing(
                &fields,
                "version",
                "add `version: 1` at the top of the file",
            ),
        }
        let defaults = match fields.get("defaults") {
            Some((_, value)) => self.defaults(value),
            None => Defaults::default(),
        };
        let Some((apps_key, apps)) = fields.get("apps") else {
            self.missing(
                &fields,
                "apps",
                "add `apps:` with one entry per SDKAppID (`cbcheck init -` prints an example)",
            );
            return Vec::new();
        };
        self.apps(apps_key, apps, &defaults)
    }

    fn version(&mut self, value: &Node) {
        match value.value {
            Value::UInt(1) => {}
            Value::Int(n) => self.unsupported_version(&n.to_string(), value.span),
            Value::UInt(n) => self.unsupported_version(&n.to_string(), value.span),
            Value::Str(ref s) if s.trim() == "1" => self.wrong_type(
                "version",
                "the integer 1",
                value,
                Some("write `version: 1` without quotes"),
            ),
            _ => self.wrong_type(
                "version",
                "the integer 1",
                value,
                Some("write `version: 1`"),
            ),
        }
    }

    fn unsupported_version(&mut self, found: &str, span: SourceSpan) {
        self.push(
            ConfigDiagnostic::error(
                Rule::UnsupportedVersion,
                format!("version {found} is not supported"),
            )
            .primary(span, "this cbcheck reads version 1")
            .help("set `version: 1`, or upgrade cbcheck if the file was written for a newer one"),
        );
    }

    fn defaults(&mut self, node: &Node) -> Defaults {
        let mut defaults = Defaults::default();
        let Some(fields) = self.fields(node, "defaults", DEFAULTS_KEYS) else {
            return defaults;
        };
        defaults.declares_region = fields.has("region");
        defaults.declares_identifier = fields.has("identifier");
        if let Some((_, value)) = fields.get("service") {
            defaults.service = self.service("defaults.service", value);
        }
        if let Some((_, value)) = fields.get("region") {
            defaults.region = self.region("defaults.region", value);
        }
        if let Some((_, value)) = fields.get("identifier") {
            defaults.identifier = self.string("defaults.identifier", value).map(str::to_owned);
        }
        if let Some((_, value)) = fields.get("extra_commands") {
            defaults.extra_commands = self.extra_commands("defaults.extra_commands", value);
        }
        defaults
    }

    fn apps(&mut self, key: &Node, node: &Node, defaults: &Defaults) -> Vec<App> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                "apps",
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
        let mut by_id: HashMap<(u64, ServiceName), SourceSpan> = HashMap::new();
        let mut by_name: HashMap<String, SourceSpan> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let (app, identity) = self.app(index, item, defaults);
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
                let message = format!("the name `{name}` is used twice");
                if let Some(first) = seen_before(&mut by_name, name, span) {
                    self.push(twice(
                        Rule::DuplicateName,
                        message,
                        "used",
                        (first, span),
                        "names label apps in reports and in `--app`: make each one unique",
                    ));
                }
            }
            apps.extend(app);
        }
        apps
    }

    /// The app when it is valid, and its name and SDKAppID whenever they are, so that
    /// duplicates are found even among apps with other problems.
    fn app(&mut self, index: usize, node: &Node, defaults: &Defaults) -> (Option<App>, Identity) {
        let path = format!("apps[{index}]");
        let Some(fields) = self.fields(node, &path, APP_KEYS) else {
            return (None, Identity::default());
        };
        let errors_before = self.error_count();

        let name = fields.get("name").and_then(|(_, v)| {
            self.name(&format!("{path}.name"), v)
                .map(|s| (s.to_owned(), v.span))
        });
        let service = match fields.get("service") {
            Some((_, value)) => self.service(&format!("{path}.service"), value),
            None => defaults.service,
        }
        .unwrap_or_default();
        let token_auth = fields.get("token_auth").and_then(|(_, value)| {
            self.token_auth(&format!("{path}.token_auth"), value, service)
                .map(|enabled| (enabled, value.span))
        });
        let sdkappid = match fields.get("sdkappid") {
            Some((_, value)) => self.sdkappid(&format!("{path}.sdkappid"), value),
            None => {
                self.missing(
                    &fields,
                    &format!("{path}.sdkappid"),
                    "add `sdkappid:` with the app's SDKAppID (a positive integer)",
                );
                None
            }
        };
        let region = match fields.get("region") {
            Some((_, value)) => self.region(&format!("{path}.region"), value),
            None => defaults.region,
        };
        let endpoint = fields.get("endpoint").and_then(|(_, v)| {
            self.endpoint(&format!("{path}.endpoint"), v)
                .map(|url| (url, v.span))
        });
        // An invalid `region` or `endpoint` has been reported already; only an absent one is missing.
        let has_host = fields.has("region") || fields.has("endpoint");
        if !has_host && !defaults.declares_region {
            self.missing(
                &fields,
                &format!("{path}.region"),
                format!(
                    "add `region:` to the app or to `defaults` (one of: {})",
                    region_names()
                ),
            );
        }
        let identifier = match fields.get("identifier") {
            Some((_, value)) => self
                .string(&format!("{path}.identifier"), value)
                .map(str::to_owned),
            None => {
                if !defaults.declares_identifier {
                    self.missing(
                        &fields,
                        &format!("{path}.identifier"),
                        "add `identifier:` (an App administrator account) to the app or to `defaults`",
                    );
                }
                defaults.identifier.clone()
            }
        };
        let secret_key_env = fields
            .get("secret_key_env")
            .and_then(|(_, v)| self.env_name(&format!("{path}.secret_key_env"), v));
        self.secret_key_envs.extend(secret_key_env.clone());
        let allow_insecure_url = fields
            .get("allow_insecure_url")
            .and_then(|(_, v)| self.boolean(&format!("{path}.allow_insecure_url"), v))
            .unwrap_or(false);
        let extra_commands = match fields.get("extra_commands") {
            Some((_, value)) => self.extra_commands(&format!("{path}.extra_commands"), value),
            None => defaults.extra_commands,
        };
        let callback = match fields.get("callback") {
            Some((key, value)) if matches!(&value.value, Value::Str(s) if s == "absent") => {
                Some((None, key.span))
            }
            Some((key, value)) => self
                .callback(
                    &format!("{path}.callback"),
                    value,
                    allow_insecure_url,
                    service,
                )
                .map(|c| (Some(c), key.span)),
            None => {
                self.missing(
                    &fields,
                    &format!("{path}.callback"),
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

    fn error_count(&self) -> usize {
        self.errors
    }

    fn sdkappid(&mut self, path: &str, node: &Node) -> Option<(u64, SourceSpan)> {
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

    fn region(&mut self, path: &str, node: &Node) -> Option<Region> {
        let name = self.string(path, node)?;
        if let Some(region) = Region::from_name(name) {
            return Some(region);
        }
        self.push(
            ConfigDiagnostic::error(Rule::UnknownRegion, format!("unknown region `{name}`"))
                .primary(
                    node.span,
                    unknown_name(name, Region::ALL.map(Region::name), "region"),
                )
                .help(format!("use one of: {}", region_names())),
        );
        None
    }

    fn endpoint(&mut self, path: &str, node: &Node) -> Option<Url> {
        let text = self.string(path, node)?;
        let problem = match Url::parse(text) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                format!("the scheme `{}` is not http or https", url.scheme())
            }
            Ok(url) if url.host().is_none() => "it has no host".to_owned(),
            Ok(url) if url.query().is_some() || url.fragment().is_some() => {
                "it has a query or fragment; cbcheck adds its own query".to_owned()
            }
            Ok(url) => {
                self.unlisted_endpoint(path, node, &url);
                return Some(url);
            }
            Err(err) => format!("it does not parse as a URL ({err})"),
        };
        self.push(
            ConfigDiagnostic::error(
                Rule::InvalidEndpoint,
                format!("`{path}` is not an absolute http(s) URL: {problem}"),
            )
            .primary(node.span, "invalid endpoint")
            .help("give the REST host as a URL, e.g. `https://adminapisgp.im.qcloud.com`, or remove `endpoint` to use the region's host"),
        );
        None
    }

    /// The file may send an app's UserSig only to the vendor's hosts: verify, apply
    /// and export refuse any other endpoint unless the operator allows it.
    fn unlisted_endpoint(&mut self, path: &str, node: &Node, url: &Url) {
        if crate::model::tencent::region::is_documented_endpoint(url) {
            return;
        }
        let vendor_host = url
            .host_str()
            .is_some_and(|host| Region::documented_hosts().any(|known| known == host));
        let label = match (url.scheme(), vendor_host) {
            ("http", _) => "plain http",
            (_, true) => "not port 443",
            _ => "not a vendor host",
        };
        self.push(
            ConfigDiagnostic::warning(
                Rule::UnlistedEndpoint,
                format!("`{path}` is not one of the vendor's documented REST hosts: verify, apply and export refuse to send it the app's UserSig unless the host is allowed with --allow-endpoint or CBCHECK_ALLOW_ENDPOINTS"),
            )
            .primary(node.span, label)
            .help(format!(
                "the vendor's hosts are https on port 443: {}, and their backups on my-imcloud.com; for a proxy of your own, allow its HOST[:PORT] where cbcheck runs (--allow-endpoint, CBCHECK_ALLOW_ENDPOINTS), or use --endpoint instead",
                Region::ALL.map(Region::host).join(", ")
            )),
        );
    }

    fn env_name(&mut self, path: &str, node: &Node) -> Option<String> {
        let name = self.string(path, node)?;
        if looks_like_secret_value(name) {
            self.secret_spans.push(node.defined);
            self.push(
                ConfigDiagnostic::error(
                    Rule::SecretInFile,
                    format!("`{path}` looks like a secret key, not the name of a variable"),
                )
                .primary(node.span, "a variable name was expected here")
                .help(ENV_HELP),
            );
            return None;
        }
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            return Some(name.to_owned());
        }
        self.push(
            ConfigDiagnostic::error(
                Rule::InvalidEnvName,
                format!("`{path}` is not a valid environment variable name: `{name}`"),
            )
            .primary(node.span, "letters, digits and `_`, not starting with a digit")
            .help("name the variable that holds the key, e.g. `secret_key_env: CBCHECK_SECRET_KEY_PROD`"),
        );
        None
    }

    fn service(&mut self, path: &str, node: &Node) -> Option<ServiceName> {
        let name = self.string(path, node)?;
        if let Some(service) = ServiceName::from_name(name) {
            return Some(service);
        }
        let names = ServiceName::ALL.map(ServiceName::name);
        let label = unknown_name(name, names, "service");
        self.push(
            ConfigDiagnostic::error(Rule::InvalidValue, format!("`{path}` cannot be `{name}`"))
                .primary(node.span, label)
                .help("use one of: room, live, call"),
        );
        None
    }

    /// `enabled` or `disabled`, for a Live entry only: only Live signs its callbacks.
    fn token_auth(&mut self, path: &str, node: &Node, service: ServiceName) -> Option<bool> {
        let name = self.string(path, node)?;
        let enabled = match name {
            "enabled" => true,
            "disabled" => false,
            _ => {
                let label = unknown_name(name, ["enabled", "disabled"], "setting");
                self.push(
                    ConfigDiagnostic::error(
                        Rule::InvalidValue,
                        format!("`{path}` cannot be `{name}`"),
                    )
                    .primary(node.span, label)
                    .help("use one of: enabled, disabled"),
                );
                return None;
            }
        };
        if service.row().token.is_none() {
            self.push(
                ConfigDiagnostic::error(
                    Rule::InvalidValue,
                    format!("`{path}` applies to `service: live` only"),
                )
                .primary(
                    node.span,
                    format!("the {} service has no callback token", service.name()),
                )
                .help("remove `token_auth`, or set `service: live` if this entry is a Live app"),
            );
            return None;
        }
        Some(enabled)
    }

    fn extra_commands(&mut self, path: &str, node: &Node) -> Option<ExtraCommands> {
        let name = self.string(path, node)?;
        if let Some(policy) = ExtraCommands::from_name(name) {
            return Some(policy);
        }
        let names = ExtraCommands::ALL.map(ExtraCommands::name);
        let label = unknown_name(name, names, "policy");
        self.push(
            ConfigDiagnostic::error(Rule::InvalidValue, format!("`{path}` cannot be `{name}`"))
                .primary(node.span, label)
                .help("use one of: error, warn, ignore"),
        );
        None
    }

    fn callback(
        &mut self,
        path: &str,
        node: &Node,
        allow_insecure_url: bool,
        service: ServiceName,
    ) -> Option<DesiredCallback> {
        if let Value::Str(word) = &node.value {
            let help = if catalog::suggest(word, ["absent"]).is_some() {
                "did you mean `absent`?"
            } else {
                "give `url` and `commands`, or write `callback: absent` for an app that must have none"
            };
            self.wrong_type(
                path,
                "a mapping with `url` and `commands`, or `absent`",
                node,
                Some(help),
            );
            return None;
        }
        let fields = self.fields(node, path, CALLBACK_KEYS)?;
        let url = match fields.get("url") {
            Some((_, value)) => {
                self.callback_url(&format!("{path}.url"), value, allow_insecure_url)
            }
            None => {
                self.missing(
                    &fields,
                    &format!("{path}.url"),
                    "add `url:` with the https URL the vendor must post events to",
                );
                None
            }
        };
        let commands = match fields.get("commands") {
            Some((key, value)) => self
                .commands(&format!("{path}.commands"), key, value, service)
                .map(|commands| (commands, key.span)),
            None => {
                self.missing(
                    &fields,
                    &format!("{path}.commands"),
                    format!(
                        "add `commands:` with the events to deliver, e.g. `- {}`",
                        service.row().commands[0]
                    ),
                );
                None
            }
        };
        let (url, url_span) = url?;
        let (commands, commands_key) = commands?;
        Some(DesiredCallback {
            url,
            commands,
            url_span,
            commands_key,
        })
    }

    fn callback_url(
        &mut self,
        path: &str,
        node: &Node,
        allow_insecure: bool,
    ) -> Option<(String, SourceSpan)> {
        let text = self.string(path, node)?;
        self.urls.insert(node.defined.offset());
        let shape = match placeholders::url_shape(self.text, path, node, text) {
            Ok(shape) => shape,
            Err(d) => {
                self.push(d);
                return None;
            }
        };
        self.placeholders
            .extend(placeholders::in_url(self.text, path, node, text));
        let problem = match Url::parse(&shape) {
            Ok(url) if url.scheme() == "https" && url.host().is_some() => {
                return Some((text.to_owned(), node.span));
            }
            Ok(url) if url.scheme() == "http" && url.host().is_some() => {
                let d = if allow_insecure {
                    ConfigDiagnostic::warning(
                        Rule::InsecureUrl,
                        format!("`{path}` is plain http (allowed by `allow_insecure_url`)"),
                    )
                    .help("events, and any token in the URL, cross the network unencrypted: move the endpoint to https")
                } else {
                    ConfigDiagnostic::error(Rule::InsecureUrl, format!("`{path}` is plain http"))
                        .help("use an https URL; if plain http is truly intended, set `allow_insecure_url: true` on this app")
                };
                self.push(d.primary(node.span, "not https"));
                return allow_insecure.then(|| (text.to_owned(), node.span));
            }
            Ok(url) if url.host().is_none() => "it has no host".to_owned(),
            Ok(url) => format!("the scheme `{}` is not http or https", url.scheme()),
            Err(err) => format!("it does not parse as a URL ({err})"),
        };
        self.push(
            ConfigDiagnostic::error(
                Rule::InvalidUrl,
                format!("`{path}` is not a valid callback URL: {problem}"),
            )
            .primary(node.span, "invalid URL")
            .help("give an absolute https URL, e.g. `https://hooks.example.com/tencent/room`"),
        );
        None
    }

    fn commands(
        &mut self,
        path: &str,
        key: &Node,
        node: &Node,
        service: ServiceName,
    ) -> Option<Vec<DeclaredCommand>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                path,
                "a list of command words",
                node,
                Some("list one command per line, each starting with `- `"),
            );
            return None;
        };
        if items.is_empty() {
            self.push(
                ConfigDiagnostic::warning(Rule::EmptyCommands, format!("`{path}` is empty"))
                    .primary(key.span, "no events will be delivered")
                    .help("list the events the service needs; an app that needs none should not declare a callback URL"),
            );
        }
        let mut declared: Vec<DeclaredCommand> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (index, item) in items.iter().enumerate() {
            let Some(word) = self.string(&format!("{path}[{index}]"), item) else {
                ok = false;
                continue;
            };
            if !catalog::is_known(service, word) {
                self.unknown_command(word, item.span, service);
                ok = false;
                continue;
            }
            if let Some(first) = declared.iter().find(|d| d.word == word) {
                self.push(
                    ConfigDiagnostic::warning(
                        Rule::DuplicateCommand,
                        format!("`{word}` is listed twice"),
                    )
                    .label(first.span, "first listed here")
                    .primary(item.span, "listed again here")
                    .help("remove the second entry"),
                );
                continue;
            }
            declared.push(DeclaredCommand {
                word: word.to_owned(),
                span: item.span,
            });
        }
        ok.then_some(declared)
    }

    fn unknown_command(&mut self, word: &str, span: SourceSpan, service: ServiceName) {
        let d = ConfigDiagnostic::error(
            Rule::UnknownCommand,
            format!("unknown callback command `{word}`"),
        );
        let known = service.row().commands;
        let title = service.title();
        let d = if let Some(other) = catalog::sibling_service(service, word) {
            d.primary(span, format!("not a {title} command")).help(format!(
                "`{word}` belongs to the sibling service {} ({}…); this entry configures {}: declare it in an entry with `service: {}`",
                other.name(),
                other.row().get.trim_end_matches("get_callback"),
                service.row().get.trim_end_matches("/get_callback"),
                other.name(),
            ))
        } else if let Some(near) = catalog::suggest(word, known.iter().copied()) {
            d.primary(span, format!("did you mean `{near}`?"))
                .help(format!("replace it with `{near}`"))
        } else {
            d.primary(span, format!("not in the {title} callback catalog"))
                .help(format!("known commands: {}", known.join(", ")))
        };
        self.push(d);
    }
}

fn region_names() -> String {
    Region::ALL.map(Region::name).join(", ")
}

/// A value that looks like key material rather than an environment variable name:
/// long, and mixing lower-case letters with digits (variable names are upper case).
fn looks_like_secret_value(value: &str) -> bool {
    value.len() >= 24
        && value.chars().any(|c| c.is_ascii_lowercase())
        && value.chars().any(|c| c.is_ascii_digit())
}

/// Where `key` was seen first; `None` (and `span` recorded) the first time.
fn seen_before<K: Eq + std::hash::Hash>(
    seen: &mut HashMap<K, SourceSpan>,
    key: K,
    span: SourceSpan,
) -> Option<SourceSpan> {
    match seen.entry(key) {
        std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
        std::collections::hash_map::Entry::Vacant(entry) => {
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

/// The label on a name that is not one of `names`: the nearest one, if any is near.
fn unknown_name<'a>(name: &str, names: impl IntoIterator<Item = &'a str>, what: &str) -> String {
    match catalog::suggest(name, names) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("not a {what} cbcheck knows"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_told_from_variable_names() {
        assert!(looks_like_secret_value(
            "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
        ));
        assert!(!looks_like_secret_value(
            "CBCHECK_SECRET_KEY_PROD_1400000001"
        ));
        assert!(!looks_like_secret_value("MY_KEY"));
    }
}
