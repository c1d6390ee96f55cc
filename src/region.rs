//! The vendor's data-centre regions and their REST hosts.

use schemars::JsonSchema;
use serde::Serialize;

/// A Chat/TRTC data-centre region, named as in callbacks.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    /// China (console.tim.qq.com)
    China,
    /// Singapore (adminapisgp.im.qcloud.com)
    Singapore,
    /// Seoul (adminapikr.im.qcloud.com)
    Seoul,
    /// Frankfurt (adminapiger.im.qcloud.com)
    Frankfurt,
    /// Mumbai (adminapiind.im.qcloud.com)
    Mumbai,
    /// Silicon Valley, USA (adminapiusa.im.qcloud.com)
    SiliconValley,
    /// Jakarta (adminapiidn.im.qcloud.com)
    Jakarta,
}

impl Region {
    pub const ALL: [Region; 7] = [
        Region::China,
        Region::Singapore,
        Region::Seoul,
        Region::Frankfurt,
        Region::Mumbai,
        Region::SiliconValley,
        Region::Jakarta,
    ];

    /// The name used in callbacks.yaml.
    pub fn name(self) -> &'static str {
        match self {
            Region::China => "china",
            Region::Singapore => "singapore",
            Region::Seoul => "seoul",
            Region::Frankfurt => "frankfurt",
            Region::Mumbai => "mumbai",
            Region::SiliconValley => "silicon-valley",
            Region::Jakarta => "jakarta",
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
    }
}
