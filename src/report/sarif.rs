//! SARIF 2.1.0 for code scanning: one rule per finding kind, results located in the YAML.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use url::Url;

use super::REPORT_VERSION;
use super::annotation::{Annotation, FAILED_RULE, rule_id};
use super::problem::Problem;
use crate::model::Kind;

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
                Kind::UnknownCommand => ("A live command word is not a known callback command of the app's service", "It delivers no events: correct or remove it.", "warning"),
                Kind::UnwantedCallback => ("The file declares `callback: absent`, but the app has a callback configuration", "Remove it with v4/room_config/delete_callback (body {}), or declare the callback.", "error"),
                Kind::TokenAuthMismatch => ("A Live app's callback signing is not as `token_auth` declares", "Set it by hand with v4/live_config/set_callback_token (cbcheck never sets, stores or shows the token).", "error"),
                Kind::EndpointUnresolvable => ("verify --probe: the callback host does not resolve", "Publish the host's DNS record, or correct the callback URL.", "warning"),
                Kind::EndpointPrivate => ("verify --probe: the callback host resolves only to addresses the vendor cannot reach", "Give the endpoint a public address; --probe-allow-private probes internal hosts anyway.", "warning"),
                Kind::EndpointUnreachable => ("verify --probe: the callback endpoint does not accept connections", "Check that the service listens on the URL's port and that firewalls let the vendor in.", "warning"),
                Kind::TlsInvalid => ("verify --probe: the callback endpoint's TLS certificate does not verify", "Install a certificate for the host, from a public CA, within its validity; the message says what failed.", "warning"),
                Kind::CertExpiring => ("verify --probe: the callback endpoint's certificate expires soon", "Renew it: less than a third of its lifetime (or a week) remains.", "warning"),
                Kind::EndpointSlow => ("verify --probe: connecting to the callback endpoint took more than 1 s", "The vendor waits about 2 s for a callback: move the endpoint closer or make it answer sooner.", "warning"),
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
                level: a.level.sarif(),
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

/// Where a result's file is. Under the working directory: a URI reference relative to
/// it, which code scanning resolves against the checkout. Elsewhere: an absolute
/// `file://` URI, because a relative reference that starts with `/` or `..` cannot be
/// combined with a base (SARIF1004). Without a working directory a relative path
/// stays as given.
fn artifact_uri(file: &str, cwd: Option<&Path>) -> String {
    let path = Path::new(file);
    let absolute = match cwd {
        Some(cwd) => lexically_normal(&cwd.join(path)),
        None if path.is_absolute() => lexically_normal(path),
        None => return uri(file),
    };
    if let Some(inside) = cwd.and_then(|cwd| absolute.strip_prefix(cwd).ok())
        && !inside.as_os_str().is_empty()
    {
        return uri(&inside.to_string_lossy());
    }
    Url::from_file_path(&absolute).map_or_else(|()| uri(file), String::from)
}

/// `.` and `..` resolved on the path's text, as the shell user wrote it: a symlinked
/// file under the working directory keeps its place there.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// Verify's results; the file's own diagnostics come with their config rules.
/// `stopped_by`: what stopped the run before any app was checked, which has no place
/// in a file (an `--app` that matches no app): the invocation reports it.
/// `cwd`, the working directory, is what relative locations are relative to.
/// Verify's SARIF, given to `out` line by line: 20,000 results are never held whole
/// as text.
pub fn write_verify(
    annotations: &[Annotation],
    stopped_by: &[Problem],
    cwd: Option<&Path>,
    out: &mut dyn FnMut(&str),
) {
    let mut rules = verify_rules();
    // The Live-only rule is listed when used, so a Room-only report is as it was.
    let token_rule = rule_id(Kind::TokenAuthMismatch);
    rules.retain(|r| r.id != token_rule || annotations.iter().any(|a| a.rule == token_rule));
    let config: Vec<Annotation> = annotations
        .iter()
        .filter(|a| !rules.iter().any(|r| r.id == a.rule))
        .cloned()
        .collect();
    rules.extend(lint_rules(&config));
    write(annotations, stopped_by, rules, cwd, out);
}

pub fn render_lint(annotations: &[Annotation], cwd: Option<&Path>) -> String {
    let mut text = String::new();
    write(
        annotations,
        &[],
        lint_rules(annotations),
        cwd,
        &mut |piece| {
            text.push_str(piece);
        },
    );
    text
}

// The document as serde_json's `Value` wrote it before (keys sorted, as its map sorts
// them), serialised straight from borrowed data: a whole tree of 20,000 results took
// hundreds of MiB.

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    column_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    invocations: Option<[Invocation<'a>; 1]>,
    properties: Properties,
    results: Results<'a>,
    tool: Tool<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    descriptor: Id<'a>,
    level: &'static str,
    message: Text<String>,
}

#[derive(Serialize)]
struct Id<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Properties {
    cbcheck_report_version: u32,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    information_uri: &'static str,
    name: &'static str,
    rules: Vec<Rule<'a>>,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    default_configuration: Level,
    full_description: Text<&'a str>,
    help: Text<&'a str>,
    id: &'a str,
    name: &'a str,
    short_description: Text<&'a str>,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct Text<T> {
    text: T,
}

/// The results, each written as it is serialised.
struct Results<'a> {
    annotations: &'a [Annotation],
    rules: &'a [RuleDoc],
    cwd: Option<&'a Path>,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        // Most results share a file: its URI is worked out once per run of them.
        let mut last: Option<(&str, String)> = None;
        let mut seq = serializer.serialize_seq(Some(self.annotations.len()))?;
        for a in self.annotations {
            let uri = match &last {
                Some((file, uri)) if *file == a.file => uri.clone(),
                _ => {
                    let uri = artifact_uri(&a.file, self.cwd);
                    last = Some((&a.file, uri.clone()));
                    uri
                }
            };
            seq.serialize_element(&SarifResult {
                level: a.level.sarif(),
                locations: [Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation { uri },
                        region: Region {
                            start_column: a.column,
                            start_line: a.line,
                        },
                    },
                }],
                message: Text {
                    text: Joined(&a.title, &a.message),
                },
                partial_fingerprints: Fingerprints { v1: &a.fingerprint },
                rule_id: &a.rule,
                rule_index: self.rules.iter().position(|r| r.id == a.rule).unwrap_or(0),
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location; 1],
    message: Text<Joined<'a>>,
    partial_fingerprints: Fingerprints<'a>,
    rule_id: &'a str,
    rule_index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_column: usize,
    start_line: usize,
}

#[derive(Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "cbcheck/v1")]
    v1: &'a str,
}

/// `title: message`, written without building the string.
struct Joined<'a>(&'a str, &'a str);

impl Serialize for Joined<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}: {}", self.0, self.1))
    }
}

fn write(
    annotations: &[Annotation],
    stopped_by: &[Problem],
    rules: Vec<RuleDoc>,
    cwd: Option<&Path>,
    out: &mut dyn FnMut(&str),
) {
    // Only a run that stopped says how it went: a report that ran is as it was.
    let invocations = (!stopped_by.is_empty()).then(|| {
        [Invocation {
            execution_successful: false,
            tool_execution_notifications: stopped_by
                .iter()
                .map(|p| Notification {
                    descriptor: Id { id: &p.code },
                    level: super::annotation::Level::from(p.severity).sarif(),
                    message: Text {
                        text: match &p.help {
                            Some(help) => format!("{}. {help}", p.message),
                            None => p.message.clone(),
                        },
                    },
                })
                .collect(),
        }]
    });
    let document = Document {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            column_kind: "unicodeCodePoints",
            invocations,
            properties: Properties {
                cbcheck_report_version: REPORT_VERSION,
            },
            results: Results {
                annotations,
                rules: &rules,
                cwd,
            },
            tool: Tool {
                driver: Driver {
                    information_uri: env!("CARGO_PKG_HOMEPAGE"),
                    name: "cbcheck",
                    rules: rules
                        .iter()
                        .map(|r| Rule {
                            default_configuration: Level { level: r.level },
                            full_description: Text { text: &r.short },
                            help: Text { text: &r.help },
                            id: &r.id,
                            name: r.id.trim_start_matches("cbcheck/"),
                            short_description: Text { text: &r.short },
                        })
                        .collect(),
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    super::json::write_pretty(&document, out);
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

    #[test]
    fn without_a_working_directory_only_absolute_paths_become_file_uris() {
        assert_eq!(
            artifact_uri("/srv/ops/./envs/../prod eu.yaml", None),
            "file:///srv/ops/prod%20eu.yaml"
        );
        assert_eq!(artifact_uri("envs/prod.yaml", None), "envs/prod.yaml");
    }

    #[test]
    fn the_working_directory_itself_is_no_file() {
        let cwd = Path::new("/srv/ops");
        assert_eq!(artifact_uri("/srv/ops/a.yaml", Some(cwd)), "a.yaml");
        assert_eq!(
            artifact_uri("/srv/opsx/a.yaml", Some(cwd)),
            "file:///srv/opsx/a.yaml"
        );
        assert_eq!(artifact_uri("..", Some(cwd)), "file:///srv");
        assert_eq!(artifact_uri(".", Some(cwd)), "file:///srv/ops");
    }
}
