//! Fixed-window rate limits per key (a client address, an account). `hit` keeps the count in
//! the database, so every node counts together: for rare writes (complaints, downloads of the
//! register). `LocalLimiter` keeps it in this node's memory: for public reads that must stay
//! fast (a database write per search would cost more than the search), so with several nodes
//! an address may make the limit's number of requests on each. Login throttling has its own
//! stricter rules in `auth`.

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::raw_statement;

/// Counts one use of `key`; `Some(seconds)` when the key used up its `limit` in this `window`.
pub async fn hit(
    db: &impl ConnectionTrait,
    key: &str,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    let row = db
        .query_one_raw(raw_statement(
            db.get_database_backend(),
            "INSERT INTO login_throttle (key, failures, window_started_at, blocked_until)
             VALUES ($1, 1, $2, NULL)
             ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN login_throttle.window_started_at < $3
                                THEN 1 ELSE login_throttle.failures + 1 END,
                window_started_at = CASE WHEN login_throttle.window_started_at < $3
                                THEN $2 ELSE login_throttle.window_started_at END
             RETURNING failures, window_started_at",
            [key.into(), now.into(), (now - window).into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("rate limit counter returned nothing".into()))?;
    let count: i32 = row.try_get("", "failures")?;
    let started: DateTime<Utc> = row.try_get("", "window_started_at")?;
    if count <= limit {
        return Ok(None);
    }
    Ok(Some(
        (started + window - now).num_seconds().max(1).unsigned_abs(),
    ))
}

/// Keys counted before the windows that have ended are pruned (at most once a window).
const LOCAL_KEYS_BEFORE_PRUNING: usize = 10_000;
/// Keys counted at most: beyond it (a flood of addresses), every count starts again, so that
/// memory stays bounded and no hit scans more than once a window.
const LOCAL_KEYS_AT_MOST: usize = 200_000;

/// A fixed-window limiter in this node's memory.
#[derive(Default)]
pub struct LocalLimiter {
    inner: Mutex<LocalWindows>,
}

#[derive(Default)]
struct LocalWindows {
    windows: HashMap<String, (DateTime<Utc>, i32)>,
    pruned_at: Option<DateTime<Utc>>,
}

impl LocalLimiter {
    /// Counts one use of `key`; `Some(seconds)` when the key used up its `limit` in this `window`.
    pub fn hit(&self, key: &str, limit: i32, window: Duration, now: DateTime<Utc>) -> Option<u64> {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let LocalWindows { windows, pruned_at } = &mut *inner;
        if windows.len() >= LOCAL_KEYS_BEFORE_PRUNING
            && pruned_at.is_none_or(|at| at + window <= now)
        {
            windows.retain(|_, (started, _)| *started + window > now);
            *pruned_at = Some(now);
        }
        if windows.len() >= LOCAL_KEYS_AT_MOST {
            windows.clear();
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if entry.0 + window <= now {
            *entry = (now, 0);
        }
        entry.1 += 1;
        (entry.1 > limit).then(|| (entry.0 + window - now).num_seconds().max(1).unsigned_abs())
    }
}

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

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::LocalLimiter;

    #[test]
    fn a_local_window_counts_to_its_limit_and_starts_again() {
        let limiter = LocalLimiter::default();
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let minute = Duration::minutes(1);
        for _ in 0..3 {
            assert_eq!(limiter.hit("a", 3, minute, start), None);
        }
        assert_eq!(
            limiter.hit("a", 3, minute, start + Duration::seconds(20)),
            Some(40)
        );
        assert_eq!(limiter.hit("b", 3, minute, start), None, "per key");
        assert_eq!(limiter.hit("a", 3, minute, start + minute), None);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_network() {
        let key = |text: &str| super::client_key(text.parse().ok());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
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
pub fn client_of(state: &crate::state::AppState, request: &poem::Request) -> String {
    let peer = request
        .remote_addr()
        .as_socket_addr()
        .map(|address| address.ip());
    client_key(state.config.trusted_proxies.client(peer, request.headers()))
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
