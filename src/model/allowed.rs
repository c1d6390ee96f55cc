//! Hosts the operator allows a callbacks file's `endpoint` to name
//! (`--allow-endpoint`, `CBCHECK_ALLOW_ENDPOINTS`): parsed from the command line,
//! judged by the source layer before any token is made.

use std::fmt;
use std::str::FromStr;

use url::{Host, Url};

/// One `--allow-endpoint HOST[:PORT]` entry. Without a port it allows the host on
/// its URL's default port only (443 for https, 80 for http); with one, that port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// As the URL parser serialises it: lowercase, IDNA, `[…]` around IPv6.
    host: String,
    port: Option<u16>,
}

impl AllowedHost {
    pub fn allows(&self, url: &Url) -> bool {
        let port_matches = match self.port {
            Some(port) => url.port_or_known_default() == Some(port),
            // A bare host allows https on 443 only: plain http (the token in clear)
            // must be asked for by its port. The URL parser drops a default port.
            None => url.scheme() == "https" && url.port().is_none(),
        };
        port_matches && url.host_str() == Some(self.host.as_str())
    }
}

impl FromStr for AllowedHost {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let entry = text.trim();
        let invalid = |why: &str| format!("`{entry}` is not HOST or HOST:PORT: {why}");
        if entry.is_empty() {
            return Err("the entry is empty: give HOST or HOST:PORT".into());
        }
        if entry.contains("://") || entry.contains(['/', '@', '?', '#']) {
            return Err(invalid(
                "give the host only, without scheme, path or userinfo (e.g. proxy.example.com:8443)",
            ));
        }
        // `[::1]:8443`, `[::1]`, `host:8443`, `host`.
        let (host, port) = match entry.rsplit_once(':') {
            Some((host, port))
                if !host.is_empty() && (!host.contains(':') || host.ends_with(']')) =>
            {
                (host, Some(port))
            }
            _ => (entry, None),
        };
        let port = match port {
            None => None,
            Some(port) => match port.parse::<u16>() {
                Ok(0) | Err(_) => return Err(invalid("the port must be a number from 1 to 65535")),
                Ok(port) => Some(port),
            },
        };
        let host = Host::parse(host).map_err(|err| invalid(&format!("bad host ({err})")))?;
        Ok(AllowedHost {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}
