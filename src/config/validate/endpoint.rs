//! Where an app's REST calls go: its `region`, or an `endpoint` of its own (warned
//! about when it is not one of the vendor's documented hosts).

use url::Url;

use super::suggest::unknown_name;
use super::{Path, Validator};
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::Node;
use crate::model::tencent::region::Region;

impl Validator<'_> {
    pub(super) fn region(&mut self, path: Path<'_>, node: &Node) -> Option<Region> {
        let name = self.string(path, node)?;
        if let Some(region) = Region::from_name(name) {
            return Some(region);
        }
        self.push(
            ConfigDiagnostic::error(Rule::UnknownRegion, format!("unknown region `{name}`"))
                .primary(
                    node.span,
                    unknown_name(name, Region::ALL.map(Region::name), "region"),
                )
                .help(format!("use one of: {}", region_names())),
        );
        None
    }

    pub(super) fn endpoint(&mut self, path: Path<'_>, node: &Node) -> Option<Url> {
        let text = self.string(path, node)?;
        let problem = match Url::parse(text) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") => {
                format!("the scheme `{}` is not http or https", url.scheme())
            }
            Ok(url) if url.host().is_none() => "it has no host".to_owned(),
            Ok(url) if url.query().is_some() || url.fragment().is_some() => {
                "it has a query or fragment; cbcheck adds its own query".to_owned()
            }
            Ok(url) => {
                self.unlisted_endpoint(path, node, &url);
                return Some(url);
            }
            Err(err) => format!("it does not parse as a URL ({err})"),
        };
        self.push(
            ConfigDiagnostic::error(
                Rule::InvalidEndpoint,
                format!("`{path}` is not an absolute http(s) URL: {problem}"),
            )
            .primary(node.span, "invalid endpoint")
            .help("give the REST host as a URL, e.g. `https://adminapisgp.im.qcloud.com`, or remove `endpoint` to use the region's host"),
        );
        None
    }

    /// The file may send an app's UserSig only to the vendor's hosts: verify, apply
    /// and export refuse any other endpoint unless the operator allows it.
    fn unlisted_endpoint(&mut self, path: Path<'_>, node: &Node, url: &Url) {
        if crate::model::tencent::region::is_documented_endpoint(url) {
            return;
        }
        let vendor_host = url
            .host_str()
            .is_some_and(|host| Region::documented_hosts().any(|known| known == host));
        let label = match (url.scheme(), vendor_host) {
            ("http", _) => "plain http",
            (_, true) => "not port 443",
            _ => "not a vendor host",
        };
        self.push(
            ConfigDiagnostic::warning(
                Rule::UnlistedEndpoint,
                format!("`{path}` is not one of the vendor's documented REST hosts: verify, apply and export refuse to send it the app's UserSig unless the host is allowed with --allow-endpoint or CBCHECK_ALLOW_ENDPOINTS"),
            )
            .primary(node.span, label)
            .help(format!(
                "the vendor's hosts are https on port 443: {}, and their backups on my-imcloud.com; for a proxy of your own, allow its HOST[:PORT] where cbcheck runs (--allow-endpoint, CBCHECK_ALLOW_ENDPOINTS), or use --endpoint instead",
                Region::ALL.map(Region::host).join(", ")
            )),
        );
    }
}

pub(super) fn region_names() -> String {
    Region::ALL.map(Region::name).join(", ")
}
