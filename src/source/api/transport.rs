//! A failed connection described: the TLS problem named, a head too large told apart,
//! and reqwest's error as text without its URL (which carries the UserSig).

/// The error and its causes, with the payload of each `io::Error` (which `source`
/// skips: it returns the payload's own source).
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut causes = Vec::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        causes.push(cause);
        next = match cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(payload) => Some(payload),
            None => cause.source(),
        };
    }
    causes
}

/// What failed in a TLS handshake, if that is what failed. rustls's error is found
/// by type in the chain (reqwest wraps it in hyper-util's and an `io::Error`), and
/// each certificate problem named the way people know it.
pub(super) fn tls_problem(err: &reqwest::Error) -> Option<String> {
    use rustls::CertificateError as Cert;
    let tls = causes(err)
        .into_iter()
        .find_map(|cause| cause.downcast_ref::<rustls::Error>())?;
    let rustls::Error::InvalidCertificate(problem) = tls else {
        return Some(format!("the TLS handshake failed: {tls}"));
    };
    let what = match problem {
        Cert::UnknownIssuer => {
            "unknown issuer: it is not signed by a certificate authority this machine trusts".into()
        }
        Cert::Expired | Cert::ExpiredContext { .. } => "expired".into(),
        Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
            "not valid yet (is this machine's clock right?)".into()
        }
        Cert::NotValidForName => "name mismatch: it is not valid for this host".into(),
        Cert::NotValidForNameContext { .. } => format!("name mismatch: {problem}"),
        Cert::Revoked => "revoked".into(),
        Cert::BadSignature
        | Cert::UnsupportedSignatureAlgorithmContext { .. }
        | Cert::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => "bad signature".into(),
        Cert::BadEncoding => "malformed".into(),
        Cert::Other(other) => other.to_string(),
        other => other.to_string(),
    };
    Some(format!(
        "the server's certificate failed verification: {what}"
    ))
}

/// hyper refused a reply's head for its size (too many header lines, or too many
/// bytes). Its typed check needs hyper's server feature, so its message is matched.
pub(super) fn head_too_large(err: &reqwest::Error) -> bool {
    causes(err)
        .iter()
        .any(|cause| cause.to_string() == "message head is too large")
}

/// A reqwest error as text with its causes, without its URL (which carries the UserSig).
pub(super) fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}
