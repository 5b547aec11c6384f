//! Which IP address a request comes from, and which network that address stands for,
//! for per-client throttling.
//!
//! The socket's peer address, unless that peer is one of our own reverse proxies
//! (`TRUSTED_PROXIES`): then `X-Forwarded-For` is read from the right, skipping our
//! proxies, and the first other address is the client. Anything left of it was written
//! by the client and cannot be trusted.
//!
//! Addresses are compared in canonical form: a peer shown as IPv4-mapped IPv6
//! (`::ffff:10.0.0.1`, as a dual-stack listener reports IPv4 clients) is the IPv4
//! address `10.0.0.1`, and matches a trusted proxy written that way.

use axum::http::HeaderMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|proxy| proxy.to_canonical() == *ip);
    if !trusted(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted(&ip) => continue,
            Some(ip) => return ip,
            // Garbage in the chain: stop believing it, the proxy is the best we know.
            None => return peer,
        }
    }
    peer
}

/// One `X-Forwarded-For` entry: an address, or an address with a port as some proxies
/// write it (`1.2.3.4:5678`, `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The network a client address stands for in the throttles: an IPv4 address as it
/// is, an IPv6 address by its /64 — one subscriber's allocation, inside which an
/// attacker can pick a fresh address for every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network(IpAddr);

impl Network {
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Network(IpAddr::V4(v4)),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Network(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
        }
    }
}

impl crate::server::throttles::BucketKey for Network {
    fn bucket_key(&self) -> String {
        self.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(client_ip(ip("203.0.113.9"), &xff("1.2.3.4"), &[]), ip("203.0.113.9"));
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff("1.2.3.4"), &[ip("10.0.0.1")]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_proxy_forwards_the_rightmost_untrusted_address() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client forged "6.6.6.6"; our proxies appended the real one and themselves.
        let headers = xff("6.6.6.6, 198.51.100.7, 10.0.0.2");
        assert_eq!(client_ip(ip("10.0.0.1"), &headers, &proxies), ip("198.51.100.7"));
    }

    #[test]
    fn trusted_proxy_without_a_usable_header_is_the_client() {
        let proxies = [ip("10.0.0.1")];
        assert_eq!(client_ip(ip("10.0.0.1"), &HeaderMap::new(), &proxies), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), &xff("garbage"), &proxies), ip("10.0.0.1"));
    }

    #[test]
    fn an_ipv4_mapped_peer_matches_a_proxy_written_as_ipv4() {
        let proxies = [ip("10.0.0.1")];
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &xff("198.51.100.7"), &proxies),
            ip("198.51.100.7")
        );
        // And a mapped client address is reported (and throttled) as IPv4.
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.9"), &HeaderMap::new(), &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forwarded_hops_with_ports_are_parsed() {
        let proxies = [ip("10.0.0.1")];
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff("198.51.100.7:5678"), &proxies),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff("[2001:db8::1]:443"), &proxies),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff("2001:db8::1"), &proxies),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64() {
        assert_eq!(
            Network::of(ip("2001:db8:1:2:aaaa::1")),
            Network::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(Network::of(ip("2001:db8:1:2::1")), Network::of(ip("2001:db8:1:3::1")));
        assert_eq!(Network::of(ip("::ffff:198.51.100.7")), Network::of(ip("198.51.100.7")));
        assert_ne!(Network::of(ip("198.51.100.7")), Network::of(ip("198.51.100.8")));
    }
}
