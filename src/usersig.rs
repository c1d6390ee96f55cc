//! UserSig (TLSSigAPIv2) signing, as the vendor's official libraries compute it.
//!
//! content = "TLS.identifier:…\nTLS.sdkappid:…\nTLS.time:…\nTLS.expire:…\n",
//! TLS.sig = base64(HMAC-SHA256(secret key bytes, content)), then the JSON document
//! is zlib-compressed and base64-encoded with `+/=` replaced by `*-_`.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::ZlibEncoder;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// How long a token minted for one run stays valid. A run takes seconds to minutes.
pub const TOKEN_LIFETIME_SECS: u64 = 3600;

/// The inputs of one token.
#[derive(Debug, Clone)]
pub struct SigParams<'a> {
    pub sdkappid: u64,
    pub identifier: &'a str,
    /// Unix time the token is issued at (read once per run).
    pub time: u64,
    /// Seconds of validity after `time`.
    pub expire: u64,
}

/// `TLS.sig`: standard base64 of HMAC-SHA256 over the content string.
pub fn signature(key: &Secret, params: &SigParams<'_>) -> String {
    let content = format!(
        "TLS.identifier:{}\nTLS.sdkappid:{}\nTLS.time:{}\nTLS.expire:{}\n",
        params.identifier, params.sdkappid, params.time, params.expire
    );
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(content.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Mint a UserSig token for `params` with the app's secret key.
pub fn mint(key: &Secret, params: &SigParams<'_>) -> Secret {
    let document = serde_json::json!({
        "TLS.ver": "2.0",
        "TLS.identifier": params.identifier,
        "TLS.sdkappid": params.sdkappid,
        "TLS.expire": params.expire,
        "TLS.time": params.time,
        "TLS.sig": signature(key, params),
    });
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    encoder
        .write_all(document.to_string().as_bytes())
        .expect("in-memory write");
    let compressed = encoder.finish().expect("in-memory write");
    let token: String = STANDARD
        .encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            other => other,
        })
        .collect();
    Secret::new(token)
}
