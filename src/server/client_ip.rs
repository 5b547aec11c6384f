//! Which IP address a request comes from, for per-client throttling.
//!
//! The socket's peer address, unless that peer is one of our own reverse proxies
//! (`TRUSTED_PROXIES`): then `X-Forwarded-For` is read from the right, skipping our
//! proxies, and the first other address is the client. Anything left of it was written
//! by the client and cannot be trusted.

use axum::http::HeaderMap;
use std::net::IpAddr;

pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
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
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted_proxies.contains(&ip) => continue,
            Ok(ip) => return ip,
            // Garbage in the chain: stop believing it, the proxy is the best we know.
            Err(_) => return peer,
        }
    }
    peer
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
}
