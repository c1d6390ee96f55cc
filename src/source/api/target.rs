//! Whom a call goes to and as whom: the app, its credential, the REST base URL, and
//! the variable the credential came from.

use std::sync::OnceLock;

use url::Url;

use crate::model::Service;
use crate::model::redact::Placeholders;
use crate::source::secret::Secret;

/// Who to call and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    pub sdkappid: u64,
    /// Whose interfaces are called: the app's service.
    pub service: &'static Service,
    pub identifier: String,
    /// The UserSig sent, made when the first request needs it (see [`Token`]).
    pub usersig: Token,
    /// Which variable the UserSig (or the key it was made from) came from.
    pub key_source: KeySource,
    /// Scheme, host and optional path prefix of the REST API, e.g. `https://adminapisgp.im.qcloud.com/`.
    pub base: Url,
    /// The run's placeholder values, named in any vendor text that echoes them.
    pub placeholders: Placeholders,
}

/// Which variable supplied an app's credential: named when the vendor refuses it,
/// never with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A secret key, from which cbcheck made the UserSig.
    SecretKey(String),
    /// A ready UserSig.
    UserSig(String),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::SecretKey(variable) => write!(f, "the secret key in {variable}"),
            KeySource::UserSig(variable) => write!(f, "the UserSig in {variable}"),
        }
    }
}

/// A ready UserSig, or the secret key and issue time to make one from. Making one
/// (HMAC, deflate, base64) is deferred to the first request that sends it, so that a
/// large fleet's first requests go out at once instead of after every token is made:
/// the rest are made while those wait on the network.
#[derive(Debug, Clone)]
pub struct Token {
    made: OnceLock<Secret>,
    /// What to make it from, when it is not given ready.
    key: Option<Signing>,
}

#[derive(Debug, Clone)]
struct Signing {
    key: Secret,
    sdkappid: u64,
    identifier: String,
    /// The unix time the run issues its tokens at.
    time: u64,
}

impl Token {
    /// A UserSig given as such.
    pub fn ready(usersig: Secret) -> Token {
        Token {
            made: OnceLock::from(usersig),
            key: None,
        }
    }

    /// A UserSig to make from `key` for `sdkappid` and `identifier`, issued at `time`.
    pub fn from_key(key: Secret, sdkappid: u64, identifier: &str, time: u64) -> Token {
        Token {
            made: OnceLock::new(),
            key: Some(Signing {
                key,
                sdkappid,
                identifier: identifier.to_owned(),
                time,
            }),
        }
    }

    /// The UserSig, made on first use.
    pub fn get(&self) -> &Secret {
        self.made.get_or_init(|| {
            let signing = self
                .key
                .as_ref()
                .expect("a token is ready or has a key to be made from");
            crate::source::usersig::mint(
                &signing.key,
                &crate::source::usersig::SigParams {
                    sdkappid: signing.sdkappid,
                    identifier: &signing.identifier,
                    time: signing.time,
                    expire: crate::source::usersig::TOKEN_LIFETIME_SECS,
                },
            )
        })
    }
}

impl Target {
    /// The UserSig this target's requests carry.
    pub fn usersig(&self) -> &Secret {
        self.usersig.get()
    }
}
