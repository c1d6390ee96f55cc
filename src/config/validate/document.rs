//! The document's top level: `version`, `defaults`, and the list of apps.

use miette::SourceSpan;

use super::{DEFAULTS_KEYS, Path, TOP_KEYS, Validator};
use crate::config::App;
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::{Node, Value};
use crate::model::tencent::region::Region;
use crate::model::{ExtraCommands, ServiceName};

#[derive(Default)]
pub(super) struct Defaults {
    pub(super) service: Option<ServiceName>,
    pub(super) region: Option<Region>,
    pub(super) identifier: Option<String>,
    pub(super) extra_commands: Option<ExtraCommands>,
    /// Set even when the value was invalid, so apps don't also report it missing.
    pub(super) declares_region: bool,
    pub(super) declares_identifier: bool,
}

impl Validator<'_> {
    pub(super) fn top(&mut self, root: &Node) -> Vec<App> {
        if matches!(root.value, Value::Null) {
            self.push(
                ConfigDiagnostic::error(Rule::EmptyFile, "the file declares nothing")
                    .primary(SourceSpan::new(0.into(), 0), "empty")
                    .help("write `version: 1` and a list of `apps`, or run `cbcheck init` for a commented starter file"),
            );
            return Vec::new();
        }
        let Some(fields) = self.fields(root, Path::Named("the top level"), TOP_KEYS) else {
            return Vec::new();
        };
        match fields.get("version") {
            Some((_, value)) => self.version(value),
            None => self.missing(
                &fields,
                Path::Named("version"),
                "add `version: 1` at the top of the file",
            ),
        }
        let defaults = match fields.get("defaults") {
            Some((_, value)) => self.defaults(value),
            None => Defaults::default(),
        };
        // Before the apps: their command words are checked against it.
        if let Some((key, value)) = fields.get("known_commands") {
            self.known_commands(key, value);
        }
        let Some((apps_key, apps)) = fields.get("apps") else {
            self.missing(
                &fields,
                Path::Named("apps"),
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
                Path::Named("version"),
                "the integer 1",
                value,
                Some("write `version: 1` without quotes"),
            ),
            _ => self.wrong_type(
                Path::Named("version"),
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
        let Some(fields) = self.fields(node, Path::Named("defaults"), DEFAULTS_KEYS) else {
            return defaults;
        };
        defaults.declares_region = fields.has("region");
        defaults.declares_identifier = fields.has("identifier");
        if let Some((_, value)) = fields.get("service") {
            defaults.service = self.service(Path::Named("defaults.service"), value);
        }
        if let Some((_, value)) = fields.get("region") {
            defaults.region = self.region(Path::Named("defaults.region"), value);
        }
        if let Some((_, value)) = fields.get("identifier") {
            defaults.identifier = self
                .string(Path::Named("defaults.identifier"), value)
                .map(str::to_owned);
        }
        if let Some((_, value)) = fields.get("extra_commands") {
            defaults.extra_commands =
                self.extra_commands(Path::Named("defaults.extra_commands"), value);
        }
        defaults
    }
}
