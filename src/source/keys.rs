//! Where an app's credentials come from: the environment, never the file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::api::{self, KeySource};
use super::key_sources;
use crate::model::App;
use crate::model::key_names::{
    KeyNames, PLACEHOLDERS, SECRET_KEY_COMMAND, SECRET_KEY_COMMAND_TIMEOUT, SECRET_KEYS,
    SECRET_KEYS_FILE,
};
use crate::model::template;
use crate::source::secret::Secret;

/// The variables a run reads credentials and placeholder values from: the process's
/// environment, or a fixed set (a second run in the same process, a test); and what
/// the run read from the fleet's key sources, each read once (clones share it).
#[derive(Clone, Default)]
pub struct Env {
    vars: Option<Arc<HashMap<String, String>>>,
    read: Arc<Read>,
}

/// What a run read from its key sources, once each: the maps parsed, the key
/// file, each SDKAppID's command result; the key file's warning until it is told.
#[derive(Default)]
struct Read {
    keys: OnceLock<Result<HashMap<u64, Secret>, String>>,
    file: OnceLock<Result<HashMap<u64, Secret>, String>>,
    file_warning: Mutex<Option<String>>,
    command: OnceLock<Result<Vec<String>, String>>,
    commanded: Mutex<HashMap<u64, Result<Secret, String>>>,
    placeholders: OnceLock<Result<HashMap<String, Secret>, String>>,
}

/// Debug names no value: variables hold keys.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.vars {
            None => f.write_str("Env(process)"),
            Some(vars) => f.debug_set().entries(vars.keys()).finish(),
        }
    }
}

impl Env {
    /// The process's environment, read when a variable is asked for.
    pub fn process() -> Env {
        Env::default()
    }

    /// Exactly these variables, and no others.
    pub fn of<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Env {
        Env {
            vars: Some(Arc::new(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
            read: Arc::default(),
        }
    }

    /// The variable's value; not set, or not Unicode, is `None`.
    pub fn var(&self, name: &str) -> Option<String> {
        match &self.vars {
            None => std::env::var(name).ok(),
            Some(vars) => vars.get(name).cloned(),
        }
    }

    /// The variable's value, blanks around it dropped; empty is `None`.
    fn set(&self, name: &str) -> Option<String> {
        self.var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A `${NAME}`'s value: the variable `NAME`, else the entry `NAME` of
    /// `CBCHECK_PLACEHOLDERS` (a variable set for one job overrides the shared map).
    pub fn placeholder(&self, name: &str) -> Option<String> {
        self.set(name).or_else(|| {
            self.placeholder_map()
                .ok()
                .and_then(|map| map.get(name))
                .map(|value| value.expose().to_owned())
        })
    }

    /// `CBCHECK_PLACEHOLDERS`, parsed once: empty when unset.
    fn placeholder_map(&self) -> Result<&HashMap<String, Secret>, &str> {
        self.read
            .placeholders
            .get_or_init(|| {
                self.set(PLACEHOLDERS).map_or_else(
                    || Ok(HashMap::new()),
                    |text| key_sources::parse_map(text.as_bytes()),
                )
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// `CBCHECK_SECRET_KEYS`, parsed once; `None` when unset.
    fn key_map(&self) -> Option<Result<&HashMap<u64, Secret>, &str>> {
        let text = self.set(SECRET_KEYS)?;
        Some(
            self.read
                .keys
                .get_or_init(|| key_sources::parse_key_map(text.as_bytes()))
                .as_ref()
                .map_err(String::as_str),
        )
    }

    /// The file `CBCHECK_SECRET_KEYS_FILE` names, read once; `None` when unset.
    fn key_file(&self) -> Option<Result<&HashMap<u64, Secret>, &str>> {
        let path = self.set(SECRET_KEYS_FILE)?;
        let read = self.read.file.get_or_init(|| {
            key_sources::read_key_file(Path::new(&path)).map(|file| {
                if let Some(warning) = file.warning {
                    *lock(&self.read.file_warning) =
                        Some(format!("{SECRET_KEYS_FILE} ({path}) {warning}"));
                }
                file.keys
            })
        });
        Some(read.as_ref().map_err(String::as_str))
    }

    /// The key file's warning, the first time it is asked for after the file was read.
    pub fn take_warning(&self) -> Option<String> {
        lock(&self.read.file_warning).take()
    }

    /// `CBCHECK_SECRET_KEY_COMMAND`'s words, split once; `None` when unset.
    fn command(&self) -> Option<Result<&[String], &str>> {
        let text = self.set(SECRET_KEY_COMMAND)?;
        Some(
            self.read
                .command
                .get_or_init(|| key_sources::command_words(&text))
                .as_ref()
                .map(Vec::as_slice)
                .map_err(String::as_str),
        )
    }

    /// `CBCHECK_SECRET_KEY_COMMAND_TIMEOUT` (whole seconds, 1 to 3600), else the default.
    fn command_timeout(&self) -> Duration {
        self.set(SECRET_KEY_COMMAND_TIMEOUT)
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|secs| (1..=3600).contains(secs))
            .map_or(key_sources::DEFAULT_COMMAND_TIMEOUT, Duration::from_secs)
    }

    /// The key command's answer for `sdkappid`: run at most once per SDKAppID per run.
    fn commanded(&self, words: &[String], sdkappid: u64) -> Result<Secret, String> {
        if let Some(done) = lock(&self.read.commanded).get(&sdkappid) {
            return done.clone();
        }
        let result = key_sources::run_key_command(words, sdkappid, self.command_timeout());
        lock(&self.read.commanded)
            .entry(sdkappid)
            .or_insert(result)
            .clone()
    }

    /// Run the key command for every app whose key it is, a few at a time, before
    /// the apps are signed one by one (each SDKAppID once).
    pub fn prefetch(&self, apps: &[App]) {
        let Some(Ok(words)) = self.command() else {
            return;
        };
        // The apps whose first place that holds something (or fails) is the command.
        let reaches_command = |app: &&App| {
            for place in self.places(app) {
                if place == Place::Command {
                    return true;
                }
                if !matches!(self.look(app.sdkappid, &place), Ok(None)) {
                    return false;
                }
            }
            false
        };
        let mut ids: Vec<u64> = apps
            .iter()
            .filter(reaches_command)
            .map(|app| app.sdkappid)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|id| !lock(&self.read.commanded).contains_key(id));
        for chunk in ids.chunks(key_sources::COMMANDS_IN_FLIGHT) {
            std::thread::scope(|scope| {
                for id in chunk {
                    scope.spawn(|| self.commanded(words, *id));
                }
            });
        }
    }
}

/// A lock that a panicking holder cannot poison for the rest of the run.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What signs an app's requests.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The app's secret key; cbcheck mints a short-lived UserSig from it.
    SecretKey { variable: String, key: Secret },
    /// A ready UserSig handed over by the team (the key stays out of CI).
    UserSig { variable: String, token: Secret },
}

/// Nothing held a credential for the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no credentials for sdkappid {sdkappid}: none of {} holds one", .tried.join(", "))]
pub struct MissingCredentials {
    pub sdkappid: u64,
    /// The places looked at, in order: variables, the key file's path, the command.
    pub tried: Vec<String>,
}

/// A key source that should have held the app's key could not give it: the key map
/// or file is unusable, or the key command failed. Never carries what it read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no credentials for sdkappid {sdkappid}: {place} {reason}")]
pub struct SourceFailed {
    pub sdkappid: u64,
    /// Where the key was looked for, e.g. `the key command `vault` (CBCHECK_SECRET_KEY_COMMAND)`.
    pub place: String,
    /// What went wrong, e.g. `exited with status 1`.
    pub reason: String,
}

/// Why an app has no credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(transparent)]
    Missing(#[from] MissingCredentials),
    #[error(transparent)]
    Failed(#[from] SourceFailed),
}

/// A `${NAME}` in an app's callback URL that the environment does not set, or that
/// names one of the run's key sources (never expanded: the URL is stored by the
/// vendor and sent with every event).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", if *.credential {
    format!("the callback URL of sdkappid {sdkappid} names ${{{variable}}}, a credential variable: cbcheck never puts a credential in a URL")
} else {
    format!("the callback URL of sdkappid {sdkappid} needs ${{{variable}}}, and {variable} is not set{}", .map_problem.as_ref().map_or_else(String::new, |problem| format!(" ({PLACEHOLDERS} is {problem})")))
})]
pub struct UnsetVariable {
    pub sdkappid: u64,
    pub variable: String,
    pub credential: bool,
    /// Why `CBCHECK_PLACEHOLDERS`, set, could not be read (never what it holds).
    pub map_problem: Option<String>,
}

impl Env {
    /// [`expand_url`] with the run's placeholder values: each variable, else the
    /// entry of `CBCHECK_PLACEHOLDERS`.
    pub fn expand_url(
        &self,
        app: &mut App,
        key_names: &KeyNames,
        used: &mut Vec<(String, String)>,
    ) -> Result<(), UnsetVariable> {
        expand_url(app, key_names, |name| self.placeholder(name), used).map_err(|mut unset| {
            if !unset.credential {
                unset.map_problem = self.placeholder_map().err().map(str::to_owned);
            }
            unset
        })
    }
}

/// Replace every `${NAME}` of the app's callback URL by the variable's value
/// (`lookup` reads a variable; empty counts as unset, blanks around a value are
/// dropped, as for credentials); the app is left as written when one is unset, or
/// names a key source of the run (`key_names`; loading refuses such a file already,
/// this holds whatever the caller). Each `(NAME, value)` used is pushed to `used`:
/// the run's placeholders, which every output shows as `${NAME}`, never as their
/// values.
pub fn expand_url(
    app: &mut App,
    key_names: &KeyNames,
    lookup: impl Fn(&str) -> Option<String>,
    used: &mut Vec<(String, String)>,
) -> Result<(), UnsetVariable> {
    let sdkappid = app.sdkappid;
    // The app's own variable counts even if the run's names were built without it.
    let own = app.secret_key_env.clone();
    let is_credential = |name: &str| {
        key_names.is_key_source(name)
            || own
                .as_ref()
                .is_some_and(|own| own.eq_ignore_ascii_case(name))
    };
    let Some(desired) = app
        .callback
        .as_mut()
        .filter(|d| template::is_template(&d.url))
    else {
        return Ok(());
    };
    // The file was validated: a template that does not parse cannot reach here, and
    // would be left as written (the vendor would be sent what the file says).
    let Ok(segments) = template::parse(&desired.url) else {
        return Ok(());
    };
    if let Some(variable) = segments.iter().find_map(|segment| match segment {
        template::Segment::Var(name) if is_credential(name) => Some(name),
        _ => None,
    }) {
        return Err(UnsetVariable {
            sdkappid,
            variable: variable.clone(),
            credential: true,
            map_problem: None,
        });
    }
    let value = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let url = template::expand(&segments, |name| {
        let found = value(name);
        if let Some(found) = &found {
            used.push((name.to_owned(), found.clone()));
        }
        found
    })
    .map_err(|variable| UnsetVariable {
        sdkappid,
        variable,
        credential: false,
        map_problem: None,
    })?;
    desired.url = url;
    Ok(())
}

/// A place an app's credential may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// A variable holding the key (`true`) or a ready UserSig (`false`).
    Var(String, bool),
    /// `CBCHECK_SECRET_KEYS`'s entry for the SDKAppID.
    Map,
    /// The entry of the file `CBCHECK_SECRET_KEYS_FILE` names.
    File,
    /// What `CBCHECK_SECRET_KEY_COMMAND` prints for the SDKAppID.
    Command,
}

impl Env {
    /// Where the app's credential is looked for, in order of preference: the app's own
    /// variable, its SDKAppID's variable, then the fleet's sources (the map, the file,
    /// the command), then the run's default key; a ready UserSig last.
    fn places(&self, app: &App) -> Vec<Place> {
        let id = app.sdkappid;
        let mut places = Vec::new();
        if let Some(name) = &app.secret_key_env {
            places.push(Place::Var(name.clone(), true));
        }
        places.extend([
            Place::Var(format!("CBCHECK_SECRET_KEY_{id}"), true),
            Place::Map,
            Place::File,
            Place::Command,
            Place::Var("CBCHECK_SECRET_KEY".to_owned(), true),
            Place::Var(format!("CBCHECK_USERSIG_{id}"), false),
            Place::Var("CBCHECK_USERSIG".to_owned(), false),
        ]);
        places
    }

    /// The place as messages name it: the variable, with the file's path or the
    /// command's program when they are set.
    fn describe(&self, place: &Place) -> String {
        match place {
            Place::Var(name, _) => name.clone(),
            Place::Map => SECRET_KEYS.to_owned(),
            Place::File => match self.set(SECRET_KEYS_FILE) {
                Some(path) => format!("{SECRET_KEYS_FILE} ({path})"),
                None => SECRET_KEYS_FILE.to_owned(),
            },
            Place::Command => match self.command() {
                Some(Ok(words)) => {
                    format!("{SECRET_KEY_COMMAND} (`{}`)", key_sources::program(words))
                }
                _ => SECRET_KEY_COMMAND.to_owned(),
            },
        }
    }

    /// What the place holds for `sdkappid`: nothing, the value, or why it could not
    /// be read (the map or file unusable, the command failed). Empty counts as unset.
    fn look(&self, sdkappid: u64, place: &Place) -> Result<Option<Secret>, String> {
        let entry = |keys: Result<&HashMap<u64, Secret>, &str>| match keys {
            Ok(keys) => Ok(keys.get(&sdkappid).cloned()),
            Err(reason) => Err(format!("is {reason}")),
        };
        match place {
            Place::Var(name, _) => Ok(self.set(name).map(Secret::new)),
            Place::Map => self.key_map().map_or(Ok(None), entry),
            Place::File => self.key_file().map_or(Ok(None), |keys| {
                keys.map(|keys| keys.get(&sdkappid).cloned())
                    .map_err(str::to_owned)
            }),
            Place::Command => match self.command() {
                None => Ok(None),
                Some(Err(reason)) => Err(reason.to_owned()),
                Some(Ok(words)) => self.commanded(words, sdkappid).map(Some),
            },
        }
    }
}

/// The places consulted for an app, in order of preference, as messages name them.
pub fn candidates(app: &App, env: &Env) -> Vec<String> {
    env.places(app)
        .iter()
        .map(|place| env.describe(place))
        .collect()
}

/// Find the app's credential in `env`: the first place that holds one. A place that
/// should hold it but cannot be read (a broken key map or file, a failing command)
/// fails the app: falling through to the run's default key would sign with the
/// wrong one.
pub fn resolve(app: &App, env: &Env) -> Result<Credential, CredentialError> {
    let places = env.places(app);
    for place in &places {
        let value = env
            .look(app.sdkappid, place)
            .map_err(|reason| SourceFailed {
                sdkappid: app.sdkappid,
                place: env.describe(place),
                reason,
            })?;
        let Some(value) = value else {
            continue;
        };
        let variable = env.describe(place);
        return Ok(match place {
            Place::Var(_, false) => Credential::UserSig {
                variable,
                token: value,
            },
            _ => Credential::SecretKey {
                variable,
                key: value,
            },
        });
    }
    Err(MissingCredentials {
        sdkappid: app.sdkappid,
        tried: places.iter().map(|place| env.describe(place)).collect(),
    }
    .into())
}

impl Credential {
    /// Which variable supplied the credential.
    pub fn source(&self) -> KeySource {
        match self {
            Credential::SecretKey { variable, .. } => KeySource::SecretKey(variable.clone()),
            Credential::UserSig { variable, .. } => KeySource::UserSig(variable.clone()),
        }
    }

    /// The UserSig to send, made when first sent. `now` is the unix time read once
    /// for the whole run.
    pub fn usersig(&self, sdkappid: u64, identifier: &str, now: u64) -> api::Token {
        match self {
            Credential::SecretKey { key, .. } => {
                api::Token::from_key(key.clone(), sdkappid, identifier, now)
            }
            Credential::UserSig { token, .. } => api::Token::ready(token.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::redact::{Placeholders, Redaction};

    fn app(url: &str) -> App {
        let yaml = format!(
            "version: 1\napps:\n  - sdkappid: 1400000001\n    region: singapore\n    identifier: admin\n    callback:\n      url: {url}\n      commands: [Room.CallbackAfterCreateRoom]\n"
        );
        let loaded =
            crate::config::load_bytes("c.yaml".into(), yaml.into_bytes(), &Redaction::default());
        let mut config = loaded.config.expect("valid test config");
        config.apps.remove(0)
    }

    const VALUE: &str = "KeysTestV4lue99";

    #[test]
    fn expansion_fills_the_url_and_its_value_never_formats() {
        let lookup = |name: &str| (name == "KEYS_TEST_TOKEN").then(|| format!(" {VALUE}\n"));
        let mut expanded = app("https://h.example.com/cb?t=${KEYS_TEST_TOKEN}&lit=$${x}");
        let mut used = Vec::new();
        expand_url(&mut expanded, &KeyNames::default(), lookup, &mut used).expect("set");
        assert_eq!(used, [("KEYS_TEST_TOKEN".to_owned(), VALUE.to_owned())]);
        let shown_run = Redaction::new(true).with_placeholders(Placeholders::new(
            used.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        ));
        let desired = expanded.callback.as_ref().expect("declared");
        assert_eq!(
            desired.url,
            format!("https://h.example.com/cb?t={VALUE}&lit=${{x}}")
        );
        let live = crate::model::CallbackConfig {
            url: "https://h.example.com/cb?t=stale".into(),
            commands: Vec::new(),
        };
        let findings = crate::drift::compare(&expanded, Some(&live), &Redaction::default());
        let fix = crate::drift::remediation(&expanded, Some(&live), &findings).expect("drift");
        for shown in [
            format!("{expanded:?}"),
            format!("{expanded:#?}"),
            format!("{fix:?}"),
            format!("{findings:?}"),
            fix.body_text(|url| shown_run.url(url)),
        ] {
            assert!(!shown.contains(VALUE), "{shown}");
        }
        assert!(
            fix.body_text(|url| shown_run.url(url))
                .contains("t=${KEYS_TEST_TOKEN}")
        );
    }

    #[test]
    fn a_key_source_of_the_run_is_never_looked_up() {
        let names = KeyNames::new(["TRTC_PROD_KEY"]);
        for variable in ["TRTC_PROD_KEY", "trtc_prod_key", "cbcheck_secret_key"] {
            // Loading refuses the file: the app is made by hand here.
            let mut app = app("https://h.example.com/");
            if let Some(desired) = app.callback.as_mut() {
                desired.url = format!("https://h.example.com/?k=${{{variable}}}");
            }
            let err = expand_url(
                &mut app,
                &names,
                |name| panic!("{name} was looked up"),
                &mut Vec::new(),
            )
            .expect_err("refused");
            assert!(err.credential, "{variable}");
            assert_eq!(err.variable, variable);
            assert!(app.callback.expect("declared").url.contains(variable));
        }
    }

    #[test]
    fn an_unset_or_empty_variable_is_named() {
        for value in [None, Some(String::new()), Some(" \n".to_owned())] {
            let mut app = app("https://h.example.com/?a=${UNSET_A}");
            let err = expand_url(
                &mut app,
                &KeyNames::default(),
                |_| value.clone(),
                &mut Vec::new(),
            )
            .expect_err("unset");
            assert_eq!(err.variable, "UNSET_A");
            assert!(err.to_string().contains("${UNSET_A}"), "{err}");
            // The app is returned as written, to be reported.
            assert_eq!(
                app.callback.expect("declared").url,
                "https://h.example.com/?a=${UNSET_A}"
            );
        }
        let mut plain = app("https://h.example.com/cb");
        expand_url(&mut plain, &KeyNames::default(), |_| None, &mut Vec::new())
            .expect("no variables");
        assert_eq!(
            plain.callback.expect("declared").url,
            "https://h.example.com/cb"
        );
    }
}
