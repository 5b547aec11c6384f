//! The cookies: the refresh token, and the device cookie (`crate::server::sessions::device`). Both are
//! `HttpOnly` (no script can read them) and `SameSite=Strict` (never sent on cross-site
//! requests).
//!
//! When they are `Secure` (the default), their names carry the `__Host-` prefix, which
//! browsers accept only from a secure origin with `Path=/` and no `Domain`: a sibling
//! subdomain (or a man in the middle on plain http) cannot plant or overwrite them, and
//! the server reads only the prefixed names. With `COOKIE_SECURE=false` (plain-http
//! development) they keep their plain names and `Path=/auth` (only sent to the auth
//! endpoints).

use crate::server::sessions::device::DEVICE_COOKIE_TTL;
use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use std::time::Duration;

const REFRESH_COOKIE: &str = "refresh_token";
const DEVICE_COOKIE: &str = "authkit_device";

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
    pub max_age: Duration,
}

impl CookiePolicy {
    /// The name a cookie has under this policy.
    fn name(&self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    fn build(&self, base: &str, value: String, max_age: Duration) -> Option<HeaderValue> {
        let path = if self.secure { "/" } else { "/auth" };
        let cookie = Cookie::build((self.name(base), value))
            .http_only(true)
            .same_site(SameSite::Strict)
            .path(path)
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
            ))
            .build();
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// The refresh cookie's name under this policy (for the OpenAPI document).
    pub fn refresh_cookie_name(&self) -> String {
        self.name(REFRESH_COOKIE)
    }

    /// `Set-Cookie` carrying a new refresh token.
    pub fn set(&self, refresh_token: &str) -> Option<HeaderValue> {
        self.build(REFRESH_COOKIE, refresh_token.to_owned(), self.max_age)
    }

    /// `Set-Cookie` that makes the browser forget the refresh token.
    pub fn clear(&self) -> Option<HeaderValue> {
        self.build(REFRESH_COOKIE, String::new(), Duration::ZERO)
    }

    /// `Set-Cookie` that remembers this browser for the account (a device token).
    pub fn device(&self, device_token: &str) -> Option<HeaderValue> {
        self.build(DEVICE_COOKIE, device_token.to_owned(), DEVICE_COOKIE_TTL)
    }

    /// The refresh token the browser sent, if any (under this policy's name only).
    pub fn refresh_token_from(&self, headers: &HeaderMap) -> Option<String> {
        cookie_from(headers, &self.name(REFRESH_COOKIE))
    }

    /// The device token the browser sent, if any (under this policy's name only).
    pub fn device_token_from(&self, headers: &HeaderMap) -> Option<String> {
        cookie_from(headers, &self.name(DEVICE_COOKIE))
    }
}

/// The value of the (non-empty) cookie `name` the browser sent, if any.
fn cookie_from(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECURE: CookiePolicy = CookiePolicy {
        secure: true,
        max_age: Duration::from_secs(14 * 24 * 3600),
    };
    const PLAIN_HTTP: CookiePolicy = CookiePolicy {
        secure: false,
        max_age: SECURE.max_age,
    };

    #[test]
    fn a_secure_refresh_cookie_is_a_host_cookie_with_every_protective_attribute() {
        let set = SECURE.set("abc").unwrap();
        let set = set.to_str().unwrap();
        assert!(set.starts_with("__Host-refresh_token=abc;"), "{set}");
        for part in ["HttpOnly", "SameSite=Strict", "Path=/;", "Secure", "Max-Age=1209600"] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!set.contains("Domain"), "{set}");
        let cleared = SECURE.clear().unwrap();
        assert!(cleared.to_str().unwrap().starts_with("__Host-refresh_token=;"));
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
        let device = SECURE.device("d").unwrap();
        assert!(device.to_str().unwrap().starts_with("__Host-authkit_device=d;"));
    }

    #[test]
    fn plain_http_development_keeps_the_plain_name_and_auth_path() {
        let set = PLAIN_HTTP.set("abc").unwrap();
        let set = set.to_str().unwrap();
        assert!(set.starts_with("refresh_token=abc;"), "{set}");
        assert!(set.contains("Path=/auth") && set.contains("HttpOnly"), "{set}");
        assert!(!set.contains("Secure"), "{set}");
    }

    #[test]
    fn reads_only_the_name_its_policy_sets() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; refresh_token=xyz; b=2"));
        assert_eq!(PLAIN_HTTP.refresh_token_from(&headers).as_deref(), Some("xyz"));
        // A planted unprefixed cookie is ignored when the real one must be `__Host-`.
        assert_eq!(SECURE.refresh_token_from(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("refresh_token=planted; __Host-refresh_token=real"),
        );
        assert_eq!(SECURE.refresh_token_from(&headers).as_deref(), Some("real"));
        headers.insert(header::COOKIE, HeaderValue::from_static("refresh_token="));
        assert_eq!(PLAIN_HTTP.refresh_token_from(&headers), None);
    }
}
