//! The REST API's error codes that every service shares (room-callback-api.md,
//! "Error codes"): which a later attempt may not get, and which are about the
//! credentials, with what to check for each.

/// Error codes that a later attempt may not get.
const RETRYABLE: &[i64] = &[100_001, 70_169, 70_500, 60_007, 60_011, 60_018, 60_019];

/// The credential-related codes, and what the user should check for each.
const AUTH: &[(&[i64], &str)] = &[
    (
        &[70_001],
        "the UserSig has expired: check this machine's clock, or hand over a fresh CBCHECK_USERSIG",
    ),
    (
        &[70_002, 70_003, 70_005],
        "the UserSig is empty or invalid: check the secret key (or the ready UserSig) given for this app",
    ),
    (
        &[70_009],
        "the signature does not match: the secret key is not this SDKAppID's key",
    ),
    (
        &[70_013],
        "the identifier in the request differs from the one the UserSig was made for",
    ),
    (
        &[70_014],
        "the SDKAppID in the request differs from the one the UserSig was made for",
    ),
    (
        &[70_016, 70_020],
        "the key or SDKAppID is unknown in this data centre: usually the wrong `region` (or endpoint)",
    ),
    (&[60_006], "the SDKAppID is invalid: check `sdkappid`"),
    (
        &[60_010, 70_403],
        "the identifier is not an App administrator: fix `identifier`",
    ),
    (
        &[70_050],
        "too many failed UserSig checks; the account is locked for a minute. Fix the key, then wait before retrying",
    ),
];

/// Whether a later attempt may not get this error code.
pub fn is_retryable(code: i64) -> bool {
    RETRYABLE.contains(&code)
}

/// What the user should check for each credential-related code; `None` if not one.
pub fn auth_hint(code: i64) -> Option<&'static str> {
    AUTH.iter()
        .find(|(codes, _)| codes.contains(&code))
        .map(|(_, hint)| *hint)
}
