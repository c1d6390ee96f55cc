//! The environment variables a run may take a key or UserSig from: never expanded
//! into a callback URL (the vendor stores the URL and sends it with every event).

use std::collections::BTreeSet;

/// cbcheck's own credential variables; each covers its `_<SDKAPPID>` form too.
const PREFIXES: [&str; 2] = ["CBCHECK_SECRET_KEY", "CBCHECK_USERSIG"];

/// The fleet's key sources: a JSON map of keys, a file of that map, a command that
/// prints a key (the first prefix covers them today; named, they stay refused
/// whatever it becomes).
pub const SECRET_KEYS: &str = "CBCHECK_SECRET_KEYS";
pub const SECRET_KEYS_FILE: &str = "CBCHECK_SECRET_KEYS_FILE";
pub const SECRET_KEY_COMMAND: &str = "CBCHECK_SECRET_KEY_COMMAND";
/// How long the key command may take, in seconds.
pub const SECRET_KEY_COMMAND_TIMEOUT: &str = "CBCHECK_SECRET_KEY_COMMAND_TIMEOUT";
/// A JSON map of placeholder values: it holds the values of every `${NAME}`, so it is
/// never one itself.
pub const PLACEHOLDERS: &str = "CBCHECK_PLACEHOLDERS";

const NAMED: [&str; 5] = [
    SECRET_KEYS,
    SECRET_KEYS_FILE,
    SECRET_KEY_COMMAND,
    SECRET_KEY_COMMAND_TIMEOUT,
    PLACEHOLDERS,
];

/// Every variable name that is a key source in this run, built once from all the
/// files loaded. Names compare without regard to letter case: Windows reads
/// `${cbcheck_secret_key}` as `CBCHECK_SECRET_KEY`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyNames {
    /// Every app's `secret_key_env`, in upper case.
    secret_key_envs: BTreeSet<String>,
}

/// Why a variable is a key source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// An app's `secret_key_env`, in this file or another one of the run.
    SecretKeyEnv,
    /// One of cbcheck's own credential variables, or its placeholder map.
    Cbcheck,
}

impl KeyNames {
    /// `secret_key_envs`: the `secret_key_env` of every app in every file of the run.
    pub fn new<'a>(secret_key_envs: impl IntoIterator<Item = &'a str>) -> KeyNames {
        KeyNames {
            secret_key_envs: secret_key_envs
                .into_iter()
                .map(str::to_ascii_uppercase)
                .collect(),
        }
    }

    /// The key sources of both (e.g. of two sets of files the run reads).
    pub fn union(&self, other: &KeyNames) -> KeyNames {
        KeyNames {
            secret_key_envs: self
                .secret_key_envs
                .union(&other.secret_key_envs)
                .cloned()
                .collect(),
        }
    }

    /// Why `name` is a key source, or `None` when it is not one.
    pub fn source(&self, name: &str) -> Option<KeySource> {
        let name = name.to_ascii_uppercase();
        if PREFIXES.iter().any(|prefix| name.starts_with(prefix)) || NAMED.contains(&&*name) {
            Some(KeySource::Cbcheck)
        } else if self.secret_key_envs.contains(&name) {
            Some(KeySource::SecretKeyEnv)
        } else {
            None
        }
    }

    pub fn is_key_source(&self, name: &str) -> bool {
        self.source(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_sources_are_found_in_any_letter_case() {
        let names = KeyNames::new(["TRTC_PROD_KEY", "sandbox_key"]);
        for (name, source) in [
            ("TRTC_PROD_KEY", Some(KeySource::SecretKeyEnv)),
            ("trtc_prod_key", Some(KeySource::SecretKeyEnv)),
            ("SANDBOX_KEY", Some(KeySource::SecretKeyEnv)),
            ("cbcheck_secret_key", Some(KeySource::Cbcheck)),
            ("CBCHECK_SECRET_KEY_1400000001", Some(KeySource::Cbcheck)),
            ("Cbcheck_UserSig_7", Some(KeySource::Cbcheck)),
            ("CBCHECK_SECRET_KEYS_FILE", Some(KeySource::Cbcheck)),
            ("TRTC_PROD_KEY_ID", None),
            ("HOOK_TOKEN", None),
            ("CBCHECK_1400000001_TOKEN", None),
        ] {
            assert_eq!(names.source(name), source, "{name}");
        }
        assert!(KeyNames::default().is_key_source("CBCHECK_SECRET_KEY_COMMAND"));
        assert!(KeyNames::default().is_key_source("cbcheck_placeholders"));
        assert!(!KeyNames::default().is_key_source("TRTC_PROD_KEY"));
    }
}
