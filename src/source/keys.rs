//! Where an app's credentials come from: the environment, never the file.

use std::collections::HashMap;
use std::sync::Arc;

use super::api::KeySource;
use crate::model::App;
use crate::model::key_names::KeyNames;
use crate::model::template;
use crate::source::secret::Secret;
use crate::source::usersig::{self, SigParams};

/// The variables a run reads credentials and placeholder values from: the process's
/// environment, or a fixed set (a second run in the same process, a test).
#[derive(Clone, Default)]
pub struct Env(Option<Arc<HashMap<String, String>>>);

/// Debug names no value: variables hold keys.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Env(process)"),
            Some(vars) => f.debug_set().entries(vars.keys()).finish(),
        }
    }
}

impl Env {
    /// The process's environment, read when a variable is asked for.
    pub fn process() -> Env {
        Env(None)
    }

    /// Exactly these variables, and no others.
    pub fn of<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Env {
        Env(Some(Arc::new(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )))
    }

    /// The variable's value; not set, or not Unicode, is `None`.
    pub fn var(&self, name: &str) -> Option<String> {
        match &self.0 {
            None => std::env::var(name).ok(),
            Some(vars) => vars.get(name).cloned(),
        }
    }
}

/// What signs an app's requests.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The app's secret key; cbcheck mints a short-lived UserSig from it.
    SecretKey { variable: String, key: Secret },
    /// A ready UserSig handed over by the team (the key stays out of CI).
    UserSig { variable: String, token: Secret },
}

/// No variable held a credential for the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no credentials for sdkappid {sdkappid}: none of {} is set", .tried.join(", "))]
pub struct MissingCredentials {
    pub sdkappid: u64,
    /// The variables looked at, in order.
    pub tried: Vec<String>,
}

/// A `${NAME}` in an app's callback URL that the environment does not set, or that
/// names one of the run's key sources (never expanded: the URL is stored by the
/// vendor and sent with every event).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", if *.credential {
    format!("the callback URL of sdkappid {sdkappid} names ${{{variable}}}, a credential variable: cbcheck never puts a credential in a URL")
} else {
    format!("the callback URL of sdkappid {sdkappid} needs ${{{variable}}}, and {variable} is not set")
})]
pub struct UnsetVariable {
    pub sdkappid: u64,
    pub variable: String,
    pub credential: bool,
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
    })?;
    desired.url = url;
    Ok(())
}

/// The variables consulted for an app, in order of preference.
pub fn candidates(app: &App) -> Vec<(String, bool)> {
    let id = app.sdkappid;
    let mut vars: Vec<(String, bool)> = Vec::new();
    if let Some(name) = &app.secret_key_env {
        vars.push((name.clone(), true));
    }
    vars.push((format!("CBCHECK_SECRET_KEY_{id}"), true));
    vars.push(("CBCHECK_SECRET_KEY".to_owned(), true));
    vars.push((format!("CBCHECK_USERSIG_{id}"), false));
    vars.push(("CBCHECK_USERSIG".to_owned(), false));
    vars
}

/// Find the app's credential; `lookup` reads a variable (the process environment in
/// production, a map in tests). Empty values count as unset.
pub fn resolve(
    app: &App,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credential, MissingCredentials> {
    let candidates = candidates(app);
    for (variable, is_key) in &candidates {
        let Some(value) = lookup(variable).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let value = Secret::new(value.trim());
        let variable = variable.clone();
        return Ok(if *is_key {
            Credential::SecretKey {
                variable,
                key: value,
            }
        } else {
            Credential::UserSig {
                variable,
                token: value,
            }
        });
    }
    Err(MissingCredentials {
        sdkappid: app.sdkappid,
        tried: candidates.into_iter().map(|(v, _)| v).collect(),
    })
}

impl Credential {
    /// Which variable supplied the credential.
    pub fn source(&self) -> KeySource {
        match self {
            Credential::SecretKey { variable, .. } => KeySource::SecretKey(variable.clone()),
            Credential::UserSig { variable, .. } => KeySource::UserSig(variable.clone()),
        }
    }

    /// The UserSig to send. `now` is the unix time read once for the whole run.
    pub fn usersig(&self, sdkappid: u64, identifier: &str, now: u64) -> Secret {
        match self {
            Credential::SecretKey { key, .. } => usersig::mint(
                key,
                &SigParams {
                    sdkappid,
                    identifier,
                    time: now,
                    expire: usersig::TOKEN_LIFETIME_SECS,
                },
            ),
            Credential::UserSig { token, .. } => token.clone(),
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
