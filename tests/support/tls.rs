//! Certificates made for one test: an authority, leaves it signs, and the PEM file
//! cbcheck is told to trust (`SSL_CERT_FILE`).

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::vendor::Identity;

/// The names a local server answers to.
pub const HERE: [&str; 2] = ["127.0.0.1", "localhost"];

/// A certificate authority made for one test.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    pub fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA");
        Authority { issuer }
    }

    /// The authority's certificate as PEM, for a trust store file.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names`, valid from `now + from_days` to `now + to_days`, and its
    /// end as a Unix time.
    pub fn leaf(&self, names: &[&str], from_days: i64, to_days: i64) -> (Identity, i64) {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("time");
        let (from, to) = (
            now + time::Duration::days(from_days),
            now + time::Duration::days(to_days),
        );
        (self.signed(names, from, to), to.unix_timestamp())
    }

    /// A leaf for `names` valid for a year around now.
    pub fn valid(&self, names: &[&str]) -> Identity {
        self.leaf(names, -1, 365).0
    }

    /// A leaf for `names` valid only in 2019.
    pub fn expired(&self, names: &[&str]) -> Identity {
        self.signed(
            names,
            rcgen::date_time_ymd(2019, 1, 1),
            rcgen::date_time_ymd(2020, 1, 1),
        )
    }

    fn signed(
        &self,
        names: &[&str],
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Identity {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        params.not_before = from;
        params.not_after = to;
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (CertificateDer::clone(cert.der()), key)
    }
}

/// A TLS server side presenting `identity`.
pub fn acceptor(identity: Identity) -> TlsAcceptor {
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![identity.0], identity.1)
        .expect("server config");
    TlsAcceptor::from(Arc::new(config))
}
