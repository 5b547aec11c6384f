//! What operators and load balancers use: the health endpoints.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn health_live_and_ready_answer_without_a_session() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/health/ready"] {
        let reply = app.send(app.client.get(app.url(path))).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        assert_eq!(reply.body, json!({"status": "ok"}), "{path}");
        assert_eq!(header(&reply, "content-type"), Some("application/json"));
        assert_eq!(header(&reply, "cache-control"), Some("no-store"));
        // Only GET (and HEAD): a probe changes nothing.
        let post = app.send(app.client.post(app.url(path))).await;
        assert_eq!(post.status, 405, "{path}");
        assert_eq!(
            post.body,
            json!({"detail": "Method Not Allowed", "code": "method_not_allowed"}),
            "{path}: {}",
            post.text
        );
        assert_eq!(header(&post, "content-type"), Some("application/json"), "{path}");
    }
}

/// Outside the API too, an error is never an empty answer: a wrong method on a page or on
/// a probe is JSON like every API error, while the not-found page stays a page.
#[tokio::test]
async fn errors_outside_the_api_are_json_and_the_not_found_page_stays_a_page() {
    let app = TestApp::spawn().await;
    for path in ["/", "/health/ready", "/openapi.json"] {
        let reply = app.send(app.client.delete(app.url(path))).await;
        assert_eq!(reply.status, 405, "{path}");
        assert_eq!(
            reply.body,
            json!({"detail": "Method Not Allowed", "code": "method_not_allowed"}),
            "{path}: {}",
            reply.text
        );
        assert_eq!(header(&reply, "content-type"), Some("application/json"), "{path}");
        assert!(header(&reply, "allow").is_some(), "{path}: the Allow header stays");
    }
    let missing = app.send(app.client.get(app.url("/no-such-page"))).await;
    assert_eq!(missing.status, 404);
    assert!(header(&missing, "content-type").is_some_and(|t| t.starts_with("text/html")));
}

/// A site folder as a release build leaves it: hashed names, each file with its brotli
/// and gzip copies (distinct contents here, so the test sees which one was sent).
fn release_site() -> tempfile::TempDir {
    let site = tempfile::tempdir().expect("site dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (name, body) in [
        ("authkit.Abc123.wasm", "\0asm plain"),
        ("authkit.Def456.js", "export default 1;"),
        ("authkit.Ghi789.css", "body{color:red}"),
    ] {
        std::fs::write(pkg.join(name), body).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("br of {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz of {name}")).unwrap();
    }
    site
}

async fn site_app(site: &tempfile::TempDir, hashed: bool) -> TestApp {
    let options = leptos::config::LeptosOptions::builder()
        .output_name("authkit")
        .site_root(site.path().display().to_string())
        .hash_files(hashed)
        .build();
    TestApp::spawn_with_options(&[], options).await
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_sent_in_the_encoding_the_client_takes() {
    let site = release_site();
    let app = site_app(&site, true).await;
    for (name, content_type) in [
        ("authkit.Abc123.wasm", "application/wasm"),
        ("authkit.Def456.js", "text/javascript"),
        ("authkit.Ghi789.css", "text/css"),
    ] {
        let url = app.url(&format!("/pkg/{name}"));
        let get = |encoding: &'static str| app.send(app.client.get(&url).header("Accept-Encoding", encoding));
        let br = get("gzip, deflate, br").await;
        assert_eq!(br.status, 200, "{name}");
        assert_eq!(header(&br, "content-encoding"), Some("br"), "{name}");
        assert_eq!(br.text, format!("br of {name}"));
        assert_eq!(
            header(&br, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert!(
            header(&br, "content-type").is_some_and(|t| t.starts_with(content_type)),
            "{name}"
        );
        assert!(
            header(&br, "vary").is_some_and(|v| v.eq_ignore_ascii_case("accept-encoding")),
            "{name}"
        );
        let gz = get("gzip").await;
        assert_eq!(header(&gz, "content-encoding"), Some("gzip"), "{name}");
        assert_eq!(gz.text, format!("gz of {name}"));
        let plain = get("identity").await;
        assert_eq!(header(&plain, "content-encoding"), None, "{name}");
        assert_ne!(plain.text, br.text);
        assert_eq!(
            header(&plain, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
    }
    // A name that is not there is not remembered.
    let missing = app.send(app.client.get(app.url("/pkg/authkit.Old000.wasm"))).await;
    assert_eq!(missing.status, 404);
    assert_eq!(header(&missing, "cache-control"), Some("no-store"));
    // Nothing outside the folder.
    let escape = app.send(app.client.get(app.url("/pkg/../../../etc/passwd"))).await;
    assert_ne!(escape.status, 200);
}

#[tokio::test]
async fn unhashed_assets_are_revalidated_and_pages_are_never_kept() {
    let site = release_site();
    let app = site_app(&site, false).await;
    let css = app.send(app.client.get(app.url("/pkg/authkit.Ghi789.css"))).await;
    assert_eq!(css.status, 200);
    assert_eq!(header(&css, "cache-control"), Some("no-cache"));
    let page = app
        .send(app.client.get(app.url("/login")).header("Accept", "text/html"))
        .await;
    assert_eq!(page.status, 200);
    assert!(header(&page, "content-type").is_some_and(|t| t.starts_with("text/html")));
    assert_eq!(header(&page, "cache-control"), Some("no-cache"));
    assert!(header(&page, "content-security-policy").is_some_and(|csp| csp.contains("'nonce-")));
    // The API carries no nonce: nothing there can run a script.
    let api = app.send(app.client.get(app.url("/auth/me"))).await;
    assert_eq!(
        header(&api, "content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
}

/// The value of the sample `name{labels}` in an OpenMetrics exposition.
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok())?
    })
}

#[tokio::test]
async fn metrics_count_logins_by_outcome_refusals_and_requests_by_route() {
    let app = TestApp::spawn_with(&[("METRICS_ON_MAIN_PORT", "true"), ("LOGIN_MAX_FAILURES", "2")]).await;
    app.signup("counted@example.com", "c").await;
    assert_eq!(app.login("counted@example.com", PASSWORD).await.status, 200);
    for _ in 0..2 {
        assert_eq!(
            app.login("counted@example.com", "not the password at all").await.status,
            401
        );
    }
    assert_eq!(
        app.login("counted@example.com", "not the password at all").await.status,
        429
    );
    // A path nobody serves is counted under one name, whatever it is.
    app.send(app.client.get(app.url("/wp-login.php?x=1"))).await;

    let scrape = app.send(app.client.get(app.url("/metrics"))).await;
    assert_eq!(scrape.status, 200);
    assert!(header(&scrape, "content-type").is_some_and(|t| t.starts_with("application/openmetrics-text")));
    let text = &scrape.text;
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    assert_eq!(
        sample(text, r#"authkit_logins_total{outcome="success"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(text, r#"authkit_logins_total{outcome="invalid_credentials"}"#),
        Some(2.0)
    );
    assert_eq!(sample(text, r#"authkit_logins_total{outcome="throttled"}"#), Some(1.0));
    assert_eq!(
        sample(text, r#"authkit_throttle_refusals_total{route="/auth/login"}"#),
        Some(1.0)
    );
    let login = r#"route="/auth/login",method="POST""#;
    assert_eq!(
        sample(text, &format!(r#"authkit_http_requests_total{{{login},status="401"}}"#)),
        Some(2.0)
    );
    assert_eq!(
        sample(
            text,
            &format!(r#"authkit_http_request_duration_seconds_count{{{login},status="200"}}"#)
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            text,
            r#"authkit_http_requests_total{route="other",method="GET",status="404"}"#
        ),
        Some(1.0)
    );
    assert!(!text.contains("wp-login"), "raw paths never become labels");
    // The signup and three logins waited for a hashing slot (the 429 never reached one).
    assert!(
        sample(text, "authkit_password_hash_wait_seconds_count").is_some_and(|n| n >= 4.0),
        "{text}"
    );
    assert_eq!(sample(text, "authkit_password_hash_queue_depth"), Some(0.0));
    assert!(sample(text, r#"authkit_db_connections{state="max"}"#).is_some_and(|n| n >= 1.0));
    // The signup's session and the login's.
    assert_eq!(sample(text, "authkit_sessions_active"), Some(2.0));
}

#[tokio::test]
async fn metrics_are_not_on_the_main_port_unless_allowed() {
    let app = TestApp::spawn().await;
    let scrape = app.send(app.client.get(app.url("/metrics"))).await;
    assert_eq!(scrape.status, 404);
    assert!(!scrape.text.contains("authkit_http_requests_total"));
}
