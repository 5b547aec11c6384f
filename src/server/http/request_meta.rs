//! `RequestMeta`: what the services need to know about a request besides its input,
//! read from the headers and the socket once, at the edge. Services never see a
//! `HeaderMap`.

use super::client_ip::{Network, client_ip};
use super::cookies::CookiePolicy;
use axum::http::{HeaderMap, header};
use std::net::IpAddr;

/// What the `Authorization` header held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bearer {
    Missing,
    /// A header that is not `Bearer <token>`; the reason is only logged.
    Unusable(&'static str),
    Token(String),
}

impl Bearer {
    /// Reads `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235). Tokens
    /// anywhere else (query string, cookies) are ignored.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Bearer::Missing;
        };
        let Ok(value) = value.to_str() else {
            return Bearer::Unusable("non-ASCII Authorization header");
        };
        match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                Bearer::Token(token.trim().to_owned())
            }
            _ => Bearer::Unusable("Authorization is not a Bearer token"),
        }
    }
}

/// Who sent a request and which credentials it carries.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// The client's address (behind trusted proxies, from `X-Forwarded-For`): the key of
    /// the per-client throttles.
    pub client_ip: IpAddr,
    pub user_agent: Option<String>,
    pub bearer: Bearer,
    /// The refresh-token cookie, if the browser sent one.
    pub refresh_token: Option<String>,
    /// The device cookie of an earlier successful login, if the browser sent one.
    pub device_token: Option<String>,
}

impl RequestMeta {
    pub fn from_parts(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr], cookies: &CookiePolicy) -> Self {
        Self {
            client_ip: client_ip(peer, headers, trusted_proxies),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            bearer: Bearer::from_headers(headers),
            refresh_token: cookies.refresh_token_from(headers),
            device_token: cookies.device_token_from(headers),
        }
    }

    /// The client's network, by which per-client throttles count.
    pub fn network(&self) -> Network {
        Network::of(self.client_ip)
    }

    /// A request from `client_ip` carrying no headers (the services' unit tests).
    pub fn local(client_ip: IpAddr) -> Self {
        Self {
            client_ip,
            user_agent: None,
            bearer: Bearer::Missing,
            refresh_token: None,
            device_token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn bearer(value: &str) -> Bearer {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        Bearer::from_headers(&headers)
    }

    #[test]
    fn bearer_token_is_read_case_insensitively() {
        assert_eq!(bearer("Bearer abc"), Bearer::Token("abc".into()));
        assert_eq!(bearer("bearer abc"), Bearer::Token("abc".into()));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_refused() {
        assert_eq!(Bearer::from_headers(&HeaderMap::new()), Bearer::Missing);
        for value in ["Basic abc", "Bearer ", "Bearer"] {
            assert!(matches!(bearer(value), Bearer::Unusable(_)), "{value}");
        }
    }
}
