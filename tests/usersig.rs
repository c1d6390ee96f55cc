//! UserSig known-answer tests against vectors made with the official Python library
//! (tls-sig-api-v2 1.1), and a round trip through an independent decoder.

use cbcheck::testing::{Secret, SigParams, mint, signature};
use serde_json::Value;

use crate::support::fixture;

/// Decode a token from the documented format, sharing no code with the signer, and
/// check its zlib header.
fn decode(token: &str) -> Value {
    let (compressed, document) =
        crate::support::usersig::decode(token).expect("base64 of a zlib stream of JSON");
    assert_eq!(compressed[0] & 0x0f, 8, "zlib header: deflate method");
    assert_eq!(
        (u16::from(compressed[0]) << 8 | u16::from(compressed[1])) % 31,
        0,
        "zlib header check bits"
    );
    document
}

fn vectors() -> Vec<Value> {
    serde_json::from_str(&fixture("usersig-vectors.json")).expect("vectors are JSON")
}

#[test]
fn every_official_vector_is_reproduced() {
    let vectors = vectors();
    assert!(vectors.len() >= 3);
    for v in vectors {
        let key = Secret::new(v["secret_key"].as_str().expect("key"));
        let params = SigParams {
            sdkappid: v["sdkappid"].as_u64().expect("sdkappid"),
            identifier: v["identifier"].as_str().expect("identifier"),
            time: v["time"].as_u64().expect("time"),
            expire: v["expire"].as_u64().expect("expire"),
        };
        let expected = &v["decoded_json"];
        // The fixture's own token decodes to its documented JSON (the decoder is right)…
        assert_eq!(&decode(v["usersig"].as_str().expect("token")), expected);
        // …and ours decodes to the same fields, with the same TLS.sig.
        let ours = mint(&key, &params);
        let decoded = decode(ours.expose());
        assert_eq!(&decoded, expected, "vector for {}", params.identifier);
        assert_eq!(signature(&key, &params), expected["TLS.sig"]);
        assert_eq!(decoded["TLS.ver"], "2.0");
        assert!(decoded["TLS.sdkappid"].is_u64() && decoded["TLS.time"].is_u64());
    }
}

#[test]
fn tokens_use_the_url_safe_alphabet() {
    let key = Secret::new("k");
    for identifier in ["a", "administrator", "ops_bot/with+odd=chars"] {
        let token = mint(
            &key,
            &SigParams {
                sdkappid: 1_400_000_000,
                identifier,
                time: 1_700_000_000,
                expire: 60,
            },
        );
        assert!(
            token
                .expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "*-_".contains(c)),
            "{}",
            token.expose()
        );
        assert_eq!(decode(token.expose())["TLS.identifier"], identifier);
    }
}

#[test]
fn the_key_is_used_as_utf8_bytes_not_hex() {
    let params = SigParams {
        sdkappid: 1,
        identifier: "a",
        time: 0,
        expire: 1,
    };
    let hex = signature(&Secret::new("00ff"), &params);
    let other = signature(&Secret::new("00FF"), &params);
    assert_ne!(hex, other, "hex-decoding would make these equal");
}
