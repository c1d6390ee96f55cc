//! `verify --probe`: what was learnt about each callback endpoint by connecting to it
//! (never by sending it a request). Plain data; the network side is in source/.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime};

use super::Kind;

/// One endpoint to probe: the scheme, host and port of a callback URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProbeTarget {
    /// As the URL names it: a DNS name, or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// https: a TLS handshake follows the connect.
    pub tls: bool,
}

impl ProbeTarget {
    /// How reports and metrics name the endpoint: the host, with the port when it is
    /// not the scheme's default. Never a URL (a path or query may hold a token).
    pub fn label(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// What a callback URL gives the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlTarget {
    Probe(ProbeTarget),
    /// The host is written with `${VAR}`: not probed.
    Interpolated,
    /// Not an http(s) URL with a host.
    Unusable,
}

/// The endpoint a callback URL names. The host is read from the text first, so a
/// `${VAR}` in it is seen before any parser rewrites it.
pub fn url_target(url: &str) -> UrlTarget {
    let authority = url
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    if authority.contains("${") {
        return UrlTarget::Interpolated;
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return UrlTarget::Unusable;
    };
    let tls = match parsed.scheme() {
        "https" => true,
        "http" => false,
        _ => return UrlTarget::Unusable,
    };
    let (Some(host), Some(port)) = (parsed.host(), parsed.port_or_known_default()) else {
        return UrlTarget::Unusable;
    };
    let host = match host {
        url::Host::Domain(name) => name.to_owned(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    UrlTarget::Probe(ProbeTarget { host, port, tls })
}

/// `--probe-fail-on`: which probe findings count as drift (are errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Every probe finding.
    Warning,
    /// Those that mean events cannot be delivered now: unresolvable, private,
    /// unreachable, tls_invalid (not cert_expiring or endpoint_slow).
    Error,
}

/// Why a certificate did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsProblem {
    Expired,
    NotYetValid,
    UnknownIssuer,
    NameMismatch,
    Other,
}

impl TlsProblem {
    pub fn name(self) -> &'static str {
        match self {
            TlsProblem::Expired => "expired",
            TlsProblem::NotYetValid => "not yet valid",
            TlsProblem::UnknownIssuer => "unknown issuer",
            TlsProblem::NameMismatch => "name mismatch",
            TlsProblem::Other => "other",
        }
    }
}

/// How the probe of one endpoint ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeOutcome {
    /// Connected (and, for https, a verified handshake).
    Reachable,
    /// DNS gave no address, failed or timed out.
    Unresolvable { reason: String },
    /// Every address is one the vendor cannot reach; none was connected to.
    Private { addresses: Vec<IpAddr> },
    /// No TCP connection (refused, timed out), or no handshake within the timeout.
    Unreachable { reason: String },
    /// The handshake failed, or the certificate did not verify.
    TlsInvalid { problem: TlsProblem, detail: String },
}

impl ProbeOutcome {
    /// The finding kind of a failed probe; `None` when the endpoint was reachable.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            ProbeOutcome::Reachable => None,
            ProbeOutcome::Unresolvable { .. } => Some(Kind::EndpointUnresolvable),
            ProbeOutcome::Private { .. } => Some(Kind::EndpointPrivate),
            ProbeOutcome::Unreachable { .. } => Some(Kind::EndpointUnreachable),
            ProbeOutcome::TlsInvalid { .. } => Some(Kind::TlsInvalid),
        }
    }
}

/// The leaf certificate's validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

/// The least time a certificate may have left before it is reported, whatever its lifetime.
pub const MIN_REMAINING: Duration = Duration::from_secs(7 * 24 * 3600);

/// Connect plus handshake slower than this is reported: the vendor gives a callback
/// about 2 s in all.
pub const SLOW: Duration = Duration::from_secs(1);

impl Validity {
    /// Whether less than max(⅓ of the certificate's lifetime, 7 days) remains at `now`:
    /// a fixed 30-day rule would fire all the time for 45-day certificates.
    pub fn expiring(&self, now: SystemTime) -> bool {
        let lifetime = self
            .not_after
            .duration_since(self.not_before)
            .unwrap_or_default();
        let threshold = (lifetime / 3).max(MIN_REMAINING);
        self.not_after
            .duration_since(now)
            .map_or(true, |remaining| remaining < threshold)
    }
}

/// What the probe of one endpoint found.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    pub target: ProbeTarget,
    pub outcome: ProbeOutcome,
    /// Connect plus handshake, when a connection was made.
    pub duration: Option<Duration>,
    /// The leaf certificate (https, after a verified handshake).
    pub certificate: Option<Validity>,
    /// When the probe ran: the time the certificate is judged against.
    pub at: SystemTime,
}

impl ProbeResult {
    /// Reachable and, for https, verified. Slowness and a near end are not failures:
    /// the duration and the certificate's end are reported beside it.
    pub fn success(&self) -> bool {
        self.outcome == ProbeOutcome::Reachable
    }
}

/// Why an address is not one the vendor can reach (`None`: a public address). The
/// list: IPv4 unspecified (0/8), loopback, RFC 1918 private, link-local, CGNAT
/// (100.64/10), IETF protocol (192.0.0/24), documentation, benchmarking (198.18/15),
/// multicast, reserved (240/4) and broadcast; IPv6 unspecified, loopback, link-local,
/// site-local, unique local (fc00::/7), documentation (2001:db8::/32), multicast,
/// reserved (::/8, IPv4-compatible addresses included) and discard-only (100::/64);
/// an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) IPv6 address as its IPv4
/// address; local-use NAT64 (64:ff9b:1::/48).
pub fn non_public(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified",
        (127, _, _) => "loopback",
        (10, _, _) | (192, 168, _) => "private",
        (172, 16..=31, _) => "private",
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared (CGNAT)",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., high, low] = segments;
        return non_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    }
    // 6to4 (2002::/16) reaches the IPv4 address it carries.
    if segments[0] == 0x2002 {
        return non_public_v4(Ipv4Addr::from(
            (u32::from(segments[1]) << 16) | u32::from(segments[2]),
        ));
    }
    // Local-use NAT64 (RFC 8215): a site's own translator, to addresses of its choice.
    if segments[..3] == [0x64, 0xff9b, 1] {
        return Some("local-use NAT64");
    }
    Some(match segments[0] {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        0xfe80..=0xfebf => "link-local",
        0xfec0..=0xfeff => "site-local",
        0xfc00..=0xfdff => "unique local",
        0xff00..=0xffff => "multicast",
        // ::/8 besides the above: IPv4-compatible (deprecated) and reserved.
        0x0000 => "reserved",
        0x0100 if segments[1..4] == [0, 0, 0] => "discard-only",
        0x2001 if segments[1] == 0x0db8 => "documentation",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_named_and_public_ones_pass() {
        for (address, expected) in [
            ("127.0.0.1", Some("loopback")),
            ("10.1.2.3", Some("private")),
            ("172.31.0.1", Some("private")),
            ("172.32.0.1", None),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("link-local")),
            ("100.64.0.1", Some("shared (CGNAT)")),
            ("100.128.0.1", None),
            ("0.0.0.0", Some("unspecified")),
            ("8.8.8.8", None),
            ("::1", Some("loopback")),
            ("::", Some("unspecified")),
            ("fe80::1", Some("link-local")),
            ("fd00::1", Some("unique local")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:10.0.0.1", Some("private")),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some("reserved")),
            ("100::1", Some("discard-only")),
            ("64:ff9b::a00:1", Some("private")),
            ("2001:db8::1", Some("documentation")),
            ("2606:4700::1111", None),
            // 6to4 carries its IPv4 address; local-use NAT64 (RFC 8215) is never global.
            ("2002:a9fe:a9fe::1", Some("link-local")),
            ("2002:7f00:1::", Some("loopback")),
            ("2002:808:808::1", None),
            ("64:ff9b:1::a9fe:a9fe", Some("local-use NAT64")),
        ] {
            let ip: IpAddr = address.parse().expect("a test address");
            assert_eq!(non_public(ip), expected, "{address}");
        }
    }

    #[test]
    fn expiring_is_a_third_of_the_lifetime_or_a_week() {
        let day = Duration::from_secs(24 * 3600);
        let start = SystemTime::UNIX_EPOCH + 1000 * day;
        let ninety = Validity {
            not_before: start,
            not_after: start + 90 * day,
        };
        // 90 days: a third is 30 days.
        assert!(!ninety.expiring(start + 59 * day));
        assert!(ninety.expiring(start + 61 * day));
        // 9 days: a third is 3 days, so the week decides.
        let short = Validity {
            not_before: start,
            not_after: start + 9 * day,
        };
        assert!(!short.expiring(start + day));
        assert!(short.expiring(start + 3 * day));
        // Past the end.
        assert!(ninety.expiring(start + 91 * day));
    }

    #[test]
    fn url_targets_read_scheme_host_and_port_and_skip_interpolated_hosts() {
        let probe = |host: &str, port, tls| {
            UrlTarget::Probe(ProbeTarget {
                host: host.into(),
                port,
                tls,
            })
        };
        assert_eq!(
            url_target("https://Hooks.Example.com/cb?token=${TOKEN}"),
            probe("hooks.example.com", 443, true)
        );
        assert_eq!(
            url_target("http://127.0.0.1:8080/cb"),
            probe("127.0.0.1", 8080, false)
        );
        assert_eq!(url_target("https://[::1]:8443/"), probe("::1", 8443, true));
        assert_eq!(
            url_target("https://${HOOK_HOST}/cb"),
            UrlTarget::Interpolated
        );
        assert_eq!(
            url_target("https://hooks.${ZONE}.example/cb"),
            UrlTarget::Interpolated
        );
        assert_eq!(url_target("ftp://a.example/"), UrlTarget::Unusable);
    }

    #[test]
    fn labels_name_the_port_only_when_it_is_not_the_default() {
        let target = |host: &str, port, tls| ProbeTarget {
            host: host.into(),
            port,
            tls,
        };
        assert_eq!(target("a.example", 443, true).label(), "a.example");
        assert_eq!(target("a.example", 80, true).label(), "a.example:80");
        assert_eq!(target("a.example", 80, false).label(), "a.example");
        assert_eq!(target("::1", 8443, true).label(), "[::1]:8443");
    }
}
