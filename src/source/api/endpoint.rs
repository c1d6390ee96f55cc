//! Which REST host an app's requests go to, and which hosts a callbacks file may
//! send them to.
//!
//! The file is often written by someone other than the operator (a pull request's
//! author, whose file runs in CI with the repository's secret), and every request
//! carries a UserSig that administers the app for an hour. So an app's `endpoint`
//! from the file is used only on the vendor's documented hosts, or on a host the
//! operator allowed from outside the file (`--allow-endpoint`,
//! `CBCHECK_ALLOW_ENDPOINTS`). The global `--endpoint` is the operator's own choice.

use url::{Host, Url};

pub use crate::model::AllowedHost;
use crate::model::tencent::region;

/// The hosts the operator allowed (empty: the vendor's documented hosts only).
pub type AllowList = [AllowedHost];

/// Whether a callbacks file may send requests to this URL.
pub fn file_may_use(url: &Url, allowed: &AllowList) -> bool {
    region::is_documented_endpoint(url) || allowed.iter().any(|entry| entry.allows(url))
}

/// An app whose `endpoint` from the file is neither a vendor host nor allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the file's endpoint sends its requests {how}to {host}, which is not one of the vendor's documented REST hosts{why}: nothing was sent; whoever runs cbcheck can allow it with --allow-endpoint {host} or CBCHECK_ALLOW_ENDPOINTS"
)]
pub struct NotAllowed {
    pub sdkappid: u64,
    /// `host` or `host:port`: what an allow entry for it is.
    pub host: String,
    how: &'static str,
    why: &'static str,
}

impl NotAllowed {
    fn new(sdkappid: u64, url: &Url) -> NotAllowed {
        let name = url.host_str().unwrap_or("?");
        let host = match url.port() {
            Some(port) => format!("{name}:{port}"),
            None => name.to_owned(),
        };
        let vendor_host = region::Region::documented_hosts().any(|known| known == name);
        let (how, why) = match (url.scheme(), vendor_host) {
            ("http", true) => ("over plain http ", " (they are https only)"),
            ("http", false) => ("over plain http ", ""),
            (_, true) => ("", " on that port (they listen on 443 only)"),
            _ => ("", ""),
        };
        NotAllowed {
            sdkappid,
            host,
            how,
            why,
        }
    }

    pub fn help(&self) -> String {
        format!(
            "a callbacks file may point an app only at the vendor's REST hosts (https, port 443: {}, or their backups on my-imcloud.com); if {} is yours (a proxy), allow it outside the file with --allow-endpoint {} or CBCHECK_ALLOW_ENDPOINTS={}, or send every request there with --endpoint",
            region::Region::ALL.map(region::Region::host).join(", "),
            self.host,
            self.host,
            self.host,
        )
    }
}

/// Where an app's requests go, and a warning when that is plain http off this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub base: Url,
    /// Set when requests (and so the UserSig) would cross a network unencrypted.
    pub insecure_warning: Option<String>,
}

/// Where the file says an app's requests go.
#[derive(Debug, Clone)]
pub struct Declared {
    pub sdkappid: u64,
    pub region: Option<region::Region>,
    pub endpoint: Option<Url>,
}

/// The global `--endpoint` / `CBCHECK_ENDPOINT` wins, then the app's `endpoint`
/// (when the file may use it), then its region's host. An app without either has
/// been refused by validation; the Singapore host stands in only so that this
/// function is total.
pub fn resolve(
    app: &Declared,
    global: Option<&Url>,
    allowed: &AllowList,
) -> Result<Resolved, NotAllowed> {
    let base = match (global, &app.endpoint, app.region) {
        (Some(url), _, _) => url.clone(),
        (None, Some(url), _) if file_may_use(url, allowed) => url.clone(),
        (None, Some(url), _) => return Err(NotAllowed::new(app.sdkappid, url)),
        (None, None, region) => {
            let host = region.unwrap_or(region::Region::Singapore).host();
            // A documented host name always forms a valid URL.
            Url::parse(&format!("https://{host}/")).expect("region hosts are valid URLs")
        }
    };
    let insecure_warning = (base.scheme() == "http" && !is_loopback(&base)).then(|| {
        format!(
            "requests for sdkappid {} go over plain http to {}: the UserSig crosses the network unencrypted (directly: plain http never goes through a proxy)",
            app.sdkappid,
            base.host_str().unwrap_or("?")
        )
    });
    Ok(Resolved {
        base,
        insecure_warning,
    })
}

/// `localhost` or a loopback address.
pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    fn entries(list: &[&str]) -> Vec<AllowedHost> {
        list.iter()
            .map(|e| e.parse().expect("a valid entry"))
            .collect()
    }

    fn app(endpoint: &str) -> Declared {
        Declared {
            sdkappid: 1_400_000_001,
            region: None,
            endpoint: Some(url(endpoint)),
        }
    }

    #[test]
    fn documented_hosts_need_no_allow_entry_whatever_their_case() {
        for endpoint in [
            "https://ADMINAPISGP.IM.QCLOUD.COM",
            "https://AdminApiKr.im.qcloud.com:443/",
            "https://console.tim.qq.com",
            "https://adminapi.my-imcloud.com",
            "https://adminapiger.my-imcloud.com/",
        ] {
            let resolved = resolve(&app(endpoint), None, &[]).expect(endpoint);
            assert_eq!(resolved.base, url(endpoint));
            assert_eq!(resolved.insecure_warning, None);
        }
    }

    #[test]
    fn a_vendor_host_over_http_or_on_another_port_is_refused() {
        let http = resolve(&app("http://adminapisgp.im.qcloud.com"), None, &[]);
        let refused = http.expect_err("plain http is refused");
        assert_eq!(refused.host, "adminapisgp.im.qcloud.com");
        assert!(
            refused.to_string().contains("over plain http")
                && refused.to_string().contains("https only"),
            "{refused}"
        );
        let port = resolve(&app("https://adminapisgp.im.qcloud.com:8443"), None, &[]);
        let refused = port.expect_err("another port is refused");
        assert_eq!(refused.host, "adminapisgp.im.qcloud.com:8443");
        assert!(refused.to_string().contains("443 only"), "{refused}");
        // An allow entry for the host with no port allows https only; plain http needs
        // its port named.
        let allowed = entries(&["AdminApiSgp.im.qcloud.com"]);
        assert!(resolve(&app("http://adminapisgp.im.qcloud.com"), None, &allowed).is_err());
        let allowed = entries(&["AdminApiSgp.im.qcloud.com:80"]);
        assert!(resolve(&app("http://adminapisgp.im.qcloud.com"), None, &allowed).is_ok());
        assert!(
            resolve(
                &app("https://adminapisgp.im.qcloud.com:8443"),
                None,
                &allowed
            )
            .is_err()
        );
    }

    #[test]
    fn other_hosts_need_an_entry_with_the_same_host_and_effective_port() {
        let cases: [(&str, &[&str], bool); 14] = [
            ("https://proxy.example.com", &[], false),
            ("https://proxy.example.com", &["proxy.example.com"], true),
            ("https://proxy.example.com", &["PROXY.Example.COM"], true),
            (
                "https://proxy.example.com",
                &["proxy.example.com:443"],
                true,
            ),
            (
                "https://proxy.example.com:443",
                &["proxy.example.com"],
                true,
            ),
            (
                "https://proxy.example.com:8443",
                &["proxy.example.com"],
                false,
            ),
            (
                "https://proxy.example.com:8443",
                &["proxy.example.com:8443"],
                true,
            ),
            (
                "http://proxy.example.com",
                &["proxy.example.com:443"],
                false,
            ),
            ("https://proxy.example.com", &["example.com"], false),
            (
                "https://proxy.example.com.evil.test",
                &["proxy.example.com"],
                false,
            ),
            ("http://[::1]:8080/", &["[::1]:8080"], true),
            ("http://proxy.example.com", &["proxy.example.com"], false),
            ("http://proxy.example.com", &["proxy.example.com:80"], true),
            (
                "http://127.0.0.1:8080/",
                &["127.0.0.1:8081", "127.0.0.1"],
                false,
            ),
        ];
        for (endpoint, allowed, ok) in cases {
            let result = resolve(&app(endpoint), None, &entries(allowed));
            assert_eq!(result.is_ok(), ok, "{endpoint} with {allowed:?}");
        }
    }

    #[test]
    fn the_refusal_names_the_host_and_how_to_allow_it() {
        let refused = resolve(&app("https://user:pw@evil.example.com:8443/x"), None, &[])
            .expect_err("refused");
        let message = refused.to_string();
        assert!(message.contains("to evil.example.com:8443,"), "{message}");
        assert!(
            message.contains("--allow-endpoint evil.example.com:8443 or CBCHECK_ALLOW_ENDPOINTS"),
            "{message}"
        );
        let help = refused.help();
        assert!(
            help.contains("CBCHECK_ALLOW_ENDPOINTS=evil.example.com:8443"),
            "{help}"
        );
        // The userinfo of the URL is never repeated.
        assert!(
            !message.contains("pw") && !help.contains("pw"),
            "{message}\n{help}"
        );
    }

    #[test]
    fn the_global_endpoint_is_the_operators_choice() {
        let global = url("http://127.0.0.1:9");
        let resolved = resolve(&app("https://evil.example.com"), Some(&global), &[]);
        assert_eq!(resolved.expect("not refused").base, global);
    }

    #[test]
    fn allow_entries_parse_and_print_normalised() {
        for (text, shown) in [
            ("Proxy.Example.com", "proxy.example.com"),
            (" proxy.example.com:8443 ", "proxy.example.com:8443"),
            ("127.0.0.1:80", "127.0.0.1:80"),
            ("[::1]", "[::1]"),
            ("[::1]:8443", "[::1]:8443"),
        ] {
            let entry: AllowedHost = text.parse().expect(text);
            assert_eq!(entry.to_string(), shown);
        }
        for bad in [
            "",
            " ",
            "https://proxy.example.com",
            "proxy.example.com/path",
            "user@proxy.example.com",
            "proxy.example.com:",
            "proxy.example.com:0",
            "proxy.example.com:65536",
            "proxy.example.com:http",
            "bad host",
            "::1",
            "[::1",
            ":8443",
        ] {
            let err = bad.parse::<AllowedHost>().expect_err(bad);
            assert!(err.contains(bad.trim()), "{bad}: {err}");
        }
    }
}
