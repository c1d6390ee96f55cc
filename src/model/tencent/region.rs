//! The vendor's data-centre regions and their REST hosts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

named! {
/// A Chat/TRTC data-centre region, named as in callbacks.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Region fn name {
    /// China (console.tim.qq.com)
    China = "china",
    /// Singapore (adminapisgp.im.qcloud.com)
    Singapore = "singapore",
    /// Seoul (adminapikr.im.qcloud.com)
    Seoul = "seoul",
    /// Frankfurt (adminapiger.im.qcloud.com)
    Frankfurt = "frankfurt",
    /// Mumbai (adminapiind.im.qcloud.com)
    Mumbai = "mumbai",
    /// Silicon Valley, USA (adminapiusa.im.qcloud.com)
    SiliconValley = "silicon-valley",
    /// Jakarta (adminapiidn.im.qcloud.com)
    Jakarta = "jakarta",
}
}

impl Region {
    /// Where the data centre is, as the vendor's documentation names it.
    pub fn place(self) -> &'static str {
        match self {
            Region::China => "China",
            Region::Singapore => "Singapore",
            Region::Seoul => "Seoul",
            Region::Frankfurt => "Frankfurt",
            Region::Mumbai => "Mumbai",
            Region::SiliconValley => "Silicon Valley, USA",
            Region::Jakarta => "Jakarta",
        }
    }

    pub fn from_name(name: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The primary REST host of the region (room-callback-api.md, "Hosts by region").
    pub fn host(self) -> &'static str {
        match self {
            Region::China => "console.tim.qq.com",
            Region::Singapore => "adminapisgp.im.qcloud.com",
            Region::Seoul => "adminapikr.im.qcloud.com",
            Region::Frankfurt => "adminapiger.im.qcloud.com",
            Region::Mumbai => "adminapiind.im.qcloud.com",
            Region::SiliconValley => "adminapiusa.im.qcloud.com",
            Region::Jakarta => "adminapiidn.im.qcloud.com",
        }
    }

    /// The region's backup host on `my-imcloud.com`, for when DNS is hijacked
    /// (room-callback-api.md: the primary's prefix, and `adminapi` for China).
    pub fn backup_host(self) -> &'static str {
        match self {
            Region::China => "adminapi.my-imcloud.com",
            Region::Singapore => "adminapisgp.my-imcloud.com",
            Region::Seoul => "adminapikr.my-imcloud.com",
            Region::Frankfurt => "adminapiger.my-imcloud.com",
            Region::Mumbai => "adminapiind.my-imcloud.com",
            Region::SiliconValley => "adminapiusa.my-imcloud.com",
            Region::Jakarta => "adminapiidn.my-imcloud.com",
        }
    }

    /// Every documented REST host, primaries then backups.
    pub fn documented_hosts() -> impl Iterator<Item = &'static str> {
        Region::ALL
            .into_iter()
            .map(Region::host)
            .chain(Region::ALL.into_iter().map(Region::backup_host))
    }
}

/// Whether a URL is https on one of the vendor's documented REST hosts, port 443.
/// The URL parser has already lowercased the host and dropped a written `:443`.
pub fn is_documented_endpoint(url: &Url) -> bool {
    url.scheme() == "https"
        && url.port().is_none()
        && url
            .host_str()
            .is_some_and(|host| Region::documented_hosts().any(|known| known == host))
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for region in Region::ALL {
            assert_eq!(Region::from_name(region.name()), Some(region));
            let json = serde_json::to_value(region).expect("serialises");
            assert_eq!(json, region.name());
        }
        assert_eq!(Region::from_name("Singapore"), None);
    }

    #[test]
    fn hosts_are_the_documented_ones() {
        assert_eq!(Region::China.host(), "console.tim.qq.com");
        assert_eq!(Region::Singapore.host(), "adminapisgp.im.qcloud.com");
        assert_eq!(Region::SiliconValley.host(), "adminapiusa.im.qcloud.com");
        assert_eq!(Region::China.backup_host(), "adminapi.my-imcloud.com");
        assert_eq!(
            Region::Singapore.backup_host(),
            "adminapisgp.my-imcloud.com"
        );
        assert_eq!(Region::documented_hosts().count(), 14);
    }

    #[test]
    fn documented_endpoints_are_https_on_443_on_a_vendor_host() {
        let documented = |text: &str| is_documented_endpoint(&Url::parse(text).expect("a URL"));
        for yes in [
            "https://adminapisgp.im.qcloud.com",
            "HTTPS://ADMINAPISGP.IM.QCLOUD.COM/",
            "https://console.tim.qq.com:443/",
            "https://adminapi.my-imcloud.com",
            "https://adminapiusa.my-imcloud.com/some/prefix",
        ] {
            assert!(documented(yes), "{yes}");
        }
        for no in [
            "http://adminapisgp.im.qcloud.com",
            "https://adminapisgp.im.qcloud.com:8443",
            "https://adminapisgp.im.qcloud.com.",
            "https://adminapisgp.im.qcloud.com.attacker.example",
            "https://evil-adminapisgp.im.qcloud.com",
            "https://im.qcloud.com",
            "https://127.0.0.1",
            "https://localhost",
        ] {
            assert!(!documented(no), "{no}");
        }
    }
}
