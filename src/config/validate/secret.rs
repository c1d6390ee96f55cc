//! `secret_key_env`: the name of the variable that holds an app's key, never the key
//! itself (a value that looks like one is reported as a secret and masked).

use super::{Path, Validator};
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::Node;
use crate::config::secrets::ENV_HELP;

impl Validator<'_> {
    pub(super) fn env_name(&mut self, path: Path<'_>, node: &Node) -> Option<String> {
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
}

/// A value that looks like key material rather than an environment variable name:
/// long, and mixing lower-case letters with digits (variable names are upper case).
fn looks_like_secret_value(value: &str) -> bool {
    value.len() >= 24
        && value.chars().any(|c| c.is_ascii_lowercase())
        && value.chars().any(|c| c.is_ascii_digit())
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
