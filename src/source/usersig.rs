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
    let compressed = zlib(document.to_string().as_bytes());
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
