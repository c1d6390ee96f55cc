//! Writing a callbacks file (`cbcheck export`): what is live, as a valid version-1 file.

use std::fmt::Write as _;

use super::{App, ExtraCommands};
use crate::api::CallbackConfig;
use crate::catalog;
use crate::region::Region;

/// One app to write, with what the live side said.
pub enum Entry<'a> {
    /// Live has a configuration: it is declared as is.
    Present(&'a App, &'a CallbackConfig),
    /// get_callback answered 100301: written as a comment.
    Absent(&'a App),
}

/// Values written once under `defaults:` (apps that share them omit them).
pub struct Defaults<'a> {
    pub region: Region,
    pub identifier: &'a str,
}

/// The file's text. Comments say what could not be written as declarations.
pub fn render(entries: &[Entry<'_>], defaults: Option<&Defaults<'_>>) -> String {
    let mut out = String::from(
        "# yaml-language-server: $schema=callbacks.schema.json\n\
         # Exported by cbcheck from the live configuration; `cbcheck schema > callbacks.schema.json`\n\
         # writes the schema beside this file. Review before committing: URLs are written as they are live.\n\
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
            Entry::Present(app, live) => present(&mut out, app, live, defaults),
            Entry::Absent(app) => {
                let _ = write!(
                    out,
                    "  # sdkappid {id}{name} has no callback configuration live (get_callback answered 100301).\n\
                     \x20 # To keep it that way, declare it with `callback: absent`:\n\
                     \x20 # - sdkappid: {id}\n\
                     \x20 #   callback: absent\n",
                    id = app.sdkappid,
                    name = app
                        .name
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default(),
                );
            }
        }
    }
    out
}

fn present(out: &mut String, app: &App, live: &CallbackConfig, defaults: Option<&Defaults<'_>>) {
    let mut commands: Vec<&str> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for word in &live.commands {
        let list = if catalog::is_known(word) {
            &mut commands
        } else {
            &mut unknown
        };
        if !list.contains(&word.as_str()) {
            list.push(word);
        }
    }
    let insecure = !live.url.to_ascii_lowercase().starts_with("https://");
    // An unknown live word cannot be declared; `warn` keeps it reported without failing.
    let extra = if unknown.is_empty() {
        app.extra_commands
    } else {
        ExtraCommands::Warn
    };

    out.push_str("  - ");
    let mut first = true;
    let mut field = |out: &mut String, line: String| {
        if !first {
            out.push_str("    ");
        }
        first = false;
        out.push_str(&line);
        out.push('\n');
    };
    if let Some(name) = &app.name {
        field(out, format!("name: {}", scalar(name)));
    }
    field(out, format!("sdkappid: {}", app.sdkappid));
    if let Some(region) = app
        .region
        .filter(|r| defaults.is_none_or(|d| d.region != *r))
    {
        field(out, format!("region: {}", region.name()));
    }
    if let Some(endpoint) = &app.endpoint {
        field(out, format!("endpoint: {}", scalar(endpoint.as_str())));
    }
    if defaults.is_none_or(|d| d.identifier != app.identifier) {
        field(out, format!("identifier: {}", scalar(&app.identifier)));
    }
    if let Some(env) = &app.secret_key_env {
        field(out, format!("secret_key_env: {env}"));
    }
    if app.allow_insecure_url || insecure {
        field(
            out,
            "allow_insecure_url: true  # the live URL is not https".to_owned(),
        );
    }
    if extra != ExtraCommands::Error {
        field(out, format!("extra_commands: {}", extra.name()));
    }
    field(out, "callback:".to_owned());
    let _ = writeln!(out, "      url: {}", scalar(&live.url));
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
            "      # live also has {}, not a Room command word: left out",
            scalar(word)
        );
    }
}

/// A YAML scalar for a string: plain when that reads back as the same string,
/// else double-quoted (JSON string syntax is valid YAML).
fn scalar(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:?=&%+~@-".contains(c))
        && !text.contains(": ")
        && text.parse::<f64>().is_err()
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        );
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("a string serialises")
    }
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
        ] {
            let yaml = format!("k: {}\n", scalar(text));
            let value: serde_json::Value = serde_saphyr::from_str(&yaml).expect("valid YAML");
            assert_eq!(value["k"], text, "{yaml}");
        }
        assert_eq!(scalar("administrator"), "administrator");
        assert_eq!(scalar("true"), "\"true\"");
    }
}
