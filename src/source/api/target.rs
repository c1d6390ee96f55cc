//! Whom a call goes to and as whom: the app, its credential, the REST base URL, and
//! the variable the credential came from.

use std::sync::{Arc, OnceLock};

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
/// the rest are made while those wait on the network. Clones share the one token, so
/// an app whose target is cloned (its token flag read beside its callback) has it
/// made once.
#[derive(Debug, Clone)]
pub struct Token(Arc<Made>);

#[derive(Debug)]
enum Made {
    Ready(Secret),
    FromKey {
        key: Secret,
        sdkappid: u64,
        identifier: String,
        /// The unix time the run issues its tokens at.
        time: u64,
        made: OnceLock<Secret>,
    },
}

impl Token {
    /// A UserSig given as such.
    pub fn ready(usersig: Secret) -> Token {
        Token(Arc::new(Made::Ready(usersig)))
    }

    /// A UserSig to make from `key` for `sdkappid` and `identifier`, issued at `time`.
    pub fn from_key(key: Secret, sdkappid: u64, identifier: &str, time: u64) -> Token {
        Token(Arc::new(Made::FromKey {
            key,
            sdkappid,
            identifier: identifier.to_owned(),
            time,
            made: OnceLock::new(),
        }))
    }

    /// The UserSig, made on first use.
    pub fn get(&self) -> &Secret {
        match &*self.0 {
            Made::Ready(usersig) => usersig,
            Made::FromKey {
                key,
                sdkappid,
                identifier,
                time,
                made,
            } => made.get_or_init(|| {
                crate::source::usersig::mint(
                    key,
                    &crate::source::usersig::SigParams {
                        sdkappid: *sdkappid,
                        identifier,
                        time: *time,
                        expire: crate::source::usersig::TOKEN_LIFETIME_SECS,
                    },
                )
            }),
        }
    }
}

impl Target {
    /// The UserSig this target's requests carry.
    pub fn usersig(&self) -> &Secret {
        self.usersig.get()
    }
}
