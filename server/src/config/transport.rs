//! Transport settings: limits on `/graphql/ws` sockets, and which proxies' `X-Forwarded-For` to believe.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use super::{ConfigError, Source};

/// Limits on one replica's WebSocket connections (`WS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebSocketLimits {
    /// The largest message a client may send; like the HTTP body limit.
    pub max_message_bytes: usize,
    /// Operations running at once on one socket (subscriptions count until they complete).
    pub max_operations: usize,
    /// Open sockets per signed-in user on one replica.
    pub max_sockets_per_user: usize,
    /// A socket that sent nothing for this long and runs no operation is closed.
    pub idle_timeout: Duration,
}

impl WebSocketLimits {
    pub(super) fn from_source(source: &Source<'_>) -> Result<Self, ConfigError> {
        let max_message_bytes: usize = source.parse("WS_MAX_MESSAGE_BYTES", 1024 * 1024)?;
        let max_operations: usize = source.parse("WS_MAX_OPERATIONS", 20)?;
        let max_sockets_per_user: usize = source.parse("WS_MAX_SOCKETS_PER_USER", 10)?;
        let idle_seconds: u64 = source.parse("WS_IDLE_TIMEOUT_SECONDS", 300)?;
        for (name, value) in [
            ("WS_MAX_MESSAGE_BYTES", max_message_bytes as u64),
            ("WS_MAX_OPERATIONS", max_operations as u64),
            ("WS_MAX_SOCKETS_PER_USER", max_sockets_per_user as u64),
            ("WS_IDLE_TIMEOUT_SECONDS", idle_seconds),
        ] {
            if value == 0 {
                return Err(ConfigError::new(name, "must be at least 1"));
            }
        }
        Ok(Self {
            max_message_bytes,
            max_operations,
            max_sockets_per_user,
            idle_timeout: Duration::from_secs(idle_seconds),
        })
    }
}

/// An IP network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`; a bare address is one host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix)
                    == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

impl FromStr for IpNetwork {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{raw:?} is not an address or CIDR network"))?;
        let address = address.to_canonical();
        let width = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= width)
                .ok_or_else(|| format!("{raw:?} has a bad prefix length"))?,
        };
        Ok(Self { address, prefix })
    }
}

/// What `TRUST_FORWARDED_FOR=true` (the older setting) trusts when `TRUSTED_PROXIES` is not set:
/// loopback and private networks, where a deployment's own proxies live.
const PRIVATE_NETWORKS: [&str; 7] = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
];

/// `TRUSTED_PROXIES`: the networks whose `X-Forwarded-For` entries are believed. Empty: the header is
/// ignored and the socket peer is the client.
pub(super) fn trusted_proxies(source: &Source<'_>) -> Result<Vec<IpNetwork>, ConfigError> {
    let listed = source.list("TRUSTED_PROXIES");
    let networks: Vec<&str> = if !listed.is_empty() {
        listed.iter().map(String::as_str).collect()
    } else if source.flag("TRUST_FORWARDED_FOR", false)? {
        PRIVATE_NETWORKS.to_vec()
    } else {
        Vec::new()
    };
    networks
        .into_iter()
        .map(|raw| {
            raw.parse()
                .map_err(|reason| ConfigError::new("TRUSTED_PROXIES", reason))
        })
        .collect()
}

/// The client's address: walking `X-Forwarded-For` from the right (the hop nearest to us), the first
/// address that is not one of our trusted proxies. Entries left of it were written by the client and
/// prove nothing. A request whose peer is not a trusted proxy is taken at its word: the peer.
pub fn client_ip(trusted: &[IpNetwork], forwarded_for: Option<&str>, peer: IpAddr) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|network| network.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(peer) {
        return peer;
    }
    let mut nearest_trusted = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let Some(ip) = parse_hop(hop) else {
            // Unreadable: nothing further left can be attributed to anyone.
            return nearest_trusted;
        };
        if !is_trusted(ip) {
            return ip;
        }
        nearest_trusted = ip;
    }
    nearest_trusted
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    // Some proxies add a port: `203.0.113.9:5000`, `[2001:db8::1]:5000`.
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|address| address.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn networks(list: &[&str]) -> Vec<IpNetwork> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = networks(&["10.0.0.0/8", "127.0.0.1"]);
        let header = Some("6.6.6.6, 203.0.113.9, 10.1.2.3");
        assert_eq!(
            client_ip(&trusted, header, ip("127.0.0.1")),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(&trusted, Some("[2001:db8::1]:443"), ip("10.0.0.1")),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = networks(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(&trusted, Some("6.6.6.6"), ip("198.51.100.7")),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(&[], Some("6.6.6.6"), ip("10.0.0.1")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn only_trusted_hops_leave_the_left_most_one() {
        let trusted = networks(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(&trusted, Some("10.0.0.9, 10.0.0.8"), ip("10.0.0.1")),
            ip("10.0.0.9")
        );
        assert_eq!(client_ip(&trusted, None, ip("10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn networks_parse_and_match() {
        let v6: IpNetwork = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let v4: IpNetwork = "172.16.0.0/12".parse().unwrap();
        assert!(v4.contains(ip("172.31.255.255")));
        assert!(v4.contains(ip("::ffff:172.16.0.1")));
        assert!(!v4.contains(ip("172.32.0.0")));
        assert!("10.0.0.0/33".parse::<IpNetwork>().is_err());
        assert!("nonsense".parse::<IpNetwork>().is_err());
        let everything: IpNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("8.8.8.8")));
    }
}
