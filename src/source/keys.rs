//! Where an app's credentials come from: the environment, never the file.

use super::api::KeySource;
use crate::config::App;
use crate::secret::Secret;
use crate::usersig::{self, SigParams};

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
