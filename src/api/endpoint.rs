//! Which REST host an app's requests go to.

use url::{Host, Url};

use crate::config::App;

/// Where an app's requests go, and a warning when that is plain http off this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub base: Url,
    /// Set when requests (and so the UserSig) would cross a network unencrypted.
    pub insecure_warning: Option<String>,
}

/// The global `--endpoint` / `CBCHECK_ENDPOINT` wins, then the app's `endpoint`, then
/// its region's host. An app without either has been refused by validation; the
/// Singapore host stands in only so that this function is total.
pub fn resolve(app: &App, global: Option<&Url>) -> Resolved {
    let base = match (global, &app.endpoint, app.region) {
        (Some(url), _, _) | (None, Some(url), _) => url.clone(),
        (None, None, region) => {
            let host = region.unwrap_or(crate::region::Region::Singapore).host();
            // A documented host name always forms a valid URL.
            Url::parse(&format!("https://{host}/")).expect("region hosts are valid URLs")
        }
    };
    let insecure_warning = (base.scheme() == "http" && !is_loopback(&base)).then(|| {
        format!(
            "requests for sdkappid {} go over plain http to {}: the UserSig crosses the network unencrypted",
            app.sdkappid,
            base.host_str().unwrap_or("?")
        )
    });
    Resolved {
        base,
        insecure_warning,
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
