//! `${NAME}` in a callbacks file: checked in `callback.url`, refused anywhere else.
//! Only the syntax: the values come from the environment, in the layers that need them.

use std::collections::HashSet;

use super::diagnostic::{ConfigDiagnostic, Rule};
use super::node::{Node, Value};
use super::secrets::written_range;
use crate::model::template::{self, Problem};

pub const WHERE_HELP: &str =
    "`${NAME}` is expanded from the environment in `callback.url` only: write the value itself here";

/// A `callback.url` value: the URL its structure checks are made on (each
/// placeholder stands for its name, each `$${` for `${`), or the syntax error.
pub fn url_shape(
    text: &str,
    path: &str,
    node: &Node,
    value: &str,
) -> Result<String, ConfigDiagnostic> {
    let segments = template::parse(value).map_err(|err| {
        let (message, label, help) = match err.problem {
            Problem::Unterminated => (
                format!("`{path}` has a `${{` that is never closed"),
                "unterminated placeholder",
                "close it, `${NAME}`; or write `$${` for a literal `${`",
            ),
            Problem::Empty => (
                format!("`{path}` has an empty placeholder `${{}}`"),
                "no variable name",
                "name the environment variable that holds the value, e.g. `${HOOK_TOKEN}`",
            ),
            // The name is not quoted: it sits where a token would be.
            Problem::BadName(_) => (
                format!("`{path}` has a placeholder whose name is not a variable name"),
                "not a variable name",
                "a name is letters, digits and `_`, not starting with a digit, e.g. `${HOOK_TOKEN}`; write `$${` for a literal `${`",
            ),
        };
        ConfigDiagnostic::error(Rule::Interpolation, message)
            .primary(written_range(text, node, value, err.range), label)
            .help(help)
    })?;
    Ok(template::expand(&segments, |name| Some(name.to_owned())).unwrap_or_default())
}

/// A `${` in any value or key but a `callback.url` (`urls`: where those are
/// defined), each reported once.
pub fn elsewhere(text: &str, root: &Node, urls: &HashSet<usize>) -> Vec<ConfigDiagnostic> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    walk(text, root, urls, &mut seen, &mut found);
    found
}

fn walk(
    text: &str,
    node: &Node,
    urls: &HashSet<usize>,
    seen: &mut HashSet<usize>,
    found: &mut Vec<ConfigDiagnostic>,
) {
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                walk(text, item, urls, seen, found);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                walk(text, key, urls, seen, found);
                walk(text, value, urls, seen, found);
            }
        }
        Value::Str(value) if !urls.contains(&node.defined.offset()) => {
            if let Some(at) = value.find("${")
                && seen.insert(node.defined.offset())
            {
                found.push(
                    ConfigDiagnostic::error(
                        Rule::Interpolation,
                        "`${…}` is expanded only in `callback.url`",
                    )
                    .primary(
                        written_range(text, node, value, at..at + 2),
                        "not expanded here",
                    )
                    .help(WHERE_HELP),
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use miette::SourceSpan;

    use super::*;

    #[test]
    fn a_placeholder_stands_for_its_name_in_the_shape_checked() {
        let node = Node {
            span: SourceSpan::new(0.into(), 0),
            defined: SourceSpan::new(0.into(), 0),
            value: Value::Null,
        };
        assert_eq!(
            url_shape("", "url", &node, "https://${HOST}/cb?t=${T}&x=$${y}").ok(),
            Some("https://HOST/cb?t=T&x=${y}".to_owned())
        );
    }
}
