//! Writing a callbacks file (`cbcheck export`): what is live, as a valid version-1 file.

use std::fmt::Write as _;

use url::Url;

use super::node::Value;
use super::{App, ExtraCommands};
use crate::model::tencent::region::Region;
use crate::model::text::{json_string_safe, printable};
use crate::model::{CallbackConfig, ServiceName};

/// One app to write, with what the live side said.
pub enum Entry<'a> {
    /// Live has a configuration: it is declared as is.
    Present(&'a App, &'a CallbackConfig),
    /// get_callback answered 100301: written as a comment, the `callback: absent`
    /// entry to uncomment if it must stay that way.
    Absent(&'a App),
    /// An SDKAppID with no configuration in any of the services read: one comment line.
    Nothing {
        sdkappid: u64,
        region: Region,
        services: &'a [ServiceName],
    },
}

impl Entry<'_> {
    /// Whether the entry becomes a declaration (not a comment).
    pub fn declares(&self) -> bool {
        match self {
            Entry::Present(_, live) => live_url_problem(&live.url).is_none(),
            Entry::Absent(_) | Entry::Nothing { .. } => false,
        }
    }
}

/// Values written once under `defaults:` (apps that share them omit them).
pub struct Defaults<'a> {
    pub region: Region,
    pub identifier: &'a str,
}

/// Why a live URL cannot be declared (the validator would refuse it), if it can't.
pub fn live_url_problem(url: &str) -> Option<String> {
    match Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            None
        }
        Ok(parsed) => Some(format!(
            "its scheme `{}` is not http(s), or it has no host",
            parsed.scheme()
        )),
        Err(err) => Some(format!("it is not an absolute URL ({err})")),
    }
}

/// The published schema of this version's callbacks files: the repository's file at
/// the release tag, for the exported file's modeline.
pub const SCHEMA_URL: &str = concat!(
    "https://raw.githubusercontent.com/cbcheck/cbcheck/v",
    env!("CARGO_PKG_VERSION"),
    "/schemas/callbacks.schema.json"
);

/// The file's text. Comments say what could not be written as declarations.
pub fn render(entries: &[Entry<'_>], defaults: Option<&Defaults<'_>>) -> String {
    let mut out = format!(
        "# yaml-language-server: $schema={SCHEMA_URL}\n\
         # Exported by cbcheck from the live configuration (`cbcheck schema` prints the schema above).\n\
         # Review before committing: URLs are written as they are live, secret-looking query values\n\
         # as ${{…}} placeholders unless --literal-urls (export named them).\n\
         version: 1\n",
    );
    if let Some(d) = defaults {
        let _ = write!(
            out,
            "defaults:\n  region: {}\n  identifier: {}\n",
            d.region.name(),
            scalar(d.identifier)
        );
    }
    out.push_str("apps:\n");
    for entry in entries {
        match entry {
            Entry::Present(app, live) => match live_url_problem(&live.url) {
                None => present(&mut out, app, live, defaults),
                Some(problem) => {
                    let _ = writeln!(
                        out,
                        "  # {} is not declared: its live URL {} cannot be, {problem}. Declare it by hand.",
                        comment(&app.label()),
                        comment(&scalar(&live.url))
                    );
                }
            },
            Entry::Absent(app) => {
                let title = app.title();
                let _ = writeln!(
                    out,
                    "  # {} has no callback configuration live (get_callback answered 100301).\n  \
                     # To keep it that way, declare it with `callback: absent`:",
                    comment(&title)
                );
                for (i, line) in fields(app, defaults, false).iter().enumerate() {
                    let line = comment(line.trim_start_matches("  - "));
                    let _ = writeln!(out, "  # {}{line}", if i == 0 { "- " } else { "  " });
                }
                out.push_str("  #   callback: absent\n");
            }
            Entry::Nothing {
                sdkappid,
                region,
                services,
            } => {
                let _ = writeln!(
                    out,
                    "  # sdkappid {sdkappid} ({}): no callback configured in {}",
                    region.name(),
                    either(services)
                );
            }
        }
    }
    out
}

/// `room`, `room or live`, `room, live or call`.
fn either(services: &[ServiceName]) -> String {
    let names: Vec<&str> = services.iter().map(|s| s.name()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The app's own keys, the first line starting its list entry (`  - `).
fn fields(app: &App, defaults: Option<&Defaults<'_>>, insecure_live: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(name) = &app.name {
        lines.push(format!("name: {}", scalar(name)));
    }
    lines.push(format!("sdkappid: {}", app.sdkappid));
    if let Some(service) = app.service.qualifier() {
        lines.push(format!("service: {service}"));
    }
    if let Some(enabled) = app.token_auth {
        let word = if enabled { "enabled" } else { "disabled" };
        lines.push(format!("token_auth: {word}"));
    }
    if let Some(region) = app
        .region
        .filter(|r| defaults.is_none_or(|d| d.region != *r))
    {
        lines.push(format!("region: {}", region.name()));
    }
    if let Some(endpoint) = &app.endpoint {
        lines.push(format!("endpoint: {}", scalar(endpoint.as_str())));
    }
    if defaults.is_none_or(|d| d.identifier != app.identifier) {
        lines.push(format!("identifier: {}", scalar(&app.identifier)));
    }
    if let Some(env) = &app.secret_key_env {
        lines.push(format!("secret_key_env: {}", scalar(env)));
    }
    if insecure_live {
        lines.push("allow_insecure_url: true  # the live URL is not https".to_owned());
    } else if app.allow_insecure_url {
        lines.push("allow_insecure_url: true".to_owned());
    }
    lines[0] = format!("  - {}", lines[0]);
    lines
}

fn present(out: &mut String, app: &App, live: &CallbackConfig, defaults: Option<&Defaults<'_>>) {
    let mut commands: Vec<&str> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for word in &live.commands {
        let list = if app.knows(word) {
            &mut commands
        } else {
            &mut unknown
        };
        if !list.contains(&word.as_str()) {
            list.push(word);
        }
    }
    let insecure = Url::parse(&live.url).is_ok_and(|u| u.scheme() != "https");
    // An unknown live word cannot be declared; `warn` keeps it reported without failing.
    let extra = match app.extra_commands {
        ExtraCommands::Error if !unknown.is_empty() => ExtraCommands::Warn,
        policy => policy,
    };
    let mut lines = fields(app, defaults, insecure);
    if extra != ExtraCommands::Error {
        lines.push(format!("extra_commands: {}", extra.name()));
    }
    out.push_str(&lines.join("\n    "));
    let _ = writeln!(
        out,
        "\n    callback:\n      url: {}",
        scalar(declared_url(live))
    );
    if commands.is_empty() {
        out.push_str("      commands: []\n");
    } else {
        out.push_str("      commands:\n");
        for word in &commands {
            let _ = writeln!(out, "        - {word}");
        }
    }
    for word in unknown {
        let _ = writeln!(
            out,
            "      # live also has {}, not a {} command word: left out",
            comment(&scalar(word)),
            app.service.title()
        );
    }
}

/// Text safe inside a `#` comment: one line (no line break YAML 1.1 or 1.2 reads, which
/// would turn the rest of a comment into keys), with unsafe characters and workflow
/// commands as visible escapes (`\u{2028}`): a comment has no escapes of its own.
fn comment(text: &str) -> String {
    printable(text, &[]).into_owned()
}

/// The URL export declares for a live configuration: the one place it is chosen,
/// for a new file and for a refreshed one alike.
pub fn declared_url(live: &CallbackConfig) -> &str {
    &live.url
}

/// A YAML scalar for a string: plain when the loader reads it back as the same
/// string, else double-quoted.
pub(super) fn scalar(text: &str) -> String {
    let reads_back = super::node::parse(&format!("k: {text}\n")).is_ok_and(|root| {
        matches!(&root.value, Value::Map(entries)
            if entries.len() == 1 && matches!(&entries[0].1.value, Value::Str(s) if s == text))
    });
    // Plain only when nothing in it needs an escape (YAML 1.1 readers break lines at
    // U+2028, U+2029 and U+0085; logs act on workflow commands).
    if reads_back && !text.contains(['#', '\t']) && printable(text, &[]) == text {
        return text.to_owned();
    }
    double_quoted(text)
}

/// A scalar that reads back as `text` in block and flow collections alike (plain
/// only without flow indicators).
pub(super) fn flow_scalar(text: &str) -> String {
    if text.contains([',', '[', ']', '{', '}']) {
        double_quoted(text)
    } else {
        scalar(text)
    }
}

/// A double-quoted scalar: JSON string syntax, with what YAML reads otherwise escaped.
pub(super) fn double_quoted(text: &str) -> String {
    let quoted = serde_json::to_string(text).expect("a string serialises");
    // JSON leaves DEL, the C1 controls (U+0085 among them), U+2028, U+2029 and the
    // byte-order mark raw; YAML reads the same text from their `\uXXXX` escapes.
    json_string_safe(&quoted).into_owned()
}

/// Whether a single-quoted scalar can hold `text` (single quotes have no escapes, and
/// fold line breaks, U+2028 and U+2029 included for YAML 1.1 readers).
pub(super) fn single_quotable(text: &str) -> bool {
    printable(text, &[]) == text
        && !text
            .chars()
            .any(|c| matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_back_as_the_same_string() {
        for text in [
            "https://hooks.example.com/cb?token=a&b=1",
            "administrator",
            "true",
            "1400000001",
            "1e5",
            "a: b",
            "#hash",
            "quote\"d",
            "",
            "späce name",
            "https://h.example.com/x:",
            "0x10",
            "0o17",
            "1_000",
            "TRUE",
            "NULL",
            "del\u{7f}c1\u{85}",
            "line\nbreak",
            " https://lead.example.com",
            "sep\u{2028}para\u{2029}nel\u{85}cr\rff\u{c}",
            "a ##[stop-commands]x ::add-mask::y",
        ] {
            let yaml = format!("k: {}\n", scalar(text));
            let value: serde_json::Value = serde_saphyr::from_str(&yaml).expect("valid YAML");
            assert_eq!(value["k"], text, "{yaml}");
        }
        for text in ["sep\u{2028}x", "p\u{2029}x", "n\u{85}x", "##[x"] {
            let written = format!("{}{}", scalar(text), comment(text));
            assert!(
                !written.contains(['\u{2028}', '\u{2029}', '\u{85}']),
                "{written}"
            );
            assert!(!written.contains("##["), "{written}");
        }
        assert_eq!(scalar("administrator"), "administrator");
        assert_eq!(scalar("true"), "\"true\"");
    }
}
