//! The callbacks.yaml model: reading, validation, the checked apps, the schema.

mod diagnostic;
pub mod edit;
mod node;
pub mod placeholders;
mod secrets;
pub mod spec;
mod validate;
pub mod writer;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use miette::SourceSpan;
use url::Url;

pub use crate::model::file_text::FileText;
pub use crate::model::{App, AppSpans, Config, DeclaredCommand, DesiredCallback, ExtraCommands};
pub use diagnostic::{ConfigDiagnostic, Omitted, Rule};
pub use spec::schema_json;

use crate::model::key_names::KeyNames;
use crate::model::redact::Redaction;

/// The file name that means stdin.
pub const STDIN: &str = "-";

/// What diagnostics call a file read from stdin.
pub const STDIN_NAME: &str = "<stdin>";

/// The commented starter file `cbcheck init` writes; valid, with no warnings.
pub const STARTER: &str = include_str!("starter.yaml");

/// Files larger than this are refused before parsing (a 5000-app file is about 1.5 MiB).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The result of loading one file: every problem found, and the config when it is valid.
#[derive(Debug)]
pub struct Loaded {
    pub file: String,
    /// The first [`diagnostic::MAX_DIAGNOSTICS`] problems, in file order.
    pub diagnostics: Vec<ConfigDiagnostic>,
    /// The problems past them: counted, not described.
    pub omitted: Vec<Omitted>,
    /// `Some` when the file has no errors (it may have warnings).
    pub config: Option<Config>,
    /// An invalid file whose errors are all inside app entries: its valid apps, which
    /// `verify` still checks (the file stays invalid: exit 2). `None` otherwise.
    pub partial: Option<Config>,
    /// The app entries with errors, as reports name them (`apps[2] (sdkappid …)`).
    pub invalid_entries: Vec<String>,
    /// The SHA-256 of the bytes read (hex), so an archived report names the content
    /// it was made from; `None` when the file could not be read.
    pub sha256: Option<String>,
    /// What the file says about key sources, for [`check_key_placeholders`].
    keys: KeyUse,
}

/// A file's key variables, and the placeholders of its callback URLs not (yet)
/// refused as naming one.
#[derive(Debug, Default)]
struct KeyUse {
    secret_key_envs: Vec<String>,
    placeholders: Vec<placeholders::Placeholder>,
    /// The file as diagnostics show it.
    source: Option<Arc<FileText>>,
}

/// The key sources of a run, from every file it loaded; every placeholder, in any of
/// them, that names one is an error of its file (which is then invalid). Each is
/// reported once, however often this is called.
pub fn check_key_placeholders(files: &mut [Loaded]) -> KeyNames {
    let names = KeyNames::new(
        files
            .iter()
            .flat_map(|file| file.keys.secret_key_envs.iter().map(String::as_str)),
    );
    for file in files {
        file.refuse_key_placeholders(&names);
    }
    names
}

impl Loaded {
    /// Every error, listed or not.
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
            + self.omitted.iter().filter(|o| o.error).count()
    }

    /// Every warning, listed or not (a notice is none).
    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_warning()).count()
            + self.omitted.iter().filter(|o| !o.error).count()
    }

    /// The diagnostics every report lists: the kept ones, then the one that counts
    /// the rest, when there is a rest.
    pub fn listed(&self) -> impl Iterator<Item = std::borrow::Cow<'_, ConfigDiagnostic>> {
        let note = diagnostic::omitted_note(&self.omitted).map(|mut note| {
            // Only a valid file's problems are forgotten: it has its source when none is left.
            note.source = self
                .diagnostics
                .first()
                .and_then(|d| d.source.clone())
                .or_else(|| self.config.as_ref().map(|c| Arc::clone(&c.source)));
            note
        });
        self.diagnostics
            .iter()
            .map(std::borrow::Cow::Borrowed)
            .chain(note.map(std::borrow::Cow::Owned))
    }

    /// Forget the problems `forget` picks (by rule, severity and offset), listed or not.
    pub fn forget(&mut self, forget: impl Fn(Rule, bool, usize) -> bool) {
        self.diagnostics
            .retain(|d| !forget(d.rule, d.is_error(), d.offset()));
        self.omitted.retain(|o| !forget(o.rule, o.error, o.offset));
    }

    /// Forget the `unlisted-endpoint` warnings about endpoints the operator allowed
    /// (`--allow-endpoint`): they are no longer refused. Only valid apps are known;
    /// an invalid entry keeps them.
    pub fn forget_allowed_endpoints(&mut self, allowed: impl Fn(&Url) -> bool) {
        let Some(config) = self.config.as_ref().or(self.partial.as_ref()) else {
            return;
        };
        let spans: std::collections::HashSet<usize> = config
            .apps
            .iter()
            .filter(|app| app.endpoint.as_ref().is_some_and(&allowed))
            .filter_map(|app| app.spans.endpoint.map(|span| span.offset()))
            .collect();
        self.forget(|rule, _, offset| rule == Rule::UnlistedEndpoint && spans.contains(&offset));
    }

    fn refuse_key_placeholders(&mut self, names: &KeyNames) {
        let (refused, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.keys.placeholders)
            .into_iter()
            .partition(|p| names.is_key_source(&p.name));
        self.keys.placeholders = kept;
        if refused.is_empty() {
            return;
        }
        // A key source in a URL is the file's problem: none of its apps is checked.
        self.partial = None;
        // Still the first MAX_DIAGNOSTICS in file order, the rest counted.
        let mut collected = diagnostic::Collected::resume(
            std::mem::take(&mut self.diagnostics),
            std::mem::take(&mut self.omitted),
        );
        for placeholder in &refused {
            if let Some(source) = names.source(&placeholder.name) {
                let mut d = placeholders::key_in_url(placeholder, source);
                d.source.clone_from(&self.keys.source);
                collected.push(d);
            }
        }
        (self.diagnostics, self.omitted) = collected.finish();
        self.config = None;
    }

    fn failed(file: String, diagnostic: ConfigDiagnostic) -> Loaded {
        Loaded {
            file,
            diagnostics: vec![diagnostic],
            omitted: Vec::new(),
            config: None,
            partial: None,
            invalid_entries: Vec::new(),
            sha256: None,
            keys: KeyUse::default(),
        }
    }
}

/// Read and validate a config file. Never panics; every problem becomes a diagnostic.
pub fn load(path: &Path, redaction: &Redaction) -> Loaded {
    let (file, read) = read(path);
    match read {
        Ok(bytes) => load_bytes(file, bytes, redaction),
        Err(err) => Loaded::failed(file, err),
    }
}

/// `load`, and the file's text as read (unmasked), for an edit in place. The text is
/// `None` when the file could not be read as text.
pub fn load_with_text(path: &Path, redaction: &Redaction) -> (Loaded, Option<String>) {
    let (file, read) = read(path);
    match read {
        Ok(bytes) => {
            let text = String::from_utf8(bytes.clone()).ok();
            (load_bytes(file, bytes, redaction), text)
        }
        Err(err) => (Loaded::failed(file, err), None),
    }
}

/// The name diagnostics give the file, and its bytes: `-` is stdin.
fn read(path: &Path) -> (String, Result<Vec<u8>, ConfigDiagnostic>) {
    if path.as_os_str() == STDIN {
        let file = STDIN_NAME.to_owned();
        let bytes = read_limited(&file, std::io::stdin().lock());
        return (file, bytes);
    }
    let file = path.display().to_string();
    let bytes = std::fs::File::open(path)
        .map_err(|err| unreadable(&file, err))
        .and_then(|handle| read_limited(&file, handle));
    (file, bytes)
}

fn unreadable(file: &str, err: std::io::Error) -> ConfigDiagnostic {
    ConfigDiagnostic::error(Rule::Unreadable, format!("cannot read {file}: {err}"))
        .help("check the path and the file's permissions")
}

/// Read at most one byte more than the limit, so a huge input (a stream, too) is never held.
fn read_limited(file: &str, input: impl Read) -> Result<Vec<u8>, ConfigDiagnostic> {
    let mut bytes = Vec::new();
    input
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(file, err))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ConfigDiagnostic::error(
            Rule::TooLarge,
            format!(
                "{file} is larger than {} MiB, the most cbcheck reads",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
        .help("is this the right file? Split a fleet this large into one file per environment"));
    }
    Ok(bytes)
}

/// Validate a file's content; `file` is the name shown in diagnostics.
pub fn load_bytes(file: String, bytes: Vec<u8>, redaction: &Redaction) -> Loaded {
    let sha256 = crate::model::run_info::sha256_hex(&bytes);
    Loaded {
        sha256: Some(sha256),
        ..validate_bytes(file, bytes, redaction)
    }
}

fn validate_bytes(file: String, bytes: Vec<u8>, redaction: &Redaction) -> Loaded {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let mut d = ConfigDiagnostic::error(
                Rule::NotUtf8,
                format!("{file} is not UTF-8 text (invalid byte at offset {offset})"),
            )
            .primary(SourceSpan::new(offset.into(), 1), "not UTF-8")
            .help("callbacks files are YAML text in UTF-8; is this the right file?");
            // Everything before the bad byte is intact in the lossy copy: the byte keeps
            // its line and column.
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            d.source = Some(Arc::new(FileText::new(
                &file,
                mask_unparsed(text, redaction),
            )));
            return Loaded::failed(file, d);
        }
    };
    let root = match node::parse(&text) {
        Ok(root) => root,
        Err(err) => {
            let mut d = ConfigDiagnostic::error(Rule::Syntax, format!("invalid YAML: {}", err.message))
                .help("fix the YAML syntax at the marked position; `cbcheck lint` reports the other problems once the file parses");
            if let Some(offset) = err.offset {
                d = d.primary(SourceSpan::new(offset.into(), 0), "here");
            }
            d.source = Some(Arc::new(FileText::new(
                &file,
                mask_unparsed(text, redaction),
            )));
            return Loaded::failed(file, d);
        }
    };
    let secrets = secrets::scan(&text, &root);
    let outcome = validate::validate(&text, &root, secrets.hidden);
    let mut hidden = secrets.spans;
    hidden.extend(outcome.secret_spans);
    if !redaction.show_secrets {
        hidden.extend(secrets.url_tokens);
    }
    let source = Arc::new(FileText::new(&file, mask(text, &hidden)));
    let mut collected = outcome.diagnostics;
    // A secret written anywhere in the file keeps all of it from being used.
    let confined = outcome.file_errors == 0 && !secrets.diagnostics.has_errors();
    collected.append(secrets.diagnostics);
    // In file order, as a reader goes through the file.
    let (mut diagnostics, omitted) = collected.finish();
    for d in &mut diagnostics {
        d.source = Some(Arc::clone(&source));
    }
    let valid =
        !diagnostics.iter().any(ConfigDiagnostic::is_error) && !omitted.iter().any(|o| o.error);
    let config = Config {
        file: file.clone(),
        source: Arc::clone(&source),
        apps: outcome.apps,
    };
    let (config, partial) = match (valid, confined) {
        (true, _) => (Some(config), None),
        // With no valid app left, there is nothing to check: the file stops the run.
        (false, true) if !config.apps.is_empty() => (None, Some(config)),
        (false, _) => (None, None),
    };
    let mut loaded = Loaded {
        config,
        partial,
        invalid_entries: outcome.invalid_entries,
        file,
        diagnostics,
        omitted,
        sha256: None,
        keys: KeyUse {
            secret_key_envs: outcome.secret_key_envs,
            placeholders: outcome.placeholders,
            source: Some(source),
        },
    };
    // The file's own key variables; those of the run's other files are checked
    // once all are loaded.
    check_key_placeholders(std::slice::from_mut(&mut loaded));
    loaded
}

/// A file that did not parse, masked line by line: its snippet shows the lines
/// around the problem, and they may hold secrets.
fn mask_unparsed(text: String, redaction: &Redaction) -> String {
    let secrets = secrets::scan_unparsed(&text);
    let mut hidden = secrets.spans;
    if !redaction.show_secrets {
        hidden.extend(secrets.url_tokens);
    }
    mask(text, &hidden)
}

/// Overwrite secret values with `*`, byte for byte, so every span stays valid.
fn mask(text: String, spans: &[SourceSpan]) -> String {
    if spans.is_empty() {
        return text;
    }
    let mut bytes = text.into_bytes();
    for span in spans {
        let end = (span.offset() + span.len()).min(bytes.len());
        if let Some(secret) = bytes.get_mut(span.offset()..end) {
            // Line breaks stay, so every line number after a multi-line value is right,
            // and so does the indentation after them, which is never part of a value.
            let mut line_start = false;
            for byte in secret {
                match byte {
                    b'\n' | b'\r' => line_start = true,
                    b' ' | b'\t' if line_start => {}
                    _ => {
                        line_start = false;
                        *byte = b'*';
                    }
                }
            }
        }
    }
    // Only whole UTF-8 sequences inside parser spans were replaced by ASCII.
    String::from_utf8(bytes)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::diagnostic::MAX_DIAGNOSTICS;
    use super::*;

    /// The starter file's comments list the regions and Room commands; they must not
    /// fall behind the tables.
    #[test]
    fn the_starter_file_names_every_region_and_room_command() {
        use crate::model::Service;
        use crate::model::tencent::region::Region;
        for region in Region::ALL {
            assert!(STARTER.contains(region.name()), "{}", region.name());
        }
        for command in Service::ROOM.commands {
            assert!(STARTER.contains(command), "{command}");
        }
        let loaded = load_bytes("starter".into(), STARTER.into(), &Redaction::default());
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    }

    #[test]
    fn schema_keys_match_the_validator() {
        let schema: serde_json::Value =
            serde_json::from_str(&schema_json()).expect("the schema is JSON");
        let keys = |pointer: &str| -> Vec<String> {
            let mut keys: Vec<String> = schema
                .pointer(pointer)
                .and_then(|p| p.as_object())
                .unwrap_or_else(|| panic!("{pointer} in schema"))
                .keys()
                .cloned()
                .collect();
            keys.sort();
            keys
        };
        let sorted = |list: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(keys("/properties"), sorted(validate::TOP_KEYS));
        assert_eq!(
            keys("/$defs/Defaults/properties"),
            sorted(validate::DEFAULTS_KEYS)
        );
        assert_eq!(
            keys("/$defs/AppSpec/properties"),
            sorted(validate::APP_KEYS)
        );
        assert_eq!(
            keys("/$defs/CallbackSpec/properties"),
            sorted(validate::CALLBACK_KEYS)
        );
        assert_eq!(
            keys("/$defs/KnownCommands/properties"),
            sorted(validate::KNOWN_COMMANDS_KEYS)
        );
        // Every keyed level of the schema is one compared above: a new one fails here
        // until the validator has its key list too.
        let mut keyed: Vec<&str> = schema
            .pointer("/$defs")
            .and_then(|d| d.as_object())
            .expect("$defs in schema")
            .iter()
            .filter(|(_, def)| def.get("properties").is_some())
            .map(|(name, _)| name.as_str())
            .collect();
        keyed.sort_unstable();
        assert_eq!(
            keyed,
            ["AppSpec", "CallbackSpec", "Defaults", "KnownCommands"]
        );
    }

    #[test]
    fn past_the_kept_diagnostics_problems_are_counted_and_forgotten_alike() {
        let apps: String = (0..1500)
            .map(|i| {
                format!(
                    "  - sdkappid: {}\n    endpoint: https://proxy.example.com\n    callback: absent\n",
                    1_400_000_000 + i
                )
            })
            .collect();
        let yaml = format!(
            "version: 1\ndefaults:\n  region: singapore\n  identifier: admin\napps:\n{apps}"
        );
        let mut loaded = load_bytes(
            "fleet.yaml".into(),
            yaml.into_bytes(),
            &Redaction::default(),
        );
        assert!(loaded.config.is_some(), "warnings only");
        assert_eq!((loaded.errors(), loaded.warnings()), (0, 1500));
        assert_eq!(loaded.diagnostics.len(), MAX_DIAGNOSTICS);
        let listed: Vec<_> = loaded.listed().collect();
        assert_eq!(listed.len(), MAX_DIAGNOSTICS + 1);
        let note = &listed[MAX_DIAGNOSTICS];
        assert_eq!(note.rule, Rule::TooManyProblems);
        assert!(!note.is_error());
        assert_eq!(note.line_col(), Some((6 + 3 * MAX_DIAGNOSTICS + 1, 15)));
        // Allowed, every one of them is forgotten: the kept and the counted alike.
        loaded.forget_allowed_endpoints(|_| true);
        assert_eq!(loaded.warnings(), 0);
        assert_eq!(loaded.listed().count(), 0);
    }

    #[test]
    fn masking_keeps_offsets() {
        let text = "a: sécret\nb: 1\n".to_owned();
        let start = text.find('s').expect("present");
        let len = "sécret".len();
        let masked = mask(text.clone(), &[SourceSpan::new(start.into(), len)]);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("cret"));
        assert!(masked.ends_with("\nb: 1\n"));
    }

    #[test]
    fn masking_keeps_line_breaks_and_indentation() {
        let text = "k: |\n  one two\n  three\nnext: 1\n".to_owned();
        let start = text.find("one").expect("present");
        let end = text.find("next").expect("present");
        let masked = mask(text.clone(), &[SourceSpan::new(start.into(), end - start)]);
        assert_eq!(masked, "k: |\n  *******\n  *****\nnext: 1\n");
    }
}
