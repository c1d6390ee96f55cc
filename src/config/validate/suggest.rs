//! Names cbcheck does not know (keys, words of a fixed list): each reported with the
//! nearest known one, when one is near.

use super::{Path, Validator};
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::Node;
use crate::config::secrets::{is_command_name, is_secret_name};
use crate::model::catalog;

impl Validator<'_> {
    /// Report an unknown key; returns the known key it is a likely misspelling of.
    pub(super) fn unknown_key(
        &mut self,
        name: &str,
        key: &Node,
        path: Path<'_>,
        known: &[&'static str],
    ) -> Option<&'static str> {
        // The secret scan reports it as `secret-in-file` and masks its value.
        if is_secret_name(name) {
            return None;
        }
        if is_command_name(name) {
            self.push(
                ConfigDiagnostic::error(
                    Rule::CommandInFile,
                    format!("`{name}` in {path} is refused: cbcheck never takes a command from the callbacks file"),
                )
                .primary(key.span, "a command to run")
                .help("a pull request can change this file, and CI must not run what it says: set CBCHECK_SECRET_KEY_COMMAND in the CI job's environment (it gets the SDKAppID as its last argument and prints the key), or use CBCHECK_SECRET_KEYS / CBCHECK_SECRET_KEYS_FILE"),
            );
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
}

/// The label on a name that is not one of `names`: the nearest one, if any is near.
pub(super) fn unknown_name<'a>(
    name: &str,
    names: impl IntoIterator<Item = &'a str>,
    what: &str,
) -> String {
    match catalog::suggest(name, names) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("not a {what} cbcheck knows"),
    }
}
