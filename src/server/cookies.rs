//! The refresh-token cookie: `HttpOnly` (no script can read it), `SameSite=Strict` (never
//! sent on cross-site requests), `Path=/auth` (only sent to the auth endpoints), and
//! `Secure` unless turned off for plain-http development.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use std::time::Duration;

pub const REFRESH_COOKIE: &str = "refresh_token";

#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
    pub max_age: Duration,
}

impl CookiePolicy {
    fn build(&self, value: String, max_age: Duration) -> Option<HeaderValue> {
        let cookie = Cookie::build((REFRESH_COOKIE, value))
            .http_only(true)
            .same_site(SameSite::Strict)
            .path("/auth")
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
            ))
            .build();
        HeaderValue::from_str(&cookie.to_string()).ok()
    }

    /// `Set-Cookie` carrying a new refresh token.
    pub fn set(&self, refresh_token: &str) -> Option<HeaderValue> {
        self.build(refresh_token.to_owned(), self.max_age)
    }

    /// `Set-Cookie` that makes the browser forget the refresh token.
    pub fn clear(&self) -> Option<HeaderValue> {
        self.build(String::new(), Duration::ZERO)
    }
}

/// The refresh token the browser sent, if any.
pub fn refresh_token_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == REFRESH_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_cookie_has_every_protective_attribute() {
        let policy = CookiePolicy {
            secure: true,
            max_age: Duration::from_secs(14 * 24 * 3600),
        };
        let set = policy.set("abc").unwrap();
        let set = set.to_str().unwrap();
        for part in [
            "refresh_token=abc",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/auth",
            "Secure",
            "Max-Age=1209600",
        ] {
            assert!(set.contains(part), "{set}");
        }
        let cleared = policy.clear().unwrap();
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
        let insecure = CookiePolicy {
            secure: false,
            ..policy
        }
        .set("abc")
        .unwrap();
        assert!(!insecure.to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn reads_the_refresh_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; refresh_token=xyz; b=2"));
        assert_eq!(refresh_token_from(&headers).as_deref(), Some("xyz"));
        headers.insert(header::COOKIE, HeaderValue::from_static("refresh_token="));
        assert_eq!(refresh_token_from(&headers), None);
    }
}
