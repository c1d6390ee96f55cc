//! The documented shape of callbacks.yaml (version 1), as Rust types.
//!
//! The JSON Schema is generated from these types, and validation checks the file
//! against the same key names (a unit test keeps the two in step).

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::transform::{Transform, transform_subschemas};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;

use crate::model::tencent::region::Region;
use crate::model::{ExtraCommands, ServiceName};

/// A cbcheck callbacks file: the callback configuration each Tencent RTC Engine app
/// (Room, Live or Call service) must have.
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
    /// Command words the vendor has and this cbcheck's catalog does not yet, by
    /// service: apps of that service may declare them, and live ones are compared like
    /// the catalog's. Lint names them in one notice; a word the catalog has is a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_commands: Option<KnownCommands>,
    /// The apps (SDKAppIDs) whose callback configuration is checked.
    #[schemars(length(min = 1))]
    pub apps: Vec<AppSpec>,
}

/// New command words, by service.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KnownCommands {
    /// Room words, e.g. `Room.CallbackAfterSomethingNew`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<Vec<NewWord>>,
    /// Live words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Vec<NewWord>>,
    /// Call words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<Vec<NewWord>>,
}

/// A command word not in the catalog: a prefix, a dot and `Callback…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct NewWord(
    #[schemars(regex(pattern = r"^[A-Z][A-Za-z0-9]*\.Callback[A-Za-z0-9]+$"))] pub String,
);

/// Values every app inherits unless it sets its own.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The service of every app that does not name its own; `room` when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceName>,
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
    /// A label used in reports and by `--app`; unique in the file when given. Not
    /// digits only: `--app` reads a number as an SDKAppID.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), regex(pattern = r"\D"))]
    pub name: Option<String>,
    /// The app's SDKAppID; unique in the file for its service.
    #[schemars(range(min = 1))]
    pub sdkappid: u64,
    /// Whose callback configuration this is: `room` (the default, or `defaults.service`),
    /// `live` or `call`. Its command words come from that service's catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceName>,
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
    /// Live only: whether the vendor must sign callbacks (get_callback_token's
    /// `IsTokenEnable`). Not checked when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_auth: Option<TokenAuth>,
    /// The callback configuration the app must have, or `absent`: it must have none.
    pub callback: CallbackDecl,
}

/// Whether a Live app's callbacks are signed with its callback token.
#[allow(dead_code, reason = "described in the schema, never built")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum TokenAuth {
    /// The vendor signs every callback (`IsTokenEnable` is true).
    #[serde(rename = "enabled")]
    Enabled,
    /// No token, or one that is not enabled.
    #[serde(rename = "disabled")]
    Disabled,
}

/// A callback configuration, or the word `absent`.
#[allow(dead_code, reason = "described in the schema, never built")]
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CallbackDecl {
    Callback(CallbackSpec),
    Absent(AbsentWord),
}

/// `absent`: the app must have no callback configuration (apply deletes one).
#[allow(dead_code, reason = "described in the schema, never built")]
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
    /// A `${NAME}` in it (NAME: letters, digits, `_`, not starting with a digit) is
    /// replaced by the environment variable's value when the file is used, so a token
    /// in the URL stays out of git; `$${` is a literal `${`. Only this value is expanded.
    #[schemars(regex(pattern = r"^https?://"))]
    pub url: String,
    /// The event command words to deliver; order does not matter.
    pub commands: Vec<CommandWord>,
}

/// A callback command word from the catalog of the app's service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CommandWord(pub String);

impl JsonSchema for CommandWord {
    fn schema_name() -> Cow<'static, str> {
        "CommandWord".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A callback command word of Room (trtc.io/document/60720), Live (64413) or Call (68934); an app with `service` accepts its service's words only.",
            "type": "string",
            "enum": all_words(),
        })
    }
}

/// Every service's words, each once, in catalog order.
fn all_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = Vec::new();
    for service in ServiceName::ALL {
        for word in service.row().commands {
            if !words.contains(word) {
                words.push(word);
            }
        }
    }
    words
}

/// For an app that names its service, its command words are that service's, so an
/// editor completes the right ones. (One without `service` may inherit it from
/// `defaults`, which a schema cannot follow: it gets every service's words.)
fn per_service_commands() -> serde_json::Value {
    let rules: Vec<serde_json::Value> = ServiceName::ALL
        .into_iter()
        .map(|service| {
            serde_json::json!({
                "if": {
                    "properties": {"service": {"const": service.name()}},
                    "required": ["service"]
                },
                "then": {
                    "properties": {"callback": {"anyOf": [
                        {"properties": {"commands": {"items": {"enum": service.row().commands}}}},
                        {"const": "absent"}
                    ]}}
                }
            })
        })
        .collect();
    serde_json::Value::Array(rules)
}

/// The JSON Schema of callbacks.yaml, as committed in schemas/callbacks.schema.json.
pub fn schema_json() -> String {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(NoNull)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<ConfigFile>();
    if let Some(app) = schema
        .get_mut("$defs")
        .and_then(|defs| defs.get_mut("AppSpec"))
        .and_then(|app| app.as_object_mut())
    {
        app.insert("allOf".into(), per_service_commands());
    }
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
