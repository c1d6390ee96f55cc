//! Whom a call goes to and as whom: the app, its credential, the REST base URL, and
//! the variable the credential came from.

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
    pub usersig: Secret,
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
