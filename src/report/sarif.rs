//! SARIF 2.1.0 for code scanning: one rule per finding kind, results located in the YAML.

use serde_json::{Value, json};

use super::REPORT_VERSION;
use super::annotation::{Annotation, FAILED_RULE, rule_id};
use crate::drift::Kind;

/// A rule: stable id, short description, and the help shown beside each result.
struct RuleDoc {
    id: String,
    short: String,
    help: String,
    level: &'static str,
}

fn verify_rules() -> Vec<RuleDoc> {
    let mut rules: Vec<RuleDoc> = Kind::ALL
        .iter()
        .map(|kind| {
            let (short, help, level) = match kind {
                Kind::Absent => ("The app has no callback configuration", "Create it with v4/room_config/set_callback and the body shown in the result.", "error"),
                Kind::UrlMismatch => ("The live callback URL differs from the declared one", "Update it with v4/room_config/update_callback and the full desired body.", "error"),
                Kind::InsecureUrl => ("The live callback URL is not https", "Move the endpoint to https and update the configuration; `allow_insecure_url: true` makes this a warning.", "error"),
                Kind::MissingCommand => ("A declared command is not configured live", "Update the configuration with v4/room_config/update_callback and the full desired command list.", "error"),
                Kind::UnexpectedCommand => ("A live command is not declared in the file", "Declare it, or remove it with v4/room_config/update_callback; `extra_commands` sets how this is reported.", "error"),
                Kind::UnknownCommand => ("A live command word is not a known Room callback command", "It delivers no events: correct or remove it.", "warning"),
                Kind::UnwantedCallback => ("The file declares `callback: absent`, but the app has a callback configuration", "Remove it with v4/room_config/delete_callback (body {}), or declare the callback.", "error"),
            };
            RuleDoc { id: rule_id(*kind), short: short.into(), help: help.into(), level }
        })
        .collect();
    rules.push(RuleDoc {
        id: FAILED_RULE.into(),
        short: "The app could not be checked".into(),
        help: "Credentials missing or refused, or the API failed: the result names the ErrorCode, RequestId and what to check.".into(),
        level: "error",
    });
    rules
}

fn lint_rules(annotations: &[Annotation]) -> Vec<RuleDoc> {
    let mut rules: Vec<RuleDoc> = Vec::new();
    for a in annotations {
        if !rules.iter().any(|r| r.id == a.rule) {
            rules.push(RuleDoc {
                id: a.rule.clone(),
                short: format!("callbacks.yaml rule {}", a.rule.replace('/', "::")),
                help:
                    "Fix the file as the result's message says; `cbcheck lint` shows the snippet."
                        .into(),
                level: a.level.id(),
            });
        }
    }
    rules
}

/// A file path as a relative URI reference: `/` separators, everything outside the
/// unreserved characters percent-encoded (a space, `%` or `#` would break it).
fn uri(path: &str) -> String {
    path.replace('\\', "/")
        .split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Verify's results; the file's own warnings come with their config rules.
pub fn render_verify(annotations: &[Annotation]) -> String {
    let mut rules = verify_rules();
    let config: Vec<Annotation> = annotations
        .iter()
        .filter(|a| !rules.iter().any(|r| r.id == a.rule))
        .cloned()
        .collect();
    rules.extend(lint_rules(&config));
    render(annotations, rules)
}

pub fn render_lint(annotations: &[Annotation]) -> String {
    render(annotations, lint_rules(annotations))
}

fn render(annotations: &[Annotation], rules: Vec<RuleDoc>) -> String {
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id.trim_start_matches("cbcheck/"),
                "shortDescription": {"text": r.short},
                "fullDescription": {"text": r.short},
                "help": {"text": r.help},
                "defaultConfiguration": {"level": r.level},
            })
        })
        .collect();
    let results: Vec<Value> = annotations
        .iter()
        .map(|a| {
            json!({
                "ruleId": a.rule,
                "ruleIndex": rules.iter().position(|r| r.id == a.rule).unwrap_or(0),
                "level": a.level.id(),
                "message": {"text": format!("{}: {}", a.title, a.message)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri(&a.file)},
                    "region": {"startLine": a.line, "startColumn": a.column},
                }}],
                "partialFingerprints": {"cbcheck/v1": a.fingerprint},
            })
        })
        .collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cbcheck",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_values,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {"cbcheckReportVersion": REPORT_VERSION},
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).expect("plain data serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("envs/prod,eu.yaml"), "envs/prod%2Ceu.yaml");
        assert_eq!(uri("my env#1 100%.yaml"), "my%20env%231%20100%25.yaml");
        assert_eq!(uri("a\\b/ü.yaml"), "a/b/%C3%BC.yaml");
    }
}
