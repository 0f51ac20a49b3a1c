//! Who the client of a request is: the socket's peer, or behind trusted reverse proxies the
//! address they forward (`SOCORG_TRUSTED_PROXIES`), and its key for rate limits and throttles.

/// The key of a client address for rate limits: an IPv4 address itself, an IPv6 address by its
/// /64 network (one subscriber's usual allocation, which it may fill with addresses at will).
pub fn client_key(address: Option<std::net::IpAddr>) -> String {
    match address {
        Some(std::net::IpAddr::V4(address)) => address.to_string(),
        Some(std::net::IpAddr::V6(address)) => match address.to_ipv4_mapped() {
            Some(mapped) => mapped.to_string(),
            None => {
                let segments = address.segments();
                format!(
                    "{:x}:{:x}:{:x}:{:x}::/64",
                    segments[0], segments[1], segments[2], segments[3]
                )
            }
        },
        None => "unknown".to_owned(),
    }
}

/// `SOCORG_TRUSTED_PROXIES`: the reverse proxies (addresses or networks, comma-separated, such
/// as `127.0.0.1, 10.0.0.0/8`) whose `X-Forwarded-For` names the client. Without any, the
/// socket's peer is the client, and `X-Forwarded-For` (which anyone can send) is ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(std::net::IpAddr, u8)>);

impl TrustedProxies {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut networks = Vec::new();
        for entry in text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let (address, prefix) = match entry.split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (entry, None),
            };
            let address: std::net::IpAddr = address
                .parse()
                .map_err(|_| format!("`{entry}` is not an address or network"))?;
            let width = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(prefix) => prefix
                    .parse::<u8>()
                    .ok()
                    .filter(|prefix| *prefix <= width)
                    .ok_or_else(|| format!("`{entry}` has no valid prefix length"))?,
                None => width,
            };
            networks.push((address, prefix));
        }
        Ok(Self(networks))
    }

    fn trusts(&self, address: std::net::IpAddr) -> bool {
        let address = match address {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.0
            .iter()
            .any(|(network, prefix)| match (network, address) {
                (std::net::IpAddr::V4(network), std::net::IpAddr::V4(address)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                    u32::from(*network) & mask == u32::from(address) & mask
                }
                (std::net::IpAddr::V6(network), std::net::IpAddr::V6(address)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                    u128::from(*network) & mask == u128::from(address) & mask
                }
                _ => false,
            })
    }

    /// The client behind `peer`: the nearest address in `X-Forwarded-For` that is not one of
    /// ours, when the peer is; otherwise the peer itself.
    pub fn client(
        &self,
        peer: Option<std::net::IpAddr>,
        headers: &poem::http::HeaderMap,
    ) -> Option<std::net::IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in forwarded.iter().rev() {
            let Ok(address) = hop.parse::<std::net::IpAddr>() else {
                // Not an address: nothing further left can be believed.
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        Some(client)
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries: Vec<String> = self
            .0
            .iter()
            .map(|(address, prefix)| format!("{address}/{prefix}"))
            .collect();
        formatter.write_str(&entries.join(","))
    }
}

impl serde::Serialize for TrustedProxies {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for TrustedProxies {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The rate-limit key of the client making `request` (see [`TrustedProxies`]).
pub fn client_of(proxies: &TrustedProxies, request: &poem::Request) -> String {
    let peer = request
        .remote_addr()
        .as_socket_addr()
        .map(|address| address.ip());
    client_key(proxies.client(peer, request.headers()))
}

#[cfg(test)]
mod proxy_tests {
    use poem::http::HeaderMap;

    use super::TrustedProxies;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_behind_our_own_proxies() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let peer = |text: &str| Some(text.parse().unwrap());
        let client = |peer_text: &str, header: &str| {
            proxies
                .client(peer(peer_text), &forwarded(header))
                .map(|address| address.to_string())
        };
        // Behind our proxy, the nearest address that is not ours.
        assert_eq!(
            client("127.0.0.1", "203.0.113.9").as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            client("127.0.0.1", "198.51.100.1, 203.0.113.9, 10.1.2.3").as_deref(),
            Some("203.0.113.9"),
            "what the client wrote itself (198.51.100.1) is not believed"
        );
        // From anywhere else the header is the caller's word only.
        assert_eq!(
            client("192.0.2.7", "203.0.113.9").as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(
            client("127.0.0.1", "not-an-address").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            proxies
                .client(peer("::ffff:127.0.0.1"), &forwarded("2001:db8::1"))
                .map(|address| address.to_string())
                .as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            TrustedProxies::default()
                .client(peer("127.0.0.1"), &forwarded("203.0.113.9"))
                .map(|address| address.to_string())
                .as_deref(),
            Some("127.0.0.1")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8,::1").unwrap().to_string(),
            "10.0.0.0/8,::1/128"
        );
    }
}
