//! The settings that are one word of a fixed list: `service`, `extra_commands`, and
//! Live's `token_auth`.

use super::suggest::unknown_name;
use super::{Path, Validator};
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::Node;
use crate::model::{ExtraCommands, ServiceName};

impl Validator<'_> {
    pub(super) fn service(&mut self, path: Path<'_>, node: &Node) -> Option<ServiceName> {
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
    pub(super) fn token_auth(
        &mut self,
        path: Path<'_>,
        node: &Node,
        service: ServiceName,
    ) -> Option<bool> {
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

    pub(super) fn extra_commands(&mut self, path: Path<'_>, node: &Node) -> Option<ExtraCommands> {
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
}
