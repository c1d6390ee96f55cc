//! UserSig (TLSSigAPIv2) signing, as the vendor's official libraries compute it.
//!
//! content = "TLS.identifier:…\nTLS.sdkappid:…\nTLS.time:…\nTLS.expire:…\n",
//! TLS.sig = base64(HMAC-SHA256(secret key bytes, content)), then the JSON document
//! is zlib-compressed and base64-encoded with `+/=` replaced by `*-_`.

use std::cell::RefCell;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::{Compress, Compression, FlushCompress, Status};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::source::secret::Secret;

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

thread_local! {
    /// A deflate compressor holds hundreds of KiB of tables; allocating and zeroing
    /// one per token dominated the CPU cost of a large fleet, so each thread keeps one.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::default(), true));
}

/// zlib format (header and Adler-32), as the official libraries produce.
fn zlib(input: &[u8]) -> Vec<u8> {
    COMPRESSOR.with_borrow_mut(|compressor| {
        compressor.reset();
        // Deflate output for a few hundred bytes never exceeds this; grow if it would.
        let mut out = Vec::with_capacity(input.len() + 64);
        loop {
            let consumed = usize::try_from(compressor.total_in()).unwrap_or(input.len());
            match compressor.compress_vec(
                &input[consumed.min(input.len())..],
                &mut out,
                FlushCompress::Finish,
            ) {
                Ok(Status::StreamEnd) => return out,
                Ok(_) => out.reserve(out.capacity().max(64)),
                // In-memory compression of a complete input cannot fail.
                Err(err) => unreachable!("deflate failed: {err}"),
            }
        }
    })
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

/// The signed document, its keys in the order the official libraries' JSON has them
/// once sorted (as serde_json's map wrote them before).
#[derive(serde::Serialize)]
struct Document<'a> {
    #[serde(rename = "TLS.expire")]
    expire: u64,
    #[serde(rename = "TLS.identifier")]
    identifier: &'a str,
    #[serde(rename = "TLS.sdkappid")]
    sdkappid: u64,
    #[serde(rename = "TLS.sig")]
    sig: String,
    #[serde(rename = "TLS.time")]
    time: u64,
    #[serde(rename = "TLS.ver")]
    ver: &'static str,
}

/// Mint a UserSig token for `params` with the app's secret key.
pub fn mint(key: &Secret, params: &SigParams<'_>) -> Secret {
    let document = Document {
        expire: params.expire,
        identifier: params.identifier,
        sdkappid: params.sdkappid,
        sig: signature(key, params),
        time: params.time,
        ver: "2.0",
    };
    let json = serde_json::to_vec(&document).expect("plain data serialises");
    let mut token = STANDARD.encode(zlib(&json)).into_bytes();
    for byte in &mut token {
        *byte = match *byte {
            b'+' => b'*',
            b'/' => b'-',
            b'=' => b'_',
            other => other,
        };
    }
    Secret::new(String::from_utf8(token).expect("base64 is ASCII"))
}
