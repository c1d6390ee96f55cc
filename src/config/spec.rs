//! The documented shape of callbacks.yaml (version 1), as Rust types.
//!
//! The JSON Schema is generated from these types, and validation checks the file
//! against the same key names (a unit test keeps the two in step).

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;

use crate::catalog::KNOWN_COMMANDS;
use crate::model::ExtraCommands;
use crate::model::vendor::region::Region;

/// A cbcheck callbacks file: the callback configuration each Chat/TRTC Room app must have.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cbcheck callbacks.yaml")]
pub struct ConfigFile {
    /// The format version of this file. Only 1 exists.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    /// Values every app inherits unless it sets its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    /// The apps (SDKAppIDs) whose callback configuration is checked.
    #[schemars(length(min = 1))]
    pub apps: Vec<AppSpec>,
}

/// Values every app inherits unless it sets its own.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The data-centre region of the apps; picks the REST host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// The App administrator account that signs the REST requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub identifier: Option<String>,
    /// What to do with live commands this file does not declare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_commands: Option<ExtraCommands>,
}

/// One app (SDKAppID) and the callback it must have.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// A label used in reports; unique in the file when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// The app's SDKAppID; unique in the file.
    #[schemars(range(min = 1))]
    pub sdkappid: u64,
    /// The data-centre region; required unless `defaults.region` or `endpoint` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// An absolute http(s) URL that replaces the region's REST host (e.g. a proxy).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://[^/?#\s]+(/[^?#\s]*)?$"))]
    pub endpoint: Option<String>,
    /// The App administrator account that signs requests; required unless `defaults.identifier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub identifier: Option<String>,
    /// The name of the environment variable that holds this app's secret key
    /// (never the key itself: this file is meant for git).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub secret_key_env: Option<String>,
    /// Accept a plain-http callback URL: its error becomes a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_insecure_url: Option<bool>,
    /// What to do with live commands this app does not declare; overrides `defaults.extra_commands`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_commands: Option<ExtraCommands>,
    /// The callback configuration the app must have, or `absent`: it must have none.
    pub callback: CallbackDecl,
}

/// A callback configuration, or the word `absent`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CallbackDecl {
    Callback(CallbackSpec),
    Absent(AbsentWord),
}

/// `absent`: the app must have no callback configuration (apply deletes one).
#[derive(Debug, Serialize, JsonSchema)]
pub enum AbsentWord {
    #[serde(rename = "absent")]
    Absent,
}

/// The callback configuration: where events go and which events.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackSpec {
    /// The URL the vendor posts events to (https; plain http only with `allow_insecure_url`).
    #[schemars(regex(pattern = r"^https?://"))]
    pub url: String,
    /// The event command words to deliver; order does not matter.
    pub commands: Vec<CommandWord>,
}

/// A callback command word from the Room catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CommandWord(pub String);

impl JsonSchema for CommandWord {
    fn schema_name() -> Cow<'static, str> {
        "CommandWord".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Room callback command word (trtc.io/document/60720).",
            "type": "string",
            "enum": KNOWN_COMMANDS,
        })
    }
}

/// The JSON Schema of callbacks.yaml, as committed in schemas/callbacks.schema.json.
pub fn schema_json() -> String {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(NoNull)
        .into_generator();
    let schema = generator.into_root_schema_for::<ConfigFile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// An absent optional key is fine; an explicit `null` is not (validation refuses it
/// too), so the `null` that schemars allows for every `Option` is taken out.
#[derive(Clone)]
struct NoNull;

impl Transform for NoNull {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(types) = schema.get_mut("type").and_then(|t| t.as_array_mut()) {
            types.retain(|t| t != "null");
            if let [only] = types.as_slice() {
                let only = only.clone();
                schema.insert("type".into(), only);
            }
        }
        if let Some(variants) = schema.get_mut("anyOf").and_then(|a| a.as_array_mut()) {
            variants.retain(|v| v.get("type").is_none_or(|t| t != "null"));
            if let [only] = variants.as_slice() {
                let only = only.clone();
                schema.remove("anyOf");
                if let Some(object) = only.as_object() {
                    for (key, value) in object {
                        schema.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        transform_subschemas(self, schema);
    }
}
