//! Which address a request comes from, for the rate limit: the TCP peer, or, behind a
//! reverse proxy we trust, the address that proxy saw.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;

/// The reverse proxies whose `X-Forwarded-For` is believed (`FIELDNOTES_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads a comma-separated list of addresses (`10.0.0.7`, `::1`) and networks
    /// (`10.0.0.0/8`, `fd00::/8`); blanks are skipped.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                    format!(
                        "FIELDNOTES_TRUSTED_PROXIES: '{item}' is neither an IP address nor a network such as 10.0.0.0/8"
                    )
                })?,
            };
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address. Each proxy appends the address it got the request from, so the
    /// list is read from the right: past our own trusted proxies, the first address is the
    /// one the outermost of them saw, and anything to its left is the client's say-so.
    /// Without a trusted peer the header is ignored: anyone can send one.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|header| header.split(','))
            .map(str::trim)
            .rev();
        let mut reported_by = peer;
        for hop in hops {
            // A hop that is not an address was not written by a proxy we trust: the one that
            // reported it is the last address known to be real.
            let Some(ip) = parse_hop(hop) else {
                return reported_by;
            };
            if !self.trusts(ip) {
                return ip;
            }
            reported_by = ip;
        }
        reported_by
    }
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// What a client is counted as. An IPv6 host usually has a whole /64 to pick addresses
/// from, so it is counted by that prefix; an IPv4 address by itself.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.1 ,,::1, fd00::/8").unwrap();
        assert!(proxies.trusts(ip("10.1.2.3")));
        assert!(proxies.trusts(ip("192.0.2.1")));
        assert!(!proxies.trusts(ip("192.0.2.2")));
        assert!(proxies.trusts(ip("::1")));
        assert!(proxies.trusts(ip("fd12::5")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let err = TrustedProxies::parse("10.0.0.0/8, proxy.local").unwrap_err();
        assert!(err.contains("proxy.local"), "{err}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            proxies.client(ip("198.51.100.9"), &["203.0.113.7"]),
            ip("198.51.100.9")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        assert_eq!(proxies.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
    }

    #[test]
    fn the_last_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client claims 1.1.1.1; the outer proxy (10.0.0.3) saw 203.0.113.7.
        let hops = ["1.1.1.1, 203.0.113.7", "10.0.0.3"];
        assert_eq!(proxies.client(ip("10.0.0.2"), &hops), ip("203.0.113.7"));
        // Every hop trusted: the leftmost is as far as anyone can tell.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["10.0.0.9, 10.0.0.3"]),
            ip("10.0.0.9")
        );
        // Garbage to the left of a trusted hop: that hop reported it.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["bogus, 10.0.0.3"]),
            ip("10.0.0.3")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["[2001:db8::7]:4711", "203.0.113.8:80"]),
            ip("203.0.113.8")
        );
    }

    #[test]
    fn ipv6_clients_count_by_their_64_prefix() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("2001:db8:1:2:bbbb::9")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(rate_key(ip("203.0.113.7")), ip("203.0.113.7"));
    }
}
