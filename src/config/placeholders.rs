//! `${NAME}` in a callbacks file: checked in `callback.url`, refused anywhere else.
//! Only the syntax: the values come from the environment, in the layers that need them.

use std::collections::HashSet;

use miette::SourceSpan;

use super::diagnostic::{ConfigDiagnostic, Rule};
use super::node::{Node, Value};
use super::secrets::written_range;
use crate::model::key_names::KeySource;
use crate::model::template::{self, TemplateError};

pub const WHERE_HELP: &str = "`${NAME}` is expanded from the environment in `callback.url` only: write the value itself here";

/// A `callback.url` value: the URL its structure checks are made on (each
/// placeholder stands for its name, each `$${` for `${`), or the syntax error.
pub fn url_shape(
    text: &str,
    path: impl std::fmt::Display,
    node: &Node,
    value: &str,
) -> Result<String, ConfigDiagnostic> {
    let segments = template::parse(value).map_err(|err| {
        let (message, label, help) = match err.problem {
            TemplateError::Unterminated => (
                format!("`{path}` has a `${{` that is never closed"),
                "unterminated placeholder",
                "close it, `${NAME}`; or write `$${` for a literal `${`",
            ),
            TemplateError::Empty => (
                format!("`{path}` has an empty placeholder `${{}}`"),
                "no variable name",
                "name the environment variable that holds the value, e.g. `${HOOK_TOKEN}`",
            ),
            // The name is not quoted: it sits where a token would be.
            TemplateError::BadName(_) => (
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

/// A `${NAME}` of a `callback.url`, kept to be checked against the key sources of
/// the whole run (they are known once every file is loaded).
#[derive(Debug, Clone)]
pub struct Placeholder {
    pub name: String,
    /// The `callback.url` it is in, e.g. `apps[1].callback.url`.
    pub path: String,
    /// Where `${NAME}` is written in the file.
    pub span: SourceSpan,
}

/// Every placeholder of a `callback.url` value that parses.
pub fn in_url(
    text: &str,
    path: impl std::fmt::Display,
    node: &Node,
    value: &str,
) -> Vec<Placeholder> {
    template::placeholders(value)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, range)| Placeholder {
            name,
            path: path.to_string(),
            span: written_range(text, node, value, range),
        })
        .collect()
}

pub const KEY_IN_URL_HELP: &str = "the vendor stores the callback URL and sends it with every event, so no key may be part of it: give the URL a token of its own, in a variable of its own, e.g. `${HOOK_TOKEN}`";

/// A placeholder that names a variable a key or UserSig is read from.
pub fn key_in_url(placeholder: &Placeholder, source: KeySource) -> ConfigDiagnostic {
    let label = match source {
        KeySource::SecretKeyEnv => "the `secret_key_env` of an app in this run (letter case aside)",
        KeySource::Cbcheck => {
            "cbcheck reads keys and UserSigs from `CBCHECK_SECRET_KEY…` and `CBCHECK_USERSIG…` (letter case aside)"
        }
    };
    ConfigDiagnostic::error(
        Rule::KeyInUrl,
        format!(
            "`{}` names `${{{}}}`, a variable that holds a key or UserSig: cbcheck never puts a credential in a URL",
            placeholder.path, placeholder.name
        ),
    )
    .primary(placeholder.span, label)
    .help(KEY_IN_URL_HELP)
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
        Value::Str(value) => {
            // Most values have no `$` at all: looked for before the sets are asked.
            if let Some(at) = placeholder_start(value)
                && !urls.contains(&node.defined.offset())
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

/// Where the first `${` of a value is (`str::find` would prepare a substring search
/// for every value of the file).
fn placeholder_start(value: &str) -> Option<usize> {
    memchr::memchr_iter(b'$', value.as_bytes())
        .find(|&at| value.as_bytes().get(at + 1) == Some(&b'{'))
}

/// A live URL as `export` writes it: a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templated {
    pub url: String,
    /// The variables the template introduced, each with the query parameter whose
    /// value it stands for, in URL order.
    pub variables: Vec<Variable>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub param: String,
    /// The live value it stands for, as the URL writes it (`export --secrets-out`).
    pub value: String,
}

/// Debug names the variable, never its value.
impl std::fmt::Debug for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variable")
            .field("name", &self.name)
            .field("param", &self.param)
            .finish_non_exhaustive()
    }
}

/// The prefix of the variables `export` names for an app: `CBCHECK_<SDKAPPID>`, and
/// the service other than Room (an SDKAppID has one configuration per service), so
/// that no two apps of a file share one.
pub fn variable_prefix(sdkappid: u64, service: crate::model::ServiceName) -> String {
    match service.qualifier() {
        None => format!("CBCHECK_{sdkappid}"),
        Some(name) => format!("CBCHECK_{sdkappid}_{}", upper_snake(name)),
    }
}

/// The live `url` as a template: a value the run already knows as a `${NAME}`
/// (`known`: each value as written, with its name) is that placeholder again, every
/// literal `${` is escaped, and each query value that looks like a secret (by its
/// parameter's name, or a long random value) becomes `${<prefix>_<PARAM>}`.
pub fn templated(url: &str, prefix: &str, known: &[(String, String)]) -> Templated {
    let mut named = String::with_capacity(url.len());
    let mut rest = url;
    'scan: while !rest.is_empty() {
        for (value, name) in known {
            if !value.is_empty() && rest.starts_with(value.as_str()) {
                named.push_str(&format!("${{{name}}}"));
                rest = &rest[value.len()..];
                continue 'scan;
            }
        }
        if rest.starts_with("${") {
            named.push_str("$${");
            rest = &rest[2..];
        } else if let Some(c) = rest.chars().next() {
            named.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let (before, fragment) = match named.find('#') {
        Some(hash) => named.split_at(hash),
        None => (named.as_str(), ""),
    };
    let Some((base, query)) = before.split_once('?') else {
        return Templated {
            url: named.clone(),
            variables: Vec::new(),
        };
    };
    let mut variables: Vec<Variable> = Vec::new();
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let Some((param, value)) = pair.split_once('=') else {
                return pair.to_owned();
            };
            let is_placeholder = value
                .strip_prefix("${")
                .and_then(|v| v.strip_suffix('}'))
                .is_some_and(template::is_name);
            if value.is_empty() || is_placeholder || !looks_secret(param, value) {
                return pair.to_owned();
            }
            let stem = format!("{prefix}_{}", upper_snake(&decoded(param)));
            let mut name = stem.clone();
            let mut n = 1;
            while variables.iter().any(|v| v.name == name) {
                n += 1;
                name = format!("{stem}_{n}");
            }
            let pair = format!("{param}=${{{name}}}");
            variables.push(Variable {
                name,
                param: decoded(param),
                value: value.to_owned(),
            });
            pair
        })
        .collect();
    Templated {
        url: format!("{base}?{}{fragment}", pairs.join("&")),
        variables,
    }
}

fn decoded(param: &str) -> String {
    url::form_urlencoded::parse(format!("{param}=").as_bytes())
        .next()
        .map_or_else(|| param.to_owned(), |(name, _)| name.into_owned())
}

/// A query value that holds a secret: its parameter says so (`token`, `sign`,
/// `key`, `auth`, …), or it is long and random-looking (letters and digits mixed,
/// 16 characters or more, no word separators).
fn looks_secret(param: &str, value: &str) -> bool {
    let param = decoded(param);
    let lower = param.to_ascii_lowercase();
    if super::secrets::is_secret_name(&param)
        || ["sign", "auth", "hmac", "nonce"]
            .iter()
            .any(|word| lower.contains(word))
    {
        return true;
    }
    value.len() >= 16
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~+/=%".contains(c))
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic())
}

/// `hook-Token` → `HOOK_TOKEN`: a variable name's part.
fn upper_snake(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_');
    if out.is_empty() {
        "PARAM".to_owned()
    } else {
        out.to_owned()
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

    fn names(t: &Templated) -> Vec<(&str, &str)> {
        t.variables
            .iter()
            .map(|v| (v.name.as_str(), v.param.as_str()))
            .collect()
    }

    #[test]
    fn secret_looking_query_values_become_placeholders() {
        let t = templated(
            "https://h.example.com/cb?token=t0k&region=eu&sign=abc&x=hK7wQ2rZ9xLm4Vb8&ts=1700000000000000#f",
            "CBCHECK_1400000001",
            &[],
        );
        assert_eq!(
            t.url,
            "https://h.example.com/cb?token=${CBCHECK_1400000001_TOKEN}&region=eu\
             &sign=${CBCHECK_1400000001_SIGN}&x=${CBCHECK_1400000001_X}&ts=1700000000000000#f"
        );
        assert_eq!(
            names(&t),
            [
                ("CBCHECK_1400000001_TOKEN", "token"),
                ("CBCHECK_1400000001_SIGN", "sign"),
                ("CBCHECK_1400000001_X", "x")
            ]
        );
        // Every template it writes parses, and expands back to the live URL.
        let segments = template::parse(&t.url).expect("a valid template");
        let values = [("TOKEN", "t0k"), ("SIGN", "abc"), ("X", "hK7wQ2rZ9xLm4Vb8")];
        let expanded = template::expand(&segments, |name| {
            values
                .iter()
                .find(|(suffix, _)| name.ends_with(suffix))
                .map(|(_, v)| (*v).to_owned())
        });
        assert_eq!(
            expanded.as_deref(),
            Ok(
                "https://h.example.com/cb?token=t0k&region=eu&sign=abc&x=hK7wQ2rZ9xLm4Vb8&ts=1700000000000000#f"
            )
        );
    }

    #[test]
    fn names_are_deterministic_and_never_collide() {
        let t = templated(
            "https://h/cb?api-key=a&API_KEY=b&api%20key=c&%E2%9C%93=d&token=e&token=f",
            "CBCHECK_7_LIVE",
            &[],
        );
        assert_eq!(
            names(&t),
            [
                ("CBCHECK_7_LIVE_API_KEY", "api-key"),
                ("CBCHECK_7_LIVE_API_KEY_2", "API_KEY"),
                ("CBCHECK_7_LIVE_API_KEY_3", "api key"),
                ("CBCHECK_7_LIVE_TOKEN", "token"),
                ("CBCHECK_7_LIVE_TOKEN_2", "token"),
            ]
        );
        assert!(t.url.contains("%E2%9C%93=d"), "{}", t.url);
        assert_eq!(
            variable_prefix(7, crate::model::ServiceName::Live),
            "CBCHECK_7_LIVE"
        );
    }

    #[test]
    fn known_values_get_their_names_back_and_literal_placeholders_are_escaped() {
        let known = [("s3cretPathPart".to_owned(), "PATH_TOKEN".to_owned())];
        let t = templated(
            "https://h/s3cretPathPart/cb?token=s3cretPathPart&note=${x}",
            "CBCHECK_1",
            &known,
        );
        assert_eq!(
            t.url,
            "https://h/${PATH_TOKEN}/cb?token=${PATH_TOKEN}&note=$${x}"
        );
        assert!(t.variables.is_empty());
        assert_eq!(templated("https://h/cb", "P", &[]).url, "https://h/cb");
    }
}
