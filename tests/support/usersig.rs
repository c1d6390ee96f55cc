//! A UserSig decoded from its documented format (TLSSigAPIv2: standard base64 with
//! `*`, `-`, `_` for `+`, `/`, `=`, over a zlib stream of a JSON document), sharing no
//! code with the signer it checks.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// The token's compressed bytes and its JSON document; `None` when it is not a UserSig.
pub fn decode(token: &str) -> Option<(Vec<u8>, Value)> {
    let base64: String = token
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            other => other,
        })
        .collect();
    let compressed = STANDARD.decode(base64).ok()?;
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .read_to_string(&mut json)
        .ok()?;
    let document = serde_json::from_str(&json).ok()?;
    Some((compressed, document))
}
